"""RESULTS.md: machine, versions, method, tables with ratios, plots, targets, profile; and the
README's speed table, generated here and copied verbatim between markers into README.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness import report as r
from harness.plan import SYNC_THREAD
from harness.plan import __doc__ as DURABILITY
from harness.targets import evaluate

METHOD = """\
One command, `python bench/run.py`, builds every environment (bench/.venv for the harness and
stepstream from this checkout, bench/.venv-PEER per Python peer from bench/requirements/PEER.txt,
`npm ci` for Mastra in bench/mastra-server), then starts one long-lived worker process per
engine (bench/workers/), and waits until every worker has imported its engine and the
machine is quiet (below). Every measure sends each of its cases once per round, in an order that
rotates every round, so the engines alternate within the run and drift on a shared machine
lands on all of them alike. A case of runs of a chain ((a) to (c)) first makes a few untimed
runs (a third of its samples, at most 5; every engine alike): alternating leaves each process
the caches another one left, and the first samples of a 10-step case took 2-8x the rest.
Figures are medians of all samples; a ratio is the peer's figure
divided by stepstream's for the same quantity and the same durability (above 1: stepstream
spends less). Steps are trivial (`n + 1`) and typed where the engine has types (pydantic models
for stepstream, zod for Mastra, pydantic Events for llama-index-workflows, dataclass nodes for
pydantic-graph, a TypedDict state for LangGraph), so the figures are the engines' own cost.
Sync steps are paired like for like. stepstream runs a sync step on a worker thread by default
("stepstream sync (thread)": the loop is never held) or on the loop with
`create_step(..., inline=True)` ("stepstream sync (inline)"). LangGraph's `invoke` runs sync
nodes inline, in the caller's thread, and is compared with the inline row; its `ainvoke` runs
sync nodes in a thread pool ("LangGraph ainvoke (sync nodes)") and is compared with the thread
row. llama-index-workflows runs a sync step in the loop's executor (a thread): thread row.
Mastra (one JS thread) and DBOS (a sync workflow calling sync steps) run them inline: inline
rows. Async steps are compared with async steps. Durable rows pair the same way (each peer row
below names its stepstream row).
stepstream's in-memory runs are kept by an in-memory storage, as Mastra's are; each batch of
samples starts with an empty one, and the runs of earlier batches are dropped, so a measure
does not pay for the runs of the measures before it (Python's collector walks every object
kept: see docs/storage.md). Every Python worker freezes what it holds between requests (a
collection, then `gc.freeze()`, before it answers: its imports, and the graphs, apps and
databases the measures built and keep warm), as `stepstream serve` freezes what it loaded and
docs/engine.md advises a long-lived process to do, so a full collection during a sample walks
what that sample made. Every measure starts once the machine's CPUs have been under 15% busy
for 0.1 s (iowait counted busy), and so does each case of the measures judged by loop stalls
((f)), so what ran before does not land in their samples.
Peak memory is the peak of Python's traced allocations (tracemalloc) during one run, for
Mastra the peak V8 heap sampled at every step; both measured in a run of their own, untimed.
"Written" bytes are what the process passed to write() during one run (/proc/self/io wchar:
WAL frames, journals, all files); "kept" bytes are the growth of the sum of every column's
length over all tables (format-neutral)."""


def _durability() -> str:
    text = (DURABILITY or "").split("Durability, like for like (RESULTS.md repeats it):", 1)[-1]
    return text.strip()


def readme_table(results: dict[str, Any]) -> str:
    """The README's speed table: a few headline rows, each side by side with its peer."""
    chain = r.rows(results, "chain")
    dur = r.rows(results, "durable")

    def t(rows: r.Rows, variant: str, x: int | None = None, per: float = 1.0, key: str = "s") -> float | None:
        row = r.find(rows, variant, x)
        return None if row is None or row.get("error") else r.value(row, key, per)

    lines = []
    ours_a = t(chain, "stepstream async", 100, 100)
    ours_s = t(chain, "stepstream sync (thread)", 100, 100) or t(chain, "stepstream sync", 100, 100)
    peers = ", ".join(
        f"{v} {r.fmt_time(p)} ({r.ratio(p, ours_a)})"
        for v in ("pydantic-graph 1.x", "LangGraph ainvoke", "llama-index-workflows async", "Mastra async")
        if (p := t(chain, v, 100, 100))
    )
    lines.append(["100-step chain in memory, per step", f"{r.fmt_time(ours_a)} (async), {r.fmt_time(ours_s)} (sync, worker thread)", peers])
    for ours_v, peer_vs in (
        (
            "stepstream SQLite NORMAL",
            ("LangGraph ainvoke + AsyncSqliteSaver NORMAL", "LangGraph invoke + SqliteSaver NORMAL", "Mastra LibSQLStore"),
        ),
        ("stepstream SQLite FULL", ("LangGraph invoke + SqliteSaver FULL", "DBOS SQLite (FULL, rollback journal)")),
        ("stepstream PostgreSQL", ("LangGraph invoke + PostgresSaver", "DBOS PostgreSQL")),
    ):
        ours, inline = t(dur, ours_v), t(dur, f"{ours_v} (sync inline)")
        peers = ", ".join(
            f"{v} {r.fmt_time(p)} ({r.ratio(p, t(dur, r.ref_name(dur, v, lambda _v, o=ours_v: o)))})" for v in peer_vs if (p := t(dur, v))
        )
        mine = r.fmt_time(ours) + (f" (async), {r.fmt_time(inline)} (sync inline)" if inline else "")
        lines.append([f"3-step run, every step committed: {ours_v.removeprefix('stepstream ')}", mine, peers])
    by = r.rows(results, "bytes")
    xs = sorted({row["x"] for row in by})
    if xs:
        b = [t(by, "stepstream", x, key="written") for x in (xs[0], xs[-1])]
        lines.append(
            [
                f"bytes written per step, {xs[0]:,}- vs {xs[-1]:,}-step run",
                f"{r.fmt_bytes(b[0])} vs {r.fmt_bytes(b[1])}",
                _peer_bytes(by, xs[-1], b[1]),
            ]
        )
    fresh = r.rows(results, "resume_fresh")
    ours = t(fresh, "stepstream SQLite NORMAL")
    lg = t(fresh, "LangGraph + SqliteSaver NORMAL")
    lines.append(
        [
            "resume a stored run in a fresh process",
            r.fmt_time(ours),
            f"LangGraph + SqliteSaver {r.fmt_time(lg)} ({r.ratio(lg, ours)})" if lg else "",
        ]
    )
    srv = results.get("server")
    if srv:
        s, m = srv["stepstream"], srv["mastra"]
        lines.append(
            [
                f"server: {srv['runs']} concurrent streams, CPU per run",
                f"{s['cpu_ms_per_run']:.2f} ms",
                f"Mastra's server {m['cpu_ms_per_run']:.2f} ms ({m['cpu_ms_per_run'] / s['cpu_ms_per_run']:.2g}x)",
            ]
        )
        lines.append(
            [
                "server: first-event latency p99 under that load",
                f"{s['first_p99'] * 1000:.0f} ms",
                f"Mastra {m['first_p99'] * 1000:.0f} ms ({m['first_p99'] / s['first_p99']:.2g}x)",
            ]
        )
    body = r.table(["", "stepstream", "peers (x the paired stepstream figure: async with async, sync with sync)"], lines)
    return f"{README_START}\n{body}\n{README_END}"


