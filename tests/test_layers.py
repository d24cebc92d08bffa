"""Layers point one way: no module outside models/ names a family, training never imports the models, and the
service never imports the training pipeline."""

import ast
from pathlib import Path

import pytest

import aoikit
from aoikit.models.families import FAMILIES

SRC = Path(aoikit.__file__).parent


def _imports(path: Path) -> set[str]:
    """The aoikit modules a source file imports (anywhere in it)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("aoikit")}


def _modules(folder: str = "") -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def test_nothing_outside_models_imports_a_family() -> None:
    families = tuple(f"aoikit.models.{cls.__module__.split('.')[2]}" for cls in FAMILIES)
    for path in _modules():
        if SRC / "models" not in path.parents:
            named = [name for name in _imports(path) if name.startswith(families)]
            assert not named, f"{path.relative_to(SRC)} imports {named}"


@pytest.mark.parametrize(
    ("folder", "forbidden"), [("training", ("aoikit.models",)), ("service", ("aoikit.pipeline", "aoikit.training"))]
)
def test_layers_point_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    for path in _modules(folder):
        named = [name for name in _imports(path) if name.startswith(forbidden)]
        assert not named, f"{path.relative_to(SRC)} imports {named}"
