-- +goose Up
-- Employment subsidies (就业补贴): the applications are workflow cases (the platform's tables); what may be
-- paid only once (a transport subsidy per person and year, a retention subsidy per employer and worker, an
-- allowance per person and course) is a key held by the approved case, unique as a database fact and
-- claimed in the approval's transaction.
CREATE TABLE employment_subsidy_keys (
    key        TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL,
    created_us INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE employment_subsidy_keys;