def _peer_bytes(by: r.Rows, x: int, ours: float | None) -> str:
    out = []
    for v in ("LangGraph SqliteSaver", "DBOS SQLite", "Mastra LibSQLStore"):
        row = r.find(by, v, x)
        p = None if row is None or row.get("error") else r.value(row, "written")
        if p is not None:
            out.append(f"{v} {r.fmt_bytes(p)} ({r.ratio(p, ours)})")
    return ", ".join(out)


README_START, README_END = r.README_START, r.README_END


def block(text: str) -> str:
    """The README table block in a document (markers included)."""
    m = re.search(re.escape(README_START) + r".*?" + re.escape(README_END), text, re.S)
    if not m:
        raise ValueError("no bench:readme-table block")
    return m.group(0)


def replace_block(text: str, new: str) -> str:
    return text.replace(block(text), new)


def targets_table(results: dict[str, Any]) -> str:
    mark = {True: "met", False: "**missed**", None: "not available"}
    return r.table(["target", "compared", "measured", "limit", ""], [[a, b, c, d, mark[e]] for a, b, c, d, e in evaluate(results)])


def hop_note(results: dict[str, Any]) -> str:
    """The sync (thread) rows beside what the hand-off to a worker thread costs: per N, 1/25 of
    LangGraph's time per step with sync nodes (which pays a hand-off per step) and what
    stepstream's sync (thread) chain paid per step over its async chain in the same run."""
    chain = [row for row in r.rows(results, "chain") if not row.get("error")]

    def per_step(variant: str, x: int) -> float | None:
        row = r.find(chain, variant, x)
        return None if row is None else r.value(row, "s", x)

    parts = []
    for x in sorted({row["x"] for row in chain}):
        peer, thread, plain = per_step("LangGraph ainvoke (sync nodes)", x), per_step(SYNC_THREAD, x), per_step("stepstream async", x)
        if peer is not None and thread is not None and plain is not None:
            parts.append(f"N={x}: {r.fmt_time(peer / 25)} against {r.fmt_time(thread - plain)}")
    if not parts:
        return ""
    fr = r.find(r.rows(results, "floor"), "floor")
    hop = r.value(fr, "thread_hop") if fr and fr["samples"].get("thread_hop") else None
    alone = f" (a no-op `run_in_executor` alone: {r.fmt_time(hop)}, (j))" if hop is not None else ""
    return (
        "\n\nA sync step runs on a worker thread, and the hand-off to the thread and back is the cost of the sync "
        "(thread) rows over the async ones. LangGraph pays one per step with sync nodes; stepstream hands plain sync "
        "steps in a row to one thread together (segments of about 1 ms, in memory). 1/25 of LangGraph's time per step "
        f"with sync nodes, against what stepstream's sync (thread) chain cost per step more than its async chain in "
        f"this run{alone}: " + ", ".join(parts) + "."
    )


