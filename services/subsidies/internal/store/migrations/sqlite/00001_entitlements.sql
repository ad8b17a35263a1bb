-- +goose Up
-- Entitlements: what a decision leaves behind for the monthly payment roll (see domain.Entitlement).
-- Rows are never deleted; a change ends one row and adds another.
CREATE TABLE entitlements (
    id          TEXT    PRIMARY KEY,
    program     INTEGER NOT NULL,
    beneficiary TEXT    NOT NULL,
    household_id TEXT   NOT NULL DEFAULT '',
    person_id   TEXT    NOT NULL DEFAULT '',
    region_code TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    from_month  TEXT    NOT NULL,
    to_month    TEXT    NOT NULL DEFAULT '',
    amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
    covered     INTEGER NOT NULL DEFAULT 1,
    reason      TEXT    NOT NULL DEFAULT '',
    end_reason  TEXT    NOT NULL DEFAULT '',
    created_us  INTEGER NOT NULL,
    updated_us  INTEGER NOT NULL,
    CHECK (to_month = '' OR to_month >= from_month OR end_reason <> '')
) WITHOUT ROWID;
CREATE INDEX entitlements_program ON entitlements (program, beneficiary, from_month);
CREATE INDEX entitlements_source ON entitlements (source, id);
CREATE INDEX entitlements_person ON entitlements (person_id) WHERE person_id <> '';
CREATE INDEX entitlements_household ON entitlements (household_id) WHERE household_id <> '';

-- +goose Down
DROP TABLE entitlements;
