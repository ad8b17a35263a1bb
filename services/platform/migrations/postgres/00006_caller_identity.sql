-- +goose Up
-- The whole identity of the caller who made a request_id's first call (subject, department, role, region,
-- purpose, and the same of the person a service acted for): a replay from any other identity is refused,
-- so a token of another role or region with the same subject, or a call without the purpose header,
-- never receives the first call's (possibly plain) response. Rows written before have no identity and
-- are replayed to nobody.
ALTER TABLE fupin_idempotency ADD COLUMN identity TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE fupin_idempotency DROP COLUMN identity;