def document(results: dict[str, Any], plots: list[str]) -> str:
    m = results["machine"]
    versions = "\n".join(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in vs.items()) for name, vs in results["versions"].items())
    err = [e for key in results["measures"] for e in r.errors(r.rows(results, key))]
    sections = [
        "# stepstream benchmarks, side by side with its peers",
        f"Generated by `{results['command']}` on {results['date']} ({results['seconds']:.0f} s). Do not edit: rerun the command.",
        "## Summary (copied into README.md)",
        readme_table(results),
        "## Machine\n\n" + "\n".join(f"- {k}: {v}" for k, v in m.items()),
        "## Versions\n\n" + versions,
        "## Method\n\n" + METHOD + f"\n\nSizes: {results['sizes']}.",
        "## Durability, like for like\n\n" + _durability(),
        "## Targets (`--check`)\n\n" + targets_table(results) + hop_note(results),
        "## (j) The floor: what this machine allows at best\n\n" + r.floor_table(results),
        "## (a) Per-step overhead, in memory\n\nMedian run time / N, typed trivial steps; in brackets, x the stepstream row it is paired with (Method; "
        + pairs_text(r.rows(results, "chain"))
        + ").\n\n"
        + r.sized_table(r.rows(results, "chain"), r.chain_ref, per_x=True)
        + "\n\n![cost per step](chain.png)"
        + "\n\npydantic-graph 1.x draws a `uuid4()` for each node it runs (the node's snapshot id), so each of its steps "
        + "makes one system call (getrandom; (j) gives its cost here); stepstream's ids make none. Its figure per step, and "
        + "so the ratio, moves with what a system call costs on the machine (docs/engine.md compares two machines).",
        "## (b) 3-step runs per second, in memory\n\n" + r.per_second(r.rows(results, "run3")),
        "## (c) 3-step runs, persisted\n\nIn brackets, x the time of the stepstream row it is paired with: the same durability (SQLite NORMAL, FULL, or PostgreSQL) and the same kind of step (async; sync inline for LangGraph `invoke` and DBOS).\n\n"
        + r.flat_rows(r.rows(results, "durable"), r.durable_ref, [("per run", "s", r.fmt_time)])
        + "\n\n![durable runs](durable.png)"
        + "\n\nAt FULL every commit waits for the disk, so a durable run costs at least its commits times a sync of the log. "
        + "Commits per run are counted from the SQL each engine's connections run (a write transaction's COMMIT, or a write "
        + "outside one), in runs of their own; the page sync and the bare commit are (j)'s, sampled in the durable runs' rounds. "
        + "A run under its floor means the engine's commits did not each wait for the disk (DBOS's SQLite row is not counted: "
        + "it writes through SQLAlchemy's own connections):\n\n"
        + r.commits_table(r.rows(results, "commits"), r.find(r.rows(results, "floor"), "floor"), r.rows(results, "durable")),
        "## (d) Suspend, then resume\n\nSame process (create + start until suspended; then resume to the end). stepstream's step "
        + "awaits `ctx.suspend` (an async step); LangGraph's node calls `interrupt` under `invoke` (a sync node, inline); Mastra's "
        + "step awaits `suspend`:\n\n"
        + r.flat_rows(
            r.rows(results, "resume"),
            lambda v: "stepstream in memory" if "memory" in v else "stepstream SQLite NORMAL",
            [("suspend", "suspend", r.fmt_time), ("resume", "resume", r.fmt_time)],
        )
        + "\n\nResume in a fresh process reading the stored run (timed from the built app / compiled graph to the finished run):\n\n"
        + r.flat_rows(r.rows(results, "resume_fresh"), lambda v: "stepstream SQLite NORMAL", [("resume", "s", r.fmt_time)]),
        "## (e) Fan-out\n\nTime per item (median run / W):\n\n"
        + "\n\n".join(
            f"**{k}**\n\n" + r.sized_table(r.rows(results, f"fanout_{k}"), lambda v: "stepstream", per_x=True, label="W")
            for k in ("parallel", "foreach")
        )
        + "\n\nPeak memory per item:\n\n"
        + "\n\n".join(
            f"**{k}**\n\n"
            + r.sized_table(r.rows(results, f"fanout_{k}"), lambda v: "stepstream", per_x=True, fmt=r.fmt_bytes, key="mem", label="W")
            for k in ("parallel", "foreach")
        )
        + "\n\n![fan-out](fanout.png)\n\nResuming W suspended foreach items one by one (time per resume, a sample spread over the list):\n\n"
        + r.sized_table(r.rows(results, "foreach_resume"), lambda v: v, per_x=False, label="W"),
        f"## (f) Streaming a {results['sizes_raw']['stream_n']:,}-step run\n\nA 1 ms ticker task runs beside the run; a stall is the longest it waited past its period "
        + '(wall). "The loop held" is that gap less the time the loop\'s thread spent waiting, runnable, for a CPU '
        + "(Linux /proc/thread-self/schedstat): what the run held the loop for, its blocking calls included, without the "
        + "time the OS kept the whole process off a CPU shared with other work. The 10 ms target is held to it. "
        + "The share is when the first event arrived, as a fraction of the whole streamed run.\n\n"
        + r.stream_table(r.rows(results, "stream"))
        + "\n\nLoop fairness, beside the same ticker: a long durable run started with no reader, and four concurrent runs of "
        + f"a sync step that blocks ({results['sizes_raw'].get('block_s', 0.2) * 1000:.0f} ms of time.sleep) on worker threads "
        + "(they overlap) and inline (the opt-out: each holds the loop in turn; not held to the 10 ms target):\n\n"
        + r.fairness_table(r.rows(results, "fairness")),
        "## (g) Bytes per step on SQLite\n\nWritten (write() calls during one run):\n\n"
        + r.sized_table(r.rows(results, "bytes"), lambda v: "stepstream", per_x=False, fmt=r.fmt_bytes, key="written")
        + "\n\nKept (growth of the stored content):\n\n"
        + r.sized_table(r.rows(results, "bytes"), lambda v: "stepstream", per_x=False, fmt=r.fmt_bytes, key="kept"),
        "## The event log's cost (stepstream)\n\n"
        + r.eventlog_table(r.rows(results, "eventlog"))
        + "\n\nWith FULL, each commit's fsync dominates; with NORMAL, a commit costs what SQLite writes to the WAL.",
        "## Tracing hooks with no provider (stepstream)\n\n" + r.tracing_table(r.rows(results, "tracing")),
        "## (h) The server against Mastra's server\n\n"
        + r.server_table(results.get("server"))
        + ("\n\n![server latency](server.png)" if "server.png" in plots else ""),
        "## (i) Temporal\n\n" + temporal_text(results),
        "## Where the remaining cost goes (profile)\n\n" + profile_text(results),
    ]
    if err:
        sections.append("## Errors in this run\n\n" + "\n".join(f"- {e}" for e in err))
    return "\n\n".join(sections) + "\n"


