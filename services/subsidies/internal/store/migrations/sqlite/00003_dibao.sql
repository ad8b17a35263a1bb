-- +goose Up
-- 低保, 特困供养 and 临时救助 (民政). Cases themselves are the platform's workflow tables; these are what
-- their decisions leave behind besides entitlements.

-- A 低保 coverage (在保对象): an approved household, or a 单人保 person. One that has not ended per
-- beneficiary. income is the JSON list of income figures the current amount was computed from.
CREATE TABLE dibao_coverages (
    id               TEXT PRIMARY KEY,
    household_id     TEXT NOT NULL,
    person_id        TEXT NOT NULL DEFAULT '',
    beneficiary      TEXT NOT NULL,
    region_code      TEXT NOT NULL,
    urban            INTEGER NOT NULL,
    state            INTEGER NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen >= 0),
    entitlement_id   TEXT NOT NULL DEFAULT '',
    from_month       TEXT NOT NULL,
    income           TEXT    NOT NULL,
    household_size   INTEGER NOT NULL CHECK (household_size >= 1),
    irregular_income INTEGER NOT NULL,
    frequent_review  INTEGER NOT NULL,
    next_review_date TEXT NOT NULL DEFAULT '',
    last_review_date TEXT NOT NULL DEFAULT '',
    taper_last_month TEXT NOT NULL DEFAULT '',
    end_month        TEXT NOT NULL DEFAULT '',
    end_reason       TEXT    NOT NULL DEFAULT '',
    version          INTEGER NOT NULL,
    created_us       INTEGER NOT NULL,
    updated_us       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX dibao_coverages_open ON dibao_coverages (beneficiary) WHERE state <> 3;
CREATE INDEX dibao_coverages_household ON dibao_coverages (household_id);
CREATE INDEX dibao_coverages_due ON dibao_coverages (next_review_date, id) WHERE state = 1;

-- The members a coverage covers (or covered), with the blind index of their 身份证号 so the 两线合一
-- comparison matches persons without plain numbers.
CREATE TABLE dibao_members (
    coverage_id       TEXT NOT NULL REFERENCES dibao_coverages (id),
    person_id         TEXT NOT NULL,
    id_index          TEXT NOT NULL DEFAULT '',
    birth_date        TEXT NOT NULL,
    severely_disabled INTEGER NOT NULL,
    seriously_ill     INTEGER NOT NULL,
    can_work          INTEGER NOT NULL,
    from_month        TEXT NOT NULL,
    to_month          TEXT NOT NULL DEFAULT '',
    end_reason        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (coverage_id, person_id)
) WITHOUT ROWID;
CREATE INDEX dibao_members_person ON dibao_members (person_id) WHERE to_month = '';
CREATE INDEX dibao_members_id_index ON dibao_members (id_index) WHERE id_index <> '';

-- Reviews (复核); computed is the JSON explanation of the amount the review found.
CREATE TABLE dibao_reviews (
    id              TEXT PRIMARY KEY,
    coverage_id     TEXT NOT NULL REFERENCES dibao_coverages (id),
    review_date     TEXT NOT NULL,
    outcome         INTEGER NOT NULL,
    amount_before   INTEGER NOT NULL,
    amount_after    INTEGER NOT NULL,
    effective_month TEXT NOT NULL,
    computed        TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    created_us      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dibao_reviews_coverage ON dibao_reviews (coverage_id, review_date, id);

-- 低保 eligibility checks opened by the register's changes: a change opens a check of a reason once.
CREATE TABLE eligibility_checks (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    reason          INTEGER NOT NULL,
    source_sequence INTEGER NOT NULL,
    effective_date  TEXT NOT NULL DEFAULT '',
    state           INTEGER NOT NULL,
    outcome         INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    closed_by       TEXT    NOT NULL DEFAULT '',
    created_us      INTEGER NOT NULL,
    closed_us       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_sequence, reason)
) WITHOUT ROWID;
CREATE INDEX eligibility_checks_household ON eligibility_checks (household_id);

-- The register statuses last seen of each household, so a check opens on a transition only.
CREATE TABLE dibao_followed_households (
    household_id      TEXT PRIMARY KEY,
    registry_status   INTEGER NOT NULL,
    monitoring_type   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    sequence          INTEGER NOT NULL
) WITHOUT ROWID;

-- 临时救助 applications and decisions; policy is the JSON list of policy values the cap came from.
CREATE TABLE temporary_assistances (
    id               TEXT PRIMARY KEY,
    household_id     TEXT NOT NULL,
    region_code      TEXT NOT NULL,
    urban            INTEGER NOT NULL,
    kind             INTEGER NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
    reason           TEXT    NOT NULL,
    application_date TEXT NOT NULL,
    cap_fen          INTEGER NOT NULL,
    policy           TEXT    NOT NULL,
    state            INTEGER NOT NULL,
    decision_date    TEXT NOT NULL DEFAULT '',
    decided_by       TEXT    NOT NULL DEFAULT '',
    decision_note    TEXT    NOT NULL DEFAULT '',
    payment_month    TEXT NOT NULL DEFAULT '',
    entitlement_id   TEXT NOT NULL DEFAULT '',
    created_by       TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    created_us       INTEGER NOT NULL,
    updated_us       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX temporary_assistances_household ON temporary_assistances (household_id);

-- +goose Down
DROP TABLE temporary_assistances;
DROP TABLE dibao_followed_households;
DROP TABLE eligibility_checks;
DROP TABLE dibao_reviews;
DROP TABLE dibao_members;
DROP TABLE dibao_coverages;
