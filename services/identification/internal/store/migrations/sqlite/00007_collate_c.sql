-- +goose Up
-- PostgreSQL's 00007 makes the register's key columns compare bytewise; SQLite's BINARY collation does
-- already. Kept so both dialects count the same versions.
SELECT 1;

-- +goose Down
SELECT 1;
