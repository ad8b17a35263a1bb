-- +goose Up
-- 两线合一 comparison runs and their mismatches (area: comparison and following the register). A run is
-- written whole in one transaction; rows are never changed afterwards.
CREATE TABLE comparisons (
    id                     TEXT COLLATE "C" PRIMARY KEY,
    month                  TEXT COLLATE "C" NOT NULL,
    region_code            TEXT COLLATE "C" NOT NULL,
    register_households    BIGINT  NOT NULL,
    register_persons       BIGINT  NOT NULL,
    registered_households  BIGINT  NOT NULL,
    dibao_households       BIGINT  NOT NULL,
    registered_covered     BIGINT  NOT NULL,
    registered_not_covered BIGINT  NOT NULL,
    dibao_not_registered   BIGINT  NOT NULL,
    policy_hash            TEXT    NOT NULL,
    actor                  TEXT    NOT NULL,
    created_us             BIGINT  NOT NULL,
    duration_ms            BIGINT  NOT NULL
);

-- Mismatches in (kind, region, household) order, numbered from 1 within their run.
CREATE TABLE comparison_mismatches (
    comparison_id     TEXT COLLATE "C" NOT NULL REFERENCES comparisons (id),
    seq               INTEGER NOT NULL,
    kind              INTEGER NOT NULL,
    reason            INTEGER NOT NULL,
    household_id      TEXT COLLATE "C" NOT NULL,
    region_code       TEXT COLLATE "C" NOT NULL,
    registry_status   INTEGER NOT NULL,
    monitoring_type   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    register_size     INTEGER NOT NULL,
    dibao_source      TEXT    NOT NULL,
    covered           INTEGER NOT NULL,
    PRIMARY KEY (comparison_id, seq)
);

-- The register's changes as the service followed them (outbox.Subscribe, one row per change, in the
-- transaction that moved the cursor): the trail of what each follower acted on. The sequence is the
-- register feed's, so a change handled twice would be refused here.
CREATE TABLE register_changes (
    sequence            BIGINT  PRIMARY KEY,
    topic               TEXT COLLATE "C" NOT NULL,
    household_id        TEXT COLLATE "C" NOT NULL,
    region_code         TEXT COLLATE "C" NOT NULL,
    registry_status     INTEGER NOT NULL,
    monitoring_type     INTEGER NOT NULL,
    monitoring_status   INTEGER NOT NULL,
    effective_date      TEXT COLLATE "C" NOT NULL,
    size                INTEGER NOT NULL,
    departed_person_ids TEXT    NOT NULL,
    reason              TEXT    NOT NULL,
    received_us         BIGINT  NOT NULL
);
CREATE INDEX register_changes_household ON register_changes (household_id, sequence);

-- +goose Down
DROP TABLE register_changes;
DROP TABLE comparison_mismatches;
DROP TABLE comparisons;
