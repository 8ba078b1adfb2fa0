"""Choosing what a resume or a time travel acts on, with Mastra's error messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._suspend_meta import THIN, meta_of
from ..errors import ResumeError, RunStateError
from ..results import StepResult
from ..step import Step
from ..storage.base import RunRecord, now_ms
from ..workflow.builder import Workflow, node_steps
from ..workflow.plan import ConditionalNode, ParallelNode


def step_parts(step: Any) -> list[str]:
    """A step reference (object, id, dotted path, or list of those) as a list of ids."""
    if isinstance(step, Step):
        return [step.id]
    if isinstance(step, str):
        return [p for p in step.split(".") if p]
    if isinstance(step, Sequence):
        parts: list[str] = []
        for item in step:
            parts.extend(step_parts(item))
        return parts
    raise ResumeError(f"step must be a step, an id, a dotted path or a list of those; got {type(step).__name__}")


def _fmt(paths: Sequence[Sequence[str]]) -> str:
    return ", ".join("[" + ", ".join(p) + "]" for p in paths)


def find_step(workflow: Workflow, parts: Sequence[str]) -> Step | None:
    """The step at a path of ids, walking into nested workflows."""
    current: Step = workflow
    for part in parts:
        if not isinstance(current, Workflow):
            return None
        found = None
        for node in current.graph:
            for candidate in node_steps(node):
                if candidate.id == part:
                    found = candidate
        if found is None:
            return None
        current = found
    return current


def _position(for_each_index: Any) -> int | None:
    """`for_each_index` as given, once checked to be a foreach item's position."""
    if for_each_index is not None and type(for_each_index) is not int:  # (a negative one is an item that is not suspended)
        raise ResumeError(f"for_each_index must be an int (a foreach item's position), not {for_each_index!r}")
    return for_each_index


def resolve_target(
    workflow: Workflow, record: RunRecord, step: Any, label: str | None, for_each_index: int | None
) -> tuple[list[str], int | None, Step | None]:
    """(full path, foreach index, innermost step) for a resume."""
    suspended = [list(p) for p in record.suspended]
    index = _position(for_each_index)
    if label is not None:
        where = record.resume_labels.get(label)
        if not isinstance(where, Mapping):
            raise ResumeError(f'Resume label "{label}" not found. Available labels: [{", ".join(record.resume_labels)}]')
        path = where.get("path")
        parts = [str(p) for p in path] if isinstance(path, list) and path else [str(where.get("stepId"))]
        if index is None and where.get("foreachIndex") is not None:
            index = int(where["foreachIndex"])
    elif step is not None:
        parts = step_parts(step)
    else:
        if not suspended:
            raise ResumeError("No suspended steps found in this workflow run")
        if len(suspended) > 1:
            raise ResumeError(
                f'Multiple suspended steps found: {_fmt(suspended)}. Please specify which step to resume using the "step" parameter.'
            )
        parts = suspended[0]
    if not parts:
        raise ResumeError("step must name a step")
    heads = [p[0] for p in suspended]
    if parts[0] not in heads:
        raise ResumeError(f'This workflow step "{parts[0]}" was not suspended. Available suspended steps: [{", ".join(heads)}]')
    full = next((p for p in suspended if p[: len(parts)] == parts), None)
    if full is None:
        raise ResumeError(
            f'This workflow step "{".".join(parts)}" was not suspended. Available suspended steps: [{", ".join(".".join(p) for p in suspended)}]'
        )
    if index is not None:
        record_ = record.steps.get(full[0])
        meta = (meta_of(record_.suspend_payload) or {}) if record_ is not None and isinstance(record_.suspend_payload, dict) else {}
        outputs, thin = meta.get("foreachOutput"), meta.get(THIN)
        if isinstance(thin, dict):  # entries in rows of their own: one status letter per item
            codes = str(thin.get("codes") or "")
            if not 0 <= index < len(codes) or codes[index] != "s":
                raise ResumeError(f'Item {index} of foreach step "{full[0]}" is not suspended')
        elif not isinstance(outputs, list):
            raise ResumeError(f'for_each_index given, but step "{full[0]}" is not a suspended foreach')
        elif not 0 <= index < len(outputs) or not isinstance(outputs[index], dict) or outputs[index].get("status") != "suspended":
            raise ResumeError(f'Item {index} of foreach step "{full[0]}" is not suspended')
    return full, index, find_step(workflow, full)


@dataclass
class TravelPlan:
    """What a time travel resets and re-runs."""

    target: str
    target_input: Any
    input: Any
    records: dict[str, StepResult]
    rest: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    filled: dict[str, StepResult] = field(default_factory=dict)
    resuspend: list[list[str]] = field(default_factory=list)


def _node_index(workflow: Workflow, step_id: str, parts: Sequence[str]) -> int:
    for i, node in enumerate(workflow.graph):
        if step_id in node.ids:
            return i
    raise RunStateError(f"Time travel target step not found in execution graph: '{'.'.join(parts)}'. Verify the step id/path.")


