"""The claim: what `start`, `resume`, `restart` and `time_travel` decide against storage.

Each verb checks its input, then takes the run with a compare-and-set write and a
fresh owner token. What it decided is an `ExecutionPlan` (`_plan`); the claim returns
the execution that drives it (`Run._drive`), not started, so `*_async` verbs can answer
as soon as the claim holds. A refused claim raises and changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._raw_json import RawJSON
from .._schema import storable, to_json
from ..errors import ResumeAlreadyClaimedError, ResumeError, RunStateError, StorageError, ValidationError
from ..events import EMPTY_USAGE, WORKFLOW_CANCELED, WORKFLOW_FINISH
from ..request_context import RequestContext, as_request_context
from ..results import StepResult, StoredInput, WorkflowResult
from ..step import Step
from ..storage.base import LoggedEvent, RunChanges, RunRecord, Storage
from ..types import TERMINAL_STATUSES
from ._lifecycle import call_on_start
from ._local import LocalExecutor, default_executor
from ._options import _Options
from ._plan import ExecutionPlan, ResumeTarget, TimeTravel
from ._state import PENDING_RESUME, Target, new_id
from ._targets import TravelPlan, find_step, resolve_target, time_travel_plan

if TYPE_CHECKING:
    from ..workflow.builder import Workflow
    from .run import Run

StepRef = Step | str | Sequence[Step | str]
#: a claimed execution: the drive of its plan, not started yet
Claimed = Coroutine[Any, Any, WorkflowResult]

_POLL_SECONDS = 0.025
_POLL_BUDGET = 2.0


def token(executor_id: str) -> str:
    """A fresh owner token for one execution of a run: `<executor id>:<random>`."""
    return f"{executor_id}:{new_id()}"  # unique across processes, no system call


# -- start ------------------------------------------------------------------------------------
async def claim_start(
    run: Run,
    input_data: Any,
    initial_state: Any,
    request_context: Mapping[str, Any] | RequestContext | None,
    tracing_options: Mapping[str, Any] | None,
    opts: _Options,
    defer: bool = False,
) -> Claimed:
    """Validates the input and claims the run (`pending` -> `running`); returns the
    execution, not started. Raises (changing nothing) if the input or the run's status refuses.
    With `defer`, a fresh run's insert may ride with its first write (`_defers`)."""
    wf = run.workflow
    input_data, stored_input, state, rc = _checked_start(run, input_data, initial_state, request_context)
    await call_on_start(run, input_data, state, rc)
    owner = token(wf.executor_id)
    changes: RunChanges = {
        "status": "running",
        "input": stored_input,
        "state": dict(state),
        "request_context": rc.stored(),
        "owner": owner,
    }
    storage = wf.storage
    made = functools.partial(
        execution, run, input_data, state, rc, {}, tracing_options=tracing_options, owner=owner, opts=opts, json_input=stored_input
    )
    if run._unsaved:
        run._unsaved = False
        fresh = RunRecord(workflow_id=wf.id, run_id=run.run_id, resource_id=run.resource_id)
        fresh.apply(changes)
        deferred = fresh if defer and _defers(run) else None
        if deferred is not None or await storage.create_run(fresh):  # the insert is the claim
            return made(claim=deferred)
    if not await storage.update_run(wf.id, run.run_id, changes, expected_status=("pending",)):
        canceled = await _start_refused(run, changes)
        if canceled is not None:
            return made(canceled=True, next_offset=canceled)
    return made()


async def _start_refused(run: Run, changes: RunChanges) -> int | None:
    """A start whose claim storage refused: the log's end when a cancel landed first (the
    start then ends canceled, running nothing); else it raises, or claims the run anew if it
    was never stored (None)."""
    wf = run.workflow
    storage = wf.storage
    stored = await storage.load_run(wf.id, run.run_id)
    if stored is not None and stored.status == "canceled" and not stored.steps and stored.input is None:
        # cancel() landed before this start ran (e.g. right after scheduling it): end canceled, run nothing.
        changes["status"] = "canceled"
        if await storage.update_run(wf.id, run.run_id, changes, expected_status=("canceled",)):
            return await log_end(run)
    if stored is not None:
        err = RunStateError(
            f"Workflow run {run.run_id!r} of workflow {wf.id!r} was already started (status {stored.status!r}); "
            "create a new run, or use resume/restart/time_travel"
        )
        err.code = "WORKFLOW_START_ALREADY_CLAIMED"
        raise err
    await storage.create_run(RunRecord(workflow_id=wf.id, run_id=run.run_id, resource_id=run.resource_id))
    if not await storage.update_run(wf.id, run.run_id, changes, expected_status=("pending",)):
        raise StorageError(f"Could not start run {run.run_id!r} of workflow {wf.id!r}: storage refused the claim")
    return None


