"""`create_app`: the ASGI application serving a `Stepstream` app over Mastra's HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..app import Stepstream
from ._api import ApiRoute, Call, JSONResponse, Settings, error_response, read_body
from ._middleware import AuthMiddleware, BodyLimitMiddleware, CORSMiddleware
from ._openapi import openapi_document
from ._schedules import schedule_routes
from ._workflows import workflow_routes

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
HEALTH_PATH = "/api/health"
OPENAPI_PATH = "/api/openapi.json"


async def _health(call: Call) -> Response:
    return JSONResponse({"status": "ok"})


async def _root(call: Call) -> Response:
    return JSONResponse({"name": "stepstream", "api": "/api", "openapi": "/api/openapi.json"})


async def _capabilities(call: Call) -> Response:
    return JSONResponse({"enabled": call.settings.auth_token is not None, "login": None})


def core_routes() -> list[ApiRoute]:
    """The routes beside the workflows: health, root, auth capabilities (Studio asks for it)."""
    return [
        ApiRoute("GET", HEALTH_PATH, _health, "Health check (never needs a token)", tag="system", public=True),
        ApiRoute("GET", "/", _root, "Where the API is", tag="system"),
        ApiRoute("GET", "/api/auth/capabilities", _capabilities, "Whether auth is on (Studio)", tag="system"),
    ]


def route_table(routes: Sequence[ApiRoute] = ()) -> list[ApiRoute]:
    """Every route served (and documented), `GET /api/openapi.json` included."""
    return [
        *core_routes(),
        *workflow_routes(),
        *schedule_routes(),
        *routes,
        ApiRoute("GET", OPENAPI_PATH, _root, "This document", tag="system"),
    ]


def build_openapi(*, auth: bool = False, routes: Sequence[ApiRoute] = ()) -> dict[str, Any]:
    """The OpenAPI document `create_app` serves at `/api/openapi.json`."""
    return openapi_document(route_table(routes), auth=auth)


def _endpoint(route: ApiRoute, app: Stepstream, settings: Settings) -> ASGIApp:
    return _Endpoint(route, app, settings)


class _Endpoint:
    """A route's ASGI app: the handler's answer, or the error's (a bare ASGI app, so Starlette
    adds no wrapper of its own around each request and each chunk sent)."""

    def __init__(self, route: ApiRoute, app: Stepstream, settings: Settings):
        self.handler = route.handler
        self.wants_body = route.body is not None
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            call = Call(Request(scope, receive), self.app, self.settings)
            if self.wants_body:
                call.body = await read_body(call.request)
            response = await self.handler(call)
        except Exception as exc:
            response = error_response(exc)
        await response(scope, receive, send)


class _Route(Route):
    """A route that keeps an encoded `/` inside one path segment: `runs/a%2Fb` is run `a/b`.

    Starlette matches the decoded path, where `a%2Fb` reads as two segments and the run id
    as not found; Mastra's router (Hono) matches before decoding `%2F`, and the Python client
    encodes every id as one segment. So a path holding `%2F` is matched as sent, and each
    parameter decoded after; every other path (no `%2F`) matches the same either way."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw = scope.get("raw_path")
        if scope["type"] != "http" or not raw or b"%2" not in raw or scope.get("root_path"):
            return super().matches(scope)
        path = raw.decode("latin-1")
        if "%2F" not in path.upper():
            return super().matches(scope)
        match = self.path_regex.match(path)
        if match is None:
            return Match.NONE, {}
        params = {key: self.param_convertors[key].convert(unquote(value)) for key, value in match.groupdict().items()}
        child = {"endpoint": self.endpoint, "path_params": {**scope.get("path_params", {}), **params}}
        return (Match.PARTIAL if self.methods and scope["method"] not in self.methods else Match.FULL), child


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    message = "Method not allowed" if status == 405 else "Not found"
    return JSONResponse({"error": f"{message}: {request.method} {request.url.path}"}, status_code=status)


class _Routing:
    """The router, answering an unknown path (404) or method (405) with a JSON error."""

    def __init__(self, router: ASGIApp):
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:
            response = await _not_found(Request(scope), exc)
            await response(scope, receive, send)


class _Starlette(Starlette):
    """Starlette without its error middleware around every request and every chunk sent:
    each endpoint answers its own errors (`_Endpoint`), `_Routing` the router's."""

    def build_middleware_stack(self) -> ASGIApp:
        return _Routing(self.router)


def _lifespan(app: Stepstream, manage_storage: bool, scheduler: bool) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Sets the storage up and runs the scheduler while serving (as `create_app` was asked)."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_storage:
            await app.setup()
        run_scheduler = scheduler and app.storage.supports_schedules
        try:
            if run_scheduler:
                await app.scheduler.start()
            yield
        finally:
            if run_scheduler:
                await app.scheduler.stop()
            if manage_storage:
                await app.close()

    return lifespan


def create_app(
    app: Stepstream,
    *,
    auth_token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    cors_origins: Sequence[str] | None = ("*",),
    resource_id: Callable[[Request], str | None] | None = None,
    routes: Sequence[ApiRoute] = (),
    manage_storage: bool = True,
    scheduler: bool = True,
) -> ASGIApp:
    """An ASGI app serving `app` with Mastra's workflow routes under `/api` (run it with uvicorn).

    - `auth_token`: every route but `GET /api/health` then needs `Authorization: Bearer <token>`.
    - `max_body_bytes`: larger bodies get 413 (10 MiB by default).
    - `cors_origins`: origins echoed back with credentials allowed; `("*",)` (the default)
      echoes any origin, `()` turns CORS off.
    - `resource_id`: maps a request to the caller's resource id; runs are then created under
      it, and runs of other resources are not found.
    - `routes`: more `ApiRoute`s to serve (and document) beside the workflow routes.
    - `manage_storage`: set up the app's storage at startup and close it at shutdown.
    - `scheduler`: run `app.scheduler` while serving, as Mastra's server does (when the
      storage stores schedules), so declared and created schedules fire; every replica
      may run it, each slot still fires once (see docs/schedules.md).
    """
    settings = Settings(auth_token, max_body_bytes, tuple(cors_origins) if cors_origins is not None else None, resource_id)
    table = route_table(routes)
    document = openapi_document(table, auth=auth_token is not None)

    async def _openapi(call: Call) -> Response:
        return JSONResponse(document)

    table[-1] = ApiRoute("GET", OPENAPI_PATH, _openapi, "This document", tag="system")

    starlette = _Starlette(
        routes=[_Route(r.path, _endpoint(r, app, settings), methods=[r.method]) for r in table],
        lifespan=_lifespan(app, manage_storage, scheduler),
    )
    starlette.state.stepstream = app
    starlette.state.openapi = document
    asgi: ASGIApp = starlette
    if auth_token is not None:
        asgi = AuthMiddleware(asgi, auth_token, {r.path for r in table if r.public})
    asgi = BodyLimitMiddleware(asgi, max_body_bytes)
    if cors_origins is None or len(cors_origins) > 0:
        asgi = CORSMiddleware(asgi, None if cors_origins is None else list(cors_origins))
    return asgi
