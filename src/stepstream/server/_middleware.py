"""Pure ASGI middleware: CORS, the bearer token, and the body size limit.

Each is a small class wrapping the next app (Starlette's own style), so a
request pays only for the checks it needs and streaming answers pass through
untouched.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._api import BodyTooLarge

_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"


async def _send_json(send: Send, status: int, body: dict[str, str], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body, separators=(",", ":")).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class CORSMiddleware:
    """Echoes an allowed `Origin` with credentials allowed (Studio calls from another port
    with `credentials: include`), and answers preflights with 204 before any auth."""

    def __init__(self, app: ASGIApp, origins: Collection[str] | None):
        self.app = app
        self.any_origin = origins is None or "*" in origins
        self.origins = {o.rstrip("/") for o in origins or ()}

    def _allowed(self, origin: bytes) -> bool:
        return self.any_origin or origin.decode("latin-1").rstrip("/") in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None or not self._allowed(origin):
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin), (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            requested = _header(scope, b"access-control-request-headers") or b"authorization, content-type"
            headers = [
                *cors,
                (b"access-control-allow-methods", _METHODS),
                (b"access-control-allow-headers", requested),
                (b"access-control-max-age", b"86400"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _bearer(header: bytes) -> bytes | None:
    """The token of `Bearer <token>`; the scheme name is case-insensitive (RFC 7235)."""
    scheme, _, token = header.partition(b" ")
    return token.strip(b" ") if scheme.lower() == b"bearer" else None


class AuthMiddleware:
    """401 `{"error": "Invalid or expired token"}` without `Authorization: Bearer <token>`,
    except on the public paths (the health check)."""

    def __init__(self, app: ASGIApp, token: str, public_paths: Collection[str]):
        self.app = app
        self.expected = token.encode()
        self.public = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.public:
            given = _bearer(_header(scope, b"authorization") or b"")
            if given is None or not hmac.compare_digest(given, self.expected):
                await _send_json(send, 401, {"error": "Invalid or expired token"}, [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """413 `{"error": "Request body too large"}` for a body over `limit` bytes: straight from
    `Content-Length` when given, else while the body is read (the handler turns it into 413)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                too_large = int(length) > self.limit
            except ValueError:
                await _send_json(send, 400, {"error": "Invalid Content-Length header"})
                return
            if too_large:
                await _send_json(send, 413, {"error": "Request body too large"})
                return
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, counting_receive, send)
