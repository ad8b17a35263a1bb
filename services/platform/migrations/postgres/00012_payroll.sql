-- +goose Up
-- The payroll (services/platform/payroll): entitlements, monthly payment rolls and their lines, kept in
-- the database of every service that pays (subsidies, employment, industry) and empty elsewhere.
-- Programs are fupin.payroll.v1.Program numbers, unique in the county, so two departments' programs in
-- one database never share a key. Rows of entitlements are never deleted; a change ends one and adds
-- another.
CREATE TABLE payroll_entitlements (
    id           TEXT COLLATE "C" PRIMARY KEY,
    program      INTEGER NOT NULL,
    beneficiary  TEXT COLLATE "C" NOT NULL,
    household_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    person_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    region_code  TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    from_month   TEXT COLLATE "C" NOT NULL,
    to_month     TEXT COLLATE "C" NOT NULL DEFAULT '',
    amount_fen   BIGINT  NOT NULL CHECK (amount_fen >= 0),
    covered      INTEGER NOT NULL DEFAULT 1,
    reason       TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_reason   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_us   BIGINT  NOT NULL,
    updated_us   BIGINT  NOT NULL,
    CHECK (to_month = '' OR to_month >= from_month OR end_reason <> '')
);
CREATE INDEX payroll_entitlements_program ON payroll_entitlements (program, beneficiary, from_month);
CREATE INDEX payroll_entitlements_source ON payroll_entitlements (source, id);
CREATE INDEX payroll_entitlements_person ON payroll_entitlements (person_id) WHERE person_id <> '';
CREATE INDEX payroll_entitlements_household ON payroll_entitlements (household_id) WHERE household_id <> '';

-- Monthly payment rolls (发放名册), one per program and month: the primary key is what makes a second
-- roll of a month impossible, whichever replica computes it.
CREATE TABLE payroll_rolls (
    program        INTEGER NOT NULL,
    month          TEXT COLLATE "C" NOT NULL,
    state          INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    first_month    TEXT COLLATE "C" NOT NULL,
    -- The largest fencing token (etcd revision) that wrote the roll; a smaller one is refused.
    fencing_token  BIGINT  NOT NULL DEFAULT 0,
    computations   BIGINT  NOT NULL DEFAULT 0,
    computed_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
    compute_us     BIGINT  NOT NULL DEFAULT 0,
    approved_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
    approve_us     BIGINT  NOT NULL DEFAULT 0,
    handed_off_by  TEXT COLLATE "C" NOT NULL DEFAULT '',
    hand_off_us    BIGINT  NOT NULL DEFAULT 0,
    line_count     BIGINT  NOT NULL DEFAULT 0,
    amount_fen     BIGINT  NOT NULL DEFAULT 0,
    regular_count  BIGINT  NOT NULL DEFAULT 0,
    regular_fen    BIGINT  NOT NULL DEFAULT 0,
    back_pay_count BIGINT  NOT NULL DEFAULT 0,
    back_pay_fen   BIGINT  NOT NULL DEFAULT 0,
    recovery_count BIGINT  NOT NULL DEFAULT 0,
    recovery_fen   BIGINT  NOT NULL DEFAULT 0,
    reissue_count  BIGINT  NOT NULL DEFAULT 0,
    reissue_fen    BIGINT  NOT NULL DEFAULT 0,
    -- Corrections held for manual handling (JSON list), rare and small.
    held           TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    version        BIGINT  NOT NULL DEFAULT 0,
    created_us     BIGINT  NOT NULL,
    updated_us     BIGINT  NOT NULL,
    PRIMARY KEY (program, month)
);
CREATE INDEX payroll_rolls_month ON payroll_rolls (month, program);

-- Lines: a month of a beneficiary is paid regularly once, corrected at most once in each direction, and
-- paid again only as a reissue (kind 4) with the next attempt, across all rolls. The key starts with the
-- period so a new month's lines, written in beneficiary order, are appended to the end of the key. No
-- foreign key to payroll_rolls: a line is only ever written in the transaction that created or locked its
-- roll, so a per-line reference check would only slow the bulk write of a county's 200,000 lines.
CREATE TABLE payroll_lines (
    program         INTEGER NOT NULL,
    beneficiary     TEXT COLLATE "C" NOT NULL,
    period          TEXT COLLATE "C" NOT NULL,
    kind            INTEGER NOT NULL CHECK (kind IN (1, 2, 3, 4)),
    attempt         INTEGER NOT NULL DEFAULT 0,
    roll_month      TEXT COLLATE "C" NOT NULL,
    household_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    person_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    region_code     TEXT COLLATE "C" NOT NULL,
    amount_fen      BIGINT  NOT NULL CHECK ((kind = 3 AND amount_fen < 0) OR (kind <> 3 AND amount_fen > 0)),
    entitlement_ids TEXT COLLATE "C" NOT NULL DEFAULT '',
    reason          TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (program, period, beneficiary, kind, attempt)
);
-- A roll's lines in the roll's order (village, beneficiary, period, kind, attempt): listing, export, replacing.
CREATE INDEX payroll_lines_roll ON payroll_lines (program, roll_month, region_code, beneficiary, period, kind, attempt);

-- What became of a line's money, as funds reported it (state 2 sent, 3 paid, 4 failed; a line without a
-- row here is unsent), and the department's release of a failed line. Apart from the lines, so the
-- roll's bulk writes stay as narrow as before and a result writes a small row.
CREATE TABLE payroll_line_payments (
    program         INTEGER NOT NULL,
    beneficiary     TEXT COLLATE "C" NOT NULL,
    period          TEXT COLLATE "C" NOT NULL,
    kind            INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,
    payment_state   INTEGER NOT NULL CHECK (payment_state IN (2, 3, 4)),
    failure_reason  INTEGER NOT NULL DEFAULT 0,
    result_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    result_us       BIGINT  NOT NULL DEFAULT 0,
    released_by     TEXT COLLATE "C" NOT NULL DEFAULT '',
    release_reason  TEXT COLLATE "C" NOT NULL DEFAULT '',
    release_us      BIGINT  NOT NULL DEFAULT 0,
    reissue_attempt INTEGER NOT NULL DEFAULT 0,
    CHECK (release_us = 0 OR (payment_state = 4 AND reissue_attempt > 0)),
    PRIMARY KEY (program, period, beneficiary, kind, attempt)
);
-- Released lines, few: the computation looks for those not reissued yet.
CREATE INDEX payroll_line_payments_released ON payroll_line_payments (program, beneficiary) WHERE release_us <> 0;

-- +goose Down
DROP TABLE payroll_line_payments;
DROP TABLE payroll_lines;
DROP TABLE payroll_rolls;
DROP TABLE payroll_entitlements;
