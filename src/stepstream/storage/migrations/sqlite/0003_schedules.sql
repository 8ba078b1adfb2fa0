-- stepstream schema v3 (SQLite): cron schedules and their audit trail.
-- `target` is Mastra's JSON target (workflow id and the run's inputs); the
-- scheduler claims each fire with a compare-and-set on `next_fire_at`.

CREATE TABLE stepstream_schedules (
    id           TEXT    PRIMARY KEY,
    workflow_id  TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    cron         TEXT    NOT NULL,
    timezone     TEXT,
    status       TEXT    NOT NULL,  -- active | paused
    next_fire_at INTEGER NOT NULL,  -- Unix epoch ms
    last_fire_at INTEGER,
    last_run_id  TEXT,
    catch_up     TEXT,              -- skip | latest | NULL (the scheduler's default)
    metadata     TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE INDEX stepstream_schedules_due ON stepstream_schedules (status, next_fire_at);
CREATE INDEX stepstream_schedules_workflow ON stepstream_schedules (workflow_id, created_at);

-- One row per fire, failure to fire, or skipped slots; `seq` orders rows with equal times.
CREATE TABLE stepstream_schedule_triggers (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT    NOT NULL UNIQUE,
    schedule_id       TEXT    NOT NULL,
    run_id            TEXT,
    scheduled_fire_at INTEGER NOT NULL,
    actual_fire_at    INTEGER NOT NULL,
    outcome           TEXT    NOT NULL,  -- published | failed | skipped
    trigger_kind      TEXT    NOT NULL,  -- schedule-fire | manual
    error             TEXT,
    parent_trigger_id TEXT,
    metadata          TEXT
);

CREATE INDEX stepstream_schedule_triggers_schedule ON stepstream_schedule_triggers (schedule_id, actual_fire_at DESC, seq DESC);
