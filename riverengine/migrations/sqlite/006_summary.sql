-- The counters of webhook.Summary, kept by the database as rows are
-- written, in the writing transaction: see the PostgreSQL step of the
-- same name. Slots and times are Unix nanoseconds.

CREATE TABLE outhook_summary_slot (
    tenant      TEXT    NOT NULL,
    webhook_id  TEXT    NOT NULL,
    slot        INTEGER NOT NULL,
    delivered   INTEGER NOT NULL DEFAULT 0,
    b0          INTEGER NOT NULL DEFAULT 0,
    b1          INTEGER NOT NULL DEFAULT 0,
    b2          INTEGER NOT NULL DEFAULT 0,
    b3          INTEGER NOT NULL DEFAULT 0,
    b4          INTEGER NOT NULL DEFAULT 0,
    b5          INTEGER NOT NULL DEFAULT 0,
    b6          INTEGER NOT NULL DEFAULT 0,
    b7          INTEGER NOT NULL DEFAULT 0,
    b8          INTEGER NOT NULL DEFAULT 0,
    b9          INTEGER NOT NULL DEFAULT 0,
    b10          INTEGER NOT NULL DEFAULT 0,
    b11          INTEGER NOT NULL DEFAULT 0,
    b12          INTEGER NOT NULL DEFAULT 0,
    b13          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, webhook_id, slot)
) WITHOUT ROWID;

CREATE INDEX outhook_summary_slot_idx ON outhook_summary_slot (slot);

CREATE TABLE outhook_summary (
    tenant       TEXT    NOT NULL,
    webhook_id   TEXT    NOT NULL,
    last_outcome TEXT    NOT NULL DEFAULT '',
    last_at      INTEGER,
    last_reason  TEXT    NOT NULL DEFAULT '',
    dead_letters INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, webhook_id)
) WITHOUT ROWID;

-- The dead letters kept are counted now; the records written before this
-- step are not (neither as attempts nor as the last outcome). Emptying a
-- table by DELETE counts, but a dropped table leaves its counts behind.
INSERT INTO outhook_summary (tenant, webhook_id, dead_letters)
    SELECT tenant, webhook_id, count(*) FROM outhook_dead_letter GROUP BY tenant, webhook_id;

CREATE TRIGGER outhook_summary_record AFTER INSERT ON outhook_invocation
    WHEN NEW.outcome IN ('delivered', 'retrying', 'failed', 'validation_failed')
BEGIN
    INSERT INTO outhook_summary (tenant, webhook_id, last_outcome, last_at, last_reason)
    VALUES (NEW.tenant, NEW.webhook_id, NEW.outcome, NEW.started_at, coalesce(json_extract(NEW.record, '$.reason'), ''))
    ON CONFLICT (tenant, webhook_id) DO UPDATE SET
        last_outcome = excluded.last_outcome, last_at = excluded.last_at, last_reason = excluded.last_reason
    WHERE last_at IS NULL OR last_at <= excluded.last_at;
    INSERT INTO outhook_summary_slot (tenant, webhook_id, slot, delivered, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13)
    SELECT NEW.tenant, NEW.webhook_id, NEW.started_at / 300000000000 * 300000000000,
        NEW.outcome = 'delivered', b = 0, b = 1, b = 2, b = 3, b = 4, b = 5, b = 6, b = 7, b = 8, b = 9, b = 10, b = 11, b = 12, b = 13
    FROM (SELECT CASE WHEN d <= 5000000 THEN 0 WHEN d <= 10000000 THEN 1 WHEN d <= 25000000 THEN 2 WHEN d <= 50000000 THEN 3 WHEN d <= 100000000 THEN 4 WHEN d <= 250000000 THEN 5 WHEN d <= 500000000 THEN 6 WHEN d <= 1000000000 THEN 7 WHEN d <= 2500000000 THEN 8 WHEN d <= 5000000000 THEN 9 WHEN d <= 10000000000 THEN 10 WHEN d <= 30000000000 THEN 11 WHEN d <= 60000000000 THEN 12 ELSE 13 END AS b
        FROM (SELECT coalesce(json_extract(NEW.record, '$.duration'), 0) AS d))
    WHERE coalesce(json_extract(NEW.record, '$.attempt'), 0) > 0
    ON CONFLICT (tenant, webhook_id, slot) DO UPDATE SET
        delivered = delivered + excluded.delivered,
        b0 = b0 + excluded.b0,
        b1 = b1 + excluded.b1,
        b2 = b2 + excluded.b2,
        b3 = b3 + excluded.b3,
        b4 = b4 + excluded.b4,
        b5 = b5 + excluded.b5,
        b6 = b6 + excluded.b6,
        b7 = b7 + excluded.b7,
        b8 = b8 + excluded.b8,
        b9 = b9 + excluded.b9,
        b10 = b10 + excluded.b10,
        b11 = b11 + excluded.b11,
        b12 = b12 + excluded.b12,
        b13 = b13 + excluded.b13;
END;

CREATE TRIGGER outhook_summary_dead_added AFTER INSERT ON outhook_dead_letter
BEGIN
    INSERT INTO outhook_summary (tenant, webhook_id, dead_letters) VALUES (NEW.tenant, NEW.webhook_id, 1)
    ON CONFLICT (tenant, webhook_id) DO UPDATE SET dead_letters = dead_letters + 1;
END;

CREATE TRIGGER outhook_summary_dead_removed AFTER DELETE ON outhook_dead_letter
BEGIN
    UPDATE outhook_summary SET dead_letters = dead_letters - 1 WHERE tenant = OLD.tenant AND webhook_id = OLD.webhook_id;
END;

-- A dead letter replaced by one of another webhook (the same delivery id)
-- moves from one count to the other.
CREATE TRIGGER outhook_summary_dead_moved AFTER UPDATE OF tenant, webhook_id ON outhook_dead_letter
    WHEN OLD.tenant IS NOT NEW.tenant OR OLD.webhook_id IS NOT NEW.webhook_id
BEGIN
    UPDATE outhook_summary SET dead_letters = dead_letters - 1 WHERE tenant = OLD.tenant AND webhook_id = OLD.webhook_id;
    INSERT INTO outhook_summary (tenant, webhook_id, dead_letters) VALUES (NEW.tenant, NEW.webhook_id, 1)
    ON CONFLICT (tenant, webhook_id) DO UPDATE SET dead_letters = dead_letters + 1;
END;
