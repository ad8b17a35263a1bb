-- +goose Up
-- The change feed: rows written in the same transaction as the change they describe.
CREATE TABLE fupin_outbox (
    seq         BIGSERIAL PRIMARY KEY,
    topic       TEXT   NOT NULL,
    resource    TEXT   NOT NULL,
    region_code TEXT   NOT NULL DEFAULT '',
    payload     BYTEA  NOT NULL,
    created_us  BIGINT NOT NULL
);
CREATE INDEX fupin_outbox_topic ON fupin_outbox (topic, seq);

-- +goose Down
DROP TABLE fupin_outbox;
