-- stepstream schema v1 (SQLite). Append-only: never edit a released migration, add 0002_*.sql.
-- JSON columns hold compact JSON text; SQL NULL stands for None.

CREATE TABLE stepstream_runs (
    workflow_id     TEXT    NOT NULL,
    run_id          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    resource_id     TEXT,
    input           TEXT,
    state           TEXT,
    request_context TEXT,
    result          TEXT,
    error           TEXT,
    suspended       TEXT,
    resume_labels   TEXT,
    tracing_context TEXT,
    created_at      INTEGER NOT NULL,  -- Unix epoch ms
    updated_at      INTEGER NOT NULL,  -- Unix epoch ms
    PRIMARY KEY (workflow_id, run_id)
);

CREATE INDEX stepstream_runs_workflow_status_created ON stepstream_runs (workflow_id, status, created_at DESC);
CREATE INDEX stepstream_runs_created ON stepstream_runs (created_at DESC);
CREATE INDEX stepstream_runs_status_created ON stepstream_runs (status, created_at DESC);
CREATE INDEX stepstream_runs_resource_created ON stepstream_runs (resource_id, created_at DESC) WHERE resource_id IS NOT NULL;

-- One row per step record. `seq` is set on first insert (per run, max + 1) and
-- kept by later upserts, so records load in first-write order.
CREATE TABLE stepstream_steps (
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    record      TEXT    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, key),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);

CREATE INDEX stepstream_steps_seq ON stepstream_steps (workflow_id, run_id, seq);
