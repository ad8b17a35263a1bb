-- +goose Up
-- The member an income item belongs to (empty: a household-level figure), so that a wage figure of a member
-- and month can be superseded by 人社's figure for the same member and month in assessments.
ALTER TABLE income_items ADD COLUMN person_id TEXT NOT NULL DEFAULT '';
CREATE INDEX income_items_member_wages ON income_items (household_id, day) WHERE person_id <> '' AND item_type = 1;

-- +goose Down
DROP INDEX income_items_member_wages;
ALTER TABLE income_items DROP COLUMN person_id;
