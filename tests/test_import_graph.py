"""No import circles between the modules of `headwater`.

Every `import` and `from ... import` of a module counts, wherever it is written: a lazy import inside a
function still runs, and a lazy import that dodges a circle at load time is still a circle in the design.
Imports under `if TYPE_CHECKING:` never run and do not count. `from X import Y` is an edge to the module
`X.Y` when it is one, else to `X`; a submodule has no implicit edge to its parent package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "headwater"


def _module_name(package_dir: Path, path: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: the bodies of `if TYPE_CHECKING:` are skipped (not the else)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(module: str, is_package: bool, stmt: ast.Import | ast.ImportFrom, modules: set[str]) -> set[str]:
    if isinstance(stmt, ast.Import):
        found = set()
        for alias in stmt.names:  # `import a.b.c` runs a.b.c: the edge goes to its deepest known module
            parts = alias.name.split(".")
            hits = [".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in modules]
            found |= set(hits[:1])
        return found
    if stmt.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (stmt.level - 1)]
        source = ".".join([*base, stmt.module] if stmt.module else base)
    else:
        source = stmt.module or ""
    found = {f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in stmt.names}
    return found & modules


def import_graph(package_dir: Path) -> nx.DiGraph:
    """Modules of the package under `package_dir` (dotted names) and the imports between them."""
    files = {_module_name(package_dir, p): p for p in sorted(package_dir.rglob("*.py"))}
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for stmt in _imports(tree):
            for target in _targets(module, path.name == "__init__.py", stmt, set(files)):
                if target != module:
                    graph.add_edge(module, target)
    return graph


def cycles(graph: nx.DiGraph) -> list[str]:
    """Every elementary cycle as "Found a cycle: a --> b --> a", each started at its smallest module, sorted."""
    found = []
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))
        ring = cycle[start:] + cycle[:start]
        found.append("Found a cycle: " + " --> ".join([*ring, ring[0]]))
    return sorted(found)


def test_headwater_has_no_import_cycles() -> None:
    found = cycles(import_graph(SRC))
    if found:
        pytest.fail("\n".join(found), pytrace=False)


# ---- the builder itself ------------------------------------------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_builder_finds_a_lazy_circle_and_ignores_type_checking(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "__init__.py": "from pkg.a import run\n",
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n"
            "else:\n    import os\nfrom . import b\n",
            "b.py": "def later():\n    from pkg.a import run  # lazy: still a circle\n",
            "c.py": "import pkg.a\n",
            "sub/__init__.py": "",
            "sub/d.py": "from .. import b\nfrom ..sub import e\n",
            "sub/e.py": "from pkg import sub\nimport pkg.sub.d\n",
        },
    )
    graph = import_graph(pkg)
    assert set(graph.edges) == {
        ("pkg", "pkg.a"),
        ("pkg.a", "pkg.b"),
        ("pkg.b", "pkg.a"),
        ("pkg.c", "pkg.a"),
        ("pkg.sub.d", "pkg.b"),
        ("pkg.sub.d", "pkg.sub.e"),
        ("pkg.sub.e", "pkg.sub"),
        ("pkg.sub.e", "pkg.sub.d"),
    }
    assert cycles(graph) == [
        "Found a cycle: pkg.a --> pkg.b --> pkg.a",
        "Found a cycle: pkg.sub.d --> pkg.sub.e --> pkg.sub.d",
    ]


@pytest.mark.parametrize(
    ("text", "edges"),
    [
        pytest.param("from pkg import b\n", {("pkg.a", "pkg.b")}, id="from-package-import-module"),
        pytest.param("from pkg.b import thing\n", {("pkg.a", "pkg.b")}, id="from-module-import-name"),
        pytest.param("from pkg import thing\n", {("pkg.a", "pkg")}, id="from-package-import-name"),
        pytest.param("import json\n", set(), id="outside-the-package"),
    ],
)
def test_builder_resolves_from_imports(tmp_path: Path, text: str, edges: set[tuple[str, str]]) -> None:
    pkg = _package(tmp_path, {"__init__.py": "thing = 1\n", "a.py": text, "b.py": "thing = 2\n"})
    assert set(import_graph(pkg).edges) == edges
