-- +goose Up
-- Disability certificates (残疾人证) of 残联 (see domain.Certificate). The number is stored sealed
-- (number_cipher) and masked only; id_index is the blind index of the embedded 身份证号. Rows are never
-- deleted: a revocation or a move changes the status, and a person may get a new certificate afterwards.
CREATE TABLE certificates (
    id            TEXT COLLATE "C" PRIMARY KEY,
    number_cipher BYTEA   NOT NULL,
    number_masked TEXT COLLATE "C" NOT NULL,
    id_index      TEXT COLLATE "C" NOT NULL,
    person_id     TEXT COLLATE "C" NOT NULL,
    household_id  TEXT COLLATE "C" NOT NULL,
    region_code   TEXT COLLATE "C" NOT NULL,
    category      INTEGER NOT NULL CHECK (category BETWEEN 1 AND 7),
    grade         INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
    status        INTEGER NOT NULL CHECK (status BETWEEN 1 AND 3),
    issue_date    TEXT COLLATE "C" NOT NULL,
    status_date   TEXT COLLATE "C" NOT NULL,
    reason        TEXT COLLATE "C" NOT NULL DEFAULT '',
    version       BIGINT  NOT NULL,
    created_us    BIGINT  NOT NULL,
    updated_us    BIGINT  NOT NULL,
    CHECK (status_date >= issue_date)
);
-- One valid certificate per person, as a database fact.
CREATE UNIQUE INDEX certificates_one_valid ON certificates (person_id) WHERE status = 1;
CREATE INDEX certificates_person ON certificates (person_id, issue_date);
CREATE INDEX certificates_index ON certificates (id_index);
CREATE INDEX certificates_region ON certificates (region_code, id);

-- +goose Down
DROP TABLE certificates;
