"""The layering contract (STYLE.md §5, "Import rules"), checked on the source with `ast`.

Every `stepstream` module belongs to one layer and may import only from the layers its
row allows. Imports under `if TYPE_CHECKING:` are not dependencies at run time: they may
name an upper layer's types in a signature (`Workflow.create_run() -> Run`). Modules the
STYLE table does not name are placed beside the ones they serve: `_schema`, `_raw_json`, `_serialize`, `run_query`,
`_suspend_meta` and `request_context` are data helpers; `lifecycle`, `_function_step`, `agents` (steps
made from pydantic-ai agents, an optional extra) and a workflow's declared schedules
(`schedules._declare`, `schedules.cron`) belong to the definition layer; the rest of
`schedules`, the server, client, CLI and testing sit above the engine and are not checked
here. Definition code reaches the engine by inversion (`workflow._runtime`). The interceptor
interface (`interceptors`) and the OpenTelemetry interceptor (`otel`) sit in the tracing
layer: the engine calls them, and they see none of the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "stepstream"

#: layer -> the layers it may import from (itself included)
ALLOWED: dict[str, set[str]] = {
    "base": {"base"},
    "data": {"base", "data"},
    "definition": {"base", "data", "definition"},
    "storage-interface": {"base", "data", "storage-interface"},
    "storage-backend": {"base", "data", "storage-interface"},
    "tracing": {"base", "tracing"},
    "engine": {"base", "data", "definition", "storage-interface", "tracing", "engine"},
}


def layer(module: str) -> str | None:
    """The layer of a module (`stepstream.engine.run`), or None for the layers above the engine."""
    parts = module.split(".")[1:]
    head = parts[0] if parts else ""
    if head in ("errors", "types", "_version"):
        return "base"
    if head in ("events", "results", "snapshot", "_schema", "_raw_json", "_serialize", "_suspend_meta", "request_context", "run_query"):
        return "data"
    if head in ("step", "_function_step", "lifecycle", "workflow", "agents"):
        return "definition"
    if head == "schedules" and len(parts) > 1 and parts[1] in ("_declare", "cron"):
        return "definition"
    if head == "storage":
        sub = parts[1] if len(parts) > 1 else ""
        if sub in ("memory", "sqlite", "postgres"):
            return "storage-backend"
        return "storage-interface" if sub else None  # storage/__init__ picks backends: app level
    if head in ("tracing", "_tracing", "interceptors", "otel"):
        return "tracing"
    if head == "engine":
        return "engine"
    return None


def imports(path: Path, src: Path = SRC) -> list[tuple[str, int]]:
    module = _module(path, src)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("stepstream"):
                # `from . import x` imports the module x
                found.extend((f"{target}.{a.name}" if not node.module else target, node.lineno) for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names if a.name.startswith("stepstream"))
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:`."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return out


def _module(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(src: Path = SRC) -> list[str]:
    found = []
    for path in sorted(src.rglob("*.py")):
        module = _module(path, src)
        mine = layer(module)
        if mine is None:
            continue
        for target, line in imports(path, src):
            theirs = layer(target)
            if theirs is not None and theirs in ALLOWED[mine]:
                continue
            found.append(f"{path.relative_to(src.parent)}:{line}: {mine} imports {target} ({theirs or 'app level'})")
    return found


def test_the_layering_contract_holds() -> None:
    assert violations() == []


def test_the_check_reports_upward_imports_and_ignores_type_only_ones(tmp_path: Path) -> None:
    src = tmp_path / "stepstream"
    (src / "workflow").mkdir(parents=True)
    (src / "workflow" / "sample.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..errors import StepstreamError\n"
        "if TYPE_CHECKING:\n"
        "    from ..engine.run import Run\n"
        "def later():\n"
        "    from ..engine import stored_runs\n"
    )
    assert violations(src) == ["stepstream/workflow/sample.py:6: definition imports stepstream.engine (engine)"]


if __name__ == "__main__":
    print("\n".join(violations()))
