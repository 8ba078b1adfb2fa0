"""llama-index-workflows' side (bench/.venv-llama-index-workflows): one @step per chain step,
each consuming its own typed Event (pydantic) and emitting the next; in memory.
Its event stream carries only events a step writes itself, so it has no streaming row.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import serve, timed_async, warmups
from workflows import Workflow, step
from workflows.events import Event, StartEvent, StopEvent

_flows: dict[tuple[int, str], Workflow] = {}


def chain(n: int, mode: str) -> Workflow:
    """A Workflow subclass with n steps: StartEvent -> E1 -> ... -> StopEvent, each adding 1."""
    events: list[type] = [StartEvent] + [type(f"E{i}", (Event,), {"__annotations__": {"n": int}}) for i in range(1, n)] + [StopEvent]
    methods: dict[str, Any] = {}
    for i in range(n):
        src, dst = events[i], events[i + 1]

        def make(i: int, src: type, dst: type, first: bool, last: bool) -> Any:
            def value(ev: Any) -> int:
                return int(ev.get("n")) if first else int(ev.n)

            if mode == "async":

                async def fn(self: Any, ev: Any) -> Any:
                    return dst(result=value(ev) + 1) if last else dst(n=value(ev) + 1)
            else:

                def fn(self: Any, ev: Any) -> Any:
                    return dst(result=value(ev) + 1) if last else dst(n=value(ev) + 1)

            fn.__annotations__ = {"ev": src, "return": dst}
            fn.__name__, fn.__qualname__ = f"s{i}", f"Chain.s{i}"  # a method, for @step
            return step(fn)

        methods[f"s{i}"] = make(i, src, dst, i == 0, i == n - 1)
    cls = type(f"Chain{n}{mode}", (Workflow,), methods)
    return cls(timeout=None)


async def op_chain(reps: int, n: int, mode: str = "async", store: str = "memory") -> dict[str, Any]:
    if store != "memory":
        raise ValueError("llama-index-workflows runs in memory only here")
    key = (n, mode)
    if key not in _flows:
        _flows[key] = chain(n, mode)
    flow = _flows[key]

    async def one(_i: int) -> None:
        result = await flow.run(n=0)
        assert result == n, result

    return {"s": await timed_async(reps, one, warmups(reps))}


if __name__ == "__main__":
    serve({"chain": op_chain, "close": lambda reps: {}})
