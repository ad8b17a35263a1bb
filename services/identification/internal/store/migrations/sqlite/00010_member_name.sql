-- +goose Up
-- ListHouseholds' member_name filter (a current member's name, exact or prefix) looks names up here: a
-- name or a prefix range is one index search, then each person's memberships by memberships_person.
CREATE INDEX persons_full_name ON persons (full_name);

-- +goose Down
DROP INDEX persons_full_name;
