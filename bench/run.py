"""stepstream's benchmarks, side by side with every peer, in one command.

    python bench/run.py                  # everything: builds the envs, measures, writes bench/RESULTS.md,
                                         # its plots, bench/results.json and README.md's speed table
    python bench/run.py --check          # the same, then fails (exit 1) if stepstream misses a target
    python bench/run.py --from bench/results.json --check   # re-render RESULTS.md from recorded results and check them
    python bench/run.py --smoke --out DIR                   # seconds: stepstream only, tiny sizes, no timing judged
    python bench/run.py --only chain,durable --rounds 5 --scale 2

Peers run in their own venvs (bench/.venv-PEER, from bench/requirements/PEER.txt) and Mastra
under node (bench/mastra-server, pinned by its package-lock.json). Needs PostgreSQL on
127.0.0.1:5432 (user postgres; STEPSTREAM_BENCH_POSTGRES_DSN to change) and node + npm.
Method, durability settings and the targets: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import envs  # noqa: E402
from harness.plan import ALL_ENGINES, MEASURES, NAMES, SMOKE, Sizes  # noqa: E402
from harness.workers import Case, Sampler, WorkerError  # noqa: E402

ROOT = BENCH.parent


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds: stepstream only, tiny sizes; writes to --out (a temp dir by default)")
    ap.add_argument("--check", action="store_true", help="exit 1 if stepstream misses a target")
    ap.add_argument("--from", dest="from_file", type=Path, help="use recorded results (JSON) instead of measuring")
    ap.add_argument("--out", type=Path, help="where RESULTS.md, results.json and the plots go (default bench/)")
    ap.add_argument("--only", help=f"comma-separated measures: {','.join([*MEASURES, 'server', 'temporal', 'profile'])}")
    ap.add_argument("--engines", help=f"comma-separated engines (default all): {','.join(ALL_ENGINES)}")
    ap.add_argument(
        "--rounds",
        type=int,
        help="rounds per measure (default 2: a full run takes ~5 min on a quiet 2-core machine, ~15 min on a busy one)",
    )
    ap.add_argument("--scale", type=float, help="samples per round multiplier (default 1.0)")
    ap.add_argument("--server-runs", type=int, default=200, help="concurrent streams per server round")
    ap.add_argument("--server-rounds", type=int, default=3)
    ap.add_argument("--no-setup", action="store_true", help="do not build or update the envs")
    return ap.parse_args(argv)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"], capture_output=True, text=True)
    load = os.getloadavg()
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg.stdout.strip() or "not reachable",
        "load average at start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "disk": f"temp files in {os.environ.get('TMPDIR', '/tmp')}",
    }


def setup(engines: list[str]) -> None:
    envs.HARNESS.ensure()
    for engine in engines:
        base = "dbos" if engine.startswith("dbos") else engine
        if base in envs.PEERS:
            envs.PEERS[base].ensure()
    if "mastra" in engines or "server" in engines:
        envs.ensure_mastra()


def reexec_in_harness(argv: list[str]) -> None:
    """Run the rest under bench/.venv's python (matplotlib, pyinstrument, stepstream's server extra)."""
    if Path(sys.prefix).resolve() != envs.HARNESS_VENV.resolve():
        os.execv(str(envs.HARNESS.python), [str(envs.HARNESS.python), __file__, *argv, "--no-setup"])


def run_measures(sampler: Sampler, sizes: Sizes, only: set[str], engines: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, build in MEASURES.items():
        if only and name not in only:
            continue
        cases: list[Case] = [c for c in build(sizes) if c.engine in engines]
        t0 = time.perf_counter()
        print(f"bench: {name} ({len(cases)} cases x {sizes.rounds} rounds)", flush=True)
        sampler.run(cases, sizes.rounds)
        for case in cases:
            out.setdefault(case.measure, []).append(case.to_dict())
        print(f"bench: {name} done in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


async def run_server(runs: int, rounds: int) -> dict[str, Any]:
    """(h) bench/server_load.py's load, the two servers alternating round by round."""
    import tempfile

    import server_load
    from tests.server.proc import ServerProcess, stepstream_server

    with tempfile.TemporaryDirectory() as tmp:
        servers = {
            "stepstream": stepstream_server(f"sqlite:///{tmp}/stepstream.db"),
            "mastra": ServerProcess(["node", "server.mjs", f"{tmp}/mastra.db"], cwd=envs.MASTRA_DIR),
        }
        try:
            done: dict[str, list[dict[str, Any]]] = {k: [] for k in servers}
            for server in servers.values():
                await server_load.stream_many(server.url, 20, prefix="warmup")
            for r in range(rounds):
                for name in servers if r % 2 == 0 else reversed(list(servers)):
                    done[name].append(await server_load.one_round(name, servers[name], runs, r))
            result: dict[str, Any] = {
                name: server_load.summarize(done[name], await server_load.sequential(servers[name].url, 50)) for name in servers
            }
        finally:
            for server in servers.values():
                server.stop()
    result.update(runs=runs, rounds=rounds)
    return result


