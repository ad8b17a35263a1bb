-- +goose Up
-- Monthly payment rolls (发放名册), one per program and month: the primary key is what makes a second
-- roll of a month impossible, whichever replica computes it (see domain/roll.go).
CREATE TABLE payment_rolls (
    program        INTEGER NOT NULL,
    month          TEXT    NOT NULL,
    state          INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    first_month    TEXT    NOT NULL,
    -- The largest fencing token (etcd revision) that wrote the roll; a smaller one is refused.
    fencing_token  INTEGER NOT NULL DEFAULT 0,
    computations   INTEGER NOT NULL DEFAULT 0,
    computed_by    TEXT    NOT NULL DEFAULT '',
    compute_us     INTEGER NOT NULL DEFAULT 0,
    approved_by    TEXT    NOT NULL DEFAULT '',
    approve_us     INTEGER NOT NULL DEFAULT 0,
    handed_off_by  TEXT    NOT NULL DEFAULT '',
    hand_off_us    INTEGER NOT NULL DEFAULT 0,
    line_count     INTEGER NOT NULL DEFAULT 0,
    amount_fen     INTEGER NOT NULL DEFAULT 0,
    regular_count  INTEGER NOT NULL DEFAULT 0,
    regular_fen    INTEGER NOT NULL DEFAULT 0,
    back_pay_count INTEGER NOT NULL DEFAULT 0,
    back_pay_fen   INTEGER NOT NULL DEFAULT 0,
    recovery_count INTEGER NOT NULL DEFAULT 0,
    recovery_fen   INTEGER NOT NULL DEFAULT 0,
    -- Corrections held for manual handling (JSON list), rare and small.
    held           TEXT    NOT NULL DEFAULT '[]',
    version        INTEGER NOT NULL DEFAULT 0,
    created_us     INTEGER NOT NULL,
    updated_us     INTEGER NOT NULL,
    PRIMARY KEY (program, month)
) WITHOUT ROWID;
CREATE INDEX payment_rolls_month ON payment_rolls (month, program);

-- Lines: a month of a beneficiary is paid regularly once and corrected at most once in each direction,
-- across all rolls. The key starts with the period so a new month's lines, written in beneficiary order,
-- are appended to the end of the key instead of being spread over every page of earlier months. No
-- foreign key to payment_rolls: a line is only ever written in the transaction that created or locked its
-- roll, so a per-line reference check would only slow the bulk write of a county's 200,000 lines.
CREATE TABLE payment_roll_lines (
    program         INTEGER NOT NULL,
    beneficiary     TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    kind            INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    roll_month      TEXT    NOT NULL,
    household_id    TEXT    NOT NULL DEFAULT '',
    person_id       TEXT    NOT NULL DEFAULT '',
    region_code     TEXT    NOT NULL,
    amount_fen      INTEGER NOT NULL CHECK ((kind = 3 AND amount_fen < 0) OR (kind <> 3 AND amount_fen > 0)),
    entitlement_ids TEXT    NOT NULL DEFAULT '',
    reason          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (program, period, beneficiary, kind)
) WITHOUT ROWID;
-- A roll's lines in the roll's order (village, beneficiary, period, kind): listing, export, replacing.
CREATE INDEX payment_roll_lines_roll ON payment_roll_lines (program, roll_month, region_code, beneficiary, period, kind);

-- +goose Down
DROP TABLE payment_roll_lines;
DROP TABLE payment_rolls;
