-- +goose Up
-- 零就业家庭 and 就业援助 (area: aid; see domain/aid.go). A listing is one period a household was on the 零就业
-- list: current while ended_on is ''; at most one current listing per household (a database fact). finding
-- is the rule's result as JSON (members able, employed, paid months), policy_hash the values it used.
CREATE TABLE zero_employment_households (
    id           TEXT    PRIMARY KEY,
    household_id TEXT    NOT NULL,
    region_code  TEXT    NOT NULL,
    listed_on    TEXT    NOT NULL,
    month        TEXT    NOT NULL,
    finding      TEXT    NOT NULL,
    policy_hash  TEXT    NOT NULL,
    case_id      TEXT    NOT NULL,
    ended_on     TEXT    NOT NULL DEFAULT '',
    end_reason   TEXT    NOT NULL DEFAULT '',
    created_us   INTEGER NOT NULL,
    CHECK (ended_on = '' OR ended_on >= listed_on)
) WITHOUT ROWID;
CREATE UNIQUE INDEX zero_employment_current ON zero_employment_households (household_id) WHERE ended_on = '';
-- The county's list by village: a region prefix is a range of this index.
CREATE INDEX zero_employment_region ON zero_employment_households (region_code, household_id) WHERE ended_on = '';

-- Aid cases beside the workflow engine's trail (fupin_cases): the dates the overdue list needs and the
-- outcome. is_open is 1 until the closing step.
CREATE TABLE aid_cases (
    id                TEXT    PRIMARY KEY,
    household_id      TEXT    NOT NULL,
    region_code       TEXT    NOT NULL,
    listing_id        TEXT    NOT NULL REFERENCES zero_employment_households (id),
    opened_on         TEXT    NOT NULL,
    due_on            TEXT    NOT NULL,
    close_within_days INTEGER NOT NULL CHECK (close_within_days > 0),
    policy_hash       TEXT    NOT NULL,
    is_open           INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    closed_on         TEXT    NOT NULL DEFAULT '',
    outcome           TEXT    NOT NULL DEFAULT '',
    reason            TEXT    NOT NULL DEFAULT '',
    employed_person   TEXT    NOT NULL DEFAULT '',
    closing_note      TEXT    NOT NULL DEFAULT '',
    created_us        INTEGER NOT NULL,
    updated_us        INTEGER NOT NULL,
    CHECK (due_on > opened_on),
    CHECK ((is_open = 1) = (closed_on = ''))
) WITHOUT ROWID;
CREATE UNIQUE INDEX aid_cases_one_open ON aid_cases (household_id) WHERE is_open = 1;
CREATE INDEX aid_cases_region ON aid_cases (region_code, id);
CREATE INDEX aid_cases_due ON aid_cases (due_on, id) WHERE is_open = 1;

-- Offers made in an aid case (公益岗, training, a job), append-only.
CREATE TABLE aid_offers (
    id          TEXT    PRIMARY KEY,
    case_id     TEXT    NOT NULL REFERENCES aid_cases (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('post', 'training', 'job')),
    person_id   TEXT    NOT NULL,
    description TEXT    NOT NULL,
    offered_on  TEXT    NOT NULL,
    response    TEXT    NOT NULL CHECK (response IN ('pending', 'accepted', 'declined')),
    recorded_by TEXT    NOT NULL,
    recorded_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX aid_offers_case ON aid_offers (case_id, offered_on, id);

-- +goose Down
DROP TABLE aid_offers;
DROP TABLE aid_cases;
DROP TABLE zero_employment_households;
