package register

import (
	"context"
	"fmt"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/subsidies/internal/domain"
)

// DibaoIncome asks the register for the household's income over the rolling window ending on asOf, counted
// with 低保's rules (IncomeProgram DIBAO: `subsidies.dibao.counted_income_types`). It is the register's
// read-only GetIncomeAssessment, so a survey or review looks without adding to the register's change feed.
func (c *Client) DibaoIncome(ctx context.Context, householdID, asOf string) (*domain.RegisterIncome, error) {
	a, err := c.income.GetIncomeAssessment(ctx, &identificationv1.GetIncomeAssessmentRequest{Household: "households/" + householdID,
		Window: &identificationv1.GetIncomeAssessmentRequest_AsOfDate{AsOfDate: asOf}, Program: identificationv1.IncomeProgram_INCOME_PROGRAM_DIBAO})
	if err != nil {
		return nil, registerError("assess income", err)
	}
	months, err := WindowMonths(a.GetFromDate(), a.GetToDate())
	if err != nil {
		return nil, err
	}
	return &domain.RegisterIncome{From: a.GetFromDate(), To: a.GetToDate(), NetFen: a.GetNetFen(), Months: months,
		Members: int(a.GetMembers()), PolicyHash: a.GetPolicyHash()}, nil
}

// WindowMonths counts the calendar months a window touches, both ends included: 2024-07-01..2025-06-15 is
// 12 (the register's rolling window counts the month of its end date whole).
func WindowMonths(from, to string) (int, error) {
	f, err := bizdate.Parse(from)
	if err != nil {
		return 0, fmt.Errorf("income window start %q: %w", from, err)
	}
	t, err := bizdate.Parse(to)
	if err != nil {
		return 0, fmt.Errorf("income window end %q: %w", to, err)
	}
	n := (t.Year()-f.Year())*12 + int(t.Month()) - int(f.Month()) + 1
	if n < 1 {
		return 0, fmt.Errorf("income window %s..%s is empty", from, to)
	}
	return n, nil
}
