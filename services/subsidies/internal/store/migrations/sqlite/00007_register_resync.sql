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

-- +goose Down
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
