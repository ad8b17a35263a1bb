package domain_test

import (
	"strings"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// TestRegistrationDate: a household's registration effective date (登记日期) is the day it is created unless
// given; a date before today needs a reason, a date after today is refused; it is the first status date,
// the members' default start, and it is read back with the household.
func TestRegistrationDate(t *testing.T) {
	svc := newService(t)
	day := bizdate.Today(today)
	tests := []struct {
		name, date, reason string
		want               string // the registration date kept; "" when refused
		field, rule        string
	}{
		{name: "default is today", want: day},
		{name: "today needs no reason", date: day, want: day},
		{name: "back-dated with a reason", date: "2019-03-01", reason: "纸质台账 2019 年登记", want: "2019-03-01"},
		{name: "back-dated without a reason", date: "2019-03-01", field: "household.registration_backdate_reason",
			rule: domain.ReasonBackdateReasonRequired},
		{name: "back-dated with a blank reason", date: "2019-03-01", reason: " ", field: "household.registration_backdate_reason",
			rule: domain.ReasonBackdateReasonRequired},
		{name: "tomorrow", date: bizdate.Today(today.AddDate(0, 0, 1)), reason: "x", field: "household.registration_date",
			rule: domain.ReasonDateInvalid},
		{name: "not a date", date: "2019-02-30", reason: "x", field: "household.registration_date", rule: domain.ReasonDateInvalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := family()
			for j := range in.Members {
				in.Members[j].IDNumber = id("19800101", 500+10*i+j)
			}
			in.RegistrationDate, in.RegistrationReason = tt.date, tt.reason
			h, err := svc.CreateHousehold(t.Context(), county, in)
			if tt.want == "" {
				e, ok := apperr.As(err)
				if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field || e.Fields[0].Reason != tt.rule {
					t.Fatalf("err = %v, want %s on %s", err, tt.rule, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.GetHousehold(t.Context(), county, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			first := got.History[0]
			if got.Registered != tt.want || first.EffectiveDate != tt.want || got.Status.RegistryDate != tt.want {
				t.Errorf("registered %s, first status %s, registry date %s; want %s", got.Registered, first.EffectiveDate, got.Status.RegistryDate, tt.want)
			}
			if tt.reason != "" && !strings.Contains(first.Reason, tt.reason) {
				t.Errorf("first status reason %q does not say why it is back-dated", first.Reason)
			}
			for _, m := range got.Members {
				if m.StartDate != tt.want {
					t.Errorf("member starts %s, want the registration date %s", m.StartDate, tt.want)
				}
			}
			list, _, err := svc.ListHouseholds(t.Context(), county, "", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range list {
				if l.ID == h.ID && l.Registered != tt.want {
					t.Errorf("listed with registration date %s, want %s", l.Registered, tt.want)
				}
			}
		})
	}
}

// TestCasesNotBeforeRegistration: an identification case's application (and so every later step) may be
// dated on the household's registration date but not the day before.
func TestCasesNotBeforeRegistration(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		f.clock.set("2025-06-10")
		tests := []struct {
			name, occurred string
			refused        bool
		}{
			{name: "on the registration date", occurred: "2025-05-20"},
			{name: "the day before the registration date", occurred: "2025-05-19", refused: true},
			{name: "after the registration date", occurred: "2025-06-01"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h, err := f.svc.CreateHousehold(t.Context(), domain.Caller{Actor: "registrar"}, domain.NewHousehold{
					RegionCode: villageSmall, RegistrationDate: "2025-05-20", RegistrationReason: "纸质台账",
					Members: []domain.Member{m(domain.RelationHead, id("19700101", 700+i))}})
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.cases.OpenCase(t.Context(), officer, domain.NewCaseInput{Kind: domain.KindIdentification, HouseholdID: h.ID,
					Meta: domain.StepMeta{OccurredAt: tt.occurred, BackdateReason: "纸质申请书补录"}})
				if !tt.refused {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				e, ok := apperr.As(err)
				if !ok || e.Kind != apperr.KindInvalid || e.Reason != bizdate.ReasonBeforeRegistration || e.Fields[0].Field != "occurred_at" {
					t.Fatalf("err = %v, want INVALID_ARGUMENT %s on occurred_at", err, bizdate.ReasonBeforeRegistration)
				}
			})
		}
	})
}
