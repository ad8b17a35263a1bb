-- +goose Up
-- Helpers and visits, village collective income, and the indexes statistics read the register with
-- (area: helpers and visits, collective income, statistics, trail).

-- A helper (帮扶责任人) assigned to a household for a period: start_date to end_date inclusive, end_date
-- empty while open. The phone is stored encrypted, with a masked copy for display.
CREATE TABLE helpers (
    id              TEXT    PRIMARY KEY,
    household_id    TEXT    NOT NULL REFERENCES households (id),
    full_name       TEXT    NOT NULL,
    phone_cipher    BYTEA   NOT NULL,
    phone_masked    TEXT    NOT NULL,
    work_unit       TEXT    NOT NULL DEFAULT '',
    is_primary      INTEGER NOT NULL,
    start_date      TEXT    NOT NULL,
    end_date        TEXT    NOT NULL DEFAULT '',
    backdate_reason TEXT    NOT NULL DEFAULT '',
    end_reason      TEXT    NOT NULL DEFAULT '',
    actor           TEXT    NOT NULL,
    recorded_us     BIGINT  NOT NULL,
    ended_by        TEXT    NOT NULL DEFAULT '',
    ended_us        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX helpers_household ON helpers (household_id, start_date, end_date);

-- A visit (走访) on a business date (occurred_on), recorded at recorded_us.
CREATE TABLE visits (
    id              TEXT    PRIMARY KEY,
    household_id    TEXT    NOT NULL REFERENCES households (id),
    helper_id       TEXT    NOT NULL REFERENCES helpers (id),
    occurred_on     TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    notes           TEXT    NOT NULL DEFAULT '',
    findings        TEXT    NOT NULL DEFAULT '',
    backdate_reason TEXT    NOT NULL DEFAULT '',
    actor           TEXT    NOT NULL,
    recorded_us     BIGINT  NOT NULL
);
CREATE INDEX visits_household ON visits (household_id, occurred_on);
CREATE INDEX visits_helper ON visits (helper_id, occurred_on);

-- 村集体经济收入 per village and year. Every recording is a new revision; the latest one counts.
CREATE TABLE collective_incomes (
    region_code TEXT    NOT NULL REFERENCES regions (code),
    year        INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    amount_fen  BIGINT  NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL,
    recorded_us BIGINT  NOT NULL,
    PRIMARY KEY (region_code, year, revision)
);

-- Statistics as of a date (store/statistics.go) start from the register's current state and correct what
-- changed after the date. These indexes find the changes after a date and answer "latest status entry on
-- or before D" per household from the index alone. (SQLite also gets households_stats, to aggregate the
-- current state per village without sorting; PostgreSQL hashes a parallel scan of households faster.)
CREATE INDEX status_history_asof ON status_history
    (household_id, effective_date, id, registry_status, monitoring_type, monitoring_status);
CREATE INDEX status_history_effective ON status_history (effective_date, household_id);
CREATE INDEX status_history_registry ON status_history (registry_status, effective_date, household_id);
CREATE INDEX memberships_start ON memberships (start_date, end_date, household_id);
CREATE INDEX memberships_end ON memberships (end_date, start_date, household_id) WHERE end_date <> '';

-- +goose Down
DROP INDEX memberships_end;
DROP INDEX memberships_start;
DROP INDEX status_history_registry;
DROP INDEX status_history_effective;
DROP INDEX status_history_asof;
DROP TABLE collective_incomes;
DROP TABLE visits;
DROP TABLE helpers;
