-- +goose Up
-- The quarterly import's writes (area: core). The region index served no query: a List's scope is
-- substr(region_code, …) in id order, which the primary key serves; every other index is written by each
-- update of the ledger.
DROP INDEX IF EXISTS labourers_region;

-- +goose Down
CREATE INDEX labourers_region ON labourers (region_code, id);
