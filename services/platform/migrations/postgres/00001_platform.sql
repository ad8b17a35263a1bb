-- +goose Up
CREATE TABLE fupin_idempotency (
    caller       TEXT   NOT NULL,
    method       TEXT   NOT NULL,
    request_id   TEXT   NOT NULL,
    request_hash BYTEA  NOT NULL,
    response     BYTEA  NOT NULL,
    created_us   BIGINT NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);
CREATE INDEX fupin_idempotency_created ON fupin_idempotency (created_us);

CREATE TABLE fupin_audit (
    id           BIGSERIAL PRIMARY KEY,
    at_us        BIGINT  NOT NULL,
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
CREATE FUNCTION fupin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER fupin_audit_no_change BEFORE UPDATE OR DELETE ON fupin_audit
    FOR EACH ROW EXECUTE FUNCTION fupin_audit_append_only();

-- +goose Down
DROP TABLE fupin_audit;
DROP FUNCTION fupin_audit_append_only();
DROP TABLE fupin_idempotency;
