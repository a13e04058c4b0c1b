"""The public API is exactly what ``__all__`` lists, sorted, and the layers keep their direction."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import assay

PUBLIC_PACKAGES = [
    "assay",
    "assay.datasets",
    "assay.demo",
    "assay.documents",
    "assay.errors",
    "assay.evaluate",
    "assay.evaluate.pii",
    "assay.exports",
    "assay.frameworks",
    "assay.gate",
    "assay.genai",
    "assay.governance",
    "assay.integrations",
    "assay.monitor",
    "assay.policy",
    "assay.result",
    "assay.robustness",
]


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"  # order: RUF022
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item}, which does not exist"

    def defined_here(value: object) -> bool:
        if isinstance(value, type(sys)):
            return False  # submodules become attributes when imported anywhere; not API names
        origin = getattr(value, "__module__", None)
        if origin is None or not isinstance(origin, str):
            return True  # a constant defined in this module
        return origin == name or origin.startswith(name + "._")

    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and n != "annotations" and defined_here(v)
    }
    missing = public - set(exported)
    assert not missing, f"{name} has public names missing from __all__: {sorted(missing)}"


def test_import_does_not_load_adapters_or_heavy_extras() -> None:
    code = (
        "import sys, assay; "
        "bad = [m for m in ('assay.cli', 'assay.web', 'sklearn', 'pyspark', 'pandas', 'fairlearn', "
        "'matplotlib') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_linter_contracts() -> None:
    """The layers hold; a missing import-linter fails this test (the dev extra installs it)."""
    exe = Path(sys.executable).with_name("lint-imports")
    assert exe.exists(), "import-linter is missing: `pip install -e '.[dev]'` (make test does)"
    proc = subprocess.run(
        [str(exe)], capture_output=True, text=True, cwd=Path(assay.__file__).parents[2]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _private_imports_across_packages() -> list[str]:
    """``from assay.X._private import ...`` (or ``from assay.X import _private``) outside X."""
    src = Path(assay.__file__).parent
    found = []
    for path in src.rglob("*.py"):
        package = path.relative_to(src).parts[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("assay."):
                continue
            parts = (node.module or "").split(".")
            target = parts[1]
            names = [a.name for a in node.names]
            private = any(p.startswith("_") for p in parts[2:]) or any(
                n.startswith("_") for n in names
            )
            if target != package and target != "_version" and private:
                found.append(f"{path.relative_to(src)}:{node.lineno} from {node.module}")
    return found


def test_no_package_imports_another_packages_private_modules() -> None:
    assert _private_imports_across_packages() == []
