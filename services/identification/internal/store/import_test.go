package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// The bulk path of the ledger import, on every backend.

func newBulkStore(t testing.TB, d sqldb.Dialect) (*store.Store, *outbox.Feed) {
	t.Helper()
	db := sqldbtest.Open(t, d)
	ctx := context.Background()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	feed := outbox.New(db, nil)
	s := store.New(db, feed)
	if err := s.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Name: "示范县", Level: domain.LevelCounty},
		{Code: "990001002000", Name: "青山乡", Level: domain.LevelTownship, Parent: "990001000000"},
		{Code: "990001002001", Name: "红桥村", Level: domain.LevelVillage, Parent: "990001002000"},
	}); err != nil {
		t.Fatal(err)
	}
	return s, feed
}

func bulkCreate(ctx context.Context, s *store.Store, hs []*domain.Household, existing map[string]bool) error {
	return s.InTx(ctx, func(ctx context.Context) error { return s.CreateHouseholds(ctx, hs, existing) })
}

func TestBulkImportStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Run("bulk insert round trips and publishes one change per household", func(t *testing.T) {
			s, feed := newBulkStore(t, d)
			ctx := t.Context()
			hs := []*domain.Household{
				household("b1", "990001002001", "N-1", member(domain.RelationHead, "i1"), member(domain.RelationSpouse, "i2")),
				household("b2", "990001002001", "N-2", member(domain.RelationHead, "i3")),
				household("b3", "990001002001", "", member(domain.RelationHead, "i4"), member(domain.RelationSon, "i5")),
			}
			hs[1].Status.ExitYear, hs[1].Address = 2019, "红桥村二组"
			if err := bulkCreate(ctx, s, hs, nil); err != nil {
				t.Fatal(err)
			}
			for _, want := range hs {
				got, err := s.GetHousehold(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Number != want.Number || got.Address != want.Address || got.Status != want.Status ||
					got.Size() != want.Size() || got.Version != 1 || !got.CreateTime.Equal(want.CreateTime) {
					t.Errorf("household %+v, want %+v", got, want)
				}
				for i := range want.Members {
					g, w := got.Members[i], want.Members[i]
					if g.PersonID != w.PersonID || g.IDIndex != w.IDIndex || string(g.IDCipher) != string(w.IDCipher) ||
						g.FullName != w.FullName || g.Relation != w.Relation || g.State != domain.MemberActive || g.StartDate != w.StartDate {
						t.Errorf("member %d: %+v, want %+v", i, g, w)
					}
				}
				if len(got.History) != 1 || got.History[0].Reason != want.History[0].Reason {
					t.Errorf("history %+v", got.History)
				}
			}
			changes, err := feed.List(ctx, outbox.Query{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 3 {
				t.Fatalf("%d changes, want 3", len(changes))
			}
			for i, c := range changes {
				if c.GetTopic() != store.TopicHouseholdCreated || c.GetResource() != "households/"+hs[i].ID {
					t.Errorf("change %d: %s %s (in order: sequence follows the batch)", i, c.GetTopic(), c.GetResource())
				}
			}
		})
		t.Run("lookups by number and by blind index", func(t *testing.T) {
			s, _ := newBulkStore(t, d)
			ctx := t.Context()
			if err := bulkCreate(ctx, s, []*domain.Household{
				household("h1", "990001002001", "N-1", member(domain.RelationHead, "a"), member(domain.RelationSpouse, "b")),
				household("h2", "990001002001", "", member(domain.RelationHead, "c")),
			}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateHousehold(ctx, "h2", func(h *domain.Household) error {
				h.State = domain.HouseholdArchived
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			byNumber, err := s.HouseholdsByNumber(ctx, []string{"N-1", "N-9", ""})
			if err != nil {
				t.Fatal(err)
			}
			if len(byNumber) != 1 || byNumber["N-1"].ID != "h1" || len(byNumber["N-1"].Members) != 2 {
				t.Errorf("by number %+v", byNumber)
			}
			known, err := s.PersonsByIndex(ctx, []string{"a", "c", "zz"})
			if err != nil {
				t.Fatal(err)
			}
			if len(known) != 2 || !known["a"].Held || known["c"].Held || known["c"].ID == "" {
				t.Errorf("by blind index %+v (a held, c freed by the archive, zz unknown)", known)
			}
			if got, _ := s.PersonsByIndex(ctx, nil); len(got) != 0 {
				t.Errorf("no indexes gave %v", got)
			}
		})
		t.Run("a known person keeps the identity, attributes updated", func(t *testing.T) {
			s, _ := newBulkStore(t, d)
			ctx := t.Context()
			old := household("h1", "990001002001", "", member(domain.RelationHead, "a"))
			if err := bulkCreate(ctx, s, []*domain.Household{old}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateHousehold(ctx, "h1", func(h *domain.Household) error {
				h.State = domain.HouseholdArchived
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			again := member(domain.RelationHead, "a")
			again.PersonID, again.FullName, again.Education = old.Members[0].PersonID, "新名字", domain.Education(3)
			if err := bulkCreate(ctx, s, []*domain.Household{household("h2", "990001002001", "", again)},
				map[string]bool{again.PersonID: true}); err != nil {
				t.Fatal(err)
			}
			got, err := s.HouseholdOfPerson(ctx, "a")
			if err != nil || got.ID != "h2" || got.Members[0].PersonID != old.Members[0].PersonID ||
				got.Members[0].FullName != "新名字" || got.Members[0].Education != domain.Education(3) {
				t.Errorf("%+v, %v", got, err)
			}
		})
		t.Run("the database refuses a held person or a used number, and nothing of the batch stays", func(t *testing.T) {
			s, feed := newBulkStore(t, d)
			ctx := t.Context()
			if err := bulkCreate(ctx, s, []*domain.Household{
				household("h1", "990001002001", "N-1", member(domain.RelationHead, "a"))}, nil); err != nil {
				t.Fatal(err)
			}
			taken := member(domain.RelationHead, "a")
			taken.PersonID = "someone-else"
			err := bulkCreate(ctx, s, []*domain.Household{
				household("h2", "990001002001", "N-2", member(domain.RelationHead, "b")),
				household("h3", "990001002001", "N-3", taken)}, nil)
			if !errors.Is(err, domain.ErrPersonTaken) {
				t.Errorf("held person: %v", err)
			}
			err = bulkCreate(ctx, s, []*domain.Household{
				household("h4", "990001002001", "N-4", member(domain.RelationHead, "c")),
				household("h5", "990001002001", "N-1", member(domain.RelationHead, "d"))}, nil)
			if !errors.Is(err, domain.ErrNumberTaken) {
				t.Errorf("used number: %v", err)
			}
			for _, id := range []string{"h2", "h3", "h4", "h5"} {
				if _, err := s.GetHousehold(ctx, id); !errors.Is(err, domain.ErrHouseholdNotFound) {
					t.Errorf("%s of a refused batch was written: %v", id, err)
				}
			}
			if changes, _ := feed.List(ctx, outbox.Query{Limit: 10}); len(changes) != 1 {
				t.Errorf("%d changes, want only the first household's", len(changes))
			}
		})
		t.Run("only inside a transaction", func(t *testing.T) {
			s, _ := newBulkStore(t, d)
			err := s.CreateHouseholds(t.Context(), []*domain.Household{household("h1", "990001002001", "", member(domain.RelationHead, "a"))}, nil)
			if err == nil {
				t.Error("a bulk insert outside a transaction was accepted")
			}
		})
		t.Run("import records", func(t *testing.T) {
			s, _ := newBulkStore(t, d)
			ctx := t.Context()
			started := time.UnixMicro(time.Now().UnixMicro())
			rec := &domain.LedgerImport{ID: "imp-1", Actor: "u-1", Source: "台账.xlsx", State: domain.LedgerImportRunning, Started: started}
			save := func() error { return s.InTx(ctx, func(ctx context.Context) error { return s.SaveImport(ctx, rec) }) }
			if err := save(); err != nil {
				t.Fatal(err)
			}
			rec.State, rec.Finished, rec.Updated = domain.LedgerImportDone, started.Add(time.Minute), started.Add(time.Minute)
			rec.Summary = domain.LedgerImportSummary{Rows: 10, Households: 4, Imported: 2, Persons: 5, AlreadyImported: 1, Rejected: 1}
			rec.LastNumber, rec.LastRow = "H-0009", 11
			if err := save(); err != nil {
				t.Fatal(err)
			}
			got, err := s.LedgerImport(ctx, "imp-1")
			rec.Summary.ImportID, rec.Summary.Done = "imp-1", true
			if err != nil || fmt.Sprint(*got) != fmt.Sprint(*rec) {
				t.Errorf("got %+v, %v\nwant %+v", got, err, rec)
			}
			if _, err := s.LedgerImport(ctx, "imp-none"); !errors.Is(err, domain.ErrImportNotFound) {
				t.Errorf("a missing record: %v", err)
			}
		})
		t.Run("running records: heartbeat, list newest first, stale ones interrupted", func(t *testing.T) {
			s, _ := newBulkStore(t, d)
			ctx := t.Context()
			t0 := time.UnixMicro(time.Now().UnixMicro())
			for i, updated := range []time.Time{t0.Add(-time.Hour), t0.Add(-time.Hour), t0} {
				rec := &domain.LedgerImport{ID: fmt.Sprintf("imp-%d", i), Actor: "u", State: domain.LedgerImportRunning, Started: updated, Updated: updated}
				if i == 1 {
					rec.State = domain.LedgerImportDone
				}
				if err := s.InTx(ctx, func(ctx context.Context) error { return s.SaveImport(ctx, rec) }); err != nil {
					t.Fatal(err)
				}
			}
			// imp-0 reports at the last moment: it is alive.
			if err := s.TouchImport(ctx, "imp-0", t0.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			page, err := s.ListLedgerImports(ctx, "", 2)
			if err != nil || len(page) != 2 || page[0].ID != "imp-2" || page[1].ID != "imp-1" {
				t.Fatalf("first page %v, %v", page, err)
			}
			if rest, err := s.ListLedgerImports(ctx, "imp-1", 2); err != nil || len(rest) != 1 || rest[0].ID != "imp-0" {
				t.Fatalf("second page %v, %v", rest, err)
			}
			n, err := s.InterruptImports(ctx, t0.Add(-2*time.Minute), "stopped")
			if err != nil || n != 0 {
				t.Errorf("interrupted %d, %v: the running records reported within the last two minutes", n, err)
			}
			if n, err = s.InterruptImports(ctx, t0.Add(-30*time.Second), "stopped"); err != nil || n != 1 {
				t.Errorf("interrupted %d, %v; want imp-0 only", n, err)
			}
			got, _ := s.LedgerImport(ctx, "imp-0")
			if got.State != domain.LedgerImportInterrupted || got.Message != "stopped" || !got.Finished.Equal(t0.Add(-time.Minute)) {
				t.Errorf("imp-0 %+v", got)
			}
			if got, _ := s.LedgerImport(ctx, "imp-2"); got.State != domain.LedgerImportRunning {
				t.Errorf("a live import was interrupted: %+v", got)
			}
		})
	})
}

// BenchmarkCreateHouseholds measures the bulk insert alone: batches of 1,000 households of 3 members
// into a growing register, one transaction each (go test ./services/identification/internal/store
// -run '^$' -bench CreateHouseholds).
func BenchmarkCreateHouseholds(b *testing.B) {
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s, _ := newBulkStore(b, d)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				hs := make([]*domain.Household, 1000)
				for i := range hs {
					n++
					hs[i] = household(fmt.Sprintf("h%08d", n), "990001002001", fmt.Sprintf("N-%d", n),
						member(domain.RelationHead, fmt.Sprintf("%032x", 3*n)), member(domain.RelationSpouse, fmt.Sprintf("%032x", 3*n+1)),
						member(domain.RelationSon, fmt.Sprintf("%032x", 3*n+2)))
				}
				if err := bulkCreate(ctx, s, hs, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/household")
		})
	}
}

// RefreshPlannerStatistics leaves the planner statistics of the register's tables in the database.
func TestRefreshPlannerStatistics(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := sqldbtest.Open(t, d)
		ctx := t.Context()
		if err := migrations.Apply(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		s := store.New(db, outbox.New(db, nil))
		if err := s.UpsertRegions(ctx, []*domain.Region{{Code: "990001000000", Name: "示范县", Level: domain.LevelCounty}}); err != nil {
			t.Fatal(err)
		}
		q := `SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'regions'`
		if d == sqldb.Postgres {
			q = `SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'regions' AND last_analyze IS NOT NULL`
		}
		if err := s.RefreshPlannerStatistics(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Q(ctx).QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 {
			t.Fatalf("no planner statistics of regions after the refresh: %d, %v", n, err)
		}
	})
}
