-- +goose Up
-- The masked 身份证号 keeps the first 4 and the last 2 characters (pii.MaskIDNumber, docs/MASKING.md): the
-- former form kept the last 4, which with the birth date shown beside it left fewer than ten candidate
-- numbers. Reads mask again (the mask is idempotent), so a row written by an older binary is shown right
-- even before this runs; this brings the stored copies up to date.
UPDATE persons SET id_masked = substr(id_masked, 1, 4) || '************' || substr(id_masked, 17, 2)
WHERE length(id_masked) = 18 AND substr(id_masked, 15, 2) <> '**';

-- +goose Down
-- The characters the new form hides are not stored in plain anywhere; the former masks cannot be rebuilt
-- without the key, and need not be.
SELECT 1;
