-- The record of each erasure on request (webhook.Tenant.Erase): who asked,
-- what was selected, when (Unix nanoseconds), and how many records, dead
-- letters and queued deliveries went. Listed per tenant, newest first.

CREATE TABLE outhook_erasure (
    id           TEXT    PRIMARY KEY,
    tenant       TEXT    NOT NULL,
    webhook_id   TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    invocations  INTEGER NOT NULL,
    dead_letters INTEGER NOT NULL,
    deliveries   INTEGER NOT NULL
);

CREATE INDEX outhook_erasure_tenant_idx ON outhook_erasure (tenant, at DESC, id DESC);
