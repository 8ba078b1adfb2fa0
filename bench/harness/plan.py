"""What the harness measures: the cases of each measure (a)-(j), for a full run or a smoke run.

Durability, like for like (RESULTS.md repeats it):
- stepstream SQLiteStorage: WAL, `synchronous` NORMAL or FULL, one commit per step;
- LangGraph SqliteSaver/AsyncSqliteSaver: the same WAL database settings, `durability="sync"`
  (each step's checkpoint committed before the next step);
- PostgreSQL (stepstream PostgresStorage, LangGraph PostgresSaver, DBOS): the server's
  `synchronous_commit=on`, one commit per step;
- DBOS on SQLite: DBOS's own settings (rollback journal, `synchronous=FULL`), one commit per step;
- Mastra LibSQLStore: libsql's defaults (Mastra writes the run's snapshot, not one row per step);
- each peer row is compared with the stepstream row of the same durability and the same kind of
  step: async with async, sync steps run inline (LangGraph `invoke`, DBOS) with
  `create_step(..., inline=True)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.workers import Case

NAMES = {
    "stepstream": "stepstream",
    "langgraph": "LangGraph",
    "pydantic-graph": "pydantic-graph",
    "llama-index-workflows": "llama-index-workflows",
    "dbos-sqlite": "DBOS",
    "dbos-postgres": "DBOS",
    "mastra": "Mastra",
    "temporal": "Temporal",
}
ALL_ENGINES = ("stepstream", "langgraph", "pydantic-graph", "llama-index-workflows", "dbos-sqlite", "dbos-postgres", "mastra")


# llama-index-workflows' cost per step grows with N (about 3 ms at 100 steps, 7.5 ms at 300 on
# this machine): a 1,000-step run takes ~25 s, so its chain stops at 100 steps.
MAX_N = {"llama-index-workflows": 100}
# Mastra's parallel/foreach of 10,000 items ran for minutes at 1.3 GB (a 2-core machine), so its
# fan-out stops at 1,000 items.
MAX_W = {"mastra": 1000}


@dataclass(frozen=True)
class Sizes:
    """Sizes, rounds and sample counts; `scale` multiplies the samples per round."""

    chain_ns: tuple[int, ...] = (10, 100, 1000, 5000)
    fan_ws: tuple[int, ...] = (10, 100, 1000, 10000)
    bytes_ns: tuple[int, ...] = (10, 100, 1000)
    stream_n: int = 1000
    long_n: int = 5000  # (f) the long durable run beside the ticker
    block_s: float = 0.2  # (f) how long each blocking sync step sleeps
    rounds: int = 2
    scale: float = 1.0
    fresh_reps: int = 3
    floor_reps: int = 300
    foreach_resumes: int = 10

    def reps(self, budget: float, size: int, cap: int = 50) -> int:
        return max(1, min(cap, round(self.scale * budget / size)))


SMOKE = Sizes(
    chain_ns=(10,),
    fan_ws=(10,),
    bytes_ns=(10,),
    stream_n=20,
    long_n=50,
    block_s=0.01,
    rounds=1,
    scale=0.05,
    fresh_reps=1,
    floor_reps=5,
    foreach_resumes=2,
)


# Sync steps, like for like: stepstream runs a sync step on a worker thread by default
# ("stepstream sync (thread)"), or on the loop with `create_step(..., inline=True)`
# ("stepstream sync (inline)"). LangGraph's `ainvoke` runs sync nodes in its thread pool and
# `invoke` runs them inline; llama-index-workflows runs a sync @step in the loop's executor
# (a thread); Mastra (one JS thread) and DBOS (sync workflow, sync steps) run them inline.
# Each peer row names the stepstream row it is compared with (Case.ref).
SYNC_THREAD = "stepstream sync (thread)"
SYNC_INLINE = "stepstream sync (inline)"
CHAIN_ROWS = [
    ("stepstream", "stepstream async", "async", None),
    ("stepstream", SYNC_THREAD, "sync", None),
    ("stepstream", SYNC_INLINE, "sync-inline", None),
    ("langgraph", "LangGraph ainvoke", "async", "stepstream async"),
    ("langgraph", "LangGraph ainvoke (sync nodes)", "async-sync", SYNC_THREAD),
    ("langgraph", "LangGraph invoke", "sync", SYNC_INLINE),
    ("pydantic-graph", "pydantic-graph 1.x", "async", "stepstream async"),
    ("llama-index-workflows", "llama-index-workflows async", "async", "stepstream async"),
    ("llama-index-workflows", "llama-index-workflows sync", "sync", SYNC_THREAD),
    ("mastra", "Mastra async", "async", "stepstream async"),
    ("mastra", "Mastra sync", "sync", SYNC_INLINE),
]


def chain_cases(sizes: Sizes) -> list[Case]:
    """(a) per-step overhead: typed trivial steps, async and sync, in memory; at least two
    samples per round (with one, the median of a two-round run is the mean of two samples,
    which one outlier moves: pydantic-graph's N=1000 row once read 53 µs between 19 µs rows)."""
    return [
        Case("chain", engine, variant, "chain", {"n": n, "mode": mode}, x=n, reps=max(2, sizes.reps(300, n)), ref=ref)
        for n in sizes.chain_ns
        for engine, variant, mode, ref in CHAIN_ROWS
        if n <= MAX_N.get(engine, n)
    ]


def memory_run_cases(sizes: Sizes) -> list[Case]:
    """(b) 3-step runs per second in memory."""
    rows = [
        ("stepstream", "stepstream", "async", None),
        ("stepstream", SYNC_INLINE, "sync-inline", None),
        ("langgraph", "LangGraph ainvoke", "async", "stepstream"),
        ("langgraph", "LangGraph invoke", "sync", SYNC_INLINE),
        ("pydantic-graph", "pydantic-graph 1.x", "async", "stepstream"),
        ("llama-index-workflows", "llama-index-workflows", "async", "stepstream"),
        ("mastra", "Mastra", "async", "stepstream"),
    ]
    return [Case("run3", e, v, "chain", {"n": 3, "mode": m}, reps=sizes.reps(40, 1), ref=ref) for e, v, m, ref in rows]


def durable_cases(sizes: Sizes) -> list[Case]:
    """(c) the same 3-step run, persisted (every step committed before the next); async steps
    against async peers, inline sync steps against peers running sync steps inline."""
    normal, full, pg = "stepstream SQLite NORMAL", "stepstream SQLite FULL", "stepstream PostgreSQL"
    rows = [
        ("stepstream", normal, "async", "sqlite-normal", None),
        ("stepstream", f"{normal} (sync inline)", "sync-inline", "sqlite-normal", None),
        ("stepstream", full, "async", "sqlite-full", None),
        ("stepstream", f"{full} (sync inline)", "sync-inline", "sqlite-full", None),
        ("stepstream", pg, "async", "postgres", None),
        ("stepstream", f"{pg} (sync inline)", "sync-inline", "postgres", None),
        ("langgraph", "LangGraph ainvoke + AsyncSqliteSaver NORMAL", "async", "sqlite-normal", normal),
        ("langgraph", "LangGraph invoke + SqliteSaver NORMAL", "sync", "sqlite-normal", f"{normal} (sync inline)"),
        ("langgraph", "LangGraph ainvoke + AsyncSqliteSaver FULL", "async", "sqlite-full", full),
        ("langgraph", "LangGraph invoke + SqliteSaver FULL", "sync", "sqlite-full", f"{full} (sync inline)"),
        ("langgraph", "LangGraph ainvoke + AsyncPostgresSaver", "async", "postgres", pg),
        ("langgraph", "LangGraph invoke + PostgresSaver", "sync", "postgres", f"{pg} (sync inline)"),
        ("dbos-sqlite", "DBOS SQLite (FULL, rollback journal)", "sync", "sqlite", f"{full} (sync inline)"),
        ("dbos-postgres", "DBOS PostgreSQL", "sync", "postgres", f"{pg} (sync inline)"),
        ("mastra", "Mastra LibSQLStore", "async", "libsql", normal),
    ]
    return [Case("durable", e, v, "chain", {"n": 3, "mode": m, "store": s}, reps=sizes.reps(15, 1), ref=ref) for e, v, m, s, ref in rows]


def commit_cases(sizes: Sizes) -> list[Case]:
    """(c) the commits one durable 3-step run makes at FULL (each waits for an fsync), counted
    from the SQL the engine sends (a write transaction's COMMIT, or an autocommitted write), in
    runs of their own, untimed; read beside the disk's fsync cost in (j)."""
    rows = [
        ("stepstream", "stepstream SQLite FULL", "async", None),
        ("stepstream", "stepstream SQLite FULL (sync inline)", "sync-inline", None),
        ("langgraph", "LangGraph invoke + SqliteSaver FULL", "sync", "stepstream SQLite FULL (sync inline)"),
    ]
    return [
        Case("commits", e, v, "commits", {"n": 3, "mode": m, "store": "sqlite-full"}, reps=5, ref=ref, rounds=1) for e, v, m, ref in rows
    ]


def resume_cases(sizes: Sizes) -> list[Case]:
    """(d) suspend then resume: in the same process, and in a fresh process reading storage."""
    same = [
        ("stepstream", "stepstream SQLite NORMAL", "sqlite-normal"),
        ("stepstream", "stepstream in memory", "memory"),
        ("langgraph", "LangGraph + SqliteSaver NORMAL", "sqlite-normal"),
        ("mastra", "Mastra LibSQLStore", "libsql"),
    ]
    cases = [Case("resume", e, v, "resume", {"store": s}, reps=sizes.reps(15, 1)) for e, v, s in same]
    cases += [
        Case("resume_fresh", "stepstream", "stepstream SQLite NORMAL", "resume_fresh", {}, reps=sizes.fresh_reps),
        Case("resume_fresh", "langgraph", "LangGraph + SqliteSaver NORMAL", "resume_fresh", {}, reps=sizes.fresh_reps),
    ]
    return cases


def fanout_cases(sizes: Sizes) -> list[Case]:
    """(e) parallel and foreach of W items: time per item every round; peak memory per item in a
    run of its own (tracemalloc, or V8's heap for Mastra), untimed, in the first round only (it is
    deterministic, and tracing LangGraph's 10,000-item run takes minutes)."""
    rows = [("stepstream", "stepstream"), ("langgraph", "LangGraph"), ("mastra", "Mastra")]
    return [
        Case(
            f"fanout_{kind}",
            e,
            v,
            "fanout",
            {"kind": kind, "w": w, "memory": False},
            x=w,
            reps=sizes.reps(200, w, cap=10),
            first={"memory": True},
        )
        for kind in ("parallel", "foreach")
        for w in sizes.fan_ws
        for e, v in rows
        if w <= MAX_W.get(e, w)
    ]


def foreach_resume_cases(sizes: Sizes) -> list[Case]:
    """(e) W suspended foreach items, resumed one by one (a sample of them, spread over the list)."""
    return [
        Case("foreach_resume", "stepstream", "stepstream SQLite NORMAL", "foreach_resume", {"w": w}, x=w, reps=sizes.foreach_resumes)
        for w in sizes.fan_ws
    ]


def stream_cases(sizes: Sizes) -> list[Case]:
    """(f) streaming a long run: time to first event, events per second, worst loop stall."""
    rows = [
        ("stepstream", "stepstream in memory", "memory"),
        ("stepstream", "stepstream SQLite NORMAL", "sqlite-normal"),
        ("langgraph", "LangGraph astream (updates)", "memory"),
        ("mastra", "Mastra stream", "memory"),
    ]
    return [Case("stream", e, v, "stream", {"n": sizes.stream_n, "store": s}, reps=1) for e, v, s in rows]


def fairness_cases(sizes: Sizes) -> list[Case]:
    """(f) loop fairness: a long durable run beside the 1 ms ticker, and four concurrent sync steps
    that block (time.sleep) on worker threads (the default) and, beside them, inline (the
    opt-out, which holds the loop by design: shown, not held to the 10 ms target)."""
    return [
        Case("fairness", "stepstream", f"stepstream {sizes.long_n:,}-step run, SQLite NORMAL", "long_run", {"n": sizes.long_n}, reps=1),
        Case(
            "fairness",
            "stepstream",
            "stepstream 4 blocking sync steps (threads, the default)",
            "blocking",
            {"inline": False, "block": sizes.block_s},
        ),
        Case(
            "fairness",
            "stepstream",
            "stepstream 4 blocking sync steps, inline=True (opt-out)",
            "blocking",
            {"inline": True, "block": sizes.block_s},
        ),
    ]


def bytes_cases(sizes: Sizes) -> list[Case]:
    """(g) bytes written and kept per step on SQLite (NORMAL where the engine lets us set it); a
    count, not a timing, so one round."""
    rows = [
        ("stepstream", "stepstream"),
        ("langgraph", "LangGraph SqliteSaver"),
        ("dbos-sqlite", "DBOS SQLite"),
        ("mastra", "Mastra LibSQLStore"),
    ]
    return [Case("bytes", e, v, "bytes", {"n": n}, x=n, rounds=1) for n in sizes.bytes_ns for e, v in rows]


def eventlog_cases(sizes: Sizes) -> list[Case]:
    """The event log's cost: the durable 3-step run with the log (the default) and with a storage
    keeping none, at NORMAL and FULL (stepstream only; the goal is +20% at most)."""
    rows = [
        ("stepstream SQLite NORMAL, with the log", "sqlite-normal"),
        ("stepstream SQLite NORMAL, no log", "sqlite-normal-nolog"),
        ("stepstream SQLite FULL, with the log", "sqlite-full"),
        ("stepstream SQLite FULL, no log", "sqlite-full-nolog"),
    ]
    # 120 runs per case and round (not 15 as in `durable`): a log's cost is a difference of
    # two medians, and a busy machine moves a median of 30 runs by 10% either way.
    reps = sizes.reps(120, 1, cap=120)
    return [Case("eventlog", "stepstream", v, "chain", {"n": 3, "mode": "async", "store": s}, reps=reps) for v, s in rows]


def tracing_cases(sizes: Sizes) -> list[Case]:
    """Tracing hooks with no provider, against no tracing code at all (stepstream only; limit 5%)."""
    return [Case("tracing", "stepstream", "stepstream 100-step sync chain", "tracing", {"n": 100}, reps=sizes.reps(100, 1, cap=200))]


def floor_cases(sizes: Sizes) -> list[Case]:
    """(j) the machine's floor, sampled inside the durable measure's rounds (a disk shared with
    other work syncs slower at times: the floor is read in the same minutes as the runs)."""
    return [Case("floor", "stepstream", "floor", "floor", {}, reps=max(1, sizes.floor_reps // sizes.rounds))]


def durable_and_floor_cases(sizes: Sizes) -> list[Case]:
    return [*durable_cases(sizes), *floor_cases(sizes)]


MEASURES = {
    "chain": chain_cases,
    "run3": memory_run_cases,
    "durable": durable_and_floor_cases,  # (c) and (j), alternating
    "commits": commit_cases,
    "resume": resume_cases,
    "fanout": fanout_cases,
    "foreach_resume": foreach_resume_cases,
    "stream": stream_cases,
    "fairness": fairness_cases,
    "bytes": bytes_cases,
    "eventlog": eventlog_cases,
    "tracing": tracing_cases,
}
