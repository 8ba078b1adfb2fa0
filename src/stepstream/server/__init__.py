"""Serve a `Stepstream` app over Mastra's HTTP API (extra: `pip install 'stepstream[server]'`).

    from stepstream.server import create_app
    asgi = create_app(app, auth_token="secret")   # then: uvicorn module:asgi

Routes, bodies, the `\\x1e` stream framing and error shapes follow Mastra's
server, so `@mastra/client-js` and Mastra Studio work against it; see
docs/server.md.
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("stepstream.server needs the 'server' extra: pip install 'stepstream[server]'") from exc

from ._api import ApiError as ApiError
from ._api import ApiRoute as ApiRoute
from ._api import Call as Call
from ._api import JSONResponse as JSONResponse
from ._api import Param as Param
from ._app import build_openapi as build_openapi
from ._app import create_app as create_app

__all__ = ["ApiError", "ApiRoute", "Call", "JSONResponse", "Param", "build_openapi", "create_app"]
