"""The house's size limits: no function over 80 lines, no module over 800 lines in ``src/``.

ruff keeps complexity and statement counts in budget (``C901``/``PLR0915`` in pyproject.toml);
line counts it does not measure, so this test does. A function's lines run from its ``def`` to
its last line, docstring included.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "assay"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 800


def long_functions(root: Path) -> list[str]:
    """``path:line name lines`` for every function under ``root`` over the limit."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} {lines}")
    return found


def big_modules(root: Path) -> list[str]:
    """``path lines`` for every module under ``root`` over the limit."""
    return [
        f"{p.relative_to(root)} {n}"
        for p in sorted(root.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]


def test_no_function_over_80_lines() -> None:
    long = long_functions(SRC)
    assert not long, "functions over 80 lines (split them into named steps):\n" + "\n".join(long)


def test_no_module_over_800_lines() -> None:
    big = big_modules(SRC)
    assert not big, "modules over 800 lines (split them by noun):\n" + "\n".join(big)


def test_the_checks_find_what_is_over(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    (tmp_path / "long.py").write_text(f"def f():\n{body}\n\n\ndef g():\n    return 1\n")
    (tmp_path / "ok.py").write_text(f"def f():\n{body[: body.rindex(chr(10))]}\n")
    assert long_functions(tmp_path) == ["long.py:1 f 81"]
    (tmp_path / "big.py").write_text("x = 1\n" * 801)
    assert big_modules(tmp_path) == ["big.py 801"]
