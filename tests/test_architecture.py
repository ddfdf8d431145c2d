"""The house rules, checked: no import cycles between retold's modules, no private name
imported across modules, and a public API that resolves without loading the heavy parts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import retold

SRC = Path(retold.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, list[tuple[str, list[str]]]]:
    """Every module's imports of retold modules (at any depth, lazy ones included):
    (imported module, names taken from it)."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for name, path in modules.items():
        found: list[tuple[str, list[str]]] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("retold"):
                    continue
                names = [a.name for a in node.names]
                # `from retold.pkg import module` imports the module, not a name
                subs = [n for n in names if f"{node.module}.{n}" in modules]
                found += [(f"{node.module}.{n}", []) for n in subs]
                rest = [n for n in names if n not in subs]
                if rest:
                    found.append((node.module, rest))
            elif isinstance(node, ast.Import):
                found += [(a.name, []) for a in node.names if a.name.startswith("retold")]
        out[name] = [(m, n) for m, n in found if m in modules]
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def _is_package_of(importer: str, imported: str) -> bool:
    # a package's __init__ re-exporting its own modules is not a cycle with them
    return imported.startswith(importer + ".") or importer.startswith(imported + ".")


def test_no_import_cycles() -> None:
    graph = {
        m: {i for i, _ in imps if i != m and not _is_package_of(m, i)}
        for m, imps in _imports().items()
    }
    assert _cycles(graph) == []


def test_no_private_names_imported_across_modules() -> None:
    bad = [
        f"{m} imports {i}.{n}"
        for m, imps in _imports().items()
        for i, names in imps
        for n in names
        if n.startswith("_") and not n.startswith("__") and i != m
    ]
    assert bad == []


def test_the_public_api_resolves_and_stays_light() -> None:
    code = (
        "import sys, retold\n"
        "names = [n for n in retold.__all__ if getattr(retold, n, None) is None]\n"
        "print(names)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    light = subprocess.run(
        [sys.executable, "-c", "import sys, retold; print('spacy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert light.strip() == "False"
    assert retold.compare.__module__ == "retold.audit.compare"
    assert retold.families.__module__.startswith("retold.family")
