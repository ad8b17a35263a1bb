-- +goose Up
-- Disability certificates (残疾人证) of 残联 (see domain.Certificate). The number is stored sealed
-- (number_cipher) and masked only; id_index is the blind index of the embedded 身份证号. Rows are never
-- deleted: a revocation or a move changes the status, and a person may get a new certificate afterwards.
CREATE TABLE certificates (
    id            TEXT    PRIMARY KEY,
    number_cipher BLOB    NOT NULL,
    number_masked TEXT    NOT NULL,
    id_index      TEXT    NOT NULL,
    person_id     TEXT    NOT NULL,
    household_id  TEXT    NOT NULL,
    region_code   TEXT    NOT NULL,
    category      INTEGER NOT NULL CHECK (category BETWEEN 1 AND 7),
    grade         INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
    status        INTEGER NOT NULL CHECK (status BETWEEN 1 AND 3),
    issue_date    TEXT    NOT NULL,
    status_date   TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    created_us    INTEGER NOT NULL,
    updated_us    INTEGER NOT NULL,
    CHECK (status_date >= issue_date)
) WITHOUT ROWID;
-- One valid certificate per person, as a database fact.
CREATE UNIQUE INDEX certificates_one_valid ON certificates (person_id) WHERE status = 1;
CREATE INDEX certificates_person ON certificates (person_id, issue_date);
CREATE INDEX certificates_index ON certificates (id_index);
CREATE INDEX certificates_region ON certificates (region_code, id);

-- +goose Down
DROP TABLE certificates;
