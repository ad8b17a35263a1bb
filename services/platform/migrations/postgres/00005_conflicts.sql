-- +goose Up
-- Refusals that told a caller a record exists outside their region scope are audit rows of kind
-- 'conflict' (package conflicts); each request that could tell more counts the caller's rows of the last
-- window. The partial index keeps that count to the few conflict rows of the window.
CREATE INDEX fupin_audit_conflicts ON fupin_audit (at_us) WHERE kind = 'conflict';

-- +goose Down
DROP INDEX fupin_audit_conflicts;
