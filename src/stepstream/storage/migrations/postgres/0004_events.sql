-- stepstream schema v4 (PostgreSQL): the run's event log. Events are numbered from 0
-- by the engine; each write stores its events as one row, a JSON array of their wire
-- JSON, holding offsets `seq` to `next_seq - 1`. Deleting a run deletes its events.
CREATE TABLE stepstream_events (
    workflow_id text    NOT NULL,
    run_id      text    NOT NULL,
    seq         integer NOT NULL,
    next_seq    integer NOT NULL CHECK (next_seq > seq),
    events      json    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, seq),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);

-- The log only grows at its end: a batch must start where the last one stopped,
-- so no offset is written twice and none is skipped. (Two concurrent batches at
-- the same end collide on the primary key.)
CREATE FUNCTION stepstream_events_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> COALESCE((SELECT e.next_seq FROM stepstream_events e WHERE e.workflow_id = NEW.workflow_id
                            AND e.run_id = NEW.run_id ORDER BY e.seq DESC LIMIT 1), 0) THEN
        RAISE EXCEPTION 'stepstream: event batch at offset % does not start at the end of the log of run %', NEW.seq, NEW.run_id
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER stepstream_events_at_end BEFORE INSERT ON stepstream_events
    FOR EACH ROW EXECUTE FUNCTION stepstream_events_at_end();

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
