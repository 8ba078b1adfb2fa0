"""Workflows and a small command line used by the cross-process durability tests.

    python flows.py run|each|start-async|resume|restart|suspend STORAGE_URL RUN_ID [JSON]

Every step appends `<step key>` to the file named by $FLOW_LOG when it finishes,
so a test can count how often each step completed. $KILL_AFTER_SAVES=N kills the
process (SIGKILL) right after the N-th step record is stored; $KILL_IN_STEP=key
kills it inside that step. $FLOW_DELAY=seconds makes every step of the durable
flow take that long, so that another process can watch the run live.
`start-async` prints the run id as soon as the run is claimed, then lets it finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from stepstream import ResumeError, StepContext, Stepstream, create_step, create_workflow, step
from stepstream.app import storage_from_url
from stepstream.storage.base import Storage


class N(BaseModel):
    n: int


def _log(key: str) -> None:
    path = os.environ.get("FLOW_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(key + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _maybe_die(key: str) -> None:
    if os.environ.get("KILL_IN_STEP") == key:
        os.kill(os.getpid(), signal.SIGKILL)


def counted(id: str, fn: Any, key: Any = None) -> Any:
    def execute(ctx: StepContext) -> N:
        label = key(ctx) if key else id
        _maybe_die(label)
        time.sleep(float(os.environ.get("FLOW_DELAY", "0")))
        out = N(n=fn(ctx.input_data.n))
        _log(label)
        return out

    return create_step(id=id, input_schema=N, output_schema=N, execute=execute)


class Pair(BaseModel):
    left: N
    right: N


def build_durable() -> Any:
    """Sequential, parallel, loop and nested parts."""
    inner = (
        create_workflow(id="inner", input_schema=N, output_schema=N)
        .then(counted("x", lambda n: n + 100))
        .then(counted("y", lambda n: n * 2))
        .commit()
    )

    def merge_pair(ctx: StepContext) -> N:
        _maybe_die("merge")
        out = N(n=ctx.input_data.left.n + ctx.input_data.right.n)
        _log("merge")
        return out

    merge = create_step(id="merge", input_schema=Pair, output_schema=N, execute=merge_pair)
    return (
        create_workflow(id="durable", input_schema=N, output_schema=N)
        .then(counted("a", lambda n: n + 1))
        .parallel([counted("left", lambda n: n * 2), counted("right", lambda n: n * 3)])
        .then(merge)
        .dountil(counted("inc", lambda n: n + 1, key=lambda ctx: f"inc#{ctx.retry_count + 1}"), lambda ctx: ctx.input_data.n >= 14)
        .then(inner)
        .then(counted("final", lambda n: n - 1))
        .commit()
    )


ITEMS = 60


def build_each() -> Any:
    """60 slow items at concurrency 4. $KILL_AFTER_ITEMS=N SIGKILLs the process as the N-th item finishes."""

    def work(ctx: StepContext) -> N:
        time.sleep(float(os.environ.get("FLOW_DELAY", "0.01")))
        label = f"item#{ctx.input_data.n}"
        _log(label)
        limit = int(os.environ.get("KILL_AFTER_ITEMS", "0"))
        if limit and len(Path(os.environ["FLOW_LOG"]).read_text().split()) >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return N(n=ctx.input_data.n * 10)

    item = create_step(id="item", input_schema=N, output_schema=N, execute=work)
    return create_workflow(id="each", input_schema=list[N], output_schema=list[N]).foreach(item, concurrency=4).commit()


class Answer(BaseModel):
    answer: str


def build_approval() -> Any:
    @step(input_schema=N, output_schema=N, resume_schema=Answer)
    async def ask(ctx: StepContext) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"question": f"ok {ctx.input_data.n}?"})
        _maybe_die("ask:resumed")
        _log("ask:" + ctx.resume_data.answer)
        return N(n=ctx.input_data.n + len(ctx.resume_data.answer))

    return (
        create_workflow(id="approval", input_schema=N, output_schema=N)
        .then(counted("before", lambda n: n + 1))
        .then(ask)
        .then(counted("after", lambda n: n * 10))
        .commit()
    )


class KillingStorage(Storage):
    """Wraps a storage and SIGKILLs the process after the N-th `save_step`."""

    def __init__(self, inner: Storage, kill_after: int):
        self.inner = inner
        self.kill_after = kill_after
        self.saves = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def setup(self) -> None:
        await self.inner.setup()

    async def close(self) -> None:
        await self.inner.close()

    async def create_run(self, record: Any) -> bool:
        return await self.inner.create_run(record)

    async def load_run(self, workflow_id: str, run_id: str) -> Any:
        return await self.inner.load_run(workflow_id, run_id)

    async def update_run(self, *args: Any, **kwargs: Any) -> bool:
        return await self.inner.update_run(*args, **kwargs)

    async def save_step(self, *args: Any, **kwargs: Any) -> bool:
        written = await self.inner.save_step(*args, **kwargs)
        self.saves += 1
        if self.saves == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return written

    async def delete_steps(self, *args: Any, **kwargs: Any) -> None:
        await self.inner.delete_steps(*args, **kwargs)

    async def list_runs(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.list_runs(*args, **kwargs)

    async def delete_run(self, workflow_id: str, run_id: str) -> bool:
        return await self.inner.delete_run(workflow_id, run_id)

    async def append_events(self, *args: Any, **kwargs: Any) -> bool:
        return await self.inner.append_events(*args, **kwargs)

    async def read_events(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.read_events(*args, **kwargs)

    async def wait_events(self, workflow_id: str, run_id: str, offset: int) -> None:
        await self.inner.wait_events(workflow_id, run_id, offset)


def _barrier(ready_dir: str, go_file: str) -> None:
    """Says "ready", then waits for the test to start every racer at once."""
    open(os.path.join(ready_dir, str(os.getpid())), "w").close()
    while not os.path.exists(go_file):
        time.sleep(0.001)


def make_app(url: str) -> Stepstream:
    storage = storage_from_url(url)
    kill = int(os.environ.get("KILL_AFTER_SAVES", "0"))
    if kill:
        storage = KillingStorage(storage, kill)
    return Stepstream(workflows=[build_durable(), build_approval(), build_each()], storage=storage)


async def main(argv: list[str]) -> int:
    action, url, run_id = argv[:3]
    arg = json.loads(argv[3]) if len(argv) > 3 else None
    async with make_app(url) as app:
        if action == "run":
            run = await app.get_workflow("durable").create_run(run_id)
            result = await run.start(input_data={"n": arg if arg is not None else 1})
        elif action == "each":
            run = await app.get_workflow("each").create_run(run_id)
            result = await run.start(input_data=[{"n": i} for i in range(ITEMS)])
        elif action == "start-async":
            run = await app.get_workflow("durable").create_run(run_id)
            print(json.dumps({"runId": await run.start_async(input_data={"n": arg if arg is not None else 1})}), flush=True)
            return 0  # leaving the app waits for the run to finish
        elif action == "restart":
            results = await app.restart_active_runs()
            print(json.dumps([r.to_dict() for r in results]))
            return 0
        elif action == "suspend":
            run = await app.get_workflow("approval").create_run(run_id)
            result = await run.start(input_data={"n": 1})
        elif action == "resume":
            if os.environ.get("WAIT_FOR"):
                _barrier(os.environ["READY_DIR"], os.environ["WAIT_FOR"])
            run = await app.get_workflow("approval").create_run(run_id)
            try:
                result = await run.resume(resume_data={"answer": arg})
            except ResumeError as exc:
                print(json.dumps({"refused": type(exc).__name__, "message": str(exc)}))
                return 0
        else:
            raise SystemExit(f"unknown action {action}")
        print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
