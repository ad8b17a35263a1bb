-- +goose Up
-- The audit read API (ListAuditRecords, for auditors): the filter a List or export read was called with, so
-- such reads show per call with their count and filter; indexes for the auditors' usual questions — a
-- household's rows (resource range), one person's calls (actor) — each newest first.
-- Resources compare bytewise (COLLATE "C"), so "households/{id}" and its parts are one range whatever the
-- database's locale.
ALTER TABLE fupin_audit ADD COLUMN filter TEXT NOT NULL DEFAULT '';
ALTER TABLE fupin_audit ALTER COLUMN resource TYPE TEXT COLLATE "C";
CREATE INDEX fupin_audit_resource ON fupin_audit (resource, id);
CREATE INDEX fupin_audit_actor ON fupin_audit (actor, id);
-- The 办理 inbox (workflow.Inbox): the cases still waiting (open or posting), longest waiting first,
-- without reading the closed ones, which are most of a service's cases after a few years.
CREATE INDEX fupin_cases_waiting ON fupin_cases (state, updated_us, id) WHERE state IN (1, 2);

-- +goose Down
DROP INDEX fupin_cases_waiting;
DROP INDEX fupin_audit_actor;
DROP INDEX fupin_audit_resource;
ALTER TABLE fupin_audit ALTER COLUMN resource TYPE TEXT COLLATE "default";
ALTER TABLE fupin_audit DROP COLUMN filter;
