-- stepstream schema v3 (PostgreSQL): cron schedules and their audit trail.
-- `target` is Mastra's JSON target (workflow id and the run's inputs); the
-- scheduler claims each fire with a compare-and-set on `next_fire_at`.

CREATE TABLE stepstream_schedules (
    id           text   PRIMARY KEY,
    workflow_id  text   NOT NULL,
    target       json   NOT NULL,
    cron         text   NOT NULL,
    timezone     text,
    status       text   NOT NULL,  -- active | paused
    next_fire_at bigint NOT NULL,  -- Unix epoch ms
    last_fire_at bigint,
    last_run_id  text,
    catch_up     text,             -- skip | latest | NULL (the scheduler's default)
    metadata     json,
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL
);

CREATE INDEX stepstream_schedules_due ON stepstream_schedules (status, next_fire_at);
CREATE INDEX stepstream_schedules_workflow ON stepstream_schedules (workflow_id, created_at);

-- One row per fire, failure to fire, or skipped slots; `seq` orders rows with equal times.
CREATE TABLE stepstream_schedule_triggers (
    seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                text   NOT NULL UNIQUE,
    schedule_id       text   NOT NULL,
    run_id            text,
    scheduled_fire_at bigint NOT NULL,
    actual_fire_at    bigint NOT NULL,
    outcome           text   NOT NULL,  -- published | failed | skipped
    trigger_kind      text   NOT NULL,  -- schedule-fire | manual
    error             text,
    parent_trigger_id text,
    metadata          json
);

CREATE INDEX stepstream_schedule_triggers_schedule ON stepstream_schedule_triggers (schedule_id, actual_fire_at DESC, seq DESC);
