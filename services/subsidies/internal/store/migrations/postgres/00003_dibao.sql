-- +goose Up
-- 低保, 特困供养 and 临时救助 (民政). Cases themselves are the platform's workflow tables; these are what
-- their decisions leave behind besides entitlements.

-- A 低保 coverage (在保对象): an approved household, or a 单人保 person. One that has not ended per
-- beneficiary. income is the JSON list of income figures the current amount was computed from.
CREATE TABLE dibao_coverages (
    id               TEXT COLLATE "C" PRIMARY KEY,
    household_id     TEXT COLLATE "C" NOT NULL,
    person_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
    beneficiary      TEXT COLLATE "C" NOT NULL,
    region_code      TEXT COLLATE "C" NOT NULL,
    urban            BOOLEAN NOT NULL,
    state            INTEGER NOT NULL,
    amount_fen       BIGINT  NOT NULL CHECK (amount_fen >= 0),
    entitlement_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    from_month       TEXT COLLATE "C" NOT NULL,
    income           TEXT    NOT NULL,
    household_size   INTEGER NOT NULL CHECK (household_size >= 1),
    irregular_income BOOLEAN NOT NULL,
    frequent_review  BOOLEAN NOT NULL,
    next_review_date TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_review_date TEXT COLLATE "C" NOT NULL DEFAULT '',
    taper_last_month TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_month        TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_reason       TEXT    NOT NULL DEFAULT '',
    version          BIGINT  NOT NULL,
    created_us       BIGINT  NOT NULL,
    updated_us       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX dibao_coverages_open ON dibao_coverages (beneficiary) WHERE state <> 3;
CREATE INDEX dibao_coverages_household ON dibao_coverages (household_id);
CREATE INDEX dibao_coverages_due ON dibao_coverages (next_review_date, id) WHERE state = 1;

-- The members a coverage covers (or covered), with the blind index of their 身份证号 so the 两线合一
-- comparison matches persons without plain numbers.
CREATE TABLE dibao_members (
    coverage_id       TEXT COLLATE "C" NOT NULL REFERENCES dibao_coverages (id),
    person_id         TEXT COLLATE "C" NOT NULL,
    id_index          TEXT COLLATE "C" NOT NULL DEFAULT '',
    birth_date        TEXT COLLATE "C" NOT NULL,
    severely_disabled BOOLEAN NOT NULL,
    seriously_ill     BOOLEAN NOT NULL,
    can_work          BOOLEAN NOT NULL,
    from_month        TEXT COLLATE "C" NOT NULL,
    to_month          TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_reason        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (coverage_id, person_id)
);
CREATE INDEX dibao_members_person ON dibao_members (person_id) WHERE to_month = '';
CREATE INDEX dibao_members_id_index ON dibao_members (id_index) WHERE id_index <> '';

-- Reviews (复核); computed is the JSON explanation of the amount the review found.
CREATE TABLE dibao_reviews (
    id              TEXT COLLATE "C" PRIMARY KEY,
    coverage_id     TEXT COLLATE "C" NOT NULL REFERENCES dibao_coverages (id),
    review_date     TEXT COLLATE "C" NOT NULL,
    outcome         INTEGER NOT NULL,
    amount_before   BIGINT  NOT NULL,
    amount_after    BIGINT  NOT NULL,
    effective_month TEXT COLLATE "C" NOT NULL,
    computed        TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    created_us      BIGINT  NOT NULL
);
CREATE INDEX dibao_reviews_coverage ON dibao_reviews (coverage_id, review_date, id);

-- 低保 eligibility checks opened by the register's changes: a change opens a check of a reason once.
CREATE TABLE eligibility_checks (
    id              TEXT COLLATE "C" PRIMARY KEY,
    household_id    TEXT COLLATE "C" NOT NULL,
    region_code     TEXT COLLATE "C" NOT NULL,
    reason          INTEGER NOT NULL,
    source_sequence BIGINT  NOT NULL,
    effective_date  TEXT COLLATE "C" NOT NULL DEFAULT '',
    state           INTEGER NOT NULL,
    outcome         INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    closed_by       TEXT    NOT NULL DEFAULT '',
    created_us      BIGINT  NOT NULL,
    closed_us       BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (source_sequence, reason)
);
CREATE INDEX eligibility_checks_household ON eligibility_checks (household_id);

-- The register statuses last seen of each household, so a check opens on a transition only.
CREATE TABLE dibao_followed_households (
    household_id      TEXT COLLATE "C" PRIMARY KEY,
    registry_status   INTEGER NOT NULL,
    monitoring_type   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    sequence          BIGINT  NOT NULL
);

-- 临时救助 applications and decisions; policy is the JSON list of policy values the cap came from.
CREATE TABLE temporary_assistances (
    id               TEXT COLLATE "C" PRIMARY KEY,
    household_id     TEXT COLLATE "C" NOT NULL,
    region_code      TEXT COLLATE "C" NOT NULL,
    urban            BOOLEAN NOT NULL,
    kind             INTEGER NOT NULL,
    amount_fen       BIGINT  NOT NULL CHECK (amount_fen > 0),
    reason           TEXT    NOT NULL,
    application_date TEXT COLLATE "C" NOT NULL,
    cap_fen          BIGINT  NOT NULL,
    policy           TEXT    NOT NULL,
    state            INTEGER NOT NULL,
    decision_date    TEXT COLLATE "C" NOT NULL DEFAULT '',
    decided_by       TEXT    NOT NULL DEFAULT '',
    decision_note    TEXT    NOT NULL DEFAULT '',
    payment_month    TEXT COLLATE "C" NOT NULL DEFAULT '',
    entitlement_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_by       TEXT    NOT NULL,
    version          BIGINT  NOT NULL,
    created_us       BIGINT  NOT NULL,
    updated_us       BIGINT  NOT NULL
);
CREATE INDEX temporary_assistances_household ON temporary_assistances (household_id);

-- +goose Down
DROP TABLE temporary_assistances;
DROP TABLE dibao_followed_households;
DROP TABLE eligibility_checks;
DROP TABLE dibao_reviews;
DROP TABLE dibao_members;
DROP TABLE dibao_coverages;
