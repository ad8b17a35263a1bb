-- +goose Up
CREATE TABLE fupin_idempotency (
    caller       TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    response     BLOB    NOT NULL,
    created_us   INTEGER NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);
CREATE INDEX fupin_idempotency_created ON fupin_idempotency (created_us);

CREATE TABLE fupin_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us        INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    department   TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL DEFAULT '',
    on_behalf_of TEXT    NOT NULL DEFAULT '',
    purpose      TEXT    NOT NULL DEFAULT '',
    resource     TEXT    NOT NULL DEFAULT '',
    record_count INTEGER NOT NULL DEFAULT 0,
    code         TEXT    NOT NULL,
    request_id   TEXT    NOT NULL DEFAULT '',
    trace_id     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX fupin_audit_at ON fupin_audit (at_us);

-- +goose StatementBegin
CREATE TRIGGER fupin_audit_no_update BEFORE UPDATE ON fupin_audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER fupin_audit_no_delete BEFORE DELETE ON fupin_audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE fupin_audit;
DROP TABLE fupin_idempotency;