def pairs_text(rs: r.Rows) -> str:
    found = r.pairs(rs)
    if not found:
        return "async rows against stepstream async, sync rows against stepstream sync"
    return "; ".join(f"{peer} against {ours}" for peer, ours in found)


def temporal_text(results: dict[str, Any]) -> str:
    t = results.get("temporal") or {}
    lines = []
    if t.get("plain_per_step") is not None:
        lines.append(
            f"Plain Temporal activity chain ({t.get('n')} activities, local dev server): {r.fmt_time(t['plain_per_step'])} per step."
        )
    if t.get("local_per_step") is not None:
        lines.append(f"The same chain as local activities: {r.fmt_time(t['local_per_step'])} per step.")
    if t.get("tiny_sandbox") is not None:
        lines.append(
            f"A workflow with no step, importing stepstream, per run: {r.fmt_time(t['tiny_sandbox'])} in Temporal's default sandbox, "
            f"{r.fmt_time(t.get('tiny_passthrough'))} with `stepstream.temporal.workflow_runner` passing stepstream through."
        )
    if t.get("stepstream_per_step") is not None:
        lines.append(
            f"stepstream on Temporal: {r.fmt_time(t['stepstream_per_step'])} per step ({r.ratio(t['stepstream_per_step'], t['plain_per_step'])} of plain)."
        )
    else:
        lines.append(f"stepstream on Temporal: not available ({t.get('why', 'stepstream.temporal has no TemporalExecutor yet')}).")
    return "\n\n".join(lines)


