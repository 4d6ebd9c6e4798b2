-- The counters of webhook.Summary, kept by the database as rows are
-- written, in the writing transaction: every instance adds to the same
-- rows, and a record that rolls back counts nothing. Attempts (records
-- with attempt > 0 and a delivery's outcome) are counted per 5-minute
-- slot in a latency histogram: b<i> counts the attempts whose duration
-- falls in bucket i (webhook.LatencyBucket), delivered those that
-- delivered. Store.Enforce drops the slots older than a day; erasing a
-- tenant or a webhook drops its rows.

CREATE TABLE outhook_summary_slot (
    tenant      text        NOT NULL,
    webhook_id  text        NOT NULL,
    slot        timestamptz NOT NULL,
    delivered   bigint      NOT NULL DEFAULT 0,
    b0          bigint      NOT NULL DEFAULT 0,
    b1          bigint      NOT NULL DEFAULT 0,
    b2          bigint      NOT NULL DEFAULT 0,
    b3          bigint      NOT NULL DEFAULT 0,
    b4          bigint      NOT NULL DEFAULT 0,
    b5          bigint      NOT NULL DEFAULT 0,
    b6          bigint      NOT NULL DEFAULT 0,
    b7          bigint      NOT NULL DEFAULT 0,
    b8          bigint      NOT NULL DEFAULT 0,
    b9          bigint      NOT NULL DEFAULT 0,
    b10          bigint      NOT NULL DEFAULT 0,
    b11          bigint      NOT NULL DEFAULT 0,
    b12          bigint      NOT NULL DEFAULT 0,
    b13          bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, webhook_id, slot)
);

-- Enforce drops old slots.
CREATE INDEX outhook_summary_slot_idx ON outhook_summary_slot (slot);

-- The latest record of each webhook that is not filtered or skipped, and
-- its dead letters waiting.
CREATE TABLE outhook_summary (
    tenant       text        NOT NULL,
    webhook_id   text        NOT NULL,
    last_outcome text        NOT NULL DEFAULT '',
    last_at      timestamptz,
    last_reason  text        NOT NULL DEFAULT '',
    dead_letters bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, webhook_id)
);

-- The dead letters kept are counted now; the records written before this
-- step are not (neither as attempts nor as the last outcome). Emptying a
-- table by TRUNCATE, which fires no trigger, leaves its counts behind.
INSERT INTO outhook_summary (tenant, webhook_id, dead_letters)
    SELECT tenant, webhook_id, count(*) FROM outhook_dead_letter GROUP BY tenant, webhook_id;

CREATE FUNCTION outhook_summary_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    b int;
BEGIN
    INSERT INTO outhook_summary AS s (tenant, webhook_id, last_outcome, last_at, last_reason)
    VALUES (NEW.tenant, NEW.webhook_id, NEW.outcome, NEW.started_at, coalesce(NEW.record->>'reason', ''))
    ON CONFLICT (tenant, webhook_id) DO UPDATE SET
        last_outcome = excluded.last_outcome, last_at = excluded.last_at, last_reason = excluded.last_reason
    WHERE s.last_at IS NULL OR s.last_at <= excluded.last_at;
    IF coalesce((NEW.record->>'attempt')::bigint, 0) <= 0 THEN
        RETURN NULL;
    END IF;
    d := coalesce((NEW.record->>'duration')::bigint, 0);
    b := CASE WHEN d <= 5000000 THEN 0 WHEN d <= 10000000 THEN 1 WHEN d <= 25000000 THEN 2 WHEN d <= 50000000 THEN 3 WHEN d <= 100000000 THEN 4 WHEN d <= 250000000 THEN 5 WHEN d <= 500000000 THEN 6 WHEN d <= 1000000000 THEN 7 WHEN d <= 2500000000 THEN 8 WHEN d <= 5000000000 THEN 9 WHEN d <= 10000000000 THEN 10 WHEN d <= 30000000000 THEN 11 WHEN d <= 60000000000 THEN 12 ELSE 13 END;
    INSERT INTO outhook_summary_slot AS s (tenant, webhook_id, slot, delivered, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13)
    VALUES (NEW.tenant, NEW.webhook_id, to_timestamp(floor(extract(epoch FROM NEW.started_at) / 300) * 300),
        (NEW.outcome = 'delivered')::int, (b = 0)::int, (b = 1)::int, (b = 2)::int, (b = 3)::int, (b = 4)::int, (b = 5)::int, (b = 6)::int, (b = 7)::int, (b = 8)::int, (b = 9)::int, (b = 10)::int, (b = 11)::int, (b = 12)::int, (b = 13)::int)
    ON CONFLICT (tenant, webhook_id, slot) DO UPDATE SET
            delivered = s.delivered + excluded.delivered,
            b0 = s.b0 + excluded.b0,
            b1 = s.b1 + excluded.b1,
            b2 = s.b2 + excluded.b2,
            b3 = s.b3 + excluded.b3,
            b4 = s.b4 + excluded.b4,
            b5 = s.b5 + excluded.b5,
            b6 = s.b6 + excluded.b6,
            b7 = s.b7 + excluded.b7,
            b8 = s.b8 + excluded.b8,
            b9 = s.b9 + excluded.b9,
            b10 = s.b10 + excluded.b10,
            b11 = s.b11 + excluded.b11,
            b12 = s.b12 + excluded.b12,
            b13 = s.b13 + excluded.b13;
    RETURN NULL;
END $$;

CREATE TRIGGER outhook_summary_record AFTER INSERT ON outhook_invocation FOR EACH ROW
    WHEN (NEW.outcome IN ('delivered', 'retrying', 'failed', 'validation_failed'))
    EXECUTE FUNCTION outhook_summary_record();

-- A dead letter replaced by one of another webhook (the same delivery id)
-- moves from one count to the other.
CREATE FUNCTION outhook_summary_dead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE outhook_summary SET dead_letters = dead_letters - 1 WHERE tenant = OLD.tenant AND webhook_id = OLD.webhook_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO outhook_summary AS s (tenant, webhook_id, dead_letters) VALUES (NEW.tenant, NEW.webhook_id, 1)
        ON CONFLICT (tenant, webhook_id) DO UPDATE SET dead_letters = s.dead_letters + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER outhook_summary_dead AFTER INSERT OR DELETE ON outhook_dead_letter FOR EACH ROW
    EXECUTE FUNCTION outhook_summary_dead();
CREATE TRIGGER outhook_summary_dead_moved AFTER UPDATE ON outhook_dead_letter FOR EACH ROW
    WHEN (OLD.tenant IS DISTINCT FROM NEW.tenant OR OLD.webhook_id IS DISTINCT FROM NEW.webhook_id)
    EXECUTE FUNCTION outhook_summary_dead();

-- Retention by age deletes the dead letters that failed before a time,
-- of every tenant: without an index on failed_at each batch read the
-- whole table. A BRIN index, as on the records, since dead letters arrive
-- roughly in time order, and since a B-tree led the planner to prefer it
-- to the (tenant, failed_at) index for a tenant's pages.
CREATE INDEX outhook_dead_letter_failed_idx ON outhook_dead_letter USING brin (failed_at);
