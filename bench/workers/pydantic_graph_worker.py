"""pydantic-graph 1.x's side (bench/.venv-pydantic-graph): one dataclass node per step, in memory.

pydantic-graph nodes are async `run` methods; there is no sync variant, and the 1.x graph
has no fan-out, so only the chain measures run here.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import serve, timed_async, warmups

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pydantic_graph import BaseNode, End, Graph, GraphRunContext

_graphs: dict[int, tuple[Any, type]] = {}


def chain(n: int) -> tuple[Any, type]:
    """N node classes, each adding 1 and returning the next node (the last returns End)."""
    classes: list[type] = []
    for i in reversed(range(n)):
        nxt = classes[-1] if classes else None

        def make(nxt: type | None) -> Any:
            async def run(self: Any, ctx: GraphRunContext) -> Any:
                return nxt(self.v + 1) if nxt else End(self.v + 1)

            run.__annotations__ = {"ctx": GraphRunContext, "return": nxt if nxt else End[int]}
            return run

        classes.append(dataclass(type(f"N{i}", (BaseNode,), {"__annotations__": {"v": int}, "run": make(nxt)})))
    classes.reverse()
    return Graph(nodes=classes), classes[0]


async def op_chain(reps: int, n: int, mode: str = "async", store: str = "memory") -> dict[str, Any]:
    if mode != "async" or store != "memory":
        raise ValueError("pydantic-graph runs async nodes in memory only")
    if n not in _graphs:
        _graphs[n] = chain(n)
    graph, first = _graphs[n]

    async def one(_i: int) -> None:
        result = await graph.run(first(0))
        assert result.output == n

    return {"s": await timed_async(reps, one, warmups(reps))}


if __name__ == "__main__":
    serve({"chain": op_chain, "close": lambda reps: {}})
