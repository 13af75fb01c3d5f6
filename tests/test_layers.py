"""The package's layers import only downward, and ``import sim`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
# Lowest first: a module may import its own layer and the ones before it.
LAYERS = ("model", "engine", "analysis", "choice", "output", "viz", "report", "api", "study", "cli", "readme")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "sim":
        return None
    if len(parts) == 1:
        return "top"
    return parts[1] if parts[1] in LAYERS else "top"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def _module_layer(path: Path) -> str:
    rel = path.relative_to(SIM).with_suffix("")
    head = rel.parts[0]
    return head if head in LAYERS else "top"


@pytest.mark.parametrize("path", sorted(SIM.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_upward_import(path: Path) -> None:
    mine = _module_layer(path)
    if mine == "top":  # sim/__init__.py and __main__.py sit on top of everything
        return
    for module in _imports(path):
        theirs = _layer(module)
        if theirs is None or theirs == "top":
            continue
        assert LAYERS.index(theirs) <= LAYERS.index(mine), f"{path.relative_to(ROOT)} ({mine}) imports {module} ({theirs})"


def test_no_relative_imports_hide_the_layering() -> None:
    for path in SIM.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)), path


def test_import_sim_loads_neither_matplotlib_nor_pandas() -> None:
    code = (
        "import sys, sim, sim.cli\n"
        "heavy = sorted(m for m in ('matplotlib', 'pandas', 'pyarrow') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_module_chooses_a_matplotlib_backend() -> None:
    for path in SIM.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "matplotlib.use(" not in text, path
        assert not any(m.startswith("matplotlib.pyplot") for m in _imports(path)), path


def test_every_package_is_installed() -> None:
    """pyproject.toml lists every package under sim/, or an installed routesim lacks it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in SIM.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
