-- stepstream schema v3 (PostgreSQL): the run's event log. One row per event, `seq`
-- its offset from 0 (numbered by the engine, which owns the run while writing);
-- `event` is the event's wire JSON. Deleting a run deletes its events.
CREATE TABLE stepstream_events (
    workflow_id text    NOT NULL,
    run_id      text    NOT NULL,
    seq         integer NOT NULL,
    event       json    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, seq),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);

-- Readers in other processes LISTEN on `stepstream_events`: each statement that
-- appends events notifies once per run, at commit, with [schema, workflow_id, run_id].
CREATE FUNCTION stepstream_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stepstream_events', json_build_array(TG_TABLE_SCHEMA, r.workflow_id, r.run_id)::text)
    FROM (SELECT DISTINCT workflow_id, run_id FROM appended) AS r;
    RETURN NULL;
END
$$;

CREATE TRIGGER stepstream_events_notify AFTER INSERT ON stepstream_events
    REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION stepstream_events_notify();
