"""The client and the server keep to STYLE.md's layering: the client imports neither the engine
nor storage (it can run where neither is wanted), the server no storage backend."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "stepstream"


def _imports(module: Path) -> set[str]:
    """Every `stepstream.*` module a file imports, resolved from relative imports."""
    parts = ["stepstream", *module.relative_to(PACKAGE).with_suffix("").parts]
    out: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = parts[: len(parts) - node.level] if node.level else []
            name = ".".join([*base, *(node.module.split(".") if node.module else [])])
            out.add(name)
            out.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {n for n in out if n.startswith("stepstream")}


def _package_imports(package: str) -> dict[str, set[str]]:
    return {str(p.relative_to(PACKAGE)): _imports(p) for p in (PACKAGE / package).glob("*.py")}


def test_the_client_imports_neither_the_engine_nor_storage() -> None:
    imports = _package_imports("client")
    assert imports
    for module, names in imports.items():
        bad = {n for n in names if n.startswith(("stepstream.engine", "stepstream.storage", "stepstream.app", "stepstream.workflow"))}
        bad |= {n for n in names if n in ("stepstream.Run", "stepstream.Stepstream", "stepstream.WorkflowStream")}
        assert not bad, (module, bad)


def test_the_server_imports_no_storage_backend_nor_engine_internals() -> None:
    for module, names in _package_imports("server").items():
        bad = {n for n in names if n.startswith(("stepstream.storage.", "stepstream.engine._")) or n == "stepstream.storage"}
        assert not bad, (module, bad)
