"""The layout rules of STYLE.md, read from the source with `ast` (nothing is imported).

core ← domains ← api: core imports no domain and no api; a domain never imports the api
and never another domain's `models`; graphql/ holds no Python package; operation files are
named after their operation; modules stay under ~400 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from graphql import OperationDefinitionNode, parse

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
GRAPHQL = ROOT / "graphql"
DOMAINS = ("accounts", "sync", "safety", "board", "market", "push")
LAYERS = {"core", "api", "migrations", *DOMAINS}
MAX_LINES = 400


def existing_domains() -> list[str]:
    return [d for d in DOMAINS if (BACKEND / d).is_dir()]


def modules(package: Path) -> Iterator[Path]:
    yield from sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, anywhere in the file (also inside functions),
    with relative imports resolved; `from a import b` yields both `a` and `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"


def violations(package: Path, forbidden: tuple[str, ...]) -> list[str]:
    """`file:line imports module`, once per import statement naming a forbidden module."""
    found: dict[tuple[str, int], str] = {}
    for path in modules(package):
        for line, name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.setdefault((str(path.relative_to(ROOT)), line), name)
    return [f"{file}:{line} imports {name}" for (file, line), name in sorted(found.items())]


def test_backend_holds_only_the_layers_of_the_style_guide() -> None:
    packages = {p.name for p in BACKEND.iterdir() if p.is_dir() and p.name != "__pycache__"}

    assert packages <= LAYERS, f"unexpected folders in backend/: {sorted(packages - LAYERS)}"
    assert {"core", "api"} <= packages


def test_core_imports_no_domain_and_no_api() -> None:
    forbidden = tuple(f"backend.{name}" for name in (*DOMAINS, "api", "migrations"))

    assert violations(BACKEND / "core", forbidden) == []


def test_domains_never_import_the_api() -> None:
    found = [v for d in existing_domains() for v in violations(BACKEND / d, ("backend.api",))]

    assert found == []


def test_a_domain_never_imports_another_domains_models() -> None:
    found = []
    for domain in existing_domains():
        others = tuple(f"backend.{other}.models" for other in existing_domains() if other != domain)
        found += violations(BACKEND / domain, others)

    assert found == [], "use the other domain's service functions instead:\n" + "\n".join(found)


def test_graphql_folder_has_no_init_module() -> None:
    shadows = [str(p.relative_to(ROOT)) for p in GRAPHQL.rglob("__init__.py")]

    assert shadows == [], "graphql/ must not be a package: it would shadow graphql-core"


def test_every_operation_file_is_named_after_its_one_operation() -> None:
    files = sorted((GRAPHQL / "operations").glob("*/*.graphql"))
    mismatches = []
    for path in files:
        document = parse(path.read_text(encoding="utf-8"))
        names = [
            d.name.value if d.name else None
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        if names != [path.stem]:
            mismatches.append(f"{path.relative_to(ROOT)} defines {names}")

    assert files, "no operation files found"
    assert mismatches == []


def test_every_backend_module_stays_under_400_lines() -> None:
    offenders = []
    for path in modules(BACKEND):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_LINES:
            offenders.append(f"{path.relative_to(ROOT)}: {lines} lines")

    assert offenders == [], "split these modules (STYLE.md: split before ~400 lines):\n" + "\n".join(offenders)
