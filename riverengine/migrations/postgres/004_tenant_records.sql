-- Invocation records and dead letters belong to a tenant ('' for the
-- empty one, which every row written before this step joins). Queries
-- read one tenant's, newest first by (time, id), a page at a time from a
-- cursor: each index below serves one combination of filters in that
-- order, so a page reads its rows and no others. Ids compare as bytes
-- (COLLATE "C"), as every store of Outhook orders them.
--
-- Adding a column with a constant default rewrites nothing; building the
-- indexes reads the tables once, holding off writes meanwhile: on a large
-- table, run this step in a quiet moment.

ALTER TABLE outhook_invocation ADD COLUMN tenant text NOT NULL DEFAULT '';
ALTER TABLE outhook_dead_letter ADD COLUMN tenant text NOT NULL DEFAULT '';

-- Every record of a tenant; with a time range.
CREATE INDEX outhook_invocation_tenant_idx
    ON outhook_invocation (tenant, started_at DESC, id COLLATE "C" DESC);
-- One webhook's; the webhook's records of the empty tenant (Invocations).
CREATE INDEX outhook_invocation_tenant_webhook_idx
    ON outhook_invocation (tenant, webhook_id, started_at DESC, id COLLATE "C" DESC);
-- One outcome's.
CREATE INDEX outhook_invocation_tenant_outcome_idx
    ON outhook_invocation (tenant, outcome, started_at DESC, id COLLATE "C" DESC);
-- One webhook's of one outcome: a webhook's failures among its deliveries.
CREATE INDEX outhook_invocation_tenant_webhook_outcome_idx
    ON outhook_invocation (tenant, webhook_id, outcome, started_at DESC, id COLLATE "C" DESC);
DROP INDEX outhook_invocation_webhook_idx;

CREATE INDEX outhook_dead_letter_tenant_idx
    ON outhook_dead_letter (tenant, failed_at DESC, delivery_id COLLATE "C" DESC);
CREATE INDEX outhook_dead_letter_tenant_webhook_idx
    ON outhook_dead_letter (tenant, webhook_id, failed_at DESC, delivery_id COLLATE "C" DESC);
DROP INDEX outhook_dead_letter_webhook_idx;
DROP INDEX outhook_dead_letter_failed_idx;
