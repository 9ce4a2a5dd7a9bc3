"""The dependency rule, checked on the source: views/api/cli/jobs -> services -> models.

- Nothing imports a views module or the API package but the app factory (and the
  API package's own modules, among themselves).
- Services and models never import forms, views or the API.
- No import cycles between modules (module-level imports).

See docs/architecture.md for the layers.
"""

import ast

from portfolio.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "portfolio"
FACTORY = "portfolio"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(), str(path))
    return found


MODULES = _modules()


def _imports(tree: ast.Module, top_level_only: bool) -> set[str]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "portfolio"
        ):
            names.add(node.module)
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    names.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("portfolio"))
    return names


def _is_web(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return (
        last.endswith("views")
        or name == "portfolio.api"
        or (name.startswith("portfolio.api."))
    )


def test_the_modules_were_found():
    assert len(MODULES) > 60 and "portfolio.policy" in MODULES


def test_only_the_factory_imports_views_and_the_api():
    breaks = []
    for name, tree in MODULES.items():
        if name == FACTORY:
            continue
        for imported in _imports(tree, top_level_only=False):
            inside_api = name.startswith("portfolio.api") and imported.startswith(
                "portfolio.api"
            )
            if _is_web(imported) and not inside_api:
                breaks.append(f"{name} imports {imported}")
    assert breaks == []


def test_services_and_models_never_import_forms_views_or_api():
    breaks = []
    for name, tree in MODULES.items():
        if name.rsplit(".", 1)[-1] not in ("services", "models"):
            continue
        for imported in _imports(tree, top_level_only=False):
            if _is_web(imported) or imported.rsplit(".", 1)[-1] == "forms":
                breaks.append(f"{name} imports {imported}")
    assert breaks == []


def test_no_import_cycles():
    graph = {
        name: {
            other
            for other in _imports(tree, top_level_only=True)
            if other in MODULES and other != name
        }
        for name, tree in MODULES.items()
    }
    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_exports_never_import_the_features_they_render():
    """Export kinds register into portfolio.exports.kinds (capacity from its own
    package), so the exports machinery imports no feature it renders."""
    breaks = [
        f"{name} imports {imported}"
        for name, tree in MODULES.items()
        if name.startswith("portfolio.exports")
        for imported in _imports(tree, top_level_only=False)
        if imported.startswith("portfolio.capacity")
    ]
    assert breaks == []


def test_every_export_kind_is_registered(app):
    from portfolio.exports import kinds
    from portfolio.exports.models import EXPORT_KINDS

    assert sorted(kinds.KINDS) == sorted(EXPORT_KINDS)
    assert kinds.get("capacity").queue == "reports"
    assert "capacity" not in kinds.enrolment_kinds()
