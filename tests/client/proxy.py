"""A TCP proxy on loopback that can cut a connection after some bytes from the server,
to drop a stream mid-way the way a network does."""

from __future__ import annotations

import asyncio
import contextlib


class CuttingProxy:
    """Forwards to `upstream`; the first `cuts` connections are closed after `after` bytes
    have come back from the server."""

    def __init__(self, upstream_port: int, *, after: int, cuts: int):
        self.upstream_port = upstream_port
        self.after = after
        self.cuts = cuts
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        limit = self.after if self.cuts > 0 else None
        self.cuts -= 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        upward = asyncio.ensure_future(self._pump(reader, up_writer, None))
        try:
            await self._pump(up_reader, writer, limit)
        finally:
            upward.cancel()
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()

    @staticmethod
    async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, limit: int | None) -> None:
        sent = 0
        while data := await src.read(65536):
            if limit is not None and sent + len(data) > limit:
                dst.write(data[: limit - sent])
                await dst.drain()
                return  # cut: the caller closes both sides mid-answer
            dst.write(data)
            await dst.drain()
            sent += len(data)
