"""sleep_until with a function whose result is not a datetime: as Mastra's `new Date(result)`,
an ISO-8601 string (with Z or with an offset) is parsed as a date and a number is epoch
milliseconds. Each case aims 30 ms ahead; the note says whether the run waited until then and
did not wait long (not the 56 years a number read as a duration would be)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from stepstream import create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


def _iso_z(ms: int) -> Any:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_offset(ms: int) -> Any:
    return datetime.fromtimestamp(ms / 1000, timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")


TIMEOUT = 10

CASES: dict[str, Callable[[int], Any]] = {"isoZ": _iso_z, "isoOffset": _iso_offset, "epochMs": lambda ms: ms}


def _kind(ctx: Any) -> dict[str, str]:
    return {"kind": "string" if isinstance(ctx.input_data["at"], str) else "number"}


async def scenario(log: Log) -> None:
    done = create_step(id="done", input_schema=Any, output_schema=Any, execute=_kind)
    for name, make in CASES.items():
        wf = (
            create_workflow(id=f"until-{name}", input_schema=Any, output_schema=Any)
            .sleep_until(lambda ctx: ctx.input_data["at"])
            .then(done)
            .commit()
        )
        run = await wf.create_run()
        started = int(time.time() * 1000)
        target = started + 30
        result = (await run.start(input_data={"at": make(target)})).to_dict()
        ended = time.time() * 1000
        log.note(
            {
                "case": name,
                "status": result["status"],
                "result": result["result"],
                "waited": ended >= target,
                "quick": ended - started < 5000,
            }
        )
