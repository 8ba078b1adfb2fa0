"""Hot path: a 100-step chain of trivial steps, in memory, side by side with the peers.
Prints microseconds per step (median over runs).

    python bench/chain.py [--steps 100] [--runs 300]

Peers (bench extra: pip install -e '.[bench]'): LangGraph (a linear StateGraph,
no checkpointer) and pydantic-graph 1.x (BaseNode classes), same trivial work.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time

from pydantic import BaseModel

from stepstream import create_step, create_workflow


class V(BaseModel):
    n: int


def build(steps: int, typed: bool):  # type: ignore[no-untyped-def]
    wf = create_workflow(id=f"chain{steps}{typed}", input_schema=V if typed else None, output_schema=V if typed else None)
    for i in range(steps):
        if typed:
            wf.then(create_step(id=f"s{i}", input_schema=V, output_schema=V, execute=lambda ctx: V(n=ctx.input_data.n + 1), inline=True))
        else:
            wf.then(create_step(id=f"s{i}", execute=lambda ctx: ctx.input_data + 1, inline=True))
    return wf.commit()


async def measure(steps: int, runs: int, typed: bool, streamed: bool) -> float:
    wf = build(steps, typed)
    data = {"n": 0} if typed else 0
    samples = []
    for _ in range(runs):
        run = await wf.create_run()
        t0 = time.perf_counter()
        if streamed:
            stream = run.stream(input_data=data)
            async for _event in stream:
                pass
            result = await stream.result
        else:
            result = await run.start(input_data=data)
        samples.append(time.perf_counter() - t0)
        assert result.status == "success", result
    samples.sort()
    return statistics.median(samples) / steps * 1e6


async def langgraph_us(steps: int, runs: int) -> float | None:
    try:
        from langgraph.graph import END, START, StateGraph
    except ImportError:
        return None
    from typing import TypedDict

    class State(TypedDict):
        n: int

    builder = StateGraph(State)
    names = [f"s{i}" for i in range(steps)]
    for name in names:
        builder.add_node(name, lambda state: {"n": state["n"] + 1})
    builder.add_edge(START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    graph = builder.compile()
    samples = []
    for _ in range(max(10, runs // 10)):
        t0 = time.perf_counter()
        out = await graph.ainvoke({"n": 0})
        samples.append(time.perf_counter() - t0)
        assert out["n"] == steps
    return statistics.median(samples) / steps * 1e6


async def pydantic_graph_us(steps: int, runs: int) -> float | None:
    import warnings
    from dataclasses import dataclass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from pydantic_graph import BaseNode, End, Graph, GraphRunContext
        except ImportError:
            return None
    classes: list[type] = []
    for i in reversed(range(steps)):
        nxt = classes[-1] if classes else None

        def make(nxt: type | None) -> object:
            async def node_run(self, ctx):  # type: ignore[no-untyped-def]
                return nxt(self.v + 1) if nxt else End(self.v + 1)

            return node_run

        method = make(nxt)
        method.__annotations__ = {"ctx": GraphRunContext, "return": nxt if nxt else End[int]}  # type: ignore[attr-defined]
        classes.append(dataclass(type(f"N{i}", (BaseNode,), {"__annotations__": {"v": int}, "run": method})))
    classes.reverse()
    graph = Graph(nodes=classes)
    samples = []
    for _ in range(max(10, runs // 3)):
        t0 = time.perf_counter()
        result = await graph.run(classes[0](0))
        samples.append(time.perf_counter() - t0)
        assert result.output == steps
    return statistics.median(samples) / steps * 1e6


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    print(f"{args.steps}-step chain, median of {args.runs} runs, in memory")
    for typed in (False, True):
        for streamed in (False, True):
            us = await measure(args.steps, args.runs, typed, streamed)
            label = f"{'pydantic model steps' if typed else 'untyped int steps':22} {'stream()' if streamed else 'start()':9}"
            print(f"  {label} {us:6.2f} us/step")
    for name, fn in (("LangGraph (no checkpointer)", langgraph_us), ("pydantic-graph 1.x", pydantic_graph_us)):
        peer = await fn(args.steps, args.runs)
        print(f"  {name:32} " + (f"{peer:6.2f} us/step" if peer is not None else "not installed (pip install -e '.[bench]')"))


if __name__ == "__main__":
    asyncio.run(main())
