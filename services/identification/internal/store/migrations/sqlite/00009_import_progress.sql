-- +goose Up
-- How far an import got and whether it is alive: updated_us is written with every batch and every
-- heartbeat of a running import (a running record that stops reporting belongs to a process that died and
-- reads as interrupted, state 4), last_number is the 户编号 of the last household written, every row up to
-- last_row is decided, message says why a failed or interrupted import stopped.
ALTER TABLE household_imports ADD COLUMN updated_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_imports ADD COLUMN last_number TEXT NOT NULL DEFAULT '';
ALTER TABLE household_imports ADD COLUMN last_row BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_imports ADD COLUMN message TEXT NOT NULL DEFAULT '';
CREATE INDEX household_imports_running ON household_imports (state, updated_us);

-- +goose Down
DROP INDEX household_imports_running;
ALTER TABLE household_imports DROP COLUMN message;
ALTER TABLE household_imports DROP COLUMN last_row;
ALTER TABLE household_imports DROP COLUMN last_number;
ALTER TABLE household_imports DROP COLUMN updated_us;
