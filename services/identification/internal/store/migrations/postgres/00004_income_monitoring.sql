-- +goose Up
-- Income assessment, monitoring clues and screening (area: income, monitoring, screening).

-- Income and spending items (收支项): dated, typed, in fen. `day` is the date windows compare (the day of
-- a dated item, the first of the month of a monthly one); ISO dates compare bytewise, so it uses the C
-- collation. An item's amount fits INTEGER (at most 21,474,836.47 元), so screening sums it with 64-bit
-- integer aggregates instead of NUMERIC ones.
CREATE TABLE income_items (
    id                TEXT    PRIMARY KEY,
    household_id      TEXT    NOT NULL REFERENCES households (id),
    day               TEXT    COLLATE "C" NOT NULL,
    item_type         INTEGER NOT NULL,
    rigid_kind        INTEGER NOT NULL DEFAULT 0,
    source            INTEGER NOT NULL,
    source_department INTEGER NOT NULL DEFAULT 0,
    payer             INTEGER NOT NULL DEFAULT 0,
    transfer_program  INTEGER NOT NULL DEFAULT 0,
    period            TEXT    NOT NULL,
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    description       TEXT    NOT NULL DEFAULT '',
    external_ref      TEXT    NOT NULL DEFAULT '',
    recorded_by       TEXT    NOT NULL,
    created_us        BIGINT  NOT NULL
);
CREATE INDEX income_items_household ON income_items (household_id, day, id);
-- A source's own record number identifies its item: sending it again records nothing twice.
CREATE UNIQUE INDEX income_items_ref ON income_items (source, source_department, external_ref) WHERE external_ref <> '';

-- Monitoring clues (防返贫监测线索). stage < 4 is undecided (open, verified, posting); the partial
-- indexes serve screening's "no second undecided clue of the same kind" and the overdue list.
CREATE TABLE clues (
    id                TEXT    PRIMARY KEY,
    household_id      TEXT    NOT NULL REFERENCES households (id),
    region_code       TEXT    NOT NULL,
    source            INTEGER NOT NULL,
    department        INTEGER NOT NULL DEFAULT 0,
    kind              INTEGER NOT NULL,
    facts             TEXT    NOT NULL DEFAULT '',
    arose_date        TEXT    NOT NULL,
    external_ref      TEXT    NOT NULL DEFAULT '',
    deadline_date     TEXT    NOT NULL,
    deadline_hash     TEXT    NOT NULL,
    stage             INTEGER NOT NULL,
    case_id           TEXT    NOT NULL DEFAULT '',
    monitoring_type   INTEGER NOT NULL DEFAULT 0,
    decided_date      TEXT    NOT NULL DEFAULT '',
    screening_run     TEXT    NOT NULL DEFAULT '',
    net_fen           BIGINT  NOT NULL DEFAULT 0,
    members           INTEGER NOT NULL DEFAULT 0,
    threshold_fen     BIGINT  NOT NULL DEFAULT 0,
    rigid_fen         BIGINT  NOT NULL DEFAULT 0,
    last_year_net_fen BIGINT  NOT NULL DEFAULT 0,
    created_by        TEXT    NOT NULL,
    version           BIGINT  NOT NULL,
    created_us        BIGINT  NOT NULL,
    updated_us        BIGINT  NOT NULL
);
CREATE UNIQUE INDEX clues_ref ON clues (source, department, external_ref) WHERE external_ref <> '';
CREATE INDEX clues_undecided ON clues (household_id, kind) WHERE stage < 4;
CREATE INDEX clues_overdue ON clues (deadline_date, id) WHERE stage < 4;
CREATE INDEX clues_region ON clues (region_code, id);
CREATE INDEX clues_household ON clues (household_id, id);
CREATE INDEX clues_run ON clues (screening_run, kind) WHERE screening_run <> '';

-- Screening runs (排查): when, by whom, with which policy values, and what they opened.
CREATE TABLE screening_runs (
    id             TEXT    PRIMARY KEY,
    as_of          TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    households     BIGINT  NOT NULL,
    income_clues   BIGINT  NOT NULL,
    spending_clues BIGINT  NOT NULL,
    policy_hashes  TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    started_us     BIGINT  NOT NULL,
    duration_us    BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE screening_runs;
DROP TABLE clues;
DROP TABLE income_items;
