"""The app Mastra Studio is tested against (`tests.studio.flows:app`): one workflow per kind of
block Studio draws, and an approval that suspends with a payload and resumes from a form."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from stepstream import StepContext, Stepstream, create_step, create_workflow, step


class Request(BaseModel):
    item: str = Field(description="what to order")
    quantity: int = Field(default=1, description="how many")


class Checked(BaseModel):
    item: str
    quantity: int


class Decision(BaseModel):
    approved: bool = Field(description="ship it?")
    note: str = Field(description="a word for the warehouse")


class Receipt(BaseModel):
    summary: str


class Number(BaseModel):
    n: int


@step(input_schema=Request, output_schema=Checked)
async def check(ctx: StepContext) -> Checked:
    """Checks the request (slowly enough to watch it run)."""
    await asyncio.sleep(1.5)
    return Checked(item=ctx.input_data.item.upper(), quantity=ctx.input_data.quantity)


@step(input_schema=Checked, output_schema=Checked, resume_schema=Decision, suspend_schema=Receipt)
async def approve(ctx: StepContext) -> Checked:
    """Waits for a person to approve the order."""
    if ctx.resume_data is None:
        await ctx.suspend({"summary": f"approve {ctx.input_data.quantity} x {ctx.input_data.item}?"})
    return Checked(
        item=f"{ctx.input_data.item} ({ctx.resume_data.note})", quantity=ctx.input_data.quantity if ctx.resume_data.approved else 0
    )


@step(input_schema=Checked, output_schema=Receipt)
async def ship(ctx: StepContext) -> Receipt:
    """Ships what was approved."""
    await asyncio.sleep(0.3)
    return Receipt(summary=f"shipped {ctx.input_data.quantity} x {ctx.input_data.item}")


approval = (
    create_workflow(id="approval", description="Order, approve, ship", input_schema=Request, output_schema=Receipt)
    .then(check)
    .then(approve)
    .then(ship)
    .commit()
)

add_one = create_step(id="add-one", input_schema=Number, output_schema=Number, execute=lambda ctx: Number(n=ctx.input_data.n + 1))
double = create_step(id="double", input_schema=Number, output_schema=Number, execute=lambda ctx: Number(n=ctx.input_data.n * 2))
square = create_step(id="square", input_schema=Number, output_schema=Number, execute=lambda ctx: Number(n=ctx.input_data.n**2))
item_double = create_step(id="item-double", input_schema=int, output_schema=int, execute=lambda ctx: int(ctx.input_data) * 2)
inner = create_workflow(id="inner", input_schema=Number, output_schema=Number).then(add_one).then(double).commit()

shapes = (
    create_workflow(id="shapes", description="Every kind of block", input_schema=Number, output_schema=Number)
    .parallel([add_one, double])
    .map(lambda ctx: Number(n=ctx.input_data["add-one"]["n"] + ctx.input_data["double"]["n"]))
    .branch([(lambda ctx: ctx.input_data.n > 10, square), (lambda ctx: ctx.input_data.n <= 10, double)])
    .map(lambda ctx: Number(n=next(iter(ctx.input_data.values()))["n"]))
    .dountil(add_one, lambda ctx: ctx.input_data.n >= 20)
    .dowhile(double, lambda ctx: ctx.input_data.n < 100)
    .then(inner)
    .map(lambda ctx: [ctx.input_data.n, 1, 2])
    .foreach(item_double, concurrency=2)
    .map(lambda ctx: Number(n=sum(ctx.input_data)))
    .commit()
)

app = Stepstream(workflows=[approval, shapes])
