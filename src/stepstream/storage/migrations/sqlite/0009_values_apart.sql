-- stepstream schema v9 (SQLite): large values a run keeps while its other fields change
-- move out of the rows that change, into `stepstream_items` rows of index -1, written
-- only when they change: a thin foreach record's payload (its items, under the record's
-- key, with `entry_index`: where each item ends in the text, as 32-bit little-endian
-- offsets, so one item is read without the others) and a run input of over 2 KiB (under
-- the key ''; step keys are never empty). SQLite rewrites a whole row when a change
-- resizes it, so a large input in the run's row made every status change rewrite it, and
-- the items in the record made every resume of one item rewrite all W.
ALTER TABLE stepstream_items ADD COLUMN entry_index BLOB;
