"""The storage contract's sample runs and assertions, shared by every group of checks."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import fields
from typing import Any

from ..errors import StorageError
from ..results import StepResult
from ..storage.base import RunRecord

WF = "contract-wf"
BASE_MS = 1_700_000_000_000  # a whole second, so datetime bounds convert exactly


def sample_steps() -> dict[str, StepResult]:
    return {
        "fetch": StepResult("success", {"url": "https://example.com/ü"}, {"body": "ok", "bytes": 2}, started_at=1, ended_at=2),
        "outer": StepResult(
            "suspended",
            {"items": [1, 2, 3]},
            suspend_payload={"__workflow_meta": {"runId": "run-1", "path": ["inner"], "foreachIndex": 2}},
            started_at=3,
            suspended_at=4,
        ),
        "outer.inner": StepResult(
            "suspended",
            {"x": 1},
            suspend_payload={"reason": "needs approval ✓"},
            suspend_output={"partial": True},
            started_at=3,
            suspended_at=4,
            metadata={"nestedRunId": "nested-1"},
        ),
        "outer[2].inner": StepResult(
            "failed", {"i": 2}, error={"message": "boom ✗", "name": "RuntimeError", "code": 42}, started_at=5, ended_at=6
        ),
        "raised": StepResult("failed", error=ValueError("bad value"), started_at=6, ended_at=7),
        "falsy": StepResult("success", "", 0, started_at=7, ended_at=7),
        "schritt-ü-日本": StepResult("success", [], False, resume_payload={"ok": True}, started_at=8, ended_at=9, resumed_at=8),
        "bare": StepResult("running"),
    }


def sample_run(run_id: str = "run-1", **overrides: Any) -> RunRecord:
    values: dict[str, Any] = {
        "workflow_id": WF,
        "run_id": run_id,
        "status": "suspended",
        "resource_id": "user-ü-1",
        "input": {"text": "héllo wörld ✓ 日本語 🚀", "n": 3, "f": 1.5, "nested": {"list": [1, None, True, {"k": "v"}]}},
        "state": {"counter": 2, "tags": ["a", "b"], "empty": {}},
        "request_context": {"tenant": "acme", "locale": "fr-FR"},
        "result": {"partial": [1, 2]},
        "error": {"message": "earlier failure", "name": "Error", "cause": {"message": "root", "name": "ValueError"}},
        "suspended": [["outer", "inner"], ["approve"]],
        "resume_labels": {"go": {"stepId": "approve"}, "retry": {"stepId": "outer", "foreachIndex": 2}},
        "tracing_context": {"traceId": "t" * 32, "spanId": "s" * 16, "parentSpanId": None},
        "owner": "exec-0",
        "steps": sample_steps(),
        "created_at": BASE_MS,
        "updated_at": BASE_MS + 500,
    }
    values.update(overrides)
    return RunRecord(**values)


def assert_same_run(got: RunRecord | None, want: RunRecord, *, steps: bool = True) -> None:
    """Asserts two runs hold the same fields (and, with `steps`, the same records in the same order)."""
    assert got is not None, f"run {want.workflow_id}/{want.run_id} is missing"
    for f in fields(RunRecord):
        if f.name == "steps":
            continue
        assert getattr(got, f.name) == getattr(want, f.name), f"{f.name}: {getattr(got, f.name)!r} != {getattr(want, f.name)!r}"
    if steps:
        assert list(got.steps) == list(want.steps), f"step order: {list(got.steps)} != {list(want.steps)}"
        for key, record in want.steps.items():
            assert got.steps[key] == record, f"step {key!r}: {got.steps[key]!r} != {record!r}"
    else:
        assert got.steps == {}, "list_runs must not return step records"


async def expect_storage_error(call: Awaitable[Any], what: str) -> None:
    try:
        await call
    except StorageError:
        return
    raise AssertionError(f"{what}: expected StorageError")
