package domain_test

import (
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestCheckReasonsFor(t *testing.T) {
	const poor, returned, exited, ordinary = domain.RegistryPoor, domain.RegistryReturned, int32(3), int32(1)
	seen := func(registry, typ, status int32) domain.FollowedStatus {
		return domain.FollowedStatus{HouseholdID: "h", RegistryStatus: registry, MonitoringType: typ, MonitoringStatus: status}
	}
	change := func(registry, typ, status int32) domain.HouseholdChange {
		return domain.HouseholdChange{HouseholdID: "h", RegistryStatus: registry, MonitoringType: typ, MonitoringStatus: status}
	}
	tests := []struct {
		name string
		prev domain.FollowedStatus
		ch   domain.HouseholdChange
		want []domain.CheckReason
	}{
		{"a new ordinary household", domain.FollowedStatus{}, change(ordinary, 0, 0), nil},
		{"registered already poor", domain.FollowedStatus{}, change(poor, 0, 0), []domain.CheckReason{domain.CheckReasonRegistryPoor}},
		{"becomes poor", seen(ordinary, 0, 0), change(poor, 0, 0), []domain.CheckReason{domain.CheckReasonRegistryPoor}},
		{"returns to poverty", seen(exited, 0, 0), change(returned, 0, 0), []domain.CheckReason{domain.CheckReasonRegistryReturned}},
		{"still poor after a member change", seen(poor, 0, 0), change(poor, 0, 0), nil},
		{"confirmed as a monitoring object", seen(exited, 0, 0), change(exited, 1, domain.MonitoringOpen),
			[]domain.CheckReason{domain.CheckReasonMonitoringConfirmed}},
		{"still monitored", seen(exited, 1, domain.MonitoringOpen), change(exited, 1, domain.MonitoringOpen), nil},
		{"risk removed", seen(exited, 1, domain.MonitoringOpen), change(exited, 1, 2), nil},
		{"monitored again after the risk was removed", seen(exited, 1, 2), change(exited, 3, domain.MonitoringOpen),
			[]domain.CheckReason{domain.CheckReasonMonitoringConfirmed}},
		{"both at once", seen(exited, 0, 0), change(returned, 1, domain.MonitoringOpen),
			[]domain.CheckReason{domain.CheckReasonMonitoringConfirmed, domain.CheckReasonRegistryReturned}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.CheckReasonsFor(tt.prev, tt.ch); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The follower opens each check once, however often a change is delivered, and the checks are closed by
// 民政 with an outcome.
func TestEligibilityChecksFromTheFeed(t *testing.T) {
	a := newReliefArea(t)
	ctx := t.Context()
	f := a.dibao.Follower()
	changes := []domain.HouseholdChange{
		{Sequence: 1, Topic: "household.created", HouseholdID: "h1", RegionCode: "990001002003", RegistryStatus: 3, Size: 2},
		{Sequence: 2, Topic: "household.status_changed", HouseholdID: "h1", RegionCode: "990001002003", RegistryStatus: 3,
			MonitoringType: 1, MonitoringStatus: domain.MonitoringOpen, EffectiveDate: "2025-06-01", Size: 2},
		{Sequence: 3, Topic: "household.members_changed", HouseholdID: "h1", RegionCode: "990001002003", RegistryStatus: 3,
			MonitoringType: 1, MonitoringStatus: domain.MonitoringOpen, Size: 3},
		{Sequence: 4, Topic: "household.created", HouseholdID: "h2", RegionCode: "990001001001", RegistryStatus: domain.RegistryPoor, Size: 1},
	}
	for _, ch := range append(changes, changes[1]) {
		if err := f.HouseholdChanged(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := a.dibao.ListChecks(ctx, reliefCounty, domain.CheckStateUnspecified, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].HouseholdID != "h1" || all[0].Reason != domain.CheckReasonMonitoringConfirmed || all[0].SourceSequence != 2 ||
		all[0].EffectiveDate != "2025-06-01" || all[1].Reason != domain.CheckReasonRegistryPoor || all[1].State != domain.CheckOpen {
		t.Fatalf("checks %+v", all)
	}
	township := workflow.Caller{Actor: "t", Scope: "990001001"}
	if mine, _, _ := a.dibao.ListChecks(ctx, township, domain.CheckStateUnspecified, "", 10); len(mine) != 1 || mine[0].HouseholdID != "h2" {
		t.Errorf("a township sees %+v", mine)
	}
	t.Run("closing", func(t *testing.T) {
		_, err := a.dibao.CloseCheck(ctx, township, all[0].ID, domain.CheckOutcomeNotEligible, "")
		refusedWith(t, err, apperr.KindPermissionDenied, workflow.ReasonOutOfRegionScope, "")
		_, err = a.dibao.CloseCheck(ctx, reliefCounty, all[0].ID, domain.CheckOutcomeUnspecified, "")
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "outcome")
		c, err := a.dibao.CloseCheck(ctx, reliefCounty, all[0].ID, domain.CheckOutcomeApplicationOpen, "已受理")
		if err != nil || c.State != domain.CheckClosed || c.ClosedBy != reliefCounty.Actor || c.CloseTime.IsZero() {
			t.Fatalf("closed %+v %v", c, err)
		}
		_, err = a.dibao.CloseCheck(ctx, reliefCounty, all[0].ID, domain.CheckOutcomeNotEligible, "")
		refusedWith(t, err, apperr.KindRefused, domain.ReasonEligibilityCheckClosed, "")
		open, _, _ := a.dibao.ListChecks(ctx, reliefCounty, domain.CheckOpen, "", 10)
		if len(open) != 1 || open[0].HouseholdID != "h2" {
			t.Errorf("open checks %+v", open)
		}
	})
}

// A death in a covered household: the member stops being covered after the month of death, the
// household's amount is recomputed for those who remain from the next month, and the review falls due.
// When the last covered member goes, the coverage ends; a 特困 person's support stops too.
func TestDeathsReduceTheCoveredPersons(t *testing.T) {
	a := newReliefArea(t)
	ctx := t.Context()
	a.household("h1", "1980-01-01", "1982-02-02", "2015-03-03")
	k := a.approve(t, "h1", "", "2025-03-10", domain.DibaoSurveyInput{Income: []domain.IncomeFigure{{AmountFen: 210_000, Months: 1}}})
	a.on("2025-07-20")
	f := a.dibao.Follower()
	if err := a.st.GrantEntitlement(ctx, &domain.Entitlement{ID: "tk", Program: domain.ProgramDestitute, Beneficiary: "persons/h1-p3",
		HouseholdID: "h1", PersonID: "h1-p3", RegionCode: "990001002003", Source: "destituteCases/x", FromMonth: "2025-01",
		AmountFen: 143_000, Covered: 1, CreateTime: a.now.Add(-time.Hour), UpdateTime: a.now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	death := domain.HouseholdChange{Sequence: 10, Topic: "household.members_changed", HouseholdID: "h1", RegionCode: "990001002003",
		RegistryStatus: 1, EffectiveDate: "2025-05-20", Size: 2, DepartedPersonIDs: []string{"h1-p3"}, Reason: "死亡"}
	if err := f.HouseholdChanged(ctx, death); err != nil {
		t.Fatal(err)
	}
	entitlements := func() []string {
		es, err := a.st.EntitlementsOfHousehold(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s:%s..%s:%d:%d", e.Program, e.FromMonth, e.ToMonth, e.AmountFen, e.Covered))
		}
		return out
	}
	// 2,100 a month now divided by 2: (1,100 − 1,050) = 50 元 < the floor 220 元 → 220 × 2 = 440 元.
	want := []string{"dibao:2025-03..2025-05:164000:3", "destitute:2025-01..2025-05:143000:1", "dibao:2025-06..:44000:2"}
	if got := entitlements(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the death: %v\nwant %v", got, want)
	}
	c, _, _ := a.dibao.GetCoverage(ctx, reliefCounty, k.ID)
	if c.State != domain.CoverageActive || c.AmountFen != 44_000 || len(c.Current()) != 2 || c.NextReviewDate != "2025-05-20" ||
		c.Members[2].ToMonth != "2025-05" || c.Members[2].EndReason != "户籍变动: 死亡" {
		t.Errorf("coverage %+v", c)
	}
	t.Run("delivered again, nothing changes", func(t *testing.T) {
		if err := f.HouseholdChanged(ctx, death); err != nil {
			t.Fatal(err)
		}
		if got := entitlements(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v", got)
		}
	})
	t.Run("the last covered members move out: the coverage ends", func(t *testing.T) {
		out := domain.HouseholdChange{Sequence: 11, Topic: "household.members_changed", HouseholdID: "h1", RegionCode: "990001002003",
			EffectiveDate: "2025-07-02", Size: 0, DepartedPersonIDs: []string{"h1-p1", "h1-p2"}}
		if err := f.HouseholdChanged(ctx, out); err != nil {
			t.Fatal(err)
		}
		want := []string{"dibao:2025-03..2025-05:164000:3", "destitute:2025-01..2025-05:143000:1", "dibao:2025-06..2025-07:44000:2"}
		if got := entitlements(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v\nwant %v", got, want)
		}
		c, _, _ := a.dibao.GetCoverage(ctx, reliefCounty, k.ID)
		if c.State != domain.CoverageEnded || c.EndMonth != "2025-07" {
			t.Errorf("coverage %+v", c)
		}
	})
}
