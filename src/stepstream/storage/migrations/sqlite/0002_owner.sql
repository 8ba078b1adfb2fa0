-- stepstream schema v2 (SQLite): the token of the execution that owns a run.
-- Writes of an execution are conditional on it, so a run restarted or canceled
-- by another process is never overwritten by a stale executor.
ALTER TABLE stepstream_runs ADD COLUMN owner TEXT;
