-- Outhook's invocation records and dead letters. Times are Unix
-- nanoseconds.

CREATE TABLE outhook_invocation (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    webhook_id  TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    -- The webhook.Invocation as JSON, secrets already redacted.
    record      TEXT    NOT NULL
);

CREATE INDEX outhook_invocation_webhook_idx ON outhook_invocation (webhook_id, seq DESC);
CREATE INDEX outhook_invocation_started_idx ON outhook_invocation (started_at);

CREATE TABLE outhook_dead_letter (
    delivery_id TEXT    PRIMARY KEY,
    webhook_id  TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    failed_at   INTEGER NOT NULL,
    -- The event's JSON exactly as it was published.
    event       TEXT    NOT NULL
);

CREATE INDEX outhook_dead_letter_webhook_idx ON outhook_dead_letter (webhook_id, failed_at DESC);
CREATE INDEX outhook_dead_letter_failed_idx ON outhook_dead_letter (failed_at DESC);
