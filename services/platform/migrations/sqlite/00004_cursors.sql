-- +goose Up
-- Change-feed cursors: for each feed a service follows (outbox.Subscribe), the sequence of the last change
-- it handled. The cursor moves in the same transaction as the handler's writes, so a restart resumes
-- exactly after the last change whose effects committed.
CREATE TABLE fupin_cursors (
    name       TEXT    PRIMARY KEY,
    sequence   INTEGER NOT NULL CHECK (sequence >= 0),
    updated_us INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE fupin_cursors;
