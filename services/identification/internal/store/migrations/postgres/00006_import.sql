-- +goose Up
-- One row per import of a household ledger (户籍台账): the trail of who imported what and when. Its counts
-- are updated in each batch's transaction, so after a crash the row (still state 1, running) says how far
-- the import got; a rerun of the same file skips what was written.
CREATE TABLE household_imports (
    id                  TEXT    PRIMARY KEY,
    actor               TEXT    NOT NULL,
    source              TEXT    NOT NULL DEFAULT '',
    state               INTEGER NOT NULL, -- 1 running, 2 done, 3 failed, 4 canceled
    started_us          BIGINT  NOT NULL,
    finished_us         BIGINT  NOT NULL DEFAULT 0,
    rows_read           BIGINT  NOT NULL DEFAULT 0,
    households_read     BIGINT  NOT NULL DEFAULT 0,
    households_imported BIGINT  NOT NULL DEFAULT 0,
    persons_imported    BIGINT  NOT NULL DEFAULT 0,
    already_imported    BIGINT  NOT NULL DEFAULT 0,
    conflicting         BIGINT  NOT NULL DEFAULT 0,
    rejected            BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX household_imports_started ON household_imports (started_us);

-- +goose Down
DROP TABLE household_imports;
