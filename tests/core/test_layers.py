"""The layers import each other one way only, and no module imports itself round a circle.

gongkai (rules, clocks, settings) → contracts (each process's payloads, views and action table) →
workflows and activities (workflows call activities by their methods) → web and the shell. Imports
inside functions count: a circle held together by a function-level import is still a circle."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gongkai", "contracts", "workflows", "activities", "models", "web", "shell")
MODULES = ("worker",)
# What each layer may not import (its own layer and those below it are fine).
FORBIDDEN = {
    "gongkai": {"contracts", "workflows", "activities", "web", "shell", "worker"},
    "contracts": {"workflows", "activities", "web", "shell", "worker", "models"},
    "models": {"contracts", "workflows", "activities", "web", "shell", "worker"},
    "activities": {"workflows", "web", "shell", "worker"},
    "workflows": {"web", "shell", "worker", "models"},
    "web": {"workflows", "activities", "shell", "worker"},
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {name: root / f"{name}.py" for name in MODULES}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> Iterator[str]:
    """The project modules `path` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = modules(root)
    return {name: set(imports(path, name, known)) for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    sys.setrecursionlimit(10_000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_anywhere():
    assert circles(graph()) == []


def test_each_layer_imports_only_what_is_below_it():
    wrong = sorted(f"{module} imports {target}" for module, targets in graph().items()
                   for target in targets if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], set()))
    assert wrong == []


def test_contracts_need_only_the_standard_library_and_gongkai():
    stdlib = sys.stdlib_module_names
    outside = []
    for name, path in modules().items():
        if not name.startswith("contracts"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                tops = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                outside += [f"{name}: {t}" for t in tops if t.split(".")[0] not in stdlib | {"gongkai", "contracts"}]
    assert outside == []


def test_the_checks_find_what_they_look_for(tmp_path):
    """Planted: a circle through a function-level import, and gongkai importing the web."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "worker.py").write_text("")
    (tmp_path / "web" / "deps.py").write_text("def f():\n    from web.inbox import count\n")
    (tmp_path / "web" / "inbox.py").write_text("from web.render import page\n")
    (tmp_path / "web" / "render.py").write_text("from web.deps import f\n")
    (tmp_path / "gongkai" / "demo.py").write_text("from web.deps import f\n")
    edges = graph(tmp_path)
    assert circles(edges) == [["web.deps", "web.inbox", "web.render"]]
    assert "web.deps" in edges["gongkai.demo"]
