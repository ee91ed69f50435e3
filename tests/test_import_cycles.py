"""No product module imports another in a cycle.

A cycle means neither module can be read (or imported, or tested) without the other;
it usually hides a fact that belongs in a third module both can import. The graph is
built from the source, so it counts every import: at the top, inside functions, and
under `if TYPE_CHECKING:` (a type-only cycle still ties the two modules together).
`cli/`, `components/` and `templates/` are read under the names setup.py gives them
(`gpuforge.cli`, ...); a relative import is resolved against its package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

# Folders outside `gpuforge/` that setup.py maps in, by the package name they get.
MAPPED = {
    "cli": "gpuforge.cli",
    "components": "gpuforge.components",
    "templates": "gpuforge.templates",
}


def product_modules() -> dict[str, Path]:
    """Import name -> file of every product module (`gpuforge/**` and the mapped folders)."""
    found: dict[str, Path] = {}
    roots = {
        "gpuforge": ROOT / "gpuforge",
        **{name: ROOT / folder for folder, name in MAPPED.items()},
    }
    for package, folder in roots.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[str | tuple]:
    """Every dotted name `tree` imports; `from X import y` gives X.y and X (the caller
    keeps X.y where it is a module, else X)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield from ((target, f"{target}.{alias.name}") for alias in node.names)


def _canonical(name: str) -> str:
    """`cli.x` -> `gpuforge.cli.x`: an import of a mapped folder by its folder name."""
    head, _, rest = name.partition(".")
    return f"{MAPPED[head]}.{rest}".rstrip(".") if head in MAPPED else name


def import_graph() -> dict[str, set[str]]:
    """Module -> the product modules it imports."""
    modules = product_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = set()
        for package, name in _imported_names(tree, module, path.name == "__init__.py"):
            package, name = _canonical(package), _canonical(name)
            imported.add(name if name in modules else package)
        graph[module] = {n for n in imported if n in modules and n != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_among_product_modules():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_graph_sees_every_kind_of_import():
    """The scan itself: mapped folders, relative imports and imports in functions count."""
    graph = import_graph()
    assert len(graph) > 100
    assert "gpuforge.cli.main" in graph and "gpuforge.components.platform" in graph
    # `cli/render.py` imports the loader inside its command functions only.
    assert any(m.startswith("gpuforge.model.") for m in graph["gpuforge.cli.render"])


def test_a_planted_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