def profile_text(results: dict[str, Any]) -> str:
    profiles = results.get("profile")
    if not profiles:
        return "(not profiled in this run)"
    if "by_package" in profiles:  # results recorded with one profile
        profiles = {"chain": {**profiles, "what": [f"the {profiles['n'][0]}-step async chain in memory"]}}
    parts = [
        "pyinstrument (0.1 ms sampling) over each hot path; the share of sampled self time by layer, then the functions "
        "with the most self time. What dominates, in one line per path:",
        "\n".join(f"- {p['what'][0]}: {dominant(p)}" for p in profiles.values() if p),
    ]
    for p in profiles.values():
        if not p:
            continue
        parts.append(f"**{p['what'][0]}** ({p['runs'][0]} repetitions)")
        parts.append(r.table(["layer", "share of self time"], [[x["name"], f"{x['share']:.1%}"] for x in p["by_package"][:8]]))
        parts.append(r.table(["function", "share"], [[f"`{x['name']}`", f"{x['share']:.1%}"] for x in p["top"]]))
    return "\n\n".join(parts)


def dominant(p: dict[str, Any]) -> str:
    """One line: the leading layers, and the functions that make up half of the self time."""
    layers = ", ".join(f"{x['name']} {x['share']:.0%}" for x in p["by_package"][:3])
    acc, fns = 0.0, []
    for x in p["top"]:
        if acc >= 0.5 or len(fns) >= 4:
            break
        acc += x["share"]
        fns.append(f"`{x['name'].split(' (')[0]}` {x['share']:.0%}")
    return f"{layers}; led by {', '.join(fns)}"


def write(results: dict[str, Any], out: Path, plots: list[str]) -> Path:
    path = out / "RESULTS.md"
    path.write_text(document(results, plots))
    return path


def sync_readme(readme: Path, results_md: Path) -> None:
    """Copies RESULTS.md's summary block into README.md (between the same markers)."""
    readme.write_text(replace_block(readme.read_text(), block(results_md.read_text())))
