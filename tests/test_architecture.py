"""The package layout is a chain of stages, and no module reaches back up it.

Read from the source with `ast`, so every import counts: at the top, inside functions, and under
TYPE_CHECKING (a type-only import still ties two modules together for a reader and a type checker).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import trendsum

PACKAGE = Path(trendsum.__file__).parent

# What each stage may import from, besides itself. A stage's own modules import each other freely (no circles).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": {"errors"},
    "domain": {"errors"},
    "ingest": {"errors", "domain"},
    "prompts": {"errors", "config"},
    "engines": {"errors", "config", "domain", "prompts"},
    "queue": {"errors", "config", "domain", "ingest"},
    "pipeline": {"errors", "config", "domain", "ingest", "prompts", "engines", "queue"},
    "analysis": {"errors", "config", "domain", "ingest", "prompts", "engines", "queue", "pipeline"},
    "evaluation": {"errors", "config", "domain", "ingest", "prompts", "engines", "queue", "pipeline"},
    "reports": {"errors", "config", "domain", "ingest", "prompts", "engines", "queue", "pipeline", "analysis",
                "evaluation"},
    "web": {"errors", "config", "domain", "ingest", "queue", "reports"},
    "cli": {"errors", "config", "domain", "ingest", "prompts", "engines", "queue", "pipeline", "analysis",
            "evaluation", "reports", "web"},
    "__main__": {"cli"},
}


def _module_name(path: Path) -> str:
    parts = ["trendsum", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> str:
    return module.split(".")[1] if "." in module else "trendsum"


def _imports(module: str) -> set[str]:
    """The trendsum modules `module` imports: `from .x import y` names module x.y when that is a module, else x."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "trendsum"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "trendsum":
                target = node.module
            else:
                continue
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return found - {module}


GRAPH = {module: _imports(module) for module in MODULES}


def test_every_module_belongs_to_a_known_stage() -> None:
    stages = {_stage(m) for m in MODULES} - {"trendsum"}
    assert stages <= set(ALLOWED) | {"prompt_templates"}, stages - set(ALLOWED)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "trendsum"))
def test_no_module_imports_from_a_later_stage(module: str) -> None:
    stage = _stage(module)
    wrong = sorted(t for t in GRAPH[module] if _stage(t) not in ALLOWED[stage] | {stage})
    assert not wrong, f"{module} ({stage}) imports {wrong}; {stage} may import only from {sorted(ALLOWED[stage])}"


def test_config_and_the_domain_import_nothing_of_ours_but_errors() -> None:
    for module in MODULES:
        if _stage(module) in {"config", "domain"}:
            outside = {t for t in GRAPH[module] if _stage(t) != _stage(module)}
            assert outside <= {"trendsum.errors"}, (module, outside)


def test_there_are_no_import_circles() -> None:
    """Tarjan's strongly connected components: any component of more than one module is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert not circles, circles


def test_the_checker_sees_a_reach_back_up_the_chain() -> None:
    """The walk itself can fail: a module of the domain that imported the queue would be caught."""
    assert _stage("trendsum.domain.models") == "domain"
    assert "trendsum.errors" in GRAPH["trendsum.domain.models"]  # it does read imports
    assert _stage("trendsum.queue.store") not in ALLOWED["domain"]
