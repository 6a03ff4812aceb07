"""The layer rules of docs/design.md and ../shared/guide/architecture.md, enforced over the AST:
each package imports only from its own layer or below, heavy or special libraries are imported in
their single home, and no layer below the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "snapstore"

LAYERS = {
    **dict.fromkeys(["", "errors", "ids", "helper_process", "chunker", "crypto", "compression", "model"], 0),
    "backend": 1,
    **dict.fromkeys(["pack", "index"], 2),
    "repository": 3,
    **dict.fromkeys(
        ["archiver", "restorer", "retention", "gc", "checker", "sources", "mount", "browser",
         "profiles", "schedule", "copier", "drill"], 4
    ),
    "cli": 5,
}
# library -> the only places (module path prefixes, relative to snapstore/) that may import it
SINGLE_HOMES = {
    "lmdb": ("index/lmdb_cache.py", "index/tree_cache.py"),
    "boto3": ("backend/s3/",),
    "botocore": ("backend/s3/",),
    "click": ("cli/",),
    "snapstore.chunker._fastcdc": ("chunker/__init__.py",),
}


def component(relative: str) -> str:
    first = relative.split("/", 1)[0]
    return "" if first == "__init__.py" else first.removesuffix(".py")


def imported_names(tree: ast.AST, relative: str) -> list[tuple[int, str]]:
    names = []
    package_parts = ["snapstore", *relative.split("/")[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append((node.lineno, module))
            names += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return names


def violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        own = component(relative)
        if own not in LAYERS:
            found.append(f"{relative}: package '{own}' has no layer in tests/test_layers.py")
            continue
        tree = ast.parse(path.read_text(), str(path))
        for line, name in imported_names(tree, relative):
            where = f"{relative}:{line}"
            parts = name.split(".")
            if parts[0] == "snapstore" and len(parts) > 1:
                target = parts[1]
                if target in LAYERS and LAYERS[target] > LAYERS[own]:
                    found.append(f"{where}: layer {LAYERS[own]} imports {name} (layer {LAYERS[target]})")
            for library, homes in SINGLE_HOMES.items():
                if (name == library or name.startswith(library + ".")) and not relative.startswith(homes):
                    found.append(f"{where}: {library} may only be imported in {', '.join(homes)}")
        if LAYERS[own] < LAYERS["cli"]:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id in ("print", "exit", "input"):
                        found.append(f"{relative}:{node.lineno}: {node.func.id}() below the CLI")
                if isinstance(node, ast.Attribute) and node.attr == "exit":
                    if isinstance(node.value, ast.Name) and node.value.id == "sys":
                        found.append(f"{relative}:{node.lineno}: sys.exit below the CLI")
    return sorted(set(found))


def test_snapstore_follows_the_layer_rules() -> None:
    assert violations(PACKAGE) == []


@pytest.mark.parametrize(
    "relative,source,expected",
    [
        ("chunker/x.py", "from snapstore.backend import local\n", "layer 0 imports"),
        ("backend/x.py", "from ..repository import open_repo\n", "layer 1 imports"),
        ("backend/y.py", "import lmdb\n", "lmdb may only be imported"),
        ("index/other.py", "import lmdb\n", "lmdb may only be imported"),
        ("repository/x.py", "import click\n", "click may only be imported"),
        ("archiver/x.py", "from snapstore.chunker import _fastcdc\n", "_fastcdc may only"),
        ("archiver/y.py", "print('hello')\n", "print() below the CLI"),
        ("gc/z.py", "import sys\nsys.exit(1)\n", "sys.exit below the CLI"),
        ("newthing.py", "x = 1\n", "has no layer"),
    ],
)
def test_the_rules_catch_violations(tmp_path: Path, relative: str, source: str, expected: str) -> None:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    assert any(expected in v for v in violations(tmp_path)), violations(tmp_path)


def test_allowed_imports_pass(tmp_path: Path) -> None:
    for relative, source in {
        "index/lmdb_cache.py": "import lmdb\nfrom snapstore.backend import base\n",
        "cli/main.py": "import click\nfrom snapstore.repository import x\nprint(1)\n",
        "chunker/__init__.py": "from snapstore.chunker._fastcdc import Scanner\n",
    }.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    assert violations(tmp_path) == []
