-- +goose Up
-- Uploaded ledger files (UploadLedger): the client's id of the upload, by which it finds the record while
-- the upload runs; the file's declared size; the bytes read up to the last batch written (the progress).
ALTER TABLE household_imports ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE household_imports ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE household_imports ADD COLUMN bytes_read BIGINT NOT NULL DEFAULT 0;
CREATE INDEX household_imports_request ON household_imports (request_id) WHERE request_id <> '';

-- +goose Down
DROP INDEX household_imports_request;
ALTER TABLE household_imports DROP COLUMN bytes_read;
ALTER TABLE household_imports DROP COLUMN size_bytes;
ALTER TABLE household_imports DROP COLUMN request_id;
