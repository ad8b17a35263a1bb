-- +goose Up
-- The labour ledger (劳动力台账, area: core). One row per person the ledger has held, keyed by the
-- register's person id; kept in step with the register's feed. No name and no 身份证号: the blind index
-- matches the person across departments and in 人社's quarterly file.
CREATE TABLE labourers (
    id                TEXT COLLATE "C" PRIMARY KEY,
    id_index          TEXT COLLATE "C" NOT NULL,
    household_id      TEXT COLLATE "C" NOT NULL,
    region_code       TEXT COLLATE "C" NOT NULL,
    birth_month       TEXT COLLATE "C" NOT NULL,
    registry_status   BIGINT  NOT NULL,
    monitoring_status BIGINT  NOT NULL,
    dibao             BIGINT  NOT NULL DEFAULT 0,
    labour_ability    BIGINT  NOT NULL,
    state             BIGINT  NOT NULL,
    end_reason        BIGINT  NOT NULL DEFAULT 0,
    end_date          TEXT COLLATE "C" NOT NULL DEFAULT '',
    work_status       BIGINT  NOT NULL DEFAULT 0,
    wants_work        BIGINT  NOT NULL DEFAULT 0,
    wants_training    BIGINT  NOT NULL DEFAULT 0,
    insured_employee  BIGINT  NOT NULL DEFAULT 0,
    receiving_pension BIGINT  NOT NULL DEFAULT 0,
    created_us        BIGINT  NOT NULL,
    updated_us        BIGINT  NOT NULL
);
CREATE INDEX labourers_id_index ON labourers (id_index);
CREATE INDEX labourers_household ON labourers (household_id);
CREATE INDEX labourers_region ON labourers (region_code, id);

-- Dated employment spells (就业情况): one 务工状况 from a month to a month ('' while open).
CREATE TABLE employment_spells (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    person_id          TEXT COLLATE "C" NOT NULL REFERENCES labourers (id),
    work_status        BIGINT  NOT NULL,
    mode               BIGINT  NOT NULL,
    employer           TEXT COLLATE "C" NOT NULL,
    place              TEXT COLLATE "C" NOT NULL,
    monthly_income_fen BIGINT  NOT NULL,
    from_month         TEXT COLLATE "C" NOT NULL,
    to_month           TEXT COLLATE "C" NOT NULL,
    source             BIGINT  NOT NULL,
    created_us         BIGINT  NOT NULL
);
CREATE INDEX employment_spells_person ON employment_spells (person_id, from_month);

-- 失业登记 and 失业保险金 periods.
CREATE TABLE unemployment_periods (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    person_id          TEXT COLLATE "C" NOT NULL REFERENCES labourers (id),
    kind               BIGINT  NOT NULL,
    from_month         TEXT COLLATE "C" NOT NULL,
    to_month           TEXT COLLATE "C" NOT NULL,
    monthly_amount_fen BIGINT  NOT NULL,
    source             BIGINT  NOT NULL,
    created_us         BIGINT  NOT NULL
);
CREATE INDEX unemployment_periods_person ON unemployment_periods (person_id, from_month);

-- +goose Down
DROP TABLE unemployment_periods;
DROP TABLE employment_spells;
DROP TABLE labourers;
