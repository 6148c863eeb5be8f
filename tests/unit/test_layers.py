"""The layers of docs/architecture.md, checked from the code's own imports and calls: what
each layer may import, and that the engine never writes a row itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dispatcher"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _ours(imports: set[str]) -> set[str]:
    return {i for i in imports if i.startswith(("dispatcher", "workers"))}


def test_the_core_never_imports_celery_or_the_workers() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        bad = {i for i in _imports(path) if i.split(".")[0] in ("celery", "kombu", "workers")}
        assert not bad, f"{_module(path)} imports {sorted(bad)}"


def test_the_domain_is_pure() -> None:
    for path in _files("domain"):
        ours = {i for i in _ours(_imports(path)) if not i.startswith("dispatcher.domain")}
        assert all(i.startswith("dispatcher.errors") for i in ours), (_module(path), ours)
        for banned in ("sqlalchemy", "httpx", "redis", "psycopg"):
            assert not any(i.startswith(banned) for i in _imports(path)), (_module(path), banned)


@pytest.mark.parametrize("layer", ["store"])
def test_the_store_knows_nothing_above_it(layer: str) -> None:
    above = ("dispatcher.engine", "dispatcher.intake", "dispatcher.api", "dispatcher.cli")
    for path in _files(layer):
        bad = {i for i in _imports(path) if i.startswith(above)}
        assert not bad, f"{_module(path)} imports {sorted(bad)}"


def _executes_sql(path: Path) -> list[int]:
    """Lines where a file runs a statement itself (``.execute(``) or builds a write."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "exec_driver_sql", "scalar", "scalars")
        ):
            lines.append(node.lineno)
    writes = {"sqlalchemy.update", "sqlalchemy.insert", "sqlalchemy.delete", "sqlalchemy.text"}
    if _imports(path) & writes:
        lines.append(0)
    return lines


@pytest.mark.parametrize("layer", ["engine", "intake"])
def test_the_engine_and_intake_hold_no_sql(layer: str) -> None:
    """They decide with the domain and apply with the store: every statement that changes
    a row is a named function of ``dispatcher/store``."""
    for path in _files(layer):
        assert _executes_sql(path) == [], f"{_module(path)} runs SQL itself"


def test_a_send_reaches_the_store_only_through_its_applier() -> None:
    """``engine/send.py`` reads and writes through ``store/sending.py`` alone (and the
    store's typed values): no other store module, no transition of its own."""
    store = {
        i for i in _imports(PACKAGE / "engine" / "send.py") if i.startswith("dispatcher.store")
    }
    assert store <= {
        "dispatcher.store",
        "dispatcher.store.sending",
        "dispatcher.store.rows",
        "dispatcher.store.rows.ChunkToSend",
    }, store


def test_no_import_goes_up_a_layer() -> None:
    order = ["domain", "provider", "store", "intake", "engine", "api", "dev", "cli"]
    rank = {f"dispatcher.{layer}": n for n, layer in enumerate(order)}
    for layer in order:
        for path in _files(layer):
            for imported in _ours(_imports(path)):
                target = next((r for name, r in rank.items() if imported.startswith(name)), None)
                if target is None:
                    continue
                allowed = target <= rank[f"dispatcher.{layer}"] or (
                    # the command lines present with the API's schemas
                    layer == "cli" and imported.startswith("dispatcher.api.schemas")
                )
                assert allowed, f"{_module(path)} ({layer}) imports {imported}"