HAS_TEMPORAL_EXECUTOR = "from stepstream.temporal import TemporalExecutor"


def run_temporal(sizes: Sizes, n: int = 20) -> dict[str, Any]:
    """(i) Temporal, per step, on one local dev server, the sides alternating round by round.

    - plain Temporal (bench/workers/temporal_worker.py, its own venv, which starts the dev
      server): an n-activity chain, and the same chain as local activities;
    - stepstream on Temporal: the stepstream worker's `temporal_chain` op
      (bench/workers/stepstream_worker.py `op_temporal_chain(reps, n, target)` -> {"s": [seconds
      per run]}): the same n-step chain through a `TemporalExecutor` on that dev server, its
      worker (`stepstream.temporal.create_worker`) in the same process, as plain Temporal's.
      That op is the whole plug; it runs as soon as `from stepstream.temporal import
      TemporalExecutor` imports;
    - Temporal's sandbox with and without stepstream passed through (a workflow with no step).
    """
    import statistics

    from harness.workers import start_worker

    out: dict[str, Any] = {"n": n}
    ours_ok = subprocess.run([str(envs.HARNESS.python), "-c", HAS_TEMPORAL_EXECUTOR], capture_output=True).returncode == 0
    if not ours_ok:
        out["why"] = "stepstream.temporal has no TemporalExecutor yet"
    try:
        plain = start_worker("temporal", smoke=False)
    except WorkerError as exc:
        out["why"] = f"{out.get('why', '')}; plain Temporal not run: {exc}".lstrip("; ")
        return out
    ours = start_worker("stepstream", smoke=False)
    try:
        target = plain.call("target")["target"][0]
        samples: dict[str, list[float]] = {"plain": [], "local": [], "ours": []}
        reps = sizes.reps(5, 1, cap=10)
        for r in range(sizes.rounds):
            sides = ["plain", "local", "ours"] if ours_ok else ["plain", "local"]
            for side in sides if r % 2 == 0 else reversed(sides):
                if side == "ours":
                    try:
                        samples["ours"] += ours.call("temporal_chain", reps, n=n, target=target)["s"]
                    except WorkerError as exc:
                        out["why"] = f"stepstream on Temporal failed: {exc}"
                        ours_ok = False
                else:
                    samples[side] += plain.call("chain", reps, n=n, local=side == "local")["s"]
        out["plain_per_step"] = statistics.median(samples["plain"]) / n
        out["local_per_step"] = statistics.median(samples["local"]) / n
        if samples["ours"] and ours_ok:
            out["stepstream_per_step"] = statistics.median(samples["ours"]) / n
        try:
            tiny = ours.call("temporal_sandbox", reps, target=target)
            out["tiny_sandbox"] = statistics.median(tiny["sandbox"])
            out["tiny_passthrough"] = statistics.median(tiny["passthrough"])
        except WorkerError as exc:
            print(f"  ! temporal sandbox: {exc}", flush=True)
    finally:
        plain.close()
        ours.close()
    return out


PROFILE_REPS = {"chain": 150, "sync": 50, "durable": 400, "foreach_resume": 40}


