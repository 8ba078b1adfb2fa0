-- stepstream schema v1 (PostgreSQL). Append-only: never edit a released migration, add 0002_*.sql.
-- JSON columns use `json` (not jsonb): it keeps the text as written, so object key
-- order round-trips and writes skip the jsonb conversion. SQL NULL stands for None.

CREATE TABLE stepstream_runs (
    workflow_id     text   NOT NULL,
    run_id          text   NOT NULL,
    status          text   NOT NULL,
    resource_id     text,
    input           json,
    state           json,
    request_context json,
    result          json,
    error           json,
    suspended       json,
    resume_labels   json,
    tracing_context json,
    created_at      bigint NOT NULL,  -- Unix epoch ms
    updated_at      bigint NOT NULL,  -- Unix epoch ms
    PRIMARY KEY (workflow_id, run_id)
);

CREATE INDEX stepstream_runs_workflow_status_created ON stepstream_runs (workflow_id, status, created_at DESC);
CREATE INDEX stepstream_runs_created ON stepstream_runs (created_at DESC);
CREATE INDEX stepstream_runs_status_created ON stepstream_runs (status, created_at DESC);
CREATE INDEX stepstream_runs_resource_created ON stepstream_runs (resource_id, created_at DESC) WHERE resource_id IS NOT NULL;

-- One row per step record. `seq` comes from an identity sequence on first insert
-- and is kept by later upserts (ON CONFLICT DO UPDATE leaves it alone), so
-- records load in first-write order.
CREATE TABLE stepstream_steps (
    workflow_id text   NOT NULL,
    run_id      text   NOT NULL,
    key         text   NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    record      json   NOT NULL,
    PRIMARY KEY (workflow_id, run_id, key),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);
