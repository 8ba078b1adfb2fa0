"""`stepstream worker APP`: a Temporal worker process for an app whose executor is a
`stepstream.temporal.TemporalExecutor` (see docs/temporal.md)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from ._app import CliError, load_app


def worker(spec: str | None, storage_url: str | None, *, task_queue: str | None, modules: tuple[str, ...]) -> None:
    """Loads the app and runs its worker until SIGINT or SIGTERM."""
    try:
        from ..temporal import TemporalExecutor, create_worker
    except ImportError as exc:
        raise CliError(f"A worker needs the 'temporal' extra ({exc}): pip install 'stepstream[temporal]'") from None
    app = load_app(spec, storage_url)
    if not isinstance(app.executor, TemporalExecutor):
        raise CliError(f"App {spec!r} does not run on Temporal: give it executor=TemporalExecutor(client, task_queue=...)")

    async def main() -> None:
        worker = await create_worker(app, task_queue=task_queue, modules=tuple(modules))
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with worker:
            sys.stderr.write(f"stepstream worker: polling task queue {worker.task_queue!r}\n")
            sys.stderr.flush()
            await stop.wait()

    asyncio.run(main())
