-- stepstream schema v8 (SQLite): the event log moves into stepstream_steps. A commit's
-- events are one row there, beside the step record they ride with: `key` is the offset
-- after the batch's last event (an INTEGER; step records keep TEXT keys, and SQLite sorts
-- every integer before every text), `record` the batch's events as one JSON array. The
-- batch then lands in the B-tree pages the step write dirties anyway (the table's last
-- leaf, the run's entries in the key index): v4's table and its primary-key index cost
-- a commit two pages more, which at synchronous=NORMAL is most of what a commit costs.
-- `key` has no declared type, so an integer stays an integer (TEXT affinity would turn
-- it into text). Existing events move over unchanged; deleting a run deletes them.

DROP TRIGGER stepstream_step_writes_insert;
DROP VIEW stepstream_step_writes;

CREATE TABLE stepstream_steps_v8 (
    seq         INTEGER PRIMARY KEY,
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    key                 NOT NULL,  -- a step's key (TEXT), or an event batch's end offset (INTEGER)
    record      TEXT    NOT NULL,  -- the step record, or the batch's events (a JSON array)
    UNIQUE (workflow_id, run_id, key),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);
-- Step records keep their seq (the first-write order); event batches follow, in log order.
INSERT INTO stepstream_steps_v8 (seq, workflow_id, run_id, key, record)
    SELECT seq, workflow_id, run_id, key, record FROM stepstream_steps;
INSERT INTO stepstream_steps_v8 (workflow_id, run_id, key, record)
    SELECT workflow_id, run_id, next_seq, events FROM stepstream_events ORDER BY workflow_id, run_id, seq;
DROP TABLE stepstream_events;
DROP TABLE stepstream_steps;
ALTER TABLE stepstream_steps_v8 RENAME TO stepstream_steps;

-- Appends an event batch (offsets `seq` to `next_seq - 1`) to a run's log, if the run exists
-- and (with `owner`) is owned by that token; whether it did shows in the connection's total
-- changes. The log only grows at its end: a batch must start where the last one stopped,
-- so no offset is written twice and none is skipped.
CREATE VIEW stepstream_event_writes (workflow_id, run_id, owner, seq, next_seq, events) AS
    SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER stepstream_event_writes_insert INSTEAD OF INSERT ON stepstream_event_writes
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS (
        SELECT 1 FROM stepstream_runs WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id
        AND (NEW.owner IS NULL OR owner = NEW.owner));
    SELECT RAISE(ABORT, 'stepstream: event batch does not start at the end of the run''s log')
        WHERE NEW.next_seq <= NEW.seq OR NEW.seq <> COALESCE((SELECT key FROM stepstream_steps
            WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id AND key < '' ORDER BY key DESC LIMIT 1), 0);
    INSERT INTO stepstream_steps (workflow_id, run_id, key, record)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.next_seq, NEW.events);
END;

-- As in v6: a step record and the events that come with it, in one statement.
CREATE VIEW stepstream_step_writes (workflow_id, run_id, key, record, owner, seq, next_seq, events) AS
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER stepstream_step_writes_insert INSTEAD OF INSERT ON stepstream_step_writes
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS (
        SELECT 1 FROM stepstream_runs WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id
        AND (NEW.owner IS NULL OR owner = NEW.owner));
    SELECT RAISE(ABORT, 'stepstream: event batch does not start at the end of the run''s log')
        WHERE NEW.next_seq <= NEW.seq OR NEW.seq <> COALESCE((SELECT key FROM stepstream_steps
            WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id AND key < '' ORDER BY key DESC LIMIT 1), 0);
    INSERT INTO stepstream_steps (workflow_id, run_id, key, record)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.key, NEW.record)
        ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record;
    INSERT INTO stepstream_steps (workflow_id, run_id, key, record)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.next_seq, NEW.events);
END;
