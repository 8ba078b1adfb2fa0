"""Property: suspending and resuming never changes what a run computes.

Hypothesis builds random workflows from sequences, parallel blocks, branches,
loops, foreach and nested workflows, and picks steps that suspend (once per
call). Driving such a run through all its suspensions, each resume made from a
fresh workflow object over the same storage (as another process would), must
give the result of the same workflow without suspensions, with every step
completing exactly as often.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepstream import Step, StepContext, create_step, create_workflow
from stepstream.storage import InMemoryStorage, SQLiteStorage
from stepstream.storage.base import Storage


@dataclass(frozen=True)
class StepSpec:
    mul: int
    add: int
    suspends: bool


@dataclass(frozen=True)
class Node:
    kind: str  # step | parallel | branch | loop | foreach | nested
    steps: tuple[StepSpec, ...] = ()
    count: int = 1  # loop iterations, foreach concurrency
    children: tuple[Node, ...] = field(default=())


step_specs = st.builds(StepSpec, st.integers(1, 7), st.integers(0, 50), st.booleans())
leaf_nodes = st.one_of(
    st.builds(Node, st.just("step"), st.tuples(step_specs)),
    st.builds(Node, st.just("parallel"), st.lists(step_specs, min_size=2, max_size=3).map(tuple)),
    st.builds(Node, st.just("branch"), st.lists(step_specs, min_size=2, max_size=3).map(tuple)),
    st.builds(Node, st.just("loop"), st.tuples(step_specs), st.integers(1, 3)),
    st.builds(Node, st.just("foreach"), st.tuples(step_specs), st.integers(1, 3)),
)
flows = st.recursive(
    st.lists(leaf_nodes, min_size=1, max_size=4).map(tuple),
    lambda inner: st.lists(st.one_of(leaf_nodes, inner.map(lambda ch: Node("nested", children=ch))), min_size=1, max_size=4).map(tuple),
    max_leaves=8,
)


class Builder:
    """Turns a shape into a workflow; every step logs its completions in `done`."""

    def __init__(self, with_suspends: bool, done: Counter[str]):
        self.with_suspends = with_suspends
        self.done = done
        self.ids = itertools.count()

    def step(self, spec: StepSpec) -> Any:
        sid = f"s{next(self.ids)}"
        suspends = spec.suspends and self.with_suspends

        def execute(ctx: StepContext) -> int:
            value = int(ctx.input_data)
            if suspends and ctx.resume_data is None:
                ctx.suspend({"at": sid, "value": value}, resume_label=f"l-{sid}")
            extra = int(ctx.resume_data or 0)
            self.done[sid] += 1
            return (value * spec.mul + spec.add + extra) % 1000

        return create_step(id=sid, execute=execute)

    def to_int(self, wf: Any, fn: Any) -> None:
        wf.map(lambda ctx: fn(ctx.input_data), id=f"m{next(self.ids)}")

    def build(self, shape: tuple[Node, ...], wf_id: str) -> Any:
        wf = create_workflow(id=wf_id)
        for node in shape:
            if node.kind == "step":
                wf.then(self.step(node.steps[0]))
            elif node.kind == "parallel":
                wf.parallel([self.step(s) for s in node.steps])
                self.to_int(wf, lambda data: sum(data.values()) % 1000)
            elif node.kind == "branch":
                # branch i runs when the value's remainder mod (i + 2) is 0, and the last always runs
                pairs: list[tuple[Callable[..., bool], Step]] = []
                for i, s in enumerate(node.steps):
                    last = i == len(node.steps) - 1
                    pairs.append(((lambda ctx, m=i + 2, last=last: last or int(ctx.input_data) % m == 0), self.step(s)))
                wf.branch(pairs)
                self.to_int(wf, lambda data: sum(data.values()) % 1000)
            elif node.kind == "loop":
                until: Callable[..., bool] = lambda ctx, k=node.count: ctx.iteration_count >= k
                wf.dountil(self.step(node.steps[0]), until)
            elif node.kind == "foreach":
                self.to_int(wf, lambda v: [v, v + 1, v + 2])
                wf.foreach(self.step(node.steps[0]), concurrency=node.count)
                self.to_int(wf, lambda items: sum(items) % 1000)
            else:
                wf.then(self.build(node.children, f"{wf_id}n{next(self.ids)}"))
        return wf.commit()


async def drive(shape: tuple[Node, ...], value: int, storage: Storage | None = None) -> tuple[Any, Counter[str], Counter[str], int, Any]:
    reference_done: Counter[str] = Counter()
    reference = await (await Builder(False, reference_done).build(shape, "p").create_run()).start(input_data=value)

    done: Counter[str] = Counter()
    storage = storage if storage is not None else InMemoryStorage()

    def fresh() -> Any:  # another "process": a new workflow object over the same storage
        wf = Builder(True, done).build(shape, "p")
        wf.bind_storage(storage)
        return wf

    run = await fresh().create_run("run")
    result = await run.start(input_data=value)
    resumes = 0
    while result.status == "suspended":
        resumes += 1
        assert resumes < 200, "a run must not suspend forever"
        run = await fresh().create_run("run")
        assert run.status == "suspended"
        if resumes % 2:  # alternate: by path, then by the label of the first suspended step
            result = await run.resume(step=result.suspended[0], resume_data=0)
        else:
            label = f"l-{result.suspended[0][-1]}"
            if label not in result.resume_labels:  # a foreach item's label: its step is the path's last id
                label = next(iter(result.resume_labels))
            result = await run.resume(label=label, resume_data=0)
    await storage.close()
    return reference, reference_done, done, resumes, result


def check(reference: Any, reference_done: Counter[str], done: Counter[str], result: Any) -> None:
    assert reference.status == "success", reference.error
    assert result.status == "success", result.error
    assert result.result == reference.result
    assert done == reference_done, "every step completes exactly as often as without suspensions"
    assert result.to_dict()["result"] == reference.to_dict()["result"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=flows, value=st.integers(0, 999))
def test_suspending_and_resuming_never_changes_the_outcome(shape: tuple[Node, ...], value: int) -> None:
    reference, reference_done, done, _, result = asyncio.run(drive(shape, value))
    check(reference, reference_done, done, result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=flows, value=st.integers(0, 999))
def test_the_same_holds_when_every_resume_reads_back_from_sqlite(shape: tuple[Node, ...], value: int) -> None:
    reference, reference_done, done, _, result = asyncio.run(drive(shape, value, SQLiteStorage(":memory:")))
    check(reference, reference_done, done, result)
