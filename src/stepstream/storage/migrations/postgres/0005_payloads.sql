-- stepstream schema v5 (PostgreSQL): payloads, large values that travel by reference
-- (stepstream.temporal keeps Temporal payloads over its size threshold here, since
-- Temporal caps a payload at 2 MB). Content-addressed: `digest` is the SHA-256 of
-- `data`, so storing one twice (an activity retried) writes nothing new.
CREATE TABLE stepstream_payloads (
    digest     TEXT   NOT NULL PRIMARY KEY,
    data       BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX stepstream_payloads_created ON stepstream_payloads (created_at);
