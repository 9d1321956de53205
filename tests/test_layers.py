"""Every import goes down the layers of ARCHITECTURE.md, never up, and kernels import no framework."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "minimx"

# Layer of each top-level part of the package; a module may import its own layer or lower ones.
LAYERS = {
    "base": 0, "config": 0, "threads": 0, "name": 0, "attribute": 0,
    "engine": 1, "_kernels": 1,
    "context": 2, "ops": 2,
    "ndarray": 3,
    "random": 4, "autograd": 4, "symbol": 4,
    "initializer": 5, "initializer_kinds": 5, "optimizer": 5, "lr_scheduler": 5, "metric": 5, "kvstore": 5,
    "profiler": 5, "operator": 5,
    "test_utils": 5, "test_utils_symbolic": 5, "visualization": 5, "data": 5, "metric_base": 5, "metric_classification": 5,
    "metric_regression": 5, "image": 5,
    "gluon": 6,
    "demo": 7, "engine_demo": 7, "__init__": 7, "launch": 7, "exercises": 7,
}
# Parts of the same layer that must not see each other.
FORBIDDEN = {("engine", "_kernels"), ("_kernels", "engine"), ("data", "gluon")}


def _part(module_path):
    rel = module_path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path):
    tree = ast.parse(path.read_text(), str(path))
    pkg_parts = path.relative_to(PKG).parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[:len(pkg_parts) - node.level + 1]
                target = base + tuple((node.module or "").split(".")) if node.module else base
                if not target:   # "from . import x" at the top of the package
                    target = (node.names[0].name,)
                yield node.lineno, target[0] if target[0] else node.names[0].name
            elif node.module and node.module.split(".")[0] == "minimx":
                parts = node.module.split(".")
                yield node.lineno, parts[1] if len(parts) > 1 else node.names[0].name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "minimx" and len(parts) > 1:
                    yield node.lineno, parts[1]


MODULES = sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_go_down(path):
    part = _part(path)
    if part not in LAYERS:
        pytest.fail(f"{path.relative_to(PKG)}: top-level part {part!r} has no layer in LAYERS")
    for lineno, target in _imported_parts(path):
        target = target.removesuffix(".py")
        if target == part or target not in LAYERS:
            continue
        assert LAYERS[target] <= LAYERS[part], (
            f"{path.relative_to(PKG)}:{lineno} imports {target} (layer {LAYERS[target]}) "
            f"from {part} (layer {LAYERS[part]})")
        assert (part, target) not in FORBIDDEN, f"{path.relative_to(PKG)}:{lineno}: {part} must not import {target}"


def test_kernels_import_no_framework():
    for path in (PKG / "_kernels").rglob("*.py*"):
        text = path.read_text()
        for bad in ("ndarray", "engine", "ops.", "from ..ops", "context"):
            assert f"import {bad}" not in text and f"from ..{bad}" not in text and \
                f"from ...{bad}" not in text, f"{path} imports {bad}"
