package domain_test

import (
	"fmt"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

// TestNotBeforeRegistration: every procedure of 民政 and 残联 about a household — a 低保 or 特困 application,
// a 临时救助 application, a 两项补贴 application (and so the cases' later steps and the first months of the
// coverages and entitlements they grant) — may date from the household's registration date (登记日期, from
// the register) but not from the day before; the refusal is the same field error everywhere.
func TestNotBeforeRegistration(t *testing.T) {
	const registered = "2025-05-20"
	procedures := []struct {
		name  string
		field string
		// apply files the procedure for a household registered on registered, dated date.
		apply func(t *testing.T, n int, date string) error
	}{
		{name: "低保 application", field: "occurred_at", apply: func(t *testing.T, n int, date string) error {
			a := newReliefArea(t)
			a.on("2025-06-02")
			h := a.household(fmt.Sprintf("h%d", n), "1970-01-01")
			h.Registered = registered
			_, err := a.dibao.OpenCase(t.Context(), reliefCounty, h.ID, "", domain.ReliefStepMeta{OccurredAt: date, BackdateReason: "纸质申请补录"})
			return err
		}},
		{name: "特困 application", field: "occurred_at", apply: func(t *testing.T, n int, date string) error {
			a := newReliefArea(t)
			h := a.household(fmt.Sprintf("h%d", n), "1940-01-01")
			h.Registered = registered
			_, err := a.destitute.OpenCase(t.Context(), reliefCounty, h.ID, h.Members[0].PersonID,
				domain.ReliefStepMeta{OccurredAt: date, BackdateReason: "纸质申请补录"})
			return err
		}},
		{name: "临时救助 application", field: "temporary_assistance.application_date", apply: func(t *testing.T, n int, date string) error {
			a := newReliefArea(t)
			h := a.household(fmt.Sprintf("h%d", n), "1970-01-01")
			h.Registered = registered
			_, err := a.temporary.Apply(t.Context(), reliefCounty, domain.TemporaryAssistance{HouseholdID: h.ID,
				Kind: domain.AssistanceEmergency, AmountFen: 10_000, Reason: "火灾", ApplicationDate: date})
			return err
		}},
		{name: "两项补贴 application", field: "occurred_at", apply: func(t *testing.T, n int, date string) error {
			a := newCertArea(t, sqldb.SQLite)
			c := a.holder(t, 600+n, "990001002003", "41")
			a.households.households[c.HouseholdID].Registered = registered
			_, err := a.subsidies.Apply(t.Context(), certCounty, domain.DisabilitySubsidyKindCare, c.ID,
				domain.DisabilitySubsidyStep{OccurredAt: date, BackdateReason: "纸质申请补录"})
			return err
		}},
	}
	dates := []struct {
		name, date string
		refused    bool
	}{
		{name: "on the registration date", date: registered},
		{name: "the day before", date: "2025-05-19", refused: true},
	}
	n := 0
	for _, p := range procedures {
		for _, d := range dates {
			n++
			t.Run(p.name+"/"+d.name, func(t *testing.T) {
				err := p.apply(t, n, d.date)
				if !d.refused {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				e, ok := apperr.As(err)
				if !ok || e.Kind != apperr.KindInvalid || e.Reason != bizdate.ReasonBeforeRegistration || e.Fields[0].Field != p.field {
					t.Fatalf("err = %v, want INVALID_ARGUMENT %s on %s", err, bizdate.ReasonBeforeRegistration, p.field)
				}
			})
		}
	}
}
