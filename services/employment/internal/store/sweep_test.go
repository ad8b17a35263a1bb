package store_test

import (
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// seedWorkingAge is deploy/policy/defaults.json's employment.working_age, as the sweep reads it.
type seedWorkingAge struct{}

func (seedWorkingAge) Decode(_, _ string, _ time.Time, into any) (policy.Value, error) {
	*into.(*domain.WorkingAge) = domain.WorkingAge{Min: 16, Max: 60}
	return policy.Value{}, nil
}

// The age sweep, on SQLite and PostgreSQL: in June 2025 a member born in June 2009 joins the ledger
// (16), one born in June 1964 leaves it (61), the others stay as they are, ended records are not touched,
// and a second sweep changes nothing.
func TestSweepAges(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		st := newStore(t, sqldbtest.Open(t, d))
		now := time.Date(2025, 6, 15, 2, 0, 0, 0, time.UTC)
		rec := func(id, birth string, state domain.LabourerState) *domain.Labourer {
			l := labourer(id, "h1", "990001001001", "x"+id, state, now.Add(-time.Hour))
			l.BirthMonth = birth
			if state == domain.LabourerOutsideAge {
				l.EndReason = domain.EndAge
			}
			return l
		}
		if err := st.SaveLabourers(ctx, []*domain.Labourer{
			rec("p-16", "2009-06", domain.LabourerOutsideAge), rec("p-15", "2009-07", domain.LabourerOutsideAge),
			rec("p-60", "1964-07", domain.LabourerActive), rec("p-61", "1964-06", domain.LabourerActive),
			rec("p-dead", "2009-06", domain.LabourerEnded)}); err != nil {
			t.Fatal(err)
		}
		n, err := domain.SweepAges(ctx, st, seedWorkingAge{}, now)
		if err != nil || n != 2 {
			t.Fatalf("sweep changed %d (%v), want 2", n, err)
		}
		for id, want := range map[string]domain.LabourerState{"p-16": domain.LabourerActive, "p-15": domain.LabourerOutsideAge,
			"p-60": domain.LabourerActive, "p-61": domain.LabourerOutsideAge, "p-dead": domain.LabourerEnded} {
			l, err := st.Labourer(ctx, id)
			if err != nil || l.State != want {
				t.Errorf("%s: %v (%v), want %d", id, l, err, want)
			}
		}
		if n, err := domain.SweepAges(ctx, st, seedWorkingAge{}, now); err != nil || n != 0 {
			t.Fatalf("a second sweep changed %d (%v)", n, err)
		}
	})
}
