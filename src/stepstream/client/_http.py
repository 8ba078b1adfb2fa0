"""The HTTP side of the client: one `httpx.AsyncClient`, and server errors turned back into
the exception classes the library raises locally."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from ..errors import (
    ResumeAlreadyClaimedError,
    ResumeError,
    RunNotFoundError,
    RunStateError,
    ScheduleError,
    ScheduleNotFoundError,
    StepstreamError,
    StorageError,
    ValidationError,
    WorkflowNotFoundError,
)


class RemoteError(StepstreamError):
    """The server refused the call for a reason with no local counterpart (a missing or
    wrong token, a body too large, a server fault). `status` and `body` are the answer's."""

    code = "REMOTE_ERROR"

    def __init__(self, message: str, status: int, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


_BY_CODE: dict[str, type[StepstreamError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        ResumeError,
        ResumeAlreadyClaimedError,
        RunStateError,
        StorageError,
        RunNotFoundError,
        ScheduleError,
        ScheduleNotFoundError,
    )
}
_BY_CODE["SCHEDULE_ID_EXISTS"] = ScheduleError
_BY_CODE["WORKFLOW_START_ALREADY_CLAIMED"] = RunStateError


def error_from(status: int, body: Any) -> StepstreamError:
    """The local exception for an error answer (`{"error": message, "code"?, "issues"?}`)."""
    data = body if isinstance(body, dict) else {}
    message = str(data.get("error") or body or f"HTTP {status}")
    code = data.get("code")
    issues = [(str(i.get("field", "")), str(i.get("message", ""))) for i in data.get("issues") or () if isinstance(i, dict)]
    if status == 404 and message == "Workflow not found":
        return WorkflowNotFoundError(message)
    if status == 404 and message == "Workflow run not found":
        return RunNotFoundError(message)
    cls = _BY_CODE.get(code) if isinstance(code, str) else None
    if cls is ValidationError or (status == 400 and issues):
        return ValidationError(message, issues, code=code if isinstance(code, str) else None)
    if cls is not None:
        field = data.get("field")
        err = cls(message, field if isinstance(field, str) else None) if issubclass(cls, ScheduleError) else cls(message)
        err.code = code  # type: ignore[assignment]
        return err
    return RemoteError(f"{message} (HTTP {status})", status, body)


def segment(value: str) -> str:
    """One path segment, percent-encoded whole (`/`, `%`, `?`, `#`, spaces too), so an id
    that holds them still names its own route instead of another path or a query."""
    return quote(value, safe="")


def _decoded(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def raise_for(response: httpx.Response) -> None:
    """Raises the mapped exception for a non-2xx answer (its body already read)."""
    if response.status_code >= 400:
        raise error_from(response.status_code, _decoded(response))


class Transport:
    """The shared `httpx.AsyncClient` and the calls the remote objects make through it."""

    def __init__(self, base_url: str, token: str | None, timeout: float, http: httpx.AsyncClient | None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = http or httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=httpx.Timeout(timeout, read=None))

    async def json(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self.http.request(method, path, params=clean, json=body)
        raise_for(response)
        return response.json()

    async def close(self) -> None:
        await self.http.aclose()
