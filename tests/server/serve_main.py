"""A stepstream server in its own process, for the load and replica tests and bench/server_load.py.

    python -m tests.server.serve_main --storage sqlite:///runs.db [--pg-schema S] [--delay 0.05]

Serves tests/server/flows.py on 127.0.0.1 with an OS-chosen port and prints `listening PORT`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import uvicorn

from stepstream.app import storage_from_url
from stepstream.server import create_app
from stepstream.server._process import prepare_server_process
from stepstream.storage import PostgresStorage, Storage

from .flows import make_app


def _storage(url: str, pg_schema: str | None) -> Storage:
    if pg_schema:
        return PostgresStorage(url, schema=pg_schema)
    return storage_from_url(url)


async def _serve(server: uvicorn.Server) -> None:
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
            return
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    sys.stdout.write(f"listening {port}\n")
    sys.stdout.flush()
    await task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--storage", required=True)
    parser.add_argument("--pg-schema")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each chain step sleeps")
    parser.add_argument("--token")
    args = parser.parse_args()
    os.environ["STEPSTREAM_TEST_DELAY"] = str(args.delay)
    app = make_app(_storage(args.storage, args.pg_schema))
    config = uvicorn.Config(create_app(app, auth_token=args.token), host="127.0.0.1", port=0, log_level="warning", access_log=False)
    prepare_server_process()  # as `stepstream serve` does
    # the event loop `uvicorn.run` (so `stepstream serve`) runs on: uvloop, from uvicorn[standard]
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(uvicorn.Server(config)))


if __name__ == "__main__":
    main()