def run_profile(sampler: Sampler) -> dict[str, Any] | None:
    """(4) pyinstrument over each hot path (bench/workers/stepstream_worker.py PROFILES)."""
    worker = sampler.workers.get("stepstream")
    if worker is None:
        return None
    out: dict[str, Any] = {}
    for what, reps in PROFILE_REPS.items():
        try:
            out[what] = worker.call("profile", reps=reps, what=what)
        except WorkerError as exc:
            print(f"  ! profile {what}: {exc}", flush=True)
    return out


def versions(engines: list[str], smoke: bool) -> dict[str, dict[str, str]]:
    out = {"stepstream (harness)": envs.versions(envs.HARNESS, None if not smoke else Path(sys.executable))}
    for engine in engines:
        base = "dbos" if engine.startswith("dbos") else engine
        if base in envs.PEERS and envs.PEERS[base].ready():
            out[NAMES.get(engine, base)] = envs.versions(envs.PEERS[base])
    if "mastra" in engines and envs.mastra_ready():
        out["Mastra"] = envs.mastra_versions()
    return out


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    args = parse(raw)
    if args.from_file:
        results = json.loads(args.from_file.read_text())
        return report_and_check(results, args, measured=False)
    engines = ["stepstream"] if args.smoke else [e.strip() for e in (args.engines or ",".join(ALL_ENGINES)).split(",")]
    only = set(filter(None, (args.only or "").split(",")))
    if not args.smoke and not args.no_setup:
        setup([*engines, *(x for x in ("server", "temporal") if not only or x in only)])
        reexec_in_harness(raw)
    sizes = SMOKE if args.smoke else Sizes()
    sizes = dataclasses.replace(sizes, **{k: v for k, v in (("rounds", args.rounds), ("scale", args.scale)) if v is not None})
    t0 = time.perf_counter()
    results: dict[str, Any] = {
        "command": "python bench/run.py " + " ".join(raw).replace("--no-setup", "").strip(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "sizes": ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(sizes).items()),
        "sizes_raw": dataclasses.asdict(sizes),
    }
    sampler = Sampler(engines, smoke=args.smoke)
    for engine, why in sampler.unavailable.items():
        print(f"bench: {engine} unavailable: {why}", flush=True)
    try:
        results["measures"] = run_measures(sampler, sizes, only, engines)
        if not args.smoke and (not only or "profile" in only):
            print("bench: profile", flush=True)
            results["profile"] = run_profile(sampler)
    finally:
        sampler.close()
    if not args.smoke and (not only or "server" in only) and shutil.which("node"):
        print(f"bench: server ({args.server_runs} streams x {args.server_rounds} rounds per server)", flush=True)
        sys.path.insert(0, str(ROOT))
        results["server"] = asyncio.run(run_server(args.server_runs, args.server_rounds))
    if not args.smoke and (not only or "temporal" in only):
        print("bench: temporal", flush=True)
        results["temporal"] = run_temporal(sizes)
    else:
        results["temporal"] = {"why": "not part of this run"}
    results["versions"] = versions([*engines, "temporal"], args.smoke)
    results["seconds"] = time.perf_counter() - t0
    return report_and_check(results, args, measured=True)


def report_and_check(results: dict[str, Any], args: argparse.Namespace, measured: bool) -> int:
    """Writes results.json (when measured), the plots, RESULTS.md and README's table; then the check."""
    from harness import document, plots, targets

    out = args.out or (Path(__import__("tempfile").mkdtemp(prefix="bench-smoke-")) if args.smoke else BENCH)
    out.mkdir(parents=True, exist_ok=True)
    if measured:
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    names = plots.render(results, out)
    path = document.write(results, out, names)
    print(f"bench: wrote {path} and {', '.join(names)}", flush=True)
    if out.resolve() == BENCH.resolve() and not args.smoke:
        document.sync_readme(ROOT / "README.md", path)
        print("bench: README.md speed table updated from RESULTS.md", flush=True)
    if not args.check:
        return 0
    lines = targets.evaluate(results)
    for target, what, got, limit, ok in lines:
        print(f"  [{'ok' if ok else 'MISS' if ok is False else 'n/a'}] {target}: {what}: {got} (limit {limit})")
    failed = targets.failures(lines, results)
    print(f"bench --check: {len(failed)} target(s) missed or unmeasured" if failed else "bench --check: every target met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
