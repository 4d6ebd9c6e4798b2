-- Webhook definitions per tenant (package defstore). A deleted definition
-- stays as a tombstone (deleted, its content and secrets cleared) so that
-- its deletion is a change followers see. seq is the store's sequence
-- number of the row's last change: writers hold SQLite's write lock for
-- their whole transaction (BEGIN IMMEDIATE) and number their change
-- max(seq) + 1, so numbers follow commit order. Triggers are a JSON array;
-- times are Unix nanoseconds.

CREATE TABLE outhook_definition (
    tenant      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL,
    triggers    TEXT    NOT NULL,
    definition  BLOB    NOT NULL,
    secrets     BLOB,
    seq         INTEGER NOT NULL,
    deleted     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE UNIQUE INDEX outhook_definition_seq_idx ON outhook_definition (seq);
CREATE UNIQUE INDEX outhook_definition_name_idx ON outhook_definition (tenant, name) WHERE deleted = 0;

CREATE TABLE outhook_definition_revision (
    seq     INTEGER PRIMARY KEY,
    tenant  TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    action  TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    name    TEXT    NOT NULL
);

CREATE INDEX outhook_definition_revision_idx ON outhook_definition_revision (tenant, id, seq DESC);
