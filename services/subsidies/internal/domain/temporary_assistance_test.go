package domain_test

import (
	"fmt"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestTemporaryAssistanceCap(t *testing.T) {
	// Rural standard 1,100 元 (the test's policy), 10 × → 11,000 元.
	tests := []struct {
		name   string
		urban  bool
		amount int64
		ok     bool
	}{
		{"equal to the cap", false, 1_100_000, true},
		{"one fen above the cap", false, 1_100_001, false},
		{"well below", false, 50_000, true},
		{"urban standard 800 元: 8,000 元 is the cap", true, 800_000, true},
		{"urban: one fen above", true, 800_001, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newReliefArea(t)
			a.household("h1", "1980-01-01").Urban = tt.urban
			got, err := a.temporary.Apply(t.Context(), reliefCounty, domain.TemporaryAssistance{HouseholdID: "h1",
				Kind: domain.AssistanceEmergency, AmountFen: tt.amount, Reason: "火灾"})
			if !tt.ok {
				refusedWith(t, err, apperr.KindRefused, domain.ReasonTemporaryAssistanceAboveCap, domain.RuleTemporaryAssistanceCap)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != domain.AssistancePending || got.CapFen != map[bool]int64{false: 1_100_000, true: 800_000}[tt.urban] || len(got.Policy) != 2 {
				t.Errorf("application %+v", got)
			}
		})
	}
}

func TestTemporaryAssistanceDecision(t *testing.T) {
	ctx := t.Context()
	a := newReliefArea(t)
	a.household("h1", "1980-01-01")
	a.on("2025-05-28")
	app, err := a.temporary.Apply(ctx, reliefCounty, domain.TemporaryAssistance{HouseholdID: "h1", Kind: domain.AssistanceSpending,
		AmountFen: 600_000, Reason: "住院自付"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("bad input names its fields", func(t *testing.T) {
		_, err := a.temporary.Apply(ctx, reliefCounty, domain.TemporaryAssistance{HouseholdID: "h1", Reason: " "})
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "temporary_assistance.kind")
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "temporary_assistance.reason")
		_, err = a.temporary.Decide(ctx, reliefCounty, app.ID, domain.AssistanceDecision{Approve: false})
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "note")
	})
	t.Run("another township cannot decide it", func(t *testing.T) {
		_, err := a.temporary.Decide(ctx, workflow.Caller{Actor: "t", Scope: "990001001"}, app.ID, domain.AssistanceDecision{Approve: true})
		refusedWith(t, err, apperr.KindPermissionDenied, workflow.ReasonOutOfRegionScope, "")
	})
	t.Run("a stale etag is refused", func(t *testing.T) {
		_, err := a.temporary.Decide(ctx, reliefCounty, app.ID, domain.AssistanceDecision{Approve: true, Etag: `"old"`})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindAborted {
			t.Fatalf("got %v", err)
		}
	})
	a.on("2025-06-03")
	got, err := a.temporary.Decide(ctx, reliefCounty, app.ID, domain.AssistanceDecision{Approve: true, Etag: app.Etag()})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.AssistanceApproved || got.PaymentMonth != "2025-06" || got.DecidedBy != reliefCounty.Actor || got.Version != 2 {
		t.Errorf("decided %+v", got)
	}
	es, err := a.st.EntitlementsBySource(ctx, domain.TemporaryAssistanceSource(app.ID))
	if err != nil || len(es) != 1 {
		t.Fatalf("entitlements %v %v", es, err)
	}
	if e := es[0]; e.Program != domain.ProgramTemporaryAssistance || e.FromMonth != "2025-06" || e.ToMonth != "2025-06" ||
		e.AmountFen != 600_000 || e.Beneficiary != "temporaryAssistance/"+app.ID || e.HouseholdID != "h1" {
		t.Errorf("entitlement %+v", e)
	}
	_, err = a.temporary.Decide(ctx, reliefCounty, app.ID, domain.AssistanceDecision{Approve: true})
	refusedWith(t, err, apperr.KindRefused, domain.ReasonTemporaryAssistanceDecided, "")
	t.Run("a standard lowered before the decision refuses the approval", func(t *testing.T) {
		app, err := a.temporary.Apply(ctx, reliefCounty, domain.TemporaryAssistance{HouseholdID: "h1", Kind: domain.AssistanceEmergency,
			AmountFen: 1_100_000, Reason: "车祸"})
		if err != nil {
			t.Fatal(err)
		}
		a.pol[domain.ParamTemporaryAssistanceMultiple] = "5"
		_, err = a.temporary.Decide(ctx, reliefCounty, app.ID, domain.AssistanceDecision{Approve: true})
		refusedWith(t, err, apperr.KindRefused, domain.ReasonTemporaryAssistanceAboveCap, domain.RuleTemporaryAssistanceCap)
		if got, _ := a.temporary.Get(ctx, reliefCounty, app.ID); got.State != domain.AssistancePending {
			t.Errorf("a refused approval changed the application: %+v", got)
		}
	})
}

func TestTemporaryAssistanceList(t *testing.T) {
	ctx := t.Context()
	a := newReliefArea(t)
	a.on("2025-05-28")
	a.household("h1", "1980-01-01")
	a.household("h2", "1980-01-01").RegionCode = "990001001001"
	var ids []string
	for _, h := range []string{"h1", "h2", "h1"} {
		app, err := a.temporary.Apply(ctx, reliefCounty, domain.TemporaryAssistance{HouseholdID: h, Kind: domain.AssistanceEmergency,
			AmountFen: 100_000, Reason: "火灾"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, app.ID)
	}
	for _, tt := range []struct {
		name   string
		by     workflow.Caller
		filter string
		want   []string
	}{
		{"the county", reliefCounty, "", ids},
		{"a township sees its own", workflow.Caller{Actor: "t", Scope: "990001002"}, "", []string{ids[0], ids[2]}},
		{"a filter within the scope", reliefCounty, `household = "households/h2"`, []string{ids[1]}},
		{"a filter does not widen the scope", workflow.Caller{Actor: "t", Scope: "990001002"}, `region_code:"990001001"`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			after := ""
			for range 10 {
				page, next, err := a.temporary.List(ctx, tt.by, tt.filter, after, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range page {
					got = append(got, x.ID)
				}
				if after = next; after == "" {
					break
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