def _defers(run: Run) -> bool:
    """Whether a fresh run's insert can wait for its first write (`RunState.claim`): its id
    was made here, so no other process can claim it; the storage folds the insert into a
    step write (one commit less) and is shared, so a slow first step still shows the run at
    once with its running mark; the executor is this process's."""
    wf = run.workflow
    storage = wf.storage
    return not run._named and storage.folds_claim and storage.shared and isinstance(wf.executor or default_executor(), LocalExecutor)


def _checked_start(
    run: Run, input_data: Any, initial_state: Any, request_context: Mapping[str, Any] | RequestContext | None
) -> tuple[Any, Any, dict[str, Any], RequestContext]:
    """The validated input (typed and stored forms), initial state and request context of a start."""
    wf = run.workflow
    wf.ensure_committed()
    try:
        if wf.validate_inputs:
            input_data = wf._in.validate(input_data, "Invalid input data")
        stored_input = storable(input_data, "Input data")
        state = checked_state(wf, initial_state)
    except ValidationError as exc:
        if not run._named:  # refused before anything was written: leave no pending run behind
            run._forget_unsaved()  # (a run id the caller named stays pending, as in Mastra)
        raise exc.located(f"workflow {wf.id!r}, run {run.run_id!r}") from exc.__cause__
    rc = as_request_context(request_context)
    if wf.validate_inputs and wf._rc is not None:
        wf._rc.validate(
            rc.all, f"Request context validation failed for workflow '{wf.id}'", code="WORKFLOW_REQUEST_CONTEXT_VALIDATION_FAILED"
        )
    return input_data, stored_input, state, rc


def checked_state(wf: Workflow, initial_state: Any) -> dict[str, Any]:
    """The initial state, validated against the workflow's state schema, in stored form."""
    schema = wf.state_schema_obj
    if schema is not None and wf.validate_inputs:
        if initial_state is None:
            try:
                initial_state = schema.validate({}, "Invalid initial data")
            except ValidationError:
                initial_state = {}
        else:
            initial_state = schema.validate(initial_state, "Invalid initial data")
    state = storable(initial_state, "Initial state") if initial_state is not None else {}
    if not isinstance(state, dict):
        raise ValidationError("Invalid initial data: \n- state must be an object", [("", "state must be an object")])
    return state


async def log_end(run: Run) -> int:
    """The offset the run's next event gets: read after the claim, so no other execution
    can append meanwhile."""
    storage = run.workflow.storage
    if not storage.keeps_events:
        return 0
    page = await storage.read_events(run.workflow_id, run.run_id, limit=0)
    return page.next_offset if page is not None else 0


