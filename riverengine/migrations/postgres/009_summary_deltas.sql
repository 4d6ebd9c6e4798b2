-- The summary's triggers of 007 added to one row per webhook (and per
-- slot), locked until the writing transaction ended: two callers'
-- transactions recording two webhooks in opposite orders deadlocked, and
-- a caller's open transaction held every other writer of its webhooks.
-- Each transaction now adds to rows of its own (tx is its id), which no
-- other transaction writes; a reader sums them, and Store folds the
-- committed ones into the rows of tx 0 (see summary.go), under an
-- advisory lock that Erase also takes.

ALTER TABLE outhook_summary_slot ADD COLUMN tx bigint NOT NULL DEFAULT 0;
ALTER TABLE outhook_summary_slot DROP CONSTRAINT outhook_summary_slot_pkey;
ALTER TABLE outhook_summary_slot ADD PRIMARY KEY (tenant, webhook_id, slot, tx);

-- dead_letters is now a change of the count (negative when a
-- transaction took more than it added); the count is their sum.
ALTER TABLE outhook_summary ADD COLUMN tx bigint NOT NULL DEFAULT 0;
ALTER TABLE outhook_summary DROP CONSTRAINT outhook_summary_pkey;
ALTER TABLE outhook_summary ADD PRIMARY KEY (tenant, webhook_id, tx);

CREATE OR REPLACE FUNCTION outhook_summary_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    b int;
    x bigint := txid_current();
BEGIN
    INSERT INTO outhook_summary AS s (tenant, webhook_id, tx, last_outcome, last_at, last_reason)
    VALUES (NEW.tenant, NEW.webhook_id, x, NEW.outcome, NEW.started_at, coalesce(NEW.record->>'reason', ''))
    ON CONFLICT (tenant, webhook_id, tx) DO UPDATE SET
        last_outcome = excluded.last_outcome, last_at = excluded.last_at, last_reason = excluded.last_reason
    WHERE s.last_at IS NULL OR s.last_at <= excluded.last_at;
    IF coalesce((NEW.record->>'attempt')::bigint, 0) <= 0 THEN
        RETURN NULL;
    END IF;
    d := coalesce((NEW.record->>'duration')::bigint, 0);
    b := CASE WHEN d <= 5000000 THEN 0 WHEN d <= 10000000 THEN 1 WHEN d <= 25000000 THEN 2 WHEN d <= 50000000 THEN 3 WHEN d <= 100000000 THEN 4 WHEN d <= 250000000 THEN 5 WHEN d <= 500000000 THEN 6 WHEN d <= 1000000000 THEN 7 WHEN d <= 2500000000 THEN 8 WHEN d <= 5000000000 THEN 9 WHEN d <= 10000000000 THEN 10 WHEN d <= 30000000000 THEN 11 WHEN d <= 60000000000 THEN 12 ELSE 13 END;
    INSERT INTO outhook_summary_slot AS s (tenant, webhook_id, slot, tx, delivered, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13)
    VALUES (NEW.tenant, NEW.webhook_id, to_timestamp(floor(extract(epoch FROM NEW.started_at) / 300) * 300), x,
        (NEW.outcome = 'delivered')::int, (b = 0)::int, (b = 1)::int, (b = 2)::int, (b = 3)::int, (b = 4)::int, (b = 5)::int, (b = 6)::int, (b = 7)::int, (b = 8)::int, (b = 9)::int, (b = 10)::int, (b = 11)::int, (b = 12)::int, (b = 13)::int)
    ON CONFLICT (tenant, webhook_id, slot, tx) DO UPDATE SET
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

CREATE OR REPLACE FUNCTION outhook_summary_dead() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x bigint := txid_current();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO outhook_summary AS s (tenant, webhook_id, tx, dead_letters) VALUES (OLD.tenant, OLD.webhook_id, x, -1)
        ON CONFLICT (tenant, webhook_id, tx) DO UPDATE SET dead_letters = s.dead_letters - 1;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO outhook_summary AS s (tenant, webhook_id, tx, dead_letters) VALUES (NEW.tenant, NEW.webhook_id, x, 1)
        ON CONFLICT (tenant, webhook_id, tx) DO UPDATE SET dead_letters = s.dead_letters + 1;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE fires no row trigger: emptying a table empties its counts.
-- It waits for every transaction that wrote the table, so the rows it
-- clears are all committed.
CREATE FUNCTION outhook_summary_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'outhook_dead_letter' THEN
        UPDATE outhook_summary SET dead_letters = 0 WHERE dead_letters <> 0;
    ELSE
        DELETE FROM outhook_summary_slot;
        UPDATE outhook_summary SET last_outcome = '', last_at = NULL, last_reason = '' WHERE last_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER outhook_summary_truncated AFTER TRUNCATE ON outhook_invocation
    FOR EACH STATEMENT EXECUTE FUNCTION outhook_summary_truncated();
CREATE TRIGGER outhook_summary_truncated AFTER TRUNCATE ON outhook_dead_letter
    FOR EACH STATEMENT EXECUTE FUNCTION outhook_summary_truncated();
