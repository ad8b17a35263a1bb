-- +goose Up
-- The register's key columns compare bytewise (COLLATE "C") instead of by the database's locale: ids,
-- blind indexes, region codes and ISO dates are ASCII whose bytewise order is their meaning, and a b-tree
-- of locale-collated text calls strcoll for every comparison (measured: a tenth less PostgreSQL CPU for
-- the ledger import). Region-prefix LIKE conditions can use these indexes too. SQLite compares bytewise
-- already; its migration 00007 is empty.
ALTER TABLE regions ALTER COLUMN code TYPE TEXT COLLATE "C";
ALTER TABLE households ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN region_code TYPE TEXT COLLATE "C",
    ALTER COLUMN number TYPE TEXT COLLATE "C",
    ALTER COLUMN registry_date TYPE TEXT COLLATE "C";
ALTER TABLE persons ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN id_index TYPE TEXT COLLATE "C";
ALTER TABLE memberships ALTER COLUMN household_id TYPE TEXT COLLATE "C",
    ALTER COLUMN person_id TYPE TEXT COLLATE "C",
    ALTER COLUMN start_date TYPE TEXT COLLATE "C",
    ALTER COLUMN end_date TYPE TEXT COLLATE "C";
ALTER TABLE status_history ALTER COLUMN household_id TYPE TEXT COLLATE "C",
    ALTER COLUMN effective_date TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE status_history ALTER COLUMN household_id TYPE TEXT COLLATE "default",
    ALTER COLUMN effective_date TYPE TEXT COLLATE "default";
ALTER TABLE memberships ALTER COLUMN household_id TYPE TEXT COLLATE "default",
    ALTER COLUMN person_id TYPE TEXT COLLATE "default",
    ALTER COLUMN start_date TYPE TEXT COLLATE "default",
    ALTER COLUMN end_date TYPE TEXT COLLATE "default";
ALTER TABLE persons ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN id_index TYPE TEXT COLLATE "default";
ALTER TABLE households ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN region_code TYPE TEXT COLLATE "default",
    ALTER COLUMN number TYPE TEXT COLLATE "default",
    ALTER COLUMN registry_date TYPE TEXT COLLATE "default";
ALTER TABLE regions ALTER COLUMN code TYPE TEXT COLLATE "default";
