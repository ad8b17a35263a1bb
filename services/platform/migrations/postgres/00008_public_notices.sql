-- +goose Up
-- Public notices (公示) and objections received online (platform/workflow notices, platform/intake).
--
-- A notice is what a public posting shows anyone: written by the workflow engine when a posting of a kind
-- whose definition makes it public starts, from facts the service gives (the subject's name already masked,
-- the household's size, the proposal, the office). Its id is random: it names neither the case nor the
-- household. state and closed_at follow the posting (closed_at '' while in progress), so the public list of
-- a township reads this table alone.
CREATE TABLE fupin_notices (
    id             TEXT    PRIMARY KEY,
    case_id        TEXT    NOT NULL REFERENCES fupin_cases (id),
    posting_seq    INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    region_code    TEXT    NOT NULL,
    subject_name   TEXT    NOT NULL,
    household_size INTEGER NOT NULL DEFAULT 0,
    proposal       TEXT    NOT NULL,
    office         TEXT    NOT NULL,
    hotline        TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    end_date       TEXT    NOT NULL,
    state          INTEGER NOT NULL,
    closed_at      TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX fupin_notices_posting ON fupin_notices (case_id, posting_seq);
CREATE INDEX fupin_notices_region ON fupin_notices (region_code, started_at, id);

-- Objections received online: received → accepted (filed as the case's objection) or dismissed (with a
-- reason the public tracking page shows). The id is the tracking number (random). The objector's name and
-- phone are personal data: sealed with the personal-data key, with masked copies for officials. challenge is
-- the human check the objection spent: unique, so one solved check files one objection.
CREATE TABLE fupin_received_objections (
    id              TEXT    PRIMARY KEY,
    notice_id       TEXT    NOT NULL REFERENCES fupin_notices (id),
    case_id         TEXT    NOT NULL,
    -- The case as the owning service names it to officials (cases/…, clues/…, dibaoCases/…).
    case_name       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    region_code     TEXT    NOT NULL,
    name_cipher     BYTEA,
    name_masked     TEXT    NOT NULL DEFAULT '',
    phone_cipher    BYTEA,
    phone_masked    TEXT    NOT NULL DEFAULT '',
    content         TEXT    NOT NULL,
    state           INTEGER NOT NULL,
    received_us     BIGINT  NOT NULL,
    received_date   TEXT    NOT NULL,
    challenge       TEXT    NOT NULL,
    triaged_by      TEXT    NOT NULL DEFAULT '',
    triaged_us      BIGINT  NOT NULL DEFAULT 0,
    triaged_date    TEXT    NOT NULL DEFAULT '',
    dismiss_reason  TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX fupin_received_objections_challenge ON fupin_received_objections (challenge);
CREATE INDEX fupin_received_objections_triage ON fupin_received_objections (state, region_code, received_us);
CREATE INDEX fupin_received_objections_notice ON fupin_received_objections (notice_id, received_date);

-- Public reads are audited in aggregate: calls per day, method and code, not a row per reader.
CREATE TABLE fupin_public_calls (
    day    TEXT    NOT NULL,
    method TEXT    NOT NULL,
    code   TEXT    NOT NULL,
    calls  INTEGER NOT NULL,
    PRIMARY KEY (day, method, code)
);

-- +goose Down
DROP TABLE fupin_public_calls;
DROP TABLE fupin_received_objections;
DROP TABLE fupin_notices;