# -- resume -----------------------------------------------------------------------------------
async def claim_resume(
    run: Run,
    resume_data: Any,
    step: StepRef | None,
    label: str | None,
    for_each_index: int | None,
    request_context: Mapping[str, Any] | RequestContext | None,
    tracing_options: Mapping[str, Any] | None,
    opts: _Options,
) -> Claimed:
    """Checks the target and the resume data and claims the run (`suspended` -> `running`);
    returns the execution, not started. A refused resume raises and changes nothing."""
    wf = run.workflow
    await run._ensure_known()
    record = await _load_settled(run)
    if record is None:
        raise run._not_found()
    if record.status != "suspended":
        raise ResumeError(f"This workflow run was not suspended: run {run.run_id!r} of workflow {wf.id!r} is {record.status!r}")
    path, index, leaf = resolve_target(wf, record, step, label, for_each_index)
    try:
        if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
            resume_data = leaf._resume.validate(resume_data, "Invalid resume data")
        stored_resume = storable(resume_data, "Resume data")  # checked before the claim: a refusal changes nothing
    except ValidationError as exc:
        raise exc.located(f"step {'.'.join(path)!r} of workflow {wf.id!r}, run {run.run_id!r}") from exc.__cause__
    rc = merge_context(record.request_context, request_context)
    owner = token(wf.executor_id)
    pending = {PENDING_RESUME: {"path": path, "foreachIndex": index, "resumeData": stored_resume}}
    claimed = await wf.storage.update_run(
        wf.id,
        run.run_id,
        {"status": "running", "request_context": rc.stored(), "owner": owner, "resume_labels": {**record.resume_labels, **pending}},
        expected_status=("suspended",),
    )
    if not claimed:
        raise ResumeAlreadyClaimedError(f"Run {run.run_id!r} of workflow {wf.id!r} was resumed by another caller first; nothing ran here")
    return execution(
        run,
        stored_input_later(wf, record.input),
        record.state,
        rc,
        record.steps,
        replay=True,
        targets={path[0]: Target(path[1:], resume_data, index)},
        stored_labels=record.resume_labels,
        tracing_options=tracing_options,
        owner=owner,
        tracing_context=record.tracing_context,
        opts=opts,
        next_offset=await log_end(run),
        json_input=record.input,
    )


async def _load_settled(run: Run) -> RunRecord | None:
    """The stored run, waiting briefly while another execution is still writing it."""
    if run._executing:
        await run._idle.wait()
    record = await _load_for_walk(run)
    waited = 0.0
    while record is not None and record.status in ("running", "pending") and waited < _POLL_BUDGET and record.steps:
        await asyncio.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS
        record = await _load_for_walk(run)
    return record


async def _load_for_walk(run: Run) -> RunRecord | None:
    """The stored run as the walk needs it: foreach records thin (without their item entries,
    which the foreach reads one by one, see `storage._items`) when this process walks it."""
    wf = run.workflow
    storage = wf.storage
    if isinstance(storage, Storage) and storage.supports_items and isinstance(wf.executor or default_executor(), LocalExecutor):
        return await storage.load_run_thin(wf.id, run.run_id)
    return await storage.load_run(wf.id, run.run_id)


def merge_context(stored: dict[str, Any], given: Mapping[str, Any] | RequestContext | None) -> RequestContext:
    """The stored request context, with the keys the caller gave added or overridden."""
    if given is None:
        return RequestContext(stored)
    rc = as_request_context(given)
    for key, value in stored.items():
        if key not in rc:
            rc._data[key] = value
    return rc


def stored_input_later(wf: Workflow, raw: Any) -> Any:
    """The run's stored input, parsed (if storage gave its text, `RawJSON`) and typed (as
    `stored_input`) only when someone reads it."""
    if not wf.validate_inputs or wf._in.adapter is None:
        return StoredInput(raw, _as_is) if type(raw) is RawJSON else raw
    return StoredInput(raw, lambda data: stored_input(wf, data))


def _as_is(data: Any) -> Any:
    return data


def stored_input(wf: Workflow, raw: Any) -> Any:
    """The run's stored input, typed by the input schema when it still validates."""
    if not wf.validate_inputs:
        return raw
    try:
        return wf._in.validate(raw, "stored input")
    except ValidationError:
        return raw


