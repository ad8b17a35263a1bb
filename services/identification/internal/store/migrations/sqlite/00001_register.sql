-- +goose Up
-- Tables keyed by text ids are WITHOUT ROWID, so a household's members sit together in key order and a
-- read by id is one b-tree search, not two.
CREATE TABLE regions (
    code       TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    level      INTEGER NOT NULL,
    urban      INTEGER NOT NULL,
    parent     TEXT    NOT NULL DEFAULT '',
    valid_from TEXT    NOT NULL DEFAULT '',
    valid_to   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX regions_parent ON regions (parent, code);

CREATE TABLE region_populations (
    code      TEXT    NOT NULL REFERENCES regions (code),
    year      INTEGER NOT NULL,
    residents INTEGER NOT NULL,
    PRIMARY KEY (code, year)
);

CREATE TABLE households (
    id                TEXT    PRIMARY KEY,
    region_code       TEXT    NOT NULL REFERENCES regions (code),
    address           TEXT    NOT NULL DEFAULT '',
    number            TEXT    NOT NULL DEFAULT '',
    urban             INTEGER NOT NULL,
    registry_status   INTEGER NOT NULL,
    registry_date     TEXT    NOT NULL,
    exit_year         INTEGER NOT NULL DEFAULT 0,
    monitoring_type   INTEGER NOT NULL DEFAULT 0,
    monitoring_status INTEGER NOT NULL DEFAULT 0,
    monitoring_date   TEXT    NOT NULL DEFAULT '',
    state             INTEGER NOT NULL,
    archive_reason    TEXT    NOT NULL DEFAULT '',
    size              INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    created_us        INTEGER NOT NULL,
    updated_us        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX households_region ON households (region_code, id);
CREATE UNIQUE INDEX households_number ON households (number) WHERE number <> '';

CREATE TABLE persons (
    id             TEXT    PRIMARY KEY,
    id_index       TEXT    NOT NULL UNIQUE,
    id_cipher      BLOB    NOT NULL,
    id_masked      TEXT    NOT NULL,
    full_name      TEXT    NOT NULL,
    sex            INTEGER NOT NULL,
    birth_date     TEXT    NOT NULL,
    ethnicity      TEXT    NOT NULL DEFAULT '',
    education      INTEGER NOT NULL DEFAULT 0,
    health         INTEGER NOT NULL DEFAULT 0,
    labour_ability INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- A membership holds its person (holds = 1) while it is current in an active household; the partial
-- unique index makes "one active household per person" a database fact, not only a check.
CREATE TABLE memberships (
    household_id TEXT    NOT NULL REFERENCES households (id),
    seq          INTEGER NOT NULL,
    person_id    TEXT    NOT NULL REFERENCES persons (id),
    relation     INTEGER NOT NULL,
    state        INTEGER NOT NULL,
    start_date   TEXT    NOT NULL,
    end_date     TEXT    NOT NULL DEFAULT '',
    end_reason   TEXT    NOT NULL DEFAULT '',
    holds        INTEGER NOT NULL,
    PRIMARY KEY (household_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX memberships_one_household ON memberships (person_id) WHERE holds = 1;
CREATE INDEX memberships_person ON memberships (person_id);

CREATE TABLE status_history (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id      TEXT    NOT NULL REFERENCES households (id),
    effective_date    TEXT    NOT NULL,
    registry_status   INTEGER NOT NULL,
    monitoring_type   INTEGER NOT NULL,
    monitoring_status INTEGER NOT NULL,
    reason            TEXT    NOT NULL,
    actor             TEXT    NOT NULL,
    recorded_us       INTEGER NOT NULL
);
CREATE INDEX status_history_household ON status_history (household_id, id);

-- +goose Down
DROP TABLE status_history;
DROP TABLE memberships;
DROP TABLE persons;
DROP TABLE households;
DROP TABLE region_populations;
DROP TABLE regions;
