-- +goose Up
-- The masked 残疾人证号 hides its 身份证号 as pii.MaskIDNumber does (first 4 and last 2 characters, then the
-- category and grade digits; docs/MASKING.md): the former form kept 4 more characters. Reads mask again
-- (pii.MaskCertificateNumber is idempotent); this brings the stored copies up to date.
UPDATE certificates SET number_masked = substr(number_masked, 1, 4) || '************' || substr(number_masked, 17, 4)
WHERE length(number_masked) = 20 AND substr(number_masked, 15, 2) <> '**';

-- +goose Down
-- The characters the new form hides are not stored in plain anywhere; the former masks need not come back.
SELECT 1;
