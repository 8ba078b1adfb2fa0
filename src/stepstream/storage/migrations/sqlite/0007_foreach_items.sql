-- stepstream schema v7 (SQLite): a foreach's items, one row each. A foreach record
-- then holds no per-item entries (its `__workflow_meta` says how many items there are
-- and a status letter per item), so resuming or finishing one item writes one row and
-- the record, never every item's entry. Reading a run puts the entries back into the
-- record's `foreachOutput` (Mastra's shape). Records stored before v7 keep their
-- entries inline and are read as they are.
CREATE TABLE stepstream_items (
    workflow_id TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    idx         INTEGER NOT NULL,
    entry       TEXT    NOT NULL,
    PRIMARY KEY (workflow_id, run_id, key, idx),
    FOREIGN KEY (workflow_id, run_id) REFERENCES stepstream_runs (workflow_id, run_id) ON DELETE CASCADE
) WITHOUT ROWID;
