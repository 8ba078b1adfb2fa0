-- stepstream schema v4 (SQLite): the run's event log. Events are numbered from 0 by
-- the engine; each write stores its events as one row, a JSON array of their wire
-- JSON, holding offsets `seq` to `next_seq - 1` (one row per commit, not per event:
-- a commit then dirties one page more, not one per event). Deleting a run deletes its events.
CREATE TABLE stepstream_events (
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL,
    events      TEXT    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, seq),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);

-- The log only grows at its end: a batch must start where the last one stopped,
-- so no offset is written twice and none is skipped.
CREATE TRIGGER stepstream_events_at_end BEFORE INSERT ON stepstream_events
WHEN NEW.seq <> COALESCE(
    (SELECT next_seq FROM stepstream_events WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id ORDER BY seq DESC LIMIT 1), 0)
  OR NEW.next_seq <= NEW.seq
BEGIN
    SELECT RAISE(ABORT, 'stepstream: event batch does not start at the end of the run''s log');
END;

-- A step record and the events that come with it, in one statement (no explicit
-- transaction, so a step write stays one statement as in v2): inserting into this
-- view upserts the step, if the run exists and (with `owner`) is owned by that
-- token, and appends the events in the same statement. Whether it wrote shows in
-- the connection's total changes.
CREATE VIEW stepstream_step_writes (workflow_id, run_id, key, record, owner, seq, next_seq, events) AS
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER stepstream_step_writes_insert INSTEAD OF INSERT ON stepstream_step_writes
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS (
        SELECT 1 FROM stepstream_runs WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id
        AND (NEW.owner IS NULL OR owner = NEW.owner));
    INSERT INTO stepstream_steps (workflow_id, run_id, key, seq, record)
        SELECT NEW.workflow_id, NEW.run_id, NEW.key, COALESCE(
            (SELECT MAX(seq) FROM stepstream_steps WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id), 0) + 1, NEW.record
        WHERE true
        ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record;
    INSERT INTO stepstream_events (workflow_id, run_id, seq, next_seq, events)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.seq, NEW.next_seq, NEW.events);
END;
