-- +goose Up
-- Payment results funds reported (fupin.payroll.v1.PaymentResult), one row per result id whatever the
-- number of deliveries: a result already here is not applied again. outcome says what applying it did
-- (applied, unknown_line, amount_mismatch, stale, invalid), so one not applied can be looked into.
CREATE TABLE payroll_results (
    result_id   TEXT    PRIMARY KEY,
    program     INTEGER NOT NULL,
    beneficiary TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    kind        INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    state       INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    received_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX payroll_results_outcome ON payroll_results (outcome, received_us) WHERE outcome <> 'applied';

-- +goose Down
DROP TABLE payroll_results;
