"""The same streaming load against stepstream's server and Mastra's own, side by side in one run.

Each server is its own process on loopback serving a 3-step workflow (each step adds 1):
stepstream (uvicorn, SQLiteStorage) and Mastra (@mastra/core 1.71.0 + @mastra/hono,
LibSQLStore; bench/mastra-server, pinned by its package-lock.json). For each round, 200
streaming runs start at once; every run is checked (all events, in order, none mixed).
Reported per server: CPU per run (utime + stime of the server process, from /proc), first-event
latency p50/p99 (request sent -> first record), events per second, and sequential
create-run + stream latency.

    (cd bench/mastra-server && npm ci)
    python bench/server_load.py [--runs 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server.load import Trace, check_chain, stream_many  # noqa: E402
from tests.server.proc import ServerProcess, stepstream_server  # noqa: E402

MASTRA_DIR = ROOT / "bench" / "mastra-server"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def sequential(url: str, count: int) -> list[float]:
    out: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for i in range(count):
            start = time.perf_counter()
            created = (await http.post("/api/workflows/chain/create-run", json={})).json()["runId"]
            response = await http.post(f"/api/workflows/chain/stream?runId={created}", json={"inputData": {"n": i}})
            assert response.status_code == 200 and response.text.endswith("\x1e")
            out.append(time.perf_counter() - start)
    return out


async def one_round(name: str, server: ServerProcess, runs: int, r: int) -> dict[str, Any]:
    """`runs` streaming runs started at once, every one checked: CPU per run, first-event latencies, rate."""
    cpu0 = server.cpu_seconds()
    start = time.perf_counter()
    traces: list[Trace] = await stream_many(server.url, runs, prefix=f"{name}-r{r}")
    wall = time.perf_counter() - start
    cpu = server.cpu_seconds() - cpu0
    for trace in traces:
        check_chain(trace)
    return {
        "cpu_ms_per_run": cpu / runs * 1000,
        "firsts": [t.first_event for t in traces],
        "events_per_s": sum(len(t.records) for t in traces) / wall,
    }


def summarize(rounds: list[dict[str, Any]], seq: list[float]) -> dict[str, Any]:
    cpu_per_run = [r["cpu_ms_per_run"] for r in rounds]
    firsts = [f for r in rounds for f in r["firsts"]]
    return {
        "cpu_ms_per_run": statistics.median(cpu_per_run),
        "cpu_range": (min(cpu_per_run), max(cpu_per_run)),
        "first_p50": _pct(firsts, 0.50),
        "first_p99": _pct(firsts, 0.99),
        "events_per_s": statistics.median(r["events_per_s"] for r in rounds),
        "seq_p50": statistics.median(seq),
        "firsts": firsts,
    }


async def measure(name: str, server: ServerProcess, runs: int, rounds: int) -> dict[str, Any]:
    await stream_many(server.url, 20, prefix="warmup")
    done = [await one_round(name, server, runs, r) for r in range(rounds)]
    return summarize(done, await sequential(server.url, 50))


def _row(label: str, ours: float, theirs: float, unit: str, fmt: str = "{:.2f}") -> str:
    ratio = ours / theirs if theirs else float("nan")
    return f"| {label} | {fmt.format(ours)} {unit} | {fmt.format(theirs)} {unit} | {ratio:.2f} |"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (MASTRA_DIR / "node_modules" / "@mastra" / "hono").is_dir():
        sys.exit("run `npm ci` in bench/mastra-server first")
    with tempfile.TemporaryDirectory() as tmp:
        ours = stepstream_server(f"sqlite:///{tmp}/stepstream.db")
        theirs = ServerProcess(["node", "server.mjs", f"{tmp}/mastra.db"], cwd=MASTRA_DIR)
        try:
            results = {}
            for name, server in (("stepstream", ours), ("mastra", theirs)):
                results[name] = await measure(name, server, args.runs, args.rounds)
        finally:
            ours.stop()
            theirs.stop()
    s, m = results["stepstream"], results["mastra"]
    print(f"{args.runs} concurrent streaming runs x {args.rounds} rounds, 3-step workflow, one server process each")
    print("| | stepstream (SQLite) | Mastra (LibSQL) | ratio |")
    print("|---|---|---|---|")
    print(_row("server CPU per run (median round)", s["cpu_ms_per_run"], m["cpu_ms_per_run"], "ms"))
    print(
        f"| CPU per run, rounds min-max | {s['cpu_range'][0]:.2f}-{s['cpu_range'][1]:.2f} ms | {m['cpu_range'][0]:.2f}-{m['cpu_range'][1]:.2f} ms | |"
    )
    print(_row("first-event latency p50", s["first_p50"] * 1000, m["first_p50"] * 1000, "ms", "{:.0f}"))
    print(_row("first-event latency p99", s["first_p99"] * 1000, m["first_p99"] * 1000, "ms", "{:.0f}"))
    print(_row("events per second", s["events_per_s"], m["events_per_s"], "", "{:.0f}"))
    print(_row("sequential create-run + stream p50", s["seq_p50"] * 1000, m["seq_p50"] * 1000, "ms"))


if __name__ == "__main__":
    asyncio.run(main())
