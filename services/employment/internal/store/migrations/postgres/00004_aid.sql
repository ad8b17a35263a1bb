-- +goose Up
-- 零就业家庭 and 就业援助 (area: aid; see domain/aid.go). A listing is one period a household was on the 零就业
-- list: current while ended_on is ''; at most one current listing per household (a database fact). finding
-- is the rule's result as JSON (members able, employed, paid months), policy_hash the values it used.
CREATE TABLE zero_employment_households (
    id           TEXT COLLATE "C" PRIMARY KEY,
    household_id TEXT COLLATE "C" NOT NULL,
    region_code  TEXT COLLATE "C" NOT NULL,
    listed_on    TEXT COLLATE "C" NOT NULL,
    month        TEXT COLLATE "C" NOT NULL,
    finding      TEXT COLLATE "C" NOT NULL,
    policy_hash  TEXT COLLATE "C" NOT NULL,
    case_id      TEXT COLLATE "C" NOT NULL,
    ended_on     TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_reason   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_us   BIGINT  NOT NULL,
    CHECK (ended_on = '' OR ended_on >= listed_on)
);
CREATE UNIQUE INDEX zero_employment_current ON zero_employment_households (household_id) WHERE ended_on = '';
-- The county's list by village: a region prefix is a range of this index.
CREATE INDEX zero_employment_region ON zero_employment_households (region_code, household_id) WHERE ended_on = '';

-- Aid cases beside the workflow engine's trail (fupin_cases): the dates the overdue list needs and the
-- outcome. is_open is 1 until the closing step.
CREATE TABLE aid_cases (
    id                TEXT COLLATE "C" PRIMARY KEY,
    household_id      TEXT COLLATE "C" NOT NULL,
    region_code       TEXT COLLATE "C" NOT NULL,
    listing_id        TEXT COLLATE "C" NOT NULL REFERENCES zero_employment_households (id),
    opened_on         TEXT COLLATE "C" NOT NULL,
    due_on            TEXT COLLATE "C" NOT NULL,
    close_within_days BIGINT  NOT NULL CHECK (close_within_days > 0),
    policy_hash       TEXT COLLATE "C" NOT NULL,
    is_open           BIGINT  NOT NULL CHECK (is_open IN (0, 1)),
    closed_on         TEXT COLLATE "C" NOT NULL DEFAULT '',
    outcome           TEXT COLLATE "C" NOT NULL DEFAULT '',
    reason            TEXT COLLATE "C" NOT NULL DEFAULT '',
    employed_person   TEXT COLLATE "C" NOT NULL DEFAULT '',
    closing_note      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_us        BIGINT  NOT NULL,
    updated_us        BIGINT  NOT NULL,
    CHECK (due_on > opened_on),
    CHECK ((is_open = 1) = (closed_on = ''))
);
CREATE UNIQUE INDEX aid_cases_one_open ON aid_cases (household_id) WHERE is_open = 1;
CREATE INDEX aid_cases_region ON aid_cases (region_code, id);
CREATE INDEX aid_cases_due ON aid_cases (due_on, id) WHERE is_open = 1;

-- Offers made in an aid case (公益岗, training, a job), append-only.
CREATE TABLE aid_offers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES aid_cases (id),
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('post', 'training', 'job')),
    person_id   TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    offered_on  TEXT COLLATE "C" NOT NULL,
    response    TEXT COLLATE "C" NOT NULL CHECK (response IN ('pending', 'accepted', 'declined')),
    recorded_by TEXT COLLATE "C" NOT NULL,
    recorded_us BIGINT  NOT NULL
);
CREATE INDEX aid_offers_case ON aid_offers (case_id, offered_on, id);

-- +goose Down
DROP TABLE aid_offers;
DROP TABLE aid_cases;
DROP TABLE zero_employment_households;
