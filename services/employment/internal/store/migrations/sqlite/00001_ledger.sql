-- +goose Up
-- The labour ledger (劳动力台账, area: core). One row per person the ledger has held, keyed by the
-- register's person id; kept in step with the register's feed. No name and no 身份证号: the blind index
-- matches the person across departments and in 人社's quarterly file.
CREATE TABLE labourers (
    id                TEXT    PRIMARY KEY,
    id_index          TEXT    NOT NULL,
    household_id      TEXT    NOT NULL,
    region_code       TEXT    NOT NULL,
    birth_month       TEXT    NOT NULL,
    registry_status   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    dibao             INTEGER NOT NULL DEFAULT 0,
    labour_ability    INTEGER NOT NULL,
    state             INTEGER NOT NULL,
    end_reason        INTEGER NOT NULL DEFAULT 0,
    end_date          TEXT    NOT NULL DEFAULT '',
    work_status       INTEGER NOT NULL DEFAULT 0,
    wants_work        INTEGER NOT NULL DEFAULT 0,
    wants_training    INTEGER NOT NULL DEFAULT 0,
    insured_employee  INTEGER NOT NULL DEFAULT 0,
    receiving_pension INTEGER NOT NULL DEFAULT 0,
    created_us        INTEGER NOT NULL,
    updated_us        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX labourers_id_index ON labourers (id_index);
CREATE INDEX labourers_household ON labourers (household_id);
CREATE INDEX labourers_region ON labourers (region_code, id);

-- Dated employment spells (就业情况): one 务工状况 from a month to a month ('' while open).
CREATE TABLE employment_spells (
    id                 TEXT    PRIMARY KEY,
    person_id          TEXT    NOT NULL REFERENCES labourers (id),
    work_status        INTEGER NOT NULL,
    mode               INTEGER NOT NULL,
    employer           TEXT    NOT NULL,
    place              TEXT    NOT NULL,
    monthly_income_fen INTEGER NOT NULL,
    from_month         TEXT    NOT NULL,
    to_month           TEXT    NOT NULL,
    source             INTEGER NOT NULL,
    created_us         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX employment_spells_person ON employment_spells (person_id, from_month);

-- 失业登记 and 失业保险金 periods.
CREATE TABLE unemployment_periods (
    id                 TEXT    PRIMARY KEY,
    person_id          TEXT    NOT NULL REFERENCES labourers (id),
    kind               INTEGER NOT NULL,
    from_month         TEXT    NOT NULL,
    to_month           TEXT    NOT NULL,
    monthly_amount_fen INTEGER NOT NULL,
    source             INTEGER NOT NULL,
    created_us         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unemployment_periods_person ON unemployment_periods (person_id, from_month);

-- +goose Down
DROP TABLE unemployment_periods;
DROP TABLE employment_spells;
DROP TABLE labourers;
