"""The route table and the request plumbing shared by every route.

A route is declared once, as an `ApiRoute`: its method and path, the handler,
and what the OpenAPI document says about it (query parameters, body schema,
answers). `create_app` turns the table into Starlette routes and the OpenAPI
document, so adding a group of routes (schedules, say) is adding a list of
`ApiRoute`s.

Handlers get a `Call` (the request, the app, the parsed body and query) and
raise `ApiError` for the client's mistakes; errors of the library map to
Mastra's statuses and `{"error": ...}` bodies in `error_response`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .._serialize import finite
from ..app import Stepstream
from ..errors import (
    ResumeAlreadyClaimedError,
    ResumeError,
    RunNotFoundError,
    RunStateError,
    ScheduleError,
    ScheduleNotFoundError,
    StepstreamError,
    ValidationError,
    WorkflowNotFoundError,
)

log = logging.getLogger("stepstream.server")

JSON_HEADERS = [(b"content-type", b"application/json")]


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str).encode

#: A request body nested deeper than this is refused (400): far beyond any real body, and well
#: within what the JSON encoders of answers, stream records and storage handle (pydantic-core
#: serializes 254 levels at most), so a client's data cannot make the server fail later.
MAX_BODY_DEPTH = 128
#: The largest integer query parameter (`offset`, `page`, `perPage`, `limit`): 2^31 - 1, so that
#: even `page * perPage` fits the 64-bit integers of SQLite and Postgres.
MAX_QUERY_INT = 2**31 - 1


def encode_json(content: Any) -> bytes:
    """Compact JSON (no spaces, UTF-8); NaN and infinities become `null`, never invalid JSON."""
    try:
        return _encode(content).encode()
    except ValueError:  # a non-finite float: the rare case pays for the copy
        return _encode(finite(content)).encode()


class JSONResponse(Response):
    """A compact JSON answer (no spaces, UTF-8), as Mastra's server writes it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)


