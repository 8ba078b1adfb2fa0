"""One replica for the multi-process tests: `python replica.py STORAGE_URL START_AT_S SECONDS NAME`.

Runs an app with a 6-field every-second schedule on the shared storage from
START_AT_S (epoch seconds, so replicas begin together) for SECONDS, then stops
its scheduler, waiting for the runs it started.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from pydantic import BaseModel

from stepstream import StepContext, Stepstream, create_step, create_workflow
from stepstream.schedules import ScheduleConfig


class Tick(BaseModel):
    label: str


async def _work(ctx: StepContext[Tick, object]) -> dict[str, str]:
    await asyncio.sleep(0.05)
    return {"label": ctx.input_data.label, "by": os.environ["STEPSTREAM_EXECUTOR_ID"]}


def build() -> Stepstream:
    step = create_step(id="work", execute=_work, input_schema=Tick, output_schema=dict)
    every_second: ScheduleConfig = {"cron": "* * * * * *", "timezone": "UTC", "input_data": {"label": "tick"}}
    wf = create_workflow(id="ticker", input_schema=Tick, output_schema=dict, schedule=every_second).then(step).commit()
    return Stepstream(workflows=[wf], storage=sys.argv[1])


async def main() -> None:
    app = build()
    await app.setup()
    start_at, seconds = float(sys.argv[2]), float(sys.argv[3])
    await asyncio.sleep(max(0.0, start_at - time.time()))
    await app.scheduler.start()
    await asyncio.sleep(seconds)
    await app.scheduler.stop(wait_for_runs=True)
    await app.close()
    print("done", sys.argv[4], flush=True)


if __name__ == "__main__":
    asyncio.run(main())
