package domain_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
)

// otherArea stands for an area written elsewhere (identification cases, monitoring…) that contributes its
// own events to the trail.
type otherArea struct {
	events []domain.TrailEvent
	err    error
}

func (o otherArea) TrailEvents(context.Context, string) ([]domain.TrailEvent, error) {
	return o.events, o.err
}

func TestTrail(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	ctx := t.Context()
	f.set("2025-01-10")
	h := f.household(t, areaVillage)
	f.set("2025-02-01")
	helper := f.helper(t, h.ID, "2025-01-15", true)
	f.set("2025-03-01")
	if _, err := f.svc.SetRegistryStatus(ctx, county, h.ID, "", domain.RegistryPoor, "2025-03-01", "县级审定"); err != nil {
		t.Fatal(err)
	}
	f.visit(t, h.ID, helper.ID, "2025-03-01")
	f.set("2025-04-01")
	son := m(domain.RelationSon, id("20250320", 901))
	son.StartDate = "2025-03-20"
	if _, err := f.svc.AddMember(ctx, county, h.ID, "", son); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordDeparture(ctx, county, h.ID, "", domain.Departure{PersonID: h.Members[1].PersonID, Date: "2025-03-25",
		State: domain.MemberDeceased, Reason: "死亡"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.visits.EndHelper(ctx, county, h.ID, helper.ID, "2025-04-01", "调离"); err != nil {
		t.Fatal(err)
	}
	caseStep := domain.TrailEvent{Date: "2025-02-20", RecordTime: f.clock, Source: "cases", Kind: "village_review", Actor: "officer",
		Summary: "民主评议通过"}
	trail := domain.NewTrail(f.store, domain.NewRegisterTrail(f.store), f.visits, otherArea{events: []domain.TrailEvent{caseStep}})

	events, err := trail.Events(ctx, county, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Date+" "+e.Source+"/"+e.Kind)
	}
	want := []string{
		"2025-01-10 register/registered",
		"2025-01-10 register/member_joined",
		"2025-01-10 register/member_joined",
		"2025-01-15 visits/helper_assigned",
		"2025-02-20 cases/village_review",
		"2025-03-01 register/status_changed",
		"2025-03-01 visits/visit",
		"2025-03-20 register/member_joined",
		"2025-03-25 register/member_died",
		"2025-04-01 visits/helper_ended",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trail\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Run("each step keeps its actor, recording time and reason", func(t *testing.T) {
		byKind := map[string]domain.TrailEvent{}
		for _, e := range events {
			byKind[e.Kind] = e
		}
		st := byKind["status_changed"]
		if st.Actor != county.Actor || st.Reason != "县级审定" || bizdate.Today(st.RecordTime) != "2025-03-01" ||
			!strings.Contains(st.Summary, "贫困户") {
			t.Errorf("status change %+v", st)
		}
		as := byKind["helper_assigned"]
		if as.Reason != "补录台账" || bizdate.Today(as.RecordTime) != "2025-02-01" || as.Resource != "households/"+h.ID+"/helpers/"+helper.ID {
			t.Errorf("assignment %+v: recorded 2025-02-01 for 2025-01-15, with the back-dating reason", as)
		}
		for _, e := range events {
			if strings.Contains(e.Summary, "13812345678") || strings.Contains(e.Summary, id("19700101", 2)) {
				t.Errorf("personal data in %q", e.Summary)
			}
		}
		if byKind["member_died"].RecordTime != (time.Time{}) || byKind["visit"].Actor != "officer" {
			t.Errorf("death %+v, visit %+v", byKind["member_died"], byKind["visit"])
		}
	})
	t.Run("outside the caller's scope", func(t *testing.T) {
		_, err := trail.Events(ctx, domain.Caller{Scope: "990001003"}, h.ID)
		wantReason(t, err, domain.ReasonOutOfRegionScope, "")
	})
	t.Run("an unknown household", func(t *testing.T) {
		_, err := trail.Events(ctx, county, "nobody")
		if !errors.Is(err, domain.ErrHouseholdNotFound) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a failing source fails the trail rather than hide steps", func(t *testing.T) {
		broken := domain.NewTrail(f.store, otherArea{err: errors.New("boom")})
		if _, err := broken.Events(ctx, county, h.ID); err == nil {
			t.Error("no error")
		}
	})
}
