"""The shape of the code: imports flow one way, modules do one job, no state in modules.

The packages of `tasks/` follow the data's path (contract -> warehouse -> adapters ->
quality -> ingest -> models -> kb -> render -> reports -> delivery); a package may import
the ones before it, never one after it, so the package graph has no cycle. `flows/` sits
on top and is the only place that imports Prefect.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.support.paths import ROOT

MAX_LINES = 650


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("flows", "tasks"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports (type-checking-only imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES
                else node.module
                for alias in node.names
            ]
        else:
            continue
        for imported in names:
            while imported and imported not in MODULES:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                found.add(imported)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_module_imports_have_no_cycle() -> None:
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_packages_import_one_way() -> None:
    packages: dict[str, set[str]] = {}
    for module, imported in GRAPH.items():
        own = _package(module)
        packages.setdefault(own, set()).update(
            _package(other) for other in imported if _package(other) != own
        )
    try:
        tuple(TopologicalSorter(packages).static_order())
    except CycleError as exc:
        pytest.fail(f"packages import each other: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("module", sorted(name for name in MODULES if name.startswith("tasks")))
def test_tasks_never_import_flows_or_prefect(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        for name in names:
            assert name.split(".")[0] not in ("flows", "prefect"), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_says_its_one_job_and_stays_readable(module: str) -> None:
    text = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert ast.get_docstring(tree), f"{module} has no module docstring"
    assert len(text.splitlines()) <= MAX_LINES, f"{module} is over {MAX_LINES} lines"


MUTATING_METHODS = {"append", "extend", "insert", "pop", "clear", "update", "setdefault", "add"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_keeps_state_its_functions_change(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    containers = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.List | ast.Dict | ast.Set)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            assert not isinstance(node, ast.Global), f"{module}.{function.name} rebinds a global"
            changed = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATING_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in containers
            ) or (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(t, ast.Subscript)
                    and isinstance(t.value, ast.Name)
                    and t.value.id in containers
                    for t in node.targets
                )
            )
            assert not changed, f"{module}.{function.name} changes module state"
