-- +goose Up
-- 低保 coverages as subsidies' decisions say (area: core): the labour ledger covers the members of 低保
-- households besides 脱贫 and 监测 ones. Kept per coverage, as the feed and the export carry them; a
-- household is 低保 in a month when one of its coverages runs in it.
CREATE TABLE dibao_coverages (
    id           TEXT    PRIMARY KEY,
    household_id TEXT    NOT NULL,
    state        INTEGER NOT NULL,
    from_month   TEXT    NOT NULL,
    last_month   TEXT    NOT NULL,
    updated_us   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dibao_coverages_household ON dibao_coverages (household_id);

-- +goose Down
DROP TABLE dibao_coverages;
