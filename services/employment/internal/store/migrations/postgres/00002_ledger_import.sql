-- +goose Up
-- The quarterly import's writes (area: core).
-- The region index served no query: a List's scope is substr(region_code, …) in id order, which the
-- primary key serves; every other index is written by each update of the ledger.
DROP INDEX IF EXISTS labourers_region;
-- The import and the follower update rows in place: room on each page lets PostgreSQL do it without index
-- writes (HOT) while the page has room.
ALTER TABLE labourers SET (fillfactor = 80);
-- Spells and periods name their person without a per-row foreign-key trigger: an import writes 200,000
-- of them by COPY, and the per-row check (a lookup and a row lock each) was most of its time. The import
-- checks its persons set-wise in its transaction instead (store.ApplyLabourImport), staff writes resolve
-- the person first, and ledger records are never deleted (they end).
ALTER TABLE employment_spells DROP CONSTRAINT IF EXISTS employment_spells_person_id_fkey;
ALTER TABLE unemployment_periods DROP CONSTRAINT IF EXISTS unemployment_periods_person_id_fkey;

-- +goose Down
ALTER TABLE unemployment_periods ADD FOREIGN KEY (person_id) REFERENCES labourers (id);
ALTER TABLE employment_spells ADD FOREIGN KEY (person_id) REFERENCES labourers (id);
ALTER TABLE labourers RESET (fillfactor);
CREATE INDEX labourers_region ON labourers (region_code, id);
