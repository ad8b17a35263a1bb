-- +goose Up
-- 两线合一 comparison runs and their mismatches (area: comparison and following the register). A run is
-- written whole in one transaction; rows are never changed afterwards.
CREATE TABLE comparisons (
    id                     TEXT    PRIMARY KEY,
    month                  TEXT    NOT NULL,
    region_code            TEXT    NOT NULL,
    register_households    INTEGER NOT NULL,
    register_persons       INTEGER NOT NULL,
    registered_households  INTEGER NOT NULL,
    dibao_households       INTEGER NOT NULL,
    registered_covered     INTEGER NOT NULL,
    registered_not_covered INTEGER NOT NULL,
    dibao_not_registered   INTEGER NOT NULL,
    policy_hash            TEXT    NOT NULL,
    actor                  TEXT    NOT NULL,
    created_us             INTEGER NOT NULL,
    duration_ms            INTEGER NOT NULL
) WITHOUT ROWID;

-- Mismatches in (kind, region, household) order, numbered from 1 within their run.
CREATE TABLE comparison_mismatches (
    comparison_id     TEXT    NOT NULL REFERENCES comparisons (id),
    seq               INTEGER NOT NULL,
    kind              INTEGER NOT NULL,
    reason            INTEGER NOT NULL,
    household_id      TEXT    NOT NULL,
    region_code       TEXT    NOT NULL,
    registry_status   INTEGER NOT NULL,
    monitoring_type   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    register_size     INTEGER NOT NULL,
    dibao_source      TEXT    NOT NULL,
    covered           INTEGER NOT NULL,
    PRIMARY KEY (comparison_id, seq)
) WITHOUT ROWID;

-- The register's changes as the service followed them (outbox.Subscribe, one row per change, in the
-- transaction that moved the cursor): the trail of what each follower acted on. The sequence is the
-- register feed's, so a change handled twice would be refused here.
CREATE TABLE register_changes (
    sequence            INTEGER PRIMARY KEY,
    topic               TEXT    NOT NULL,
    household_id        TEXT    NOT NULL,
    region_code         TEXT    NOT NULL,
    registry_status     INTEGER NOT NULL,
    monitoring_type     INTEGER NOT NULL,
    monitoring_status   INTEGER NOT NULL,
    effective_date      TEXT    NOT NULL,
    size                INTEGER NOT NULL,
    departed_person_ids TEXT    NOT NULL,
    reason              TEXT    NOT NULL,
    received_us         INTEGER NOT NULL
);
CREATE INDEX register_changes_household ON register_changes (household_id, sequence);

-- +goose Down
DROP TABLE register_changes;
DROP TABLE comparison_mismatches;
DROP TABLE comparisons;
