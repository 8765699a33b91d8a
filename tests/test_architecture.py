"""The layering and size rules of the README's layout section, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each layer may import itself and the layers listed (ours only; libraries are free).
LAYERS = {
    "config": {"config"},
    "hypee": {"config", "hypee"},
    "models": {"config", "hypee", "models"},
    "services": {"config", "hypee", "models", "services"},
    "handlers": {"config", "hypee", "models", "services", "handlers"},
    "server": {"config", "hypee", "models", "services", "handlers", "server"},
    "run": {"config", "hypee", "server"},
}
OURS = set(LAYERS) | {"tests", "bench"}
# Events and storage belong to the services: models only store and query documents.
MODELS_MAY_NOT = ("hypee.realtime", "hypee.storage")
MAX_PARAMETERS = 6
MAX_CLASS_LINES = 200
CLASS_LENGTH_REASON = "Longer than 200 lines on purpose"


def sources() -> list[tuple[str, Path]]:
    """(layer, file) of every module of the application."""
    found = [("run", ROOT / "run.py")]
    for layer in LAYERS:
        if layer != "run":
            found += [(layer, path) for path in sorted((ROOT / layer).rglob("*.py"))]
    return found


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an AST imports, at any depth (function-level imports included)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def violations_of(layer: str, tree: ast.AST) -> list[str]:
    found = []
    for module in imported_modules(tree):
        top = module.split(".")[0]
        if top in OURS and top not in LAYERS[layer]:
            found.append(module)
        if layer == "models" and module.startswith(MODELS_MAY_NOT):
            found.append(module)
    return found


def test_layers_import_only_the_layers_below_them() -> None:
    problems = {
        str(path.relative_to(ROOT)): bad
        for layer, path in sources()
        if (bad := violations_of(layer, ast.parse(path.read_text())))
    }
    assert problems == {}


def test_the_rule_catches_an_upward_import() -> None:
    assert violations_of("hypee", ast.parse("from handlers.base import BaseHandler"))
    assert violations_of("models", ast.parse("def f():\n    import handlers.ws"))
    assert violations_of("models", ast.parse("from hypee.realtime.hub import Hub"))
    assert not violations_of("handlers", ast.parse("from services.container import Services"))


def parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Parameters other than self and cls, *args and **kwargs included."""
    arguments = function.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return len([name for name in names if name not in ("self", "cls")])


@pytest.mark.parametrize("layer, path", sources(), ids=lambda value: str(value))
def test_functions_and_classes_stay_small(layer: str, path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert parameter_count(node) <= MAX_PARAMETERS, f"{node.name} takes too many"
        if isinstance(node, ast.ClassDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = CLASS_LENGTH_REASON in (ast.get_docstring(node) or "")
            assert lines <= MAX_CLASS_LINES or reason, f"{node.name} is {lines} lines"
