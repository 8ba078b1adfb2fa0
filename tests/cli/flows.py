"""The app the command-line tests run (`tests.cli.flows:app`): every kind of block, a suspension
with a typed resume schema, and a failing step. Storage comes from `--storage`/the environment."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from stepstream import StepContext, Stepstream, create_step, create_workflow, step


class Order(BaseModel):
    item: str


class Count(BaseModel):
    n: int


class Decision(BaseModel):
    approved: bool
    amount: int = Field(ge=1, le=100, description="how many to ship")


class Shipped(BaseModel):
    item: str
    approved: bool
    amount: int


@step(input_schema=Order, output_schema=Count)
async def check(ctx: StepContext) -> Count:
    await ctx.writer.write({"checking": ctx.input_data.item})
    return Count(n=len(ctx.input_data.item))


price = create_step(id="price", input_schema=Count, output_schema=Count, execute=lambda ctx: Count(n=ctx.input_data.n * 10))
stock = create_step(id="stock", input_schema=Count, output_schema=Count, execute=lambda ctx: Count(n=ctx.input_data.n + 1))
pack = create_step(id="pack", input_schema=Count, output_schema=Count, execute=lambda ctx: Count(n=ctx.input_data.n))
boxing = create_workflow(id="boxing", input_schema=Count, output_schema=Count).then(pack).commit()


async def slow_double(ctx: StepContext) -> int:
    await asyncio.sleep(0.05)
    return int(ctx.input_data) * 2


double = create_step(id="double", input_schema=int, output_schema=int, execute=slow_double)


@step(input_schema=list[int], output_schema=Order, resume_schema=Decision)
async def approve(ctx: StepContext) -> Order:
    if ctx.resume_data is None:
        await ctx.suspend({"question": "ship it?", "items": ctx.input_data})
    return Order(item=f"{ctx.get_init_data().item}:{ctx.resume_data.approved}:{ctx.resume_data.amount}")


tour = (
    create_workflow(id="tour", input_schema=Order, output_schema=Order)
    .then(check)
    .parallel([price, stock])
    .map(lambda ctx: {"n": ctx.input_data["price"]["n"] + ctx.input_data["stock"]["n"]})
    .then(boxing)
    .map(lambda ctx: list(range(ctx.input_data["n"] % 4 + 3)))
    .foreach(double, concurrency=2)
    .then(approve)
    .commit()
)

quick = create_workflow(id="quick", input_schema=Order, output_schema=Count).then(check).commit()


def _explode(ctx: StepContext) -> Count:
    raise ValueError("boom: the warehouse is closed")


broken = create_workflow(id="broken", input_schema=Order, output_schema=Count).then(
    create_step(id="explode", input_schema=Order, output_schema=Count, execute=_explode)
)

app = Stepstream(workflows=[tour, quick, broken])
not_an_app = tour


async def _slow_item(ctx: StepContext) -> int:
    await asyncio.sleep(0.4)
    return int(ctx.input_data) + 1


batch = create_workflow(id="batch", input_schema=list[int], output_schema=list[int]).foreach(
    create_step(id="slow-item", input_schema=int, output_schema=int, execute=_slow_item)
)
app.add_workflow(batch)
