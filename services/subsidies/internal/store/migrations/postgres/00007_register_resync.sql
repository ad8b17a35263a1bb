-- +goose Up
-- A resync from the register's snapshot (register.bulk_loaded, docs/ARCHITECTURE.md) journals the changes it
-- derives for many households under the one sequence of the change that triggered it, so the journal's key
-- becomes (sequence, household, topic): a change of the feed is still journalled once, and a resync's
-- entry per household and topic once.
ALTER TABLE register_changes DROP CONSTRAINT register_changes_pkey;
ALTER TABLE register_changes ADD PRIMARY KEY (sequence, household_id, topic);

-- +goose Down
DELETE FROM register_changes r USING register_changes o
WHERE r.sequence = o.sequence AND (r.household_id, r.topic) > (o.household_id, o.topic);
ALTER TABLE register_changes DROP CONSTRAINT register_changes_pkey;
ALTER TABLE register_changes ADD PRIMARY KEY (sequence);
