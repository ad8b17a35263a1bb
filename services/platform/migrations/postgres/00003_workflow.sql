-- +goose Up
-- The workflow engine's cases (platform/workflow): every service that runs procedures (identification and
-- exit, 低保, 特困 …) keeps them here, in its own database, written in the same transaction as the change
-- a step makes. Business dates are YYYY-MM-DD text; times are Unix microseconds; step data is JSON text.
CREATE TABLE fupin_cases (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    region_code  TEXT    NOT NULL,
    state        INTEGER NOT NULL,
    next_step    TEXT    NOT NULL DEFAULT '',
    round        INTEGER NOT NULL,
    outcome      INTEGER NOT NULL DEFAULT 0,
    decided_at   TEXT    NOT NULL DEFAULT '',
    decided_seq  INTEGER NOT NULL DEFAULT 0,
    explanation  TEXT    NOT NULL DEFAULT '',
    -- The subject while the case is open, for kinds that allow one open case per subject; NULL otherwise.
    open_subject TEXT,
    version      BIGINT  NOT NULL,
    created_us   BIGINT  NOT NULL,
    updated_us   BIGINT  NOT NULL
);
CREATE INDEX fupin_cases_region ON fupin_cases (region_code, id);
CREATE INDEX fupin_cases_subject ON fupin_cases (subject, id);
CREATE UNIQUE INDEX fupin_cases_one_open ON fupin_cases (kind, open_subject) WHERE open_subject IS NOT NULL;

CREATE TABLE fupin_case_steps (
    case_id         TEXT    NOT NULL REFERENCES fupin_cases (id),
    seq             INTEGER NOT NULL,
    step            TEXT    NOT NULL,
    round           INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    occurred_at     TEXT    NOT NULL,
    recorded_us     BIGINT  NOT NULL,
    backdate_reason TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    attachments     TEXT    NOT NULL DEFAULT '[]',
    data            TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE fupin_postings (
    case_id          TEXT    NOT NULL REFERENCES fupin_cases (id),
    seq              INTEGER NOT NULL,
    step             TEXT    NOT NULL,
    start_seq        INTEGER NOT NULL,
    started_at       TEXT    NOT NULL,
    min_days         INTEGER NOT NULL,
    policy_parameter TEXT    NOT NULL,
    policy_region    TEXT    NOT NULL,
    policy_effective TEXT    NOT NULL,
    policy_value     TEXT    NOT NULL,
    policy_hash      TEXT    NOT NULL,
    state            INTEGER NOT NULL,
    ended_at         TEXT    NOT NULL DEFAULT '',
    ended_by         TEXT    NOT NULL DEFAULT '',
    ended_note       TEXT    NOT NULL DEFAULT '',
    end_reason       TEXT    NOT NULL DEFAULT '',
    ended_us         BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE fupin_objections (
    case_id         TEXT    NOT NULL REFERENCES fupin_cases (id),
    seq             INTEGER NOT NULL,
    posting_seq     INTEGER NOT NULL,
    filed_at        TEXT    NOT NULL,
    objector        TEXT    NOT NULL DEFAULT '',
    content         TEXT    NOT NULL,
    attachments     TEXT    NOT NULL DEFAULT '[]',
    recorded_by     TEXT    NOT NULL,
    recorded_us     BIGINT  NOT NULL,
    backdate_reason TEXT    NOT NULL DEFAULT '',
    resolved_by     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, seq)
);

-- The trail is append-only: a recorded step is never changed or removed (痕迹管理).
-- +goose StatementBegin
CREATE FUNCTION fupin_case_steps_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case steps are append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER fupin_case_steps_no_change BEFORE UPDATE OR DELETE ON fupin_case_steps
    FOR EACH ROW EXECUTE FUNCTION fupin_case_steps_append_only();

-- +goose Down
DROP TABLE fupin_objections;
DROP TABLE fupin_postings;
DROP TABLE fupin_case_steps;
DROP FUNCTION fupin_case_steps_append_only();
DROP TABLE fupin_cases;
