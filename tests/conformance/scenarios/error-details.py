"""A step error keeps its custom property (status code) and its cause chain in the run result,
both from start() and from stream(). Read from the wire form; the property may be named
statusCode or status_code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import BaseModel

from stepstream import StepContext, WorkflowResult, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


class N(BaseModel):
    n: int


class ApiError(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def call_api(ctx: StepContext) -> NoReturn:
    try:
        raise RuntimeError("HTTP request failed")
    except RuntimeError as exc:
        raise ApiError("API call failed", 429) from exc


def describe(err: dict[str, Any] | None) -> dict[str, Any]:
    err = err or {}
    cause = err.get("cause") or {}
    return {"message": err.get("message"), "cause": cause.get("message"), "statusCode": err.get("statusCode", err.get("status_code"))}


def both(result: WorkflowResult) -> dict[str, Any]:
    d = result.to_dict()
    return {"run": describe(d.get("error")), "step": describe(d["steps"]["call"].get("error"))}


async def scenario(log: Log) -> None:
    call = create_step(id="call", input_schema=N, output_schema=N, execute=call_api)
    wf = create_workflow(id="errors", input_schema=N, output_schema=N).then(call).commit()
    started = log.result(await (await wf.create_run()).start(input_data={"n": 1}))
    log.note(both(started))
    streamed = await log.stream((await wf.create_run()).stream(input_data={"n": 1}))
    log.note(both(streamed))
