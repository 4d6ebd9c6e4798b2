-- Webhook definitions per tenant (package defstore), shared by every
-- instance. A deleted definition stays as a tombstone (deleted, its
-- content and secrets cleared) so that its deletion is a change followers
-- see. seq is the store's sequence number of the row's last change:
-- writers take an advisory lock for their whole transaction and number
-- their change max(seq) + 1, so numbers follow commit order. Identifiers
-- compare byte by byte (COLLATE "C"), so listings are in byte order
-- whatever the database's collation.

CREATE TABLE outhook_definition (
    tenant      text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint      NOT NULL,
    name        text COLLATE "C" NOT NULL,
    active      boolean     NOT NULL,
    triggers    text[]      NOT NULL,
    -- The definition's JSON without its secrets, byte for byte.
    definition  bytea       NOT NULL,
    -- The secrets, sealed; NULL when there are none.
    secrets     bytea,
    seq         bigint      NOT NULL,
    deleted     boolean     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  text        NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- Changes reads in seq order.
CREATE UNIQUE INDEX outhook_definition_seq_idx ON outhook_definition (seq);
-- A name is unique among a tenant's live definitions.
CREATE UNIQUE INDEX outhook_definition_name_idx ON outhook_definition (tenant, name) WHERE NOT deleted;

-- Every change of a definition, for "who changed this webhook".
CREATE TABLE outhook_definition_revision (
    seq     bigint PRIMARY KEY,
    tenant  text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    version bigint      NOT NULL,
    action  text        NOT NULL,
    actor   text        NOT NULL,
    at      timestamptz NOT NULL,
    name    text        NOT NULL
);

CREATE INDEX outhook_definition_revision_idx ON outhook_definition_revision (tenant, id, seq DESC);
