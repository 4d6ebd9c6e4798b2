-- The event of a batch of deliveries (one Publish or PublishTx fanning out
-- to several webhooks), kept once: each delivery's job refers to it by id
-- (args.event_ref) instead of carrying a copy. A row is deleted once no
-- job refers to it any more (River deleted them), or by an erasure once no
-- unfinished job does. event_id is the event's id as the engine keeps
-- keys (see storedKey), so that an erasure by event id reads no event.

CREATE TABLE outhook_event (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL,
    event    text NOT NULL
);
