-- +goose Up
-- ListHouseholds' member_name filter (a current member's name, exact or prefix) looks names up here: a
-- name or a prefix range is one index search, then each person's memberships by memberships_person. Names
-- compare bytewise (COLLATE "C", as the register's keys since 00007), so a prefix is the range
-- [prefix, successor) in code point order whatever the database's locale.
ALTER TABLE persons ALTER COLUMN full_name TYPE TEXT COLLATE "C";
CREATE INDEX persons_full_name ON persons (full_name);

-- +goose Down
DROP INDEX persons_full_name;
ALTER TABLE persons ALTER COLUMN full_name TYPE TEXT COLLATE "default";
