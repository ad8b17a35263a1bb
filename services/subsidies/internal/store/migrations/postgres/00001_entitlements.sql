-- +goose Up
-- Entitlements: what a decision leaves behind for the monthly payment roll (see domain.Entitlement).
-- Rows are never deleted; a change ends one row and adds another.
CREATE TABLE entitlements (
    id          TEXT COLLATE "C" PRIMARY KEY,
    program     INTEGER NOT NULL,
    beneficiary TEXT COLLATE "C"    NOT NULL,
    household_id TEXT COLLATE "C"   NOT NULL DEFAULT '',
    person_id   TEXT COLLATE "C"    NOT NULL DEFAULT '',
    region_code TEXT COLLATE "C"    NOT NULL,
    source      TEXT COLLATE "C"    NOT NULL,
    from_month  TEXT COLLATE "C"    NOT NULL,
    to_month    TEXT COLLATE "C"    NOT NULL DEFAULT '',
    amount_fen  BIGINT  NOT NULL CHECK (amount_fen >= 0),
    covered     INTEGER NOT NULL DEFAULT 1,
    reason      TEXT COLLATE "C"    NOT NULL DEFAULT '',
    end_reason  TEXT COLLATE "C"    NOT NULL DEFAULT '',
    created_us  BIGINT  NOT NULL,
    updated_us  BIGINT  NOT NULL,
    CHECK (to_month = '' OR to_month >= from_month OR end_reason <> '')
);
CREATE INDEX entitlements_program ON entitlements (program, beneficiary, from_month);
CREATE INDEX entitlements_source ON entitlements (source, id);
CREATE INDEX entitlements_person ON entitlements (person_id) WHERE person_id <> '';
CREATE INDEX entitlements_household ON entitlements (household_id) WHERE household_id <> '';

-- +goose Down
DROP TABLE entitlements;