def _reset(workflow: Workflow, parts: Sequence[str], key: str) -> bool:
    """True when the record `key` (relative to `workflow`) must be re-run by the time travel."""
    head, _, rest = key.partition(".")
    base = head.split("[")[0]
    index = _node_index(workflow, parts[0], parts)
    if base in {i for node in workflow.graph[index + 1 :] for i in node.ids}:
        return True
    if base != parts[0]:
        return False
    if len(parts) == 1 or not rest:
        return True
    inner = find_step(workflow, [parts[0]])
    return not isinstance(inner, Workflow) or _reset(inner, parts[1:], rest)


def _keeps_failed_foreach(record: StepResult, parts: Sequence[str], key: str, input_data: Any) -> bool:
    """Time travel to a failed foreach, with no new input, keeps its record: only the
    items that did not succeed run again (Mastra's foreach-failure-progress behaviour)."""
    if input_data is not None or len(parts) != 1 or key != parts[0] or record.status != "failed":
        return False
    meta = meta_of(record.suspend_payload)
    return isinstance(meta, dict) and isinstance(meta.get("foreachOutput"), list)


def time_travel_plan(workflow: Workflow, record: RunRecord, step: Any, input_data: Any, context: Mapping[str, Any] | None) -> TravelPlan:
    """Finds the target and splits stored records into kept, reset and filled-in ones."""
    parts = step_parts(step)
    if not parts:
        raise RunStateError("Time travel target step not found in execution graph: ''. Verify the step id/path.")
    level: Workflow = workflow
    prefix = ""
    for depth, part in enumerate(parts):
        _node_index(level, part, parts)
        if depth < len(parts) - 1:
            inner = find_step(level, [part])
            if not isinstance(inner, Workflow):
                raise RunStateError(f"Time travel target step not found in execution graph: '{'.'.join(parts)}'. Verify the step id/path.")
            level, prefix = inner, prefix + part + "."
    leaf = find_step(workflow, parts)
    if input_data is not None and workflow.validate_inputs and leaf is not None:
        input_data = leaf._in.validate(input_data, "Invalid inputData")
    records = dict(record.steps)
    for key, value in (context or {}).items():
        records[key] = value if isinstance(value, StepResult) else StepResult.from_dict({"status": "success", **dict(value)})
    deleted = [k for k in records if _reset(workflow, parts, k) and not _keeps_failed_foreach(records[k], parts, k, input_data)]
    for key in deleted:
        records.pop(key, None)
    filled: dict[str, StepResult] = {k: v for k, v in records.items() if context and k in context}
    _fill_placeholders(workflow, parts, input_data, records, filled)
    index = _node_index(level, parts[-1], parts)
    run_input: Any = None
    if len(parts) == 1 and index == 0:
        run_input = input_data
    elif record.input is None and context:
        first = workflow.graph[0].ids[0]
        if first in records:
            run_input = records[first].payload
    if run_input is None and record.input is None and not (len(parts) == 1 and index == 0):
        run_input = {}  # a run that never started travels with an empty input, as in Mastra
    resuspend = [list(p) for p in record.suspended if p and any(k == p[0] or k.startswith(p[0] + ".") for k in deleted)]
    return TravelPlan(parts[0], input_data, run_input, records, list(parts[1:]), deleted, filled, resuspend)


def _fill_placeholders(
    workflow: Workflow, parts: Sequence[str], input_data: Any, records: dict[str, StepResult], filled: dict[str, StepResult]
) -> None:
    """Mastra's fill-ins: nodes before the target with no record become `success` with output
    `{}`; the node just before the target records `input_data` as its output; parallel
    siblings of the target with no record get `input_data` as payload and `{}` as output."""
    level, prefix = workflow, ""
    now = now_ms()
    last = len(parts) - 1
    for depth, part in enumerate(parts):
        index = _node_index(level, part, parts)
        for j, node in enumerate(level.graph[:index]):
            if isinstance(node, ConditionalNode):
                continue  # branches not taken have no record
            just_before = depth == last and j == index - 1 and input_data is not None
            for nid in node.ids:
                key = prefix + nid
                old = records.get(key)
                if old is not None and not just_before:
                    continue
                payload = old.payload if old is not None and old.payload is not None else {}
                started = old.started_at if old is not None and old.started_at else now
                output = input_data if just_before else {}
                records[key] = filled[key] = StepResult("success", payload, output, started_at=started, ended_at=now)
        node = level.graph[index]
        if depth == last and isinstance(node, ParallelNode):
            for nid in node.ids:
                if nid != part and prefix + nid not in records:
                    payload = input_data if input_data is not None else {}
                    records[prefix + nid] = filled[prefix + nid] = StepResult("success", payload, {}, started_at=now, ended_at=now)
        if depth < last:
            inner = find_step(level, [part])
            assert isinstance(inner, Workflow)
            level, prefix = inner, prefix + part + "."
