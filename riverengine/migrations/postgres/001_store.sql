-- Outhook's invocation records and dead letters, shared by every instance.

CREATE TABLE outhook_invocation (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text        NOT NULL,
    delivery_id text        NOT NULL,
    webhook_id  text        NOT NULL,
    outcome     text        NOT NULL,
    started_at  timestamptz NOT NULL,
    -- The webhook.Invocation as JSON, secrets already redacted.
    record      jsonb       NOT NULL
);

-- Invocations lists a webhook's records newest first.
CREATE INDEX outhook_invocation_webhook_idx ON outhook_invocation (webhook_id, seq DESC);
-- Prune deletes by age; rows arrive roughly in time order, so a BRIN index
-- costs almost nothing to keep up.
CREATE INDEX outhook_invocation_started_idx ON outhook_invocation USING brin (started_at);

CREATE TABLE outhook_dead_letter (
    delivery_id text        PRIMARY KEY,
    webhook_id  text        NOT NULL,
    outcome     text        NOT NULL,
    reason      text        NOT NULL,
    attempts    integer     NOT NULL,
    failed_at   timestamptz NOT NULL,
    -- The event's JSON exactly as it was published.
    event       text        NOT NULL
);

CREATE INDEX outhook_dead_letter_webhook_idx ON outhook_dead_letter (webhook_id, failed_at DESC);
CREATE INDEX outhook_dead_letter_failed_idx ON outhook_dead_letter (failed_at DESC);