class ApiError(Exception):
    """A client mistake: answered with `status` and `{"error": message, "issues"?: [...]}`."""

    def __init__(self, status: int, message: str, issues: Sequence[Mapping[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.issues = list(issues or [])

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.message}
        if self.issues:
            body["issues"] = self.issues
        return JSONResponse(body, status_code=self.status)


class BodyTooLarge(Exception):
    """Raised while reading a body past `max_body_bytes` (see `_middleware`)."""


def bad_body(field: str, message: str) -> ApiError:
    return ApiError(400, "Invalid request body", [{"field": field, "message": message}])


def bad_query(field: str, message: str) -> ApiError:
    return ApiError(400, "Invalid query parameters", [{"field": field, "message": message}])


@dataclass(frozen=True)
class Settings:
    """What `create_app` was given, for the handlers."""

    auth_token: str | None
    max_body_bytes: int
    cors_origins: tuple[str, ...] | None
    resource_id: Callable[[Request], str | None] | None


@dataclass
class Call:
    """One request as a handler sees it."""

    request: Request
    app: Stepstream
    settings: Settings
    body: dict[str, Any] = field(default_factory=dict)

    def path(self, name: str) -> str:
        value: str = self.request.path_params[name]
        return value

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    def required_query(self, name: str) -> str:
        value = self.request.query_params.get(name)
        if not value:
            raise bad_query(name, "Required")
        return value

    def int_query(self, name: str, minimum: int = 0, maximum: int = MAX_QUERY_INT) -> int | None:
        """An integer query parameter within `[minimum, maximum]`; None when absent."""
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise bad_query(name, f"Expected an integer, got {raw[:40]!r}") from None
        if value < minimum:
            raise bad_query(name, f"Must be >= {minimum}, got {value}")
        if value > maximum:
            raise bad_query(name, f"Must be <= {maximum}, got {raw[:40]}")
        return value

    def date_query(self, name: str) -> datetime | None:
        raw = self.request.query_params.get(name)
        if not raw:
            return None
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise bad_query(name, f"Expected an ISO 8601 date, got {raw!r}") from None

    def resource_id(self) -> str | None:
        """The resource id bound to the caller (by `create_app(resource_id=...)`), if any."""
        resolver = self.settings.resource_id
        return resolver(self.request) if resolver is not None else None

    def field(self, camel: str, kind: type | tuple[type, ...] | None = None) -> Any:
        """A body field, given in camelCase (Mastra's clients) or snake_case; None when absent."""
        body = self.body
        value = body.get(camel)
        if value is None:
            value = body.get(snake_case(camel))
        if value is not None and kind is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise bad_body(camel, f"Expected {_JSON_NAMES.get(names, names)}, got {type(value).__name__}")
        return value


_JSON_NAMES = {"dict": "an object", "bool": "a boolean", "int": "an integer", "str": "a string"}


@lru_cache(maxsize=256)
def snake_case(camel: str) -> str:
    """`inputData` -> `input_data`."""
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Param:
    """A query parameter, for the OpenAPI document."""

    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class ApiRoute:
    """One route: what runs, and what the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str = "workflows"
    query: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None
    stream: bool = False
    errors: tuple[int, ...] = ()
    public: bool = False


async def read_body(request: Request, required_object: bool = True) -> dict[str, Any]:
    """The JSON body as an object; an empty body is `{}`."""
    try:
        raw = await request.body()
    except ClientDisconnect:
        raise ApiError(400, "Invalid request body", [{"field": "body", "message": "The client disconnected"}]) from None
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_body("body", f"Malformed JSON: {exc}") from None
    except RecursionError:
        raise bad_body("body", f"Nested deeper than {MAX_BODY_DEPTH} levels") from None
    if not isinstance(data, dict):
        if required_object:
            raise bad_body("body", f"Expected a JSON object, got {type(data).__name__}")
        return {}
    if len(raw) > 2 * MAX_BODY_DEPTH:  # a shorter body cannot nest that deep
        _check_depth(data)
    return data


def _check_depth(body: dict[str, Any]) -> None:
    """Refuses a body nested deeper than `MAX_BODY_DEPTH`, naming the top-level field."""
    for key, value in body.items():
        if isinstance(value, dict | list) and _depth_over(value, MAX_BODY_DEPTH - 1):
            raise bad_body(str(key), f"Nested deeper than {MAX_BODY_DEPTH} levels")


def _depth_over(value: dict[str, Any] | list[Any], limit: int) -> bool:
    """Whether `value` nests objects and arrays more than `limit` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def error_response(exc: Exception) -> Response:
    """Mastra's status and body for an error raised while handling a request."""
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, BodyTooLarge):
        return JSONResponse({"error": "Request body too large"}, status_code=413)
    if isinstance(exc, WorkflowNotFoundError):
        return JSONResponse({"error": "Workflow not found"}, status_code=404)
    if isinstance(exc, RunNotFoundError):
        return JSONResponse({"error": "Workflow run not found"}, status_code=404)
    if isinstance(exc, StepstreamError):
        return JSONResponse(_error_body(exc), status_code=_status(exc))
    log.exception("unexpected error in a request")
    return JSONResponse({"error": f"Internal server error: {type(exc).__name__}: {exc}"}, status_code=500)


def _error_body(exc: StepstreamError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": str(exc), "code": exc.code}
    if isinstance(exc, ValidationError) and exc.issues:
        body["issues"] = [{"field": path, "message": message} for path, message in exc.issues]
    if isinstance(exc, ScheduleError) and exc.field:
        body["field"] = exc.field
    return body


#: How the engine's RunStateError for a time travel to a step the workflow lacks begins.
_UNKNOWN_TRAVEL_TARGET = "Time travel target step not found"


def _status(exc: StepstreamError) -> int:
    if isinstance(exc, ValidationError):
        return 400
    if isinstance(exc, ScheduleNotFoundError):
        return 404
    if isinstance(exc, ScheduleError):
        return 409 if exc.code == "SCHEDULE_ID_EXISTS" else 400
    if isinstance(exc, RunStateError) and str(exc).startswith(_UNKNOWN_TRAVEL_TARGET):
        return 400  # like resume's unknown step: a bad target is the caller's mistake, not a conflict
    if isinstance(exc, ResumeAlreadyClaimedError | RunStateError):
        return 409
    if isinstance(exc, ResumeError):
        # Mastra answers 500 for both; a run in the wrong state is a conflict, a bad target is the caller's mistake.
        return 409 if str(exc).startswith("This workflow run was not suspended") else 400
    return 500
