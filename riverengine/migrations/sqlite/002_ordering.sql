-- The line of each (webhook, ordering key): one row per ordered delivery
-- not yet ended, by its River job. SQLite has one writer, so job ids follow
-- commit order; a delivery goes when no earlier job of its line is
-- unfinished. The row is deleted in the same transaction that completes
-- the job.

CREATE TABLE outhook_ordering (
    job_id       INTEGER PRIMARY KEY,
    webhook_id   TEXT    NOT NULL,
    ordering_key TEXT    NOT NULL
);

CREATE INDEX outhook_ordering_line_idx ON outhook_ordering (webhook_id, ordering_key, job_id);
