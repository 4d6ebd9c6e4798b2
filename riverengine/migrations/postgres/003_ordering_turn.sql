-- A delivery's place in the line of its (webhook, ordering key) is decided
-- when a worker first fetches one of the line's jobs, not when it is
-- published, so that publishers take no lock: the worker, holding a lock
-- on the line for its own short transaction, gives every committed row of
-- the line that has no turn yet the next value of the sequence. A line
-- goes in (turn, job_id) order; a row without a turn, committed since, is
-- behind every row that has one.

ALTER TABLE outhook_ordering ADD COLUMN turn bigint;

CREATE SEQUENCE outhook_ordering_turn;

CREATE INDEX outhook_ordering_turn_idx ON outhook_ordering (webhook_id, ordering_key, turn, job_id);
DROP INDEX outhook_ordering_line_idx;
