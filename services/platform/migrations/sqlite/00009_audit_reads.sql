-- +goose Up
-- The audit read API (ListAuditRecords, for auditors): the filter a List or export read was called with, so
-- such reads show per call with their count and filter; indexes for the auditors' usual questions — a
-- household's rows (resource range), one person's calls (actor) — each newest first.
ALTER TABLE fupin_audit ADD COLUMN filter TEXT NOT NULL DEFAULT '';
CREATE INDEX fupin_audit_resource ON fupin_audit (resource, id);
CREATE INDEX fupin_audit_actor ON fupin_audit (actor, id);

-- +goose Down
DROP INDEX fupin_audit_actor;
DROP INDEX fupin_audit_resource;
ALTER TABLE fupin_audit DROP COLUMN filter;
