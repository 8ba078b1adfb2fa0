-- stepstream schema v3 (SQLite): the run's event log. One row per event, `seq`
-- its offset from 0 (numbered by the engine, which owns the run while writing);
-- `event` is the event's wire JSON. Deleting a run deletes its events.
CREATE TABLE stepstream_events (
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, seq),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
) WITHOUT ROWID;