# -- restart ----------------------------------------------------------------------------------
async def claim_restart(
    run: Run, tracing_options: Mapping[str, Any] | None, request_context: Mapping[str, Any] | RequestContext | None
) -> Claimed | WorkflowResult:
    """Takes over a run left `running` by a crash (a new owner token); a finished run gives its stored result."""
    wf = run.workflow
    if run._executing:
        raise RunStateError(f"Run {run.run_id!r} of workflow {wf.id!r} is executing in this process; it cannot be restarted")
    await run._ensure_known()
    record = await wf.storage.load_run(wf.id, run.run_id)
    if record is None:
        raise run._not_found()
    if record.status in TERMINAL_STATUSES:
        return run.result_from_record(record)
    if record.status not in ("running", "waiting"):
        raise RunStateError(f"This workflow run was not active: run {run.run_id!r} of workflow {wf.id!r} is {record.status!r}")
    owner = token(wf.executor_id)
    if not await wf.storage.update_run(
        wf.id, run.run_id, {"owner": owner}, expected_status=("running", "waiting"), expected_owner=record.owner
    ):
        raise ResumeAlreadyClaimedError(f"Run {run.run_id!r} of workflow {wf.id!r} was restarted by another caller first; nothing ran here")
    labels = dict(record.resume_labels)
    pending = labels.pop(PENDING_RESUME, None)
    return execution(
        run,
        stored_input_later(wf, record.input),
        record.state,
        merge_context(record.request_context, request_context),
        record.steps,
        replay=True,
        restarting=True,
        targets=_pending_targets(wf, pending) if isinstance(pending, dict) else None,
        stored_labels=labels,
        tracing_options=tracing_options,
        tracing_context=record.tracing_context,
        owner=owner,
        next_offset=await log_end(run),
    )


def _pending_targets(wf: Workflow, pending: dict[str, Any]) -> dict[str, Target]:
    """The resume a crash interrupted, as the target of the restart (its data re-validated)."""
    path = [str(p) for p in pending.get("path") or []]
    data = pending.get("resumeData")
    leaf = find_step(wf, path)
    if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
        data = leaf._resume.validate(data, "Invalid resume data")
    return {path[0]: Target(path[1:], data, pending.get("foreachIndex"))}


# -- time travel ------------------------------------------------------------------------------
async def claim_time_travel(
    run: Run,
    step: StepRef,
    input_data: Any,
    resume_data: Any,
    initial_state: Any,
    context: Mapping[str, Any] | None,
    request_context: Mapping[str, Any] | RequestContext | None,
    tracing_options: Mapping[str, Any] | None,
    opts: _Options,
) -> Claimed:
    """Checks the time-travel target and data, rewrites the stored records it replaces and claims the run."""
    wf = run.workflow
    if run._executing:
        raise RunStateError("This workflow run is still running, cannot time travel")
    await run._ensure_known()  # as in Mastra, a created run may time travel without a start
    record = await wf.storage.load_run(wf.id, run.run_id)
    if record is None:
        raise run._not_found()
    if record.status == "running":
        raise RunStateError("This workflow run is still running, cannot time travel")
    plan = time_travel_plan(wf, record, step, input_data, context)
    for value, what in ((plan.input, "Input data"), (plan.target_input, "Step input data"), (resume_data, "Resume data")):
        storable(value, what)  # refused before anything changes, naming the field
    targets = _travel_targets(wf, plan, resume_data) if resume_data is not None else None
    state = checked_state(wf, initial_state) if initial_state is not None else record.state
    rc = merge_context(record.request_context, request_context)
    owner = token(wf.executor_id)
    changes: RunChanges = {"status": "running", "state": dict(state), "request_context": rc.stored(), "error": None, "result": None}
    changes["owner"] = owner
    if plan.input is not None:
        changes["input"] = to_json(plan.input)
    if not await wf.storage.update_run(wf.id, run.run_id, changes, expected_status=(record.status,)):
        raise ResumeAlreadyClaimedError(f"Run {run.run_id!r} of workflow {wf.id!r} changed while time travel was starting")
    if plan.deleted:
        await wf.storage.delete_steps(wf.id, run.run_id, plan.deleted)
    for key, filled in plan.filled.items():
        await wf.storage.save_step(wf.id, run.run_id, key, filled, expected_owner=owner)
    init = plan.input if plan.input is not None else stored_input(wf, record.input)
    return execution(
        run,
        init,
        state,
        rc,
        plan.records,
        replay=True,
        targets=targets,
        time_travel=(plan.target, plan.target_input, plan.rest),
        tracing_options=tracing_options,
        owner=owner,
        opts=opts,
        next_offset=await log_end(run),
    )


def _travel_targets(wf: Workflow, plan: TravelPlan, resume_data: Any) -> dict[str, Target]:
    """As in Mastra, the resume data goes to the re-run steps that were suspended,
    each checked against its own resume schema before anything changes."""
    targets: dict[str, Target] = {}
    for path in plan.resuspend:
        leaf = find_step(wf, path)
        data = resume_data
        if wf.validate_inputs and leaf is not None and leaf.resume_schema is not None:
            data = leaf._resume.validate(resume_data, "Invalid resume data")
        targets.setdefault(path[0], Target(path[1:], data, None))
    return targets


