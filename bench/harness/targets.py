"""The targets `--check` holds stepstream to (issue 14, from the engine, serving and Temporal issues).

Each target yields one line per thing it compares: (target, what, measured, limit, ok).
`ok` is None when the target could not be evaluated in this run (a peer or a part missing):
the report says so, and `--check` fails on it unless the part does not exist yet
(Temporal: no `stepstream.temporal` executor), which is reported as not available.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.report import chain_ref, find, ref_name, rows, value

Line = tuple[str, str, str, str, bool | None]
FLAT = 1.5  # "flat": the largest size's per-item cost within 1.5x of the smallest size's


def _ratio_line(target: str, what: str, ours: float | None, peer: float | None, limit: float, at_least: bool = False) -> Line:
    if ours is None or peer is None:
        return (target, what, "not measured", f"{limit:g}", None)
    r = ours / peer if not at_least else peer / ours
    ok = r >= limit if at_least else r <= limit
    return (target, what, f"{r:.3g}", f"{'≥' if at_least else '≤'} {limit:g}", ok)


def per_step(results: dict[str, Any]) -> Iterator[Line]:
    """Each peer row against the stepstream row it is paired with (async with async; sync nodes on
    threads with sync steps on threads; inline with inline): see plan.CHAIN_ROWS."""
    rs = rows(results, "chain")
    peers = [
        ("pydantic-graph 1.x", 1 / 2.5, "per step ≤ 1/2.5 of pydantic-graph 1.x"),
        ("LangGraph ainvoke", 1 / 25, "per step ≤ 1/25 of LangGraph"),
        ("LangGraph ainvoke (sync nodes)", 1 / 25, "per step ≤ 1/25 of LangGraph"),
        ("LangGraph invoke", 1 / 25, "per step ≤ 1/25 of LangGraph"),
    ]
    for peer_v, limit, target in peers:
        if find(rs, peer_v) is None and peer_v.endswith("(sync nodes)"):
            continue  # results recorded before this pairing existed
        ours_v = ref_name(rs, peer_v, chain_ref)
        for x in sorted({r["x"] for r in rs}):
            ours, peer = find(rs, ours_v, x), find(rs, peer_v, x)
            yield _ratio_line(target, f"{ours_v} / {peer_v}, N={x}", ok_value(ours), ok_value(peer), limit)


def ok_value(row: dict[str, Any] | None, key: str = "s", per: float = 1.0) -> float | None:
    return None if row is None or row.get("error") else value(row, key, per)


def durable(results: dict[str, Any]) -> Iterator[Line]:
    rs = rows(results, "durable")
    for peer_v in ("LangGraph ainvoke + AsyncSqliteSaver NORMAL", "LangGraph invoke + SqliteSaver NORMAL"):
        ours_v = ref_name(rs, peer_v, lambda _v: "stepstream SQLite NORMAL")
        ours, peer = ok_value(find(rs, ours_v)), ok_value(find(rs, peer_v))
        yield _ratio_line(
            "durable SQLite run ≥ 10x LangGraph's at NORMAL", f"{peer_v} / {ours_v}, time per run", ours, peer, 10, at_least=True
        )


def _flat(target: str, what: str, rs: list[dict[str, Any]], key: str, per_x: bool = True) -> Line:
    xs = sorted({r["x"] for r in rs if ok_value(r, key) is not None})
    if len(xs) < 2:
        return (target, what, "not measured", f"≤ {FLAT}", None)
    lo, hi = xs[0], xs[-1]
    a = ok_value(find(rs, rs[0]["variant"], lo), key, lo if per_x else 1)
    b = ok_value(find(rs, rs[0]["variant"], hi), key, hi if per_x else 1)
    assert a is not None and b is not None
    return (target, f"{what}: {hi:,} vs {lo:,}", f"{b / a:.3g}", f"≤ {FLAT}", b / a <= FLAT)


def flatness(results: dict[str, Any]) -> Iterator[Line]:
    by = [r for r in rows(results, "bytes") if r["variant"] == "stepstream"]
    yield _flat("bytes per step flat", "bytes written per step", by, "written", per_x=False)
    for kind in ("parallel", "foreach"):
        rs = [r for r in rows(results, f"fanout_{kind}") if r["variant"] == "stepstream"]
        yield _flat("fan-out per item flat", f"{kind} time per item", rs, "s")
        yield _flat("fan-out per item flat", f"{kind} peak memory per item", rs, "mem")
    yield _flat("foreach resume flat", "time per resume", rows(results, "foreach_resume"), "s", per_x=False)


def stalls(results: dict[str, Any]) -> Iterator[Line]:
    """Streaming runs and the fairness runs; not the inline=True opt-out, which holds the loop by
    design. Held to the worst gap between two ticks less the time the loop's thread waited,
    runnable, for a CPU (common.Ticker): what the engine held the loop for, blocking calls
    included; the wall gap (which adds the OS keeping the process off the CPU on a shared
    machine) is shown beside it."""
    for r in [*rows(results, "stream"), *rows(results, "fairness")]:
        if not r["variant"].startswith("stepstream") or "inline=True" in r["variant"]:
            continue
        s = r["samples"]
        wall = None if r.get("error") or not s.get("stall") else max(s["stall"])
        cpu = max(s["stall_held"]) if not r.get("error") and s.get("stall_held") else None
        worst = cpu if cpu is not None else wall
        what = f"{r['variant']}, worst of all runs" + (
            f", the loop held (wall {wall * 1000:.1f} ms, less waits for a CPU)" if cpu is not None and wall is not None else ""
        )
        yield (
            "no loop stall over 10 ms",
            what,
            "not measured" if worst is None else f"{worst * 1000:.2f} ms",
            "≤ 10 ms",
            None if worst is None else worst <= 0.010,
        )


def server(results: dict[str, Any]) -> Iterator[Line]:
    srv = results.get("server")
    if not srv:
        yield ("server CPU per run ≤ 1/4 of Mastra's", "", "not measured", "≤ 0.25", None)
        yield ("first-event p99 ≤ 0.35 of Mastra's", "", "not measured", "≤ 0.35", None)
        return
    s, m = srv["stepstream"], srv["mastra"]
    yield _ratio_line("server CPU per run ≤ 1/4 of Mastra's", "stepstream / Mastra", s["cpu_ms_per_run"], m["cpu_ms_per_run"], 0.25)
    yield _ratio_line(
        "first-event p99 ≤ 0.35 of Mastra's", f"stepstream / Mastra, {srv['runs']} concurrent streams", s["first_p99"], m["first_p99"], 0.35
    )


def temporal(results: dict[str, Any]) -> Iterator[Line]:
    t = results.get("temporal") or {}
    ours, plain = t.get("stepstream_per_step"), t.get("plain_per_step")
    if ours is None:
        yield (
            "Temporal within 1.2x of plain Temporal",
            t.get("why", "stepstream.temporal has no TemporalExecutor yet"),
            "not available",
            "≤ 1.2",
            None,
        )
        return
    yield _ratio_line("Temporal within 1.2x of plain Temporal", "stepstream on Temporal / plain activity chain, per step", ours, plain, 1.2)


def evaluate(results: dict[str, Any]) -> list[Line]:
    out: list[Line] = []
    for part in (per_step, durable, flatness, stalls, server, temporal):
        out.extend(part(results))
    return out


def failures(lines: list[Line], results: dict[str, Any]) -> list[Line]:
    """Lines that fail the check: a miss, or a target left unmeasured (Temporal's missing executor excepted)."""
    temporal_missing = (results.get("temporal") or {}).get("stepstream_per_step") is None
    return [ln for ln in lines if ln[4] is False or (ln[4] is None and not (temporal_missing and ln[0].startswith("Temporal")))]
