-- The sequence number of a definition's last breaker reset
-- (defstore.Resetter), 0 when none: every instance that loaded the
-- definition before it closes its own breaker when it reads the row.

ALTER TABLE outhook_definition ADD COLUMN breaker_reset INTEGER NOT NULL DEFAULT 0;
