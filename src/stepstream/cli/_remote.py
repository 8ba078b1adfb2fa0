"""`--url`: the commands on a running stepstream (or Mastra) server, through `stepstream.client`.

The workflow's shape comes from the server's description (`GET /api/workflows/:id`: the
step graph and each step's resume schema as JSON Schema), stored runs from its
WorkflowState JSON; every refusal of the server (400/404 bodies, an unreachable server)
becomes one `CliError` line.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx

from ..client import Client, RemoteWorkflow
from ..errors import StepstreamError, WorkflowNotFoundError
from ..results import WorkflowState
from ..schedules import Schedule, TriggerPage
from ._app import CliError
from ._backend import Fired, StartableRun
from ._prompt import Form, form_of_json_schema

T = TypeVar("T")


class RemoteShape:
    """A workflow's shape from the server's WorkflowInfo."""

    def __init__(self, info: dict[str, Any]):
        self.info = info

    def concurrent(self) -> set[str]:
        return graph_concurrent(self.info.get("stepGraph") or [])

    def resume_form(self, path: list[str]) -> Form:
        step = (self.info.get("allSteps") or {}).get(".".join(path)) if path else None
        text = step.get("resumeSchema") if isinstance(step, dict) else None
        schema = json.loads(text) if text else None
        return form_of_json_schema(schema.get("json", schema) if isinstance(schema, dict) else None)


def entries(entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The single-step entries of a serialized graph entry (a block's steps, a loop's step)."""
    if "steps" in entry:
        yield from entry["steps"]
    elif entry.get("type") in ("loop", "foreach"):
        yield entry["step"]
    elif entry.get("type") in ("step", "workflow"):
        yield entry


def entry_id(single: dict[str, Any]) -> str:
    return str(single.get("step", {}).get("id") if single.get("type") == "step" else single.get("id"))


def graph_concurrent(graph: list[dict[str, Any]], prefix: str = "") -> set[str]:
    """Step paths inside a `parallel` or `branch` block of Mastra's serializedStepGraph."""
    paths: set[str] = set()
    for entry in graph:
        for single in entries(entry):
            if entry.get("type") in ("parallel", "conditional"):
                paths.add(prefix + entry_id(single))
            if single.get("type") == "workflow":
                paths |= graph_concurrent(single.get("serializedStepFlow") or [], prefix + entry_id(single) + ".")
    return paths


class RemoteWorkflowView:
    """A server's workflow as the commands use it: stored runs come back as `WorkflowState`."""

    def __init__(self, workflow: RemoteWorkflow):
        self.remote = workflow

    async def create_run(self, run_id: str | None = None) -> StartableRun:
        return await self.remote.create_run(run_id)

    async def get_run(self, run_id: str) -> WorkflowState | None:
        data = await self.remote.get_run(run_id)
        return WorkflowState.from_dict(data) if data is not None else None


class RemoteBackend:
    """Runs on the server at `url`."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url
        self.client = Client(url, token)
        self.resume_prefix = ["--url", url]

    async def session(self, work: Callable[[], Awaitable[T]]) -> T:
        """Does the work; the server's refusals and an unreachable server become one line."""
        try:
            return await work()
        except StepstreamError as exc:
            raise CliError(str(exc)) from None
        except httpx.HTTPError as exc:
            raise CliError(f"Server {self.url} did not answer: {type(exc).__name__}: {exc}") from None
        finally:
            await self.client.close()

    async def workflow(self, workflow_id: str) -> tuple[RemoteWorkflowView, RemoteShape]:
        wf = self.client.get_workflow(workflow_id)
        try:
            info = await wf.details()
        except WorkflowNotFoundError:
            known = ", ".join(sorted(await self.client.list_workflows())) or "none"
            raise CliError(f"Workflow {workflow_id!r} not found on {self.url} (it has: {known})") from None
        return RemoteWorkflowView(wf), RemoteShape(info)

    async def find_run(self, run_id: str, workflow_id: str | None) -> tuple[RemoteWorkflowView, RemoteShape, WorkflowState]:
        ids = [workflow_id] if workflow_id else list(await self.client.list_workflows())
        for wid in ids:
            wf, shape = await self.workflow(wid)
            state = await wf.get_run(run_id)
            if state is not None:
                return wf, shape, state
        where = f"workflow {workflow_id!r}" if workflow_id else "any workflow"
        raise CliError(f"Run {run_id!r} not found in {where} on {self.url}")

    async def runs(self, workflow_id: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
        """Run summaries, newest first, over one workflow or all of them."""
        ids = [workflow_id] if workflow_id else list(await self.client.list_workflows())
        found: list[dict[str, Any]] = []
        for wid in ids:
            await self.workflow(wid)  # an unknown workflow is named
            page = await self.client.get_workflow(wid).list_runs(status=status, per_page=limit)
            found += [{"workflowName": wid, **r} for r in page["runs"]]
        return sorted(found, key=lambda r: str(r.get("createdAt")), reverse=True)[:limit]

    async def fire(self, schedule_id: str) -> Fired:
        """Fires the schedule on the server and follows its run there until it settles."""
        run_id = await self.client.run_schedule(schedule_id)
        schedule = await self.client.get_schedule(schedule_id)
        assert schedule is not None
        wf, shape = await self.workflow(schedule.workflow_id)
        stream = (await wf.create_run(run_id)).observe_stream()
        async for _ in stream:
            pass
        result = await stream.result
        return Fired(run_id, result.status, result.suspended, result.error, shape, self.resume_prefix)


class RemoteSchedules:
    """The server's schedules with the names of `app.schedules` (what the `schedules` commands use)."""

    def __init__(self, client: Client):
        self.client = client

    async def list(self, *, workflow_id: str | None = None, status: str | None = None) -> list[Schedule]:
        return await self.client.list_schedules(workflow_id=workflow_id, status=status)

    async def get(self, id: str) -> Schedule | None:
        return await self.client.get_schedule(id)

    async def pause(self, id: str) -> Schedule:
        return await self.client.pause_schedule(id)

    async def resume(self, id: str) -> Schedule:
        return await self.client.resume_schedule(id)

    async def triggers(self, id: str, *, page: int | None = None, per_page: int | None = None) -> TriggerPage:
        return await self.client.schedule_triggers(id, page=page, per_page=per_page)
