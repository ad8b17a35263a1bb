-- +goose Up
-- A resync from the register's snapshot (register.bulk_loaded, docs/ARCHITECTURE.md) journals the changes it
-- derives for many households under the one sequence of the change that triggered it, so the journal's key
-- becomes (sequence, household, topic): a change of the feed is still journalled once, and a resync's
-- entry per household and topic once.
ALTER TABLE register_changes DROP CONSTRAINT register_changes_pkey;
ALTER TABLE register_changes ADD PRIMARY KEY (sequence, household_id, topic);
-- Eligibility checks: a change opens a check of a reason once per household (a resync's one sequence
-- stands for every household of a bulk load).
ALTER TABLE eligibility_checks DROP CONSTRAINT eligibility_checks_source_sequence_reason_key;
ALTER TABLE eligibility_checks ADD CONSTRAINT eligibility_checks_source_household_reason_key
    UNIQUE (source_sequence, household_id, reason);

-- +goose Down
DELETE FROM eligibility_checks c USING eligibility_checks o
WHERE c.source_sequence = o.source_sequence AND c.reason = o.reason AND c.id > o.id;
ALTER TABLE eligibility_checks DROP CONSTRAINT eligibility_checks_source_household_reason_key;
ALTER TABLE eligibility_checks ADD CONSTRAINT eligibility_checks_source_sequence_reason_key UNIQUE (source_sequence, reason);
DELETE FROM register_changes r USING register_changes o
WHERE r.sequence = o.sequence AND (r.household_id, r.topic) > (o.household_id, o.topic);
ALTER TABLE register_changes DROP CONSTRAINT register_changes_pkey;
ALTER TABLE register_changes ADD PRIMARY KEY (sequence);
