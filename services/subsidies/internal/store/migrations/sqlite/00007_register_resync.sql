-- +goose Up
-- A resync from the register's snapshot (register.bulk_loaded, docs/ARCHITECTURE.md) journals the changes it
-- derives for many households under the one sequence of the change that triggered it, so the journal's key
-- becomes (sequence, household, topic): a change of the feed is still journalled once, and a resync's
-- entry per household and topic once.
CREATE TABLE register_changes_new (
    sequence            INTEGER NOT NULL,
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
    received_us         INTEGER NOT NULL,
    PRIMARY KEY (sequence, household_id, topic)
) WITHOUT ROWID;
INSERT INTO register_changes_new SELECT sequence, topic, household_id, region_code, registry_status, monitoring_type,
    monitoring_status, effective_date, size, departed_person_ids, reason, received_us FROM register_changes;
DROP TABLE register_changes;
ALTER TABLE register_changes_new RENAME TO register_changes;
CREATE INDEX register_changes_household ON register_changes (household_id, sequence);

-- Eligibility checks: a change opens a check of a reason once per household (a resync's one sequence
-- stands for every household of a bulk load).
CREATE TABLE eligibility_checks_new (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    reason          INTEGER NOT NULL,
    source_sequence INTEGER NOT NULL,
    effective_date  TEXT NOT NULL DEFAULT '',
    state           INTEGER NOT NULL,
    outcome         INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    closed_by       TEXT    NOT NULL DEFAULT '',
    created_us      INTEGER NOT NULL,
    closed_us       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_sequence, household_id, reason)
) WITHOUT ROWID;
INSERT INTO eligibility_checks_new SELECT id, household_id, region_code, reason, source_sequence, effective_date, state,
    outcome, note, closed_by, created_us, closed_us FROM eligibility_checks;
DROP TABLE eligibility_checks;
ALTER TABLE eligibility_checks_new RENAME TO eligibility_checks;
CREATE INDEX eligibility_checks_household ON eligibility_checks (household_id);

-- +goose Down
CREATE TABLE eligibility_checks_old (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    reason          INTEGER NOT NULL,
    source_sequence INTEGER NOT NULL,
    effective_date  TEXT NOT NULL DEFAULT '',
    state           INTEGER NOT NULL,
    outcome         INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    closed_by       TEXT    NOT NULL DEFAULT '',
    created_us      INTEGER NOT NULL,
    closed_us       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_sequence, reason)
) WITHOUT ROWID;
INSERT OR IGNORE INTO eligibility_checks_old SELECT * FROM eligibility_checks;
DROP TABLE eligibility_checks;
ALTER TABLE eligibility_checks_old RENAME TO eligibility_checks;
CREATE INDEX eligibility_checks_household ON eligibility_checks (household_id);

CREATE TABLE register_changes_old (
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
INSERT OR IGNORE INTO register_changes_old SELECT * FROM register_changes;
DROP TABLE register_changes;
ALTER TABLE register_changes_old RENAME TO register_changes;
CREATE INDEX register_changes_household ON register_changes (household_id, sequence);
