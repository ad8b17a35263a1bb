package store_test

import (
	"context"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// newStore opens a fresh database of dialect d with the platform's and the service's tables.
func newStore(t testing.TB, db *sqldb.DB) *store.Store {
	t.Helper()
	if err := migrations.Apply(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	return store.New(db, outbox.New(db, nil))
}

func labourer(id, household, region, index string, state domain.LabourerState, now time.Time) *domain.Labourer {
	return &domain.Labourer{PersonID: id, IDIndex: index, HouseholdID: household, RegionCode: region, BirthMonth: "1985-04",
		RegistryStatus: 3, LabourAbility: 1, State: state, CreateTime: now, UpdateTime: now}
}

// The store's contract, on SQLite and PostgreSQL: records saved and replaced (人社's own fields kept),
// found by household, person and blind index, listed by scope and filter, spells and periods attached,
// an import's stage applied twice without a second copy.
func TestLedgerStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		st := newStore(t, sqldbtest.Open(t, d))
		now := time.Now().UTC().Truncate(time.Microsecond)
		a := labourer("p-a", "h1", "990001001001", "aaaa", domain.LabourerActive, now)
		b := labourer("p-b", "h1", "990001001001", "bbbb", domain.LabourerOutsideAge, now)
		c := labourer("p-c", "h2", "990001002003", "cccc", domain.LabourerActive, now)
		if err := st.SaveLabourers(ctx, []*domain.Labourer{a, b, c}); err != nil {
			t.Fatal(err)
		}
		// 人社's own fields survive the follower's replacement of the register fields.
		a.WantsWork, a.WorkStatus = true, domain.WorkInCounty
		if err := st.UpdateLabourerFields(ctx, a); err != nil {
			t.Fatal(err)
		}
		moved := *a
		moved.HouseholdID, moved.RegionCode, moved.WantsWork = "h3", "990001002003", false
		if err := st.SaveLabourers(ctx, []*domain.Labourer{&moved}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Labourer(ctx, "p-a")
		if err != nil {
			t.Fatal(err)
		}
		if got.RegionCode != "990001002003" || got.HouseholdID != "h3" || !got.WantsWork || got.WorkStatus != domain.WorkInCounty ||
			!got.CreateTime.Equal(now) {
			t.Fatalf("replaced record: %+v", got)
		}
		if missing, err := st.Labourer(ctx, "nobody"); err != nil || missing != nil {
			t.Fatalf("a missing record: %v %v", missing, err)
		}

		of, err := st.LabourersOf(ctx, []string{"h1"}, []string{"p-c"})
		if err != nil || len(of) != 2 || of["p-b"] == nil || of["p-c"] == nil {
			t.Fatalf("LabourersOf: %v %v", of, err)
		}
		page, next, err := st.ListLabourers(ctx, domain.LabourerQuery{Scope: "990001002", Filter: "state = ACTIVE", Limit: 1})
		if err != nil || len(page) != 1 || next == "" || page[0].PersonID != "p-a" {
			t.Fatalf("first page: %v %q %v", page, next, err)
		}
		page, next, err = st.ListLabourers(ctx, domain.LabourerQuery{Scope: "990001002", Filter: "state = ACTIVE", After: next, Limit: 1})
		if err != nil || len(page) != 1 || next != "" || page[0].PersonID != "p-c" {
			t.Fatalf("second page: %v %q %v", page, next, err)
		}
		if _, _, err := st.ListLabourers(ctx, domain.LabourerQuery{Filter: "colour = RED", Limit: 1}); err == nil {
			t.Fatal("an unknown filter field was accepted")
		}
		held, err := st.HeldHouseholds(ctx)
		if err != nil || len(held) != 3 {
			t.Fatalf("held households: %v %v", held, err)
		}

		// An import's stage, applied twice: the same rows, the flags set only where given.
		yes := true
		spells := []domain.Spell{{ID: "f1", PersonID: "p-c", WorkStatus: domain.WorkOutOfProvince, Mode: domain.ModeWageWork,
			MonthlyIncomeFen: 300000, FromMonth: "2025-01", ToMonth: "2025-06", Source: domain.SourceImport, CreateTime: now}}
		periods := []domain.UnemploymentPeriod{{ID: "u1", PersonID: "p-c", Kind: domain.UnemploymentBenefit, FromMonth: "2025-07",
			MonthlyAmountFen: 150000, Source: domain.SourceImport, CreateTime: now}}
		flags := []domain.LabourerFlags{{PersonID: "p-c", WorkStatus: domain.WorkOutOfProvince, Insured: &yes}}
		for range 2 {
			if err := st.InTx(ctx, func(ctx context.Context) error { return st.ApplyLabourImport(ctx, spells, periods, flags, now) }); err != nil {
				t.Fatal(err)
			}
		}
		full, asOf, err := st.LabourersByIndex(ctx, []string{"cccc", "zzzz"})
		if err != nil || len(full) != 1 {
			t.Fatalf("by index: %v %v", full, err)
		}
		if l := full[0]; len(l.Spells) != 1 || len(l.Unemployment) != 1 || !l.InsuredEmployee || l.WantsWork || l.WorkStatus != domain.WorkOutOfProvince ||
			!asOf.Equal(now) {
			t.Fatalf("after the import: %+v (as of %v)", l, asOf)
		}
		m, err := st.MatchIndexes(ctx, []string{"aaaa", "cccc", "zzzz"})
		if err != nil || len(m) != 2 || m["cccc"].PersonID != "p-c" || m["cccc"].Ended {
			t.Fatalf("matches: %v %v", m, err)
		}
		if ok, err := st.DeleteSpell(ctx, "p-a", "f1"); err != nil || ok {
			t.Fatalf("another person's spell deleted: %v %v", ok, err)
		}
		if ok, err := st.DeleteSpell(ctx, "p-c", "f1"); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		rest, err := st.LabourersAfter(ctx, "p-a", 10)
		if err != nil || len(rest) != 2 {
			t.Fatalf("after p-a: %v %v", rest, err)
		}
	})
}
