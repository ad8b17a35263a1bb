package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

var storeTime = time.UnixMicro(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC).UnixMicro())

func coverage(id, household, region, due string) *domain.DibaoCoverage {
	return &domain.DibaoCoverage{ID: id, HouseholdID: household, RegionCode: region, Urban: true, State: domain.CoverageActive,
		AmountFen: 120_000, EntitlementID: "e-" + id, FromMonth: "2026-01",
		Income:        []domain.IncomeFigure{{Description: "务工", AmountFen: 2_520_000, Months: 12}},
		HouseholdSize: 3, IrregularIncome: true, FrequentReview: true, NextReviewDate: due, LastReviewDate: "2026-03-05",
		Members: []domain.CoverageMember{
			{CoveredMember: domain.CoveredMember{PersonID: household + "-a", IDIndex: "idx-" + household + "-a", BirthDate: "1980-01-02", CanWork: true}, FromMonth: "2026-01"},
			{CoveredMember: domain.CoveredMember{PersonID: household + "-b", IDIndex: "idx-" + household + "-b", BirthDate: "2015-06-01",
				SeverelyDisabled: true, SeriouslyIll: true}, FromMonth: "2026-01"},
		},
		Version: 1, CreateTime: storeTime, UpdateTime: storeTime}
}

func TestDibaoCoverageStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		c1 := coverage("c1", "h1", "990001001001", "2026-09-05")
		if err := s.CreateDibaoCoverage(ctx, c1); err != nil {
			t.Fatal(err)
		}
		t.Run("a coverage reads back whole, members included", func(t *testing.T) {
			got, err := s.GetDibaoCoverage(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c1) {
				t.Fatalf("got %+v\nwant %+v", got, c1)
			}
			if _, err := s.GetDibaoCoverage(ctx, "nope"); !errors.Is(err, apperr.NotFound("")) {
				t.Errorf("unknown coverage: %v", err)
			}
		})
		t.Run("a second open coverage of the beneficiary is refused", func(t *testing.T) {
			dup := coverage("c1b", "h1", "990001001001", "2026-09-05")
			err := s.CreateDibaoCoverage(ctx, dup)
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindAlreadyExists || e.Reason != domain.ReasonAlreadyCovered {
				t.Fatalf("err = %v", err)
			}
			if _, err := s.GetDibaoCoverage(ctx, "c1b"); err == nil {
				t.Error("the refused coverage was stored")
			}
		})
		t.Run("a 单人保 person of the same household is another beneficiary", func(t *testing.T) {
			single := coverage("c1s", "h1", "990001001001", "2026-09-05")
			single.PersonID = "h1-z"
			single.Members = []domain.CoverageMember{{CoveredMember: domain.CoveredMember{PersonID: "h1-z", BirthDate: "1990-01-01"}, FromMonth: "2026-01"}}
			if err := s.CreateDibaoCoverage(ctx, single); err != nil {
				t.Fatal(err)
			}
			open, err := s.OpenDibaoCoveragesOfHousehold(ctx, "h1")
			if err != nil || len(open) != 2 || open[0].ID != "c1" || open[1].ID != "c1s" {
				t.Fatalf("open of h1: %v %v", open, err)
			}
			got, err := s.OpenDibaoCoverageOf(ctx, "persons/h1-z")
			if err != nil || got == nil || got.ID != "c1s" {
				t.Fatalf("by beneficiary: %v %v", got, err)
			}
		})
		t.Run("an update saves fields and members and raises the version", func(t *testing.T) {
			later := storeTime.Add(time.Hour)
			got, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
				c.Members[1].ToMonth, c.Members[1].EndReason = "2026-04", "死亡"
				c.AmountFen, c.EntitlementID, c.NextReviewDate, c.HouseholdSize, c.UpdateTime = 90_000, "e-2", "2026-04-20", 2, later
				c.Income = []domain.IncomeFigure{{AmountFen: 1, Months: 1}}
				return nil
			})
			if err != nil || got.Version != 2 {
				t.Fatalf("update: %v %v", got, err)
			}
			read, _ := s.GetDibaoCoverage(ctx, "c1")
			if !reflect.DeepEqual(read, got) {
				t.Fatalf("read %+v\nwant %+v", read, got)
			}
			if cur := read.Current(); len(cur) != 1 || cur[0].PersonID != "h1-a" {
				t.Errorf("current members %+v", cur)
			}
			refusal := errors.New("refused")
			if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(*domain.DibaoCoverage) error { return refusal }); !errors.Is(err, refusal) {
				t.Errorf("fn's error: %v", err)
			}
			if again, _ := s.GetDibaoCoverage(ctx, "c1"); again.Version != 2 {
				t.Errorf("a refused update changed the version to %d", again.Version)
			}
		})
		t.Run("covered persons are the current members of coverages not ended", func(t *testing.T) {
			got, err := s.CoveredPersons(ctx, []string{"h1-a", "h1-b", "h1-z", "stranger"})
			want := map[string]string{"h1-a": "c1", "h1-z": "c1s"}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("got %v %v, want %v", got, err, want)
			}
		})
		t.Run("an ended coverage frees its beneficiary", func(t *testing.T) {
			if _, err := s.UpdateDibaoCoverage(ctx, "c1s", func(c *domain.DibaoCoverage) error {
				c.State, c.EndMonth, c.EndReason = domain.CoverageEnded, "2026-05", "复核停保"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.OpenDibaoCoverageOf(ctx, "persons/h1-z"); err != nil || got != nil {
				t.Fatalf("ended coverage still open: %v %v", got, err)
			}
			again := coverage("c1s2", "h1", "990001001001", "2026-09-05")
			again.PersonID = "h1-z"
			again.Members = nil
			if err := s.CreateDibaoCoverage(ctx, again); err != nil {
				t.Errorf("a new coverage after the end: %v", err)
			}
		})
		t.Run("reviews", func(t *testing.T) {
			for i, date := range []string{"2026-09-01", "2026-06-01"} {
				r := &domain.DibaoReview{ID: fmt.Sprintf("r%d", i), CoverageID: "c1", ReviewDate: date, Outcome: domain.ReviewChanged,
					AmountBefore: 120_000, AmountAfter: 90_000, EffectiveMonth: "2026-07", Actor: "u", Note: "n", CreateTime: storeTime,
					Computed: domain.DibaoAmount{AmountFen: 90_000, Rule: domain.DibaoRuleGap, Inputs: map[string]string{"a": "b"},
						Policy: []policy.Value{{Parameter: "p", Region: "*", Effective: "2024-01-01", Raw: []byte(`1`), Hash: "h"}}}}
				if err := s.AddDibaoReview(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.DibaoReviews(ctx, "c1")
			if err != nil || len(got) != 2 || got[0].ReviewDate != "2026-06-01" || got[1].Computed.AmountFen != 90_000 ||
				got[1].Computed.Policy[0].Hash != "h" || got[1].Computed.Inputs["a"] != "b" {
				t.Fatalf("reviews %+v %v", got, err)
			}
		})
	})
}

func TestOverdueDibaoReviews(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		for _, c := range []*domain.DibaoCoverage{
			coverage("a", "ha", "990001001001", "2026-06-30"),
			coverage("b", "hb", "990001001002", "2026-07-01"),
			coverage("c", "hc", "990001002001", "2026-06-01"),
			coverage("d", "hd", "990001001001", "2026-06-30"),
			coverage("e", "he", "990001001001", "2026-01-01"),
		} {
			if c.ID == "e" {
				c.State = domain.CoverageTaper
			}
			if err := s.CreateDibaoCoverage(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			scope string
			asOf  string
			want  []string
		}{
			{"the county, due on or before the date, earliest first", "", "2026-06-30", []string{"c", "a", "d"}},
			{"a day later the next one falls due", "", "2026-07-01", []string{"c", "a", "d", "b"}},
			{"a township sees its own", "990001001", "2026-07-01", []string{"a", "d", "b"}},
			{"a village", "990001001002", "2026-07-01", []string{"b"}},
			{"nothing due yet", "", "2026-05-31", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				after := ""
				for range 10 {
					page, next, err := s.OverdueDibaoReviews(ctx, domain.OverdueQuery{Scope: tt.scope, AsOf: tt.asOf, After: after, Limit: 2})
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range page {
						got = append(got, c.ID)
					}
					if after = next; after == "" {
						break
					}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestEligibilityCheckStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		t.Run("followed statuses start empty and are replaced", func(t *testing.T) {
			if f, err := s.FollowedStatus(ctx, "h1"); err != nil || f != (domain.FollowedStatus{}) {
				t.Fatalf("unseen: %+v %v", f, err)
			}
			for _, f := range []domain.FollowedStatus{{HouseholdID: "h1", RegistryStatus: 1, Sequence: 3},
				{HouseholdID: "h1", RegistryStatus: 2, MonitoringType: 1, MonitoringStatus: 1, Sequence: 9}} {
				if err := s.SetFollowedStatus(ctx, f); err != nil {
					t.Fatal(err)
				}
			}
			want := domain.FollowedStatus{HouseholdID: "h1", RegistryStatus: 2, MonitoringType: 1, MonitoringStatus: 1, Sequence: 9}
			if f, err := s.FollowedStatus(ctx, "h1"); err != nil || f != want {
				t.Errorf("got %+v %v", f, err)
			}
		})
		check := func(id string, seq int64, reason domain.CheckReason, region string) *domain.EligibilityCheck {
			return &domain.EligibilityCheck{ID: id, HouseholdID: "h-" + id, RegionCode: region, Reason: reason, SourceSequence: seq,
				EffectiveDate: "2026-03-01", State: domain.CheckOpen, CreateTime: storeTime}
		}
		t.Run("a change opens a check of a reason once per household", func(t *testing.T) {
			again := check("k3", 7, domain.CheckReasonMonitoringConfirmed, "990001001001")
			again.HouseholdID = "h-k1" // k1's household again (another household may: a resync's one sequence)
			for _, tt := range []struct {
				c    *domain.EligibilityCheck
				want bool
			}{
				{check("k1", 7, domain.CheckReasonMonitoringConfirmed, "990001001001"), true},
				{check("k2", 7, domain.CheckReasonRegistryPoor, "990001001001"), true},
				{again, false},
				{check("k4", 8, domain.CheckReasonRegistryReturned, "990001002001"), true},
			} {
				got, err := s.OpenEligibilityCheck(ctx, tt.c)
				if err != nil || got != tt.want {
					t.Errorf("%s: inserted %v %v, want %v", tt.c.ID, got, err, tt.want)
				}
			}
		})
		t.Run("closing saves outcome, note and time", func(t *testing.T) {
			closed := storeTime.Add(time.Hour)
			got, err := s.UpdateEligibilityCheck(ctx, "k1", func(c *domain.EligibilityCheck) error {
				c.State, c.Outcome, c.Note, c.ClosedBy, c.CloseTime = domain.CheckClosed, domain.CheckOutcomeNotEligible, "收入超标", "u", closed
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			read, err := s.GetEligibilityCheck(ctx, "k1")
			if err != nil || !reflect.DeepEqual(read, got) || !read.CloseTime.Equal(closed) {
				t.Fatalf("read %+v %v, want %+v", read, err, got)
			}
			if _, err := s.GetEligibilityCheck(ctx, "nope"); !errors.Is(err, apperr.NotFound("")) {
				t.Errorf("unknown: %v", err)
			}
		})
		t.Run("lists by scope and state, paged", func(t *testing.T) {
			list := func(scope string, state domain.CheckState) []string {
				var ids []string
				after := ""
				for range 10 {
					page, next, err := s.ListEligibilityChecks(ctx, domain.CheckQuery{Scope: scope, State: state, After: after, Limit: 1})
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range page {
						ids = append(ids, c.ID)
					}
					if after = next; after == "" {
						break
					}
				}
				return ids
			}
			for _, tt := range []struct {
				scope string
				state domain.CheckState
				want  []string
			}{
				{"", domain.CheckStateUnspecified, []string{"k1", "k2", "k4"}},
				{"", domain.CheckOpen, []string{"k2", "k4"}},
				{"990001001", domain.CheckStateUnspecified, []string{"k1", "k2"}},
				{"990001002001", domain.CheckOpen, []string{"k4"}},
			} {
				if got := list(tt.scope, tt.state); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("scope %q state %d: %v, want %v", tt.scope, tt.state, got, tt.want)
				}
			}
		})
	})
}

func TestTemporaryAssistanceStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		a := &domain.TemporaryAssistance{ID: "t1", HouseholdID: "h1", RegionCode: "990001002003", Kind: domain.AssistanceSpending,
			AmountFen: 600_000, Reason: "住院", ApplicationDate: "2026-03-01", CapFen: 600_000, State: domain.AssistancePending,
			Policy:    []policy.Value{{Parameter: "p", Region: "*", Effective: "2024-01-01", Raw: []byte(`10`), Hash: "h"}},
			CreatedBy: "u", Version: 1, CreateTime: storeTime, UpdateTime: storeTime}
		if err := s.CreateTemporaryAssistance(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetTemporaryAssistance(ctx, "t1")
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("got %+v %v\nwant %+v", got, err, a)
		}
		up, err := s.UpdateTemporaryAssistance(ctx, "t1", func(a *domain.TemporaryAssistance) error {
			a.State, a.DecisionDate, a.DecidedBy, a.PaymentMonth, a.EntitlementID = domain.AssistanceApproved, "2026-03-05", "v", "2026-03", "e1"
			return nil
		})
		if err != nil || up.Version != 2 {
			t.Fatalf("update %v %v", up, err)
		}
		if read, _ := s.GetTemporaryAssistance(ctx, "t1"); !reflect.DeepEqual(read, up) {
			t.Errorf("read %+v, want %+v", read, up)
		}
		if _, err := s.GetTemporaryAssistance(ctx, "t2"); !errors.Is(err, apperr.NotFound("")) {
			t.Errorf("unknown: %v", err)
		}
		bad := *a
		bad.ID, bad.AmountFen = "t3", 0
		if err := s.CreateTemporaryAssistance(ctx, &bad); err == nil {
			t.Error("a zero amount was stored")
		}
	})
}
