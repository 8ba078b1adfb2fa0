-- stepstream schema v5 (SQLite): payloads, large values that travel by reference
-- (stepstream.temporal keeps Temporal payloads over its size threshold here, since
-- Temporal caps a payload at 2 MB). Content-addressed: `digest` is the SHA-256 of
-- `data`, so storing one twice (an activity retried) writes nothing new.
CREATE TABLE stepstream_payloads (
    digest     TEXT    NOT NULL PRIMARY KEY,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX stepstream_payloads_created ON stepstream_payloads (created_at);
