"""Every third-party package the source imports is declared by the project.

`make demo` once failed on a fresh machine with "No module named 'httpx'": the one HTTP client was
imported by the core but declared only in the dev extra, which every test environment has. This
test reads every import in src/ and checks that its distribution is named in
``[project.dependencies]`` or an extra other than ``dev`` (or is required by one that is).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Imported only behind a guard that names the extra to install.
GUARDED = {"faker"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = [project["dependencies"]]
    groups += [deps for extra, deps in project["optional-dependencies"].items() if extra != "dev"]
    names = {_name(r) for group in groups for r in group if not r.startswith("assay-rai")}
    for name in list(names):  # what a declared package requires comes with it
        try:
            needed = requires(name) or []
        except PackageNotFoundError:  # an optional extra not installed here (spaCy)
            continue
        for req in needed:
            if "extra ==" not in req:
                names.add(_name(req))
    return names


def _imported() -> set[str]:
    roots: set[str] = set()
    for path in (REPO / "src" / "assay").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return {r for r in roots if r != "assay" and r not in sys.stdlib_module_names}


def test_every_imported_package_is_declared() -> None:
    dists = packages_distributions()
    missing = {}
    for module in sorted(_imported()):
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if module not in GUARDED and not names & _declared():
            missing[module] = sorted(names)
    assert not missing, f"imported by src/ but not declared in pyproject.toml: {missing}"
