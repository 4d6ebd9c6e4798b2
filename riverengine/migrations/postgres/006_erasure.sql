-- The record of each erasure on request (webhook.Tenant.Erase): who asked,
-- what was selected, when, and how many records, dead letters and queued
-- deliveries went. Listed per tenant, newest first.

CREATE TABLE outhook_erasure (
    id           text        PRIMARY KEY,
    tenant       text        NOT NULL,
    webhook_id   text        NOT NULL,
    event_id     text        NOT NULL,
    actor        text        NOT NULL,
    at           timestamptz NOT NULL,
    invocations  bigint      NOT NULL,
    dead_letters bigint      NOT NULL,
    deliveries   bigint      NOT NULL
);

CREATE INDEX outhook_erasure_tenant_idx ON outhook_erasure (tenant, at DESC, id COLLATE "C" DESC);