# -- the plan ---------------------------------------------------------------------------------
def execution(
    run: Run,
    input_data: Any,
    state: dict[str, Any],
    rc: RequestContext,
    records: dict[str, StepResult],
    *,
    replay: bool = False,
    targets: dict[str, Target] | None = None,
    restarting: bool = False,
    stored_labels: dict[str, Any] | None = None,
    time_travel: tuple[str, Any, list[str]] | None = None,
    tracing_options: Mapping[str, Any] | None = None,
    tracing_context: dict[str, Any] | None = None,
    canceled: bool = False,
    owner: str | None = None,
    opts: _Options | None = None,
    next_offset: int = 0,
    claim: RunRecord | None = None,
    json_input: Any = None,
) -> Claimed:
    """The plan a claim made (see `_plan.ExecutionPlan`), and its drive, not started;
    `claim` is the run's insert, deferred to its first write; `json_input`, the input in
    stored form when the claim read it (not converted again: a large input costs O(size))."""
    opts = opts or _Options()
    plan = ExecutionPlan(
        workflow_id=run.workflow_id,
        run_id=run.run_id,
        input=json_input if json_input is not None else input_data.raw if type(input_data) is StoredInput else to_json(input_data),
        state=dict(state),
        request_context=rc.all,
        records=dict(records),
        replay=replay,
        targets=tuple(ResumeTarget((key, *t.rest), t.resume_data, t.foreach_index) for key, t in (targets or {}).items()),
        time_travel=TimeTravel(time_travel[0], time_travel[1], tuple(time_travel[2])) if time_travel is not None else None,
        stored_labels=dict(stored_labels or {}),
        owner=owner,
        restarting=restarting,
        canceled=canceled,
        per_step=opts.per_step,
        next_offset=next_offset,
        tracing_context=tracing_context,
    )
    return run._drive(plan, input_data, rc, tracing_options, opts, claim)


# -- cancel -----------------------------------------------------------------------------------
#: The statuses a cancel through storage ends (a run executing in another process is fenced).
CANCELABLE = ("suspended", "paused", "waiting", "pending", "running")
#: How often a cancel re-reads the log's end when the run's owner appended to it first.
_CANCEL_TRIES = 20


async def cancel_stored(run: Run) -> bool:
    """Cancels a run that is not executing in this process, through storage: its status becomes
    `canceled` (fencing an execution in another process: its next write fails and it stops)
    and, in the same transaction, its log gets the closing events an execution would have
    written (`workflow-canceled`, `workflow-finish`), so an observer anywhere sees the run end
    as it ended. False when the run had nothing left to cancel."""
    wf = run.workflow
    storage = wf.storage
    changes: RunChanges = {"status": "canceled", "owner": None}
    for _ in range(_CANCEL_TRIES):
        events = _canceled_events(run.run_id, await log_end(run)) if storage.keeps_events else ()
        try:
            if await storage.update_run(wf.id, run.run_id, changes, expected_status=CANCELABLE, events=events):
                return True
        except StorageError:
            continue  # the run's owner appended events meanwhile: read the log's end again
        record = await storage.load_run(wf.id, run.run_id)
        if record is None or record.status not in CANCELABLE:
            return False
    # the owner keeps appending: fence it without the closing events rather than not at all
    return await storage.update_run(wf.id, run.run_id, changes, expected_status=CANCELABLE)


def _canceled_events(run_id: str, offset: int) -> list[LoggedEvent]:
    """The closing events of a canceled run, as the walk writes them, from `offset` on."""
    finish = {"workflowStatus": "canceled", "output": {"usage": dict(EMPTY_USAGE)}, "metadata": {}}
    return [
        LoggedEvent(offset, {"type": WORKFLOW_CANCELED, "runId": run_id, "from": "WORKFLOW", "payload": {}}),
        LoggedEvent(offset + 1, {"type": WORKFLOW_FINISH, "runId": run_id, "from": "WORKFLOW", "payload": finish}),
    ]
