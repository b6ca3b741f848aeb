"""Imports inside each package folder run one way: no module imports, even lazily inside a
function, a module that imports it back (directly or through others of the folder)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "goalguard"
FOLDERS = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def folder_graph(folder: str, root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> modules of the same folder it imports anywhere in its body (``__init__`` left
    out: it re-exports, and importing a package runs it before any of its modules)."""
    prefix = f"goalguard.{folder}."
    modules = {p.stem for p in (root / folder).glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((root / folder / f"{name}.py").read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level == 1:  # from .x import y / from . import x
                    base = prefix + base if base else prefix.rstrip(".")
                if base.startswith(prefix):
                    targets.add(base[len(prefix) :].split(".")[0])
                elif base == prefix.rstrip("."):
                    targets |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(prefix):
                        targets.add(alias.name[len(prefix) :].split(".")[0])
        graph[name] = (targets & modules) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """A function-level import counts: that is how the two old circles hid."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "a.py").write_text("def f():\n    from goalguard.pkg.b import g\n    return g\n")
    (folder / "b.py").write_text("from . import a\nfrom .c import h\n")
    (folder / "c.py").write_text("import goalguard.pkg.a\n")
    graph = folder_graph("pkg", root=tmp_path)
    assert graph == {"a": {"b"}, "b": {"a", "c"}, "c": {"a"}}
    assert find_cycle(graph) == ["a", "b", "a"]
    assert {"analysis", "report", "classifiers"} <= set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_import_cycle_inside_a_folder(folder: str) -> None:
    cycle = find_cycle(folder_graph(folder))
    assert cycle is None, f"goalguard/{folder}: " + " -> ".join(cycle or [])
