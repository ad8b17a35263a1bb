-- +goose Up
-- The persons a read returned (their stable person ids, comma-separated), so each plain read of personal
-- data, and each read by another department, names whom it read (DESIGN.md, Security).
ALTER TABLE fupin_audit ADD COLUMN person_ids TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE fupin_audit DROP COLUMN person_ids;
