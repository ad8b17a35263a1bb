-- +goose Up
-- The payment roll moved into the platform (services/platform/payroll, platform migration 00012): the
-- entitlements, rolls and lines subsidies kept move to the payroll tables, with the same program numbers
-- (fupin.payroll.v1.Program keeps fupin.subsidies.v1.Program's), and the old tables go.
INSERT INTO payroll_entitlements (id, program, beneficiary, household_id, person_id, region_code, source,
    from_month, to_month, amount_fen, covered, reason, end_reason, created_us, updated_us)
SELECT id, program, beneficiary, household_id, person_id, region_code, source, from_month, to_month, amount_fen,
    covered, reason, end_reason, created_us, updated_us FROM entitlements;
INSERT INTO payroll_rolls (program, month, state, first_month, fencing_token, computations, computed_by, compute_us,
    approved_by, approve_us, handed_off_by, hand_off_us, line_count, amount_fen, regular_count, regular_fen,
    back_pay_count, back_pay_fen, recovery_count, recovery_fen, held, version, created_us, updated_us)
SELECT program, month, state, first_month, fencing_token, computations, computed_by, compute_us, approved_by,
    approve_us, handed_off_by, hand_off_us, line_count, amount_fen, regular_count, regular_fen, back_pay_count,
    back_pay_fen, recovery_count, recovery_fen, held, version, created_us, updated_us FROM payment_rolls;
INSERT INTO payroll_lines (program, beneficiary, period, kind, attempt, roll_month, household_id, person_id,
    region_code, amount_fen, entitlement_ids, reason)
SELECT program, beneficiary, period, kind, 0, roll_month, household_id, person_id, region_code, amount_fen,
    entitlement_ids, reason FROM payment_roll_lines;
DROP TABLE payment_roll_lines;
DROP TABLE payment_rolls;
DROP TABLE entitlements;

-- +goose Down
-- Not reversible: the payroll tables are the platform's now.
SELECT 1;
