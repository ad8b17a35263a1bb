package domain_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// bulkPath makes importLedger import as a bulk load (TestImportBulkPath).
var bulkPath bool

// ledgerDialect, when set, replaces the dialect newLedgerEnv is asked for (TestImportBulkPathPostgres).
var ledgerDialect sqldb.Dialect

// TestImportBulkPath runs the import tests of the ordinary path again as bulk loads: the same checks, the
// same row-level report, the same register. (TestImportRerunAfterCrashWritesNothingTwice is the ordinary
// path's crash, where committed batches stay; the bulk load's is TestBulkLoadCrashAtEachStage.)
func TestImportBulkPath(t *testing.T) {
	bulkPath = true
	t.Cleanup(func() { bulkPath = false })
	runBulkPathTests(t)
}

// TestImportBulkPathPostgres runs them once more on PostgreSQL, where the bulk load writes with COPY
// (the tests' SQLite environments become PostgreSQL ones).
func TestImportBulkPathPostgres(t *testing.T) {
	bulkPath, ledgerDialect = true, sqldb.Postgres
	t.Cleanup(func() { bulkPath, ledgerDialect = false, "" })
	runBulkPathTests(t)
}

// bulkStaged makes newLedgerEnv's importer stage its bulk loads (LedgerImporter.Staged).
var bulkStaged bool

// TestImportBulkPathStaged and TestImportBulkPathStagedPostgres run them on the staged bulk load: the
// file in temporary tables, the checks set-wise in SQL, one merge.
func TestImportBulkPathStaged(t *testing.T) {
	bulkPath, bulkStaged = true, true
	t.Cleanup(func() { bulkPath, bulkStaged = false, false })
	runBulkPathTests(t)
}

func TestImportBulkPathStagedPostgres(t *testing.T) {
	bulkPath, bulkStaged, ledgerDialect = true, true, sqldb.Postgres
	t.Cleanup(func() { bulkPath, bulkStaged, ledgerDialect = false, false, "" })
	runBulkPathTests(t)
}

// bulkVariants runs fn for the bulk load by batches and for the staged one.
func bulkVariants(t *testing.T, fn func(t *testing.T)) {
	for _, staged := range []bool{false, true} {
		name := "batches"
		if staged {
			name = "staged"
		}
		t.Run(name, func(t *testing.T) {
			bulkStaged = staged
			t.Cleanup(func() { bulkStaged = false })
			fn(t)
		})
	}
}

func runBulkPathTests(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"RowRules", TestImportRowRules},
		{"IDNumberStoredAsNumber", TestImportIDNumberStoredAsNumber},
		{"RejectedHouseholdOfTheRegister", TestImportRejectedHouseholdOfTheRegister},
		{"MapsTheLedger", TestImportMapsTheLedger},
		{"Header", TestImportHeader},
		{"RowsOutOfOrder", TestImportRowsOutOfOrder},
		{"MixedFile", TestImportMixedFile},
		{"Conflicts", TestImportConflicts},
		{"DryRunWritesNothing", TestImportDryRunWritesNothing},
		{"ReusesAFreedPerson", TestImportReusesAFreedPerson},
		{"OversizedHousehold", TestImportOversizedHousehold},
		{"RegistrationDate", TestImportRegistrationDate},
	} {
		t.Run(tc.name, tc.fn)
	}
}

func TestBulkLoadRule(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	rows, _, _, _ := mixedLedger()
	// The register holds one household.
	if _, _, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(ledgerHeader,
		line("R-1", "990001002001", "红桥村", "甲", id("19600101", 901), "户主", "一般户", ""))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		declared int64
		reason   string
	}{
		{0, domain.ReasonBulkLoadSizeRequired},
		{10, domain.ReasonBulkLoadRegisterTooFull}, // 1 household is 10 % of 10
		{11, ""},
	} {
		_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{Bulk: true, DeclaredHouseholds: tc.declared}, rows)
		e2, _ := apperr.As(err)
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("declared %d: %v", tc.declared, err)
		case tc.reason == "" && sum.Imported != 6:
			t.Errorf("declared %d: %+v", tc.declared, sum)
		case tc.reason != "" && (e2 == nil || e2.Reason != tc.reason):
			t.Errorf("declared %d: %v, want %s", tc.declared, err, tc.reason)
		}
		if tc.reason == domain.ReasonBulkLoadRegisterTooFull && (e2.Kind != apperr.KindRefused || !strings.Contains(e2.Message, "10 %")) {
			t.Errorf("the refusal does not name the rule: %+v", e2)
		}
	}
}

// registerDump is the register's content, independent of generated ids: each household by number with
// its region, status, history and members (blind index, relation, state, dates).
func registerDump(t *testing.T, e *ledgerEnv) []string {
	t.Helper()
	hs, _, err := e.st.ListHouseholds(t.Context(), domain.ListQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		full, err := e.st.GetHousehold(t.Context(), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%s %s %s %v %d", full.Number, full.RegionCode, full.Address, full.Status, len(full.History))
		for _, m := range full.Members {
			line += fmt.Sprintf(" [%s %d %d %s %s]", m.IDIndex, m.Relation, m.State, m.StartDate, m.Person.FullName)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// indexDefs lists the database's indexes with their definitions.
func indexDefs(t *testing.T, e *ledgerEnv) []string {
	t.Helper()
	q := `SELECT name || ' ' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`
	if e.db.Dialect == sqldb.Postgres {
		q = `SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`
	}
	rows, err := e.db.Q(t.Context()).QueryContext(t.Context(), q)
	defs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
		var d string
		return d, r.Scan(&d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) < 10 {
		t.Fatalf("only %d indexes: %v", len(defs), defs)
	}
	return defs
}

// feedTopics counts the feed's changes by topic.
func feedTopics(t *testing.T, e *ledgerEnv) map[string]int {
	t.Helper()
	changes, err := e.st.Feed().List(t.Context(), outbox.Query{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range changes {
		out[c.GetTopic()]++
	}
	return out
}

// TestBulkLoadCrashAtEachStage fails a bulk load at each of its stages, as a crash would, and reruns it:
// the crash leaves nothing (no household, no change, the record failed) and the rerun the same register
// as a clean run, with one register.bulk_loaded on the feed.
func TestBulkLoadCrashAtEachStage(t *testing.T) {
	bulkVariants(t, testBulkLoadCrashAtEachStage)
}

func testBulkLoadCrashAtEachStage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		rows, _, _, _ := mixedLedger()
		bulk := domain.LedgerImportOptions{Bulk: true, DeclaredHouseholds: 16, BatchSize: 2}
		clean := newLedgerEnv(t, d)
		cleanIssues, cleanSum, err := clean.importLedger(t, county, bulk, rows)
		if err != nil {
			t.Fatal(err)
		}
		want := registerDump(t, clean)
		if len(want) != 6 || cleanSum.Imported != 6 {
			t.Fatalf("clean run: %d households, %+v", len(want), cleanSum)
		}
		if got := feedTopics(t, clean); got["register.bulk_loaded"] != 1 || got["household.created"] != 0 {
			t.Errorf("clean run's feed: %v", got)
		}
		crash := errors.New("crash")
		for _, tc := range []struct {
			stage domain.BulkStage
			nth   int
		}{{domain.BulkStageBatch, 1}, {domain.BulkStageBatch, 3}, {domain.BulkStageChecked, 1}, {domain.BulkStageMerged, 1}, {domain.BulkStageFeed, 1}} {
			if tc.stage == domain.BulkStageMerged && !bulkStaged {
				continue // the load by batches merges nothing
			}
			t.Run(fmt.Sprintf("%s %d", tc.stage, tc.nth), func(t *testing.T) {
				e := newLedgerEnv(t, d)
				seen := 0
				opts := bulk
				opts.Crash = func(st domain.BulkStage) error {
					if st == tc.stage {
						if seen++; seen == tc.nth {
							return crash
						}
					}
					return nil
				}
				_, sum, err := e.importLedger(t, county, opts, rows)
				if !errors.Is(err, crash) {
					t.Fatalf("the crashing load: %v", err)
				}
				if got := registerDump(t, e); len(got) != 0 {
					t.Errorf("after the crash the register holds %v", got)
				}
				// The register's indexes are as they were.
				if got, want := indexDefs(t, e), indexDefs(t, clean); !slices.Equal(got, want) {
					t.Errorf("after the crash the indexes are\n%v\nwant\n%v", got, want)
				}
				if got := feedTopics(t, e); len(got) != 0 {
					t.Errorf("after the crash the feed holds %v", got)
				}
				rec, err := e.st.LedgerImport(t.Context(), sum.ImportID)
				if err != nil || rec.State != domain.LedgerImportFailed || rec.Summary.Imported != 0 {
					t.Errorf("record of the crashed load %+v, %v", rec, err)
				}
				issues, again, err := e.importLedger(t, county, bulk, rows)
				if err != nil {
					t.Fatal(err)
				}
				if got := registerDump(t, e); !slices.Equal(got, want) {
					t.Errorf("after the rerun\n got %v\nwant %v", got, want)
				}
				if got, want := indexDefs(t, e), indexDefs(t, newLedgerEnv(t, d)); !slices.Equal(got, want) {
					t.Errorf("after the rerun the indexes are\n%v\nwant those of a new register\n%v", got, want)
				}
				if fmt.Sprint(findings(issues)) != fmt.Sprint(findings(cleanIssues)) || again.Imported != cleanSum.Imported ||
					again.Rejected != cleanSum.Rejected {
					t.Errorf("the rerun reports %+v, the clean run %+v", again, cleanSum)
				}
				if got := feedTopics(t, e); got["register.bulk_loaded"] != 1 || len(got) != 1 {
					t.Errorf("after the rerun the feed holds %v", got)
				}
			})
		}
	})
}

// TestBulkLoadInvisibleUntilCommit reads the register while a load is under way (after its first batches
// were written): readers see the register as it was.
func TestBulkLoadInvisibleUntilCommit(t *testing.T) {
	bulkVariants(t, testBulkLoadInvisibleUntilCommit)
}

func testBulkLoadInvisibleUntilCommit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := newLedgerEnv(t, d)
		rows, _, _, _ := mixedLedger()
		var during []int64
		var writeErr error
		opts := domain.LedgerImportOptions{Bulk: true, DeclaredHouseholds: 16, BatchSize: 2,
			Crash: func(st domain.BulkStage) error {
				if st == domain.BulkStageFeed {
					// A reader outside the load's transaction, as another request would be.
					n, err := e.st.CountHouseholds(context.Background())
					if err != nil {
						return err
					}
					during = append(during, n)
					// A writer waits for the load until its deadline, and is told why.
					wctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
					defer cancel()
					_, writeErr = e.svc.CreateHousehold(wctx, county, domain.NewHousehold{RegionCode: "990001001001",
						Members: []domain.Member{m(domain.RelationHead, id("19800101", 951))}})
				}
				return nil
			}}
		_, sum, err := e.importLedger(t, county, opts, rows)
		if err != nil || sum.Imported != 6 {
			t.Fatalf("%+v, %v", sum, err)
		}
		if !slices.Equal(during, []int64{0}) {
			t.Errorf("readers saw %v households before the commit, want 0", during)
		}
		if e2, ok := apperr.As(writeErr); !ok || e2.Kind != apperr.KindUnavailable || e2.Reason != domain.ReasonBulkLoadInProgress {
			t.Errorf("a write during the load: %v, want UNAVAILABLE %s", writeErr, domain.ReasonBulkLoadInProgress)
		}
		if n, err := e.st.CountHouseholds(t.Context()); err != nil || n != 6 {
			t.Errorf("after the commit: %d, %v", n, err)
		}
	})
}

// TestBulkLoadAuto: an import that lets the service choose (the portal's upload) is a bulk load when the
// file declares at least BulkLoadMinHouseholds households and the register holds fewer than a tenth of
// them, and the ordinary path otherwise — never refused for the register's size.
func TestBulkLoadAuto(t *testing.T) {
	for _, tc := range []struct {
		name     string
		held     int // households in the register before
		declared int64
		bulk     bool
	}{
		{"an empty register and a county's file", 0, 2000, true},
		{"a small file", 0, domain.BulkLoadMinHouseholds - 1, false},
		{"nothing declared", 0, 0, false},
		{"a register holding a tenth of the file", 200, 2000, false},
		{"a register holding less than a tenth", 199, 2000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			held := []string{ledgerHeader}
			for i := range tc.held {
				held = append(held, line(fmt.Sprintf("H-%d", i), "990001002001", "红桥村", "甲", id(fmt.Sprintf("1960%02d%02d", 1+i/28, 1+i%28), 901), "户主", "一般户", ""))
			}
			if tc.held > 0 {
				if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(held...)); err != nil || sum.Imported != int64(tc.held) {
					t.Fatalf("the register's households: %+v, %v", sum, err)
				}
			}
			before := feedTopics(t, e)
			_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{Auto: true, DeclaredHouseholds: tc.declared},
				ledgerRows(ledgerHeader, line("A-1", "990001002001", "红桥村", "乙", id("19700101", 11), "户主", "一般户", ""),
					line("A-2", "990001002001", "红桥村", "丙", id("19700101", 13), "户主", "一般户", "")))
			if err != nil || sum.Imported != 2 {
				t.Fatalf("%+v, %v", sum, err)
			}
			after := feedTopics(t, e)
			loads := after["register.bulk_loaded"] - before["register.bulk_loaded"]
			if tc.bulk && loads != 1 || !tc.bulk && loads != 0 {
				t.Errorf("register.bulk_loaded changes: %d, want bulk %v (feed %v)", loads, tc.bulk, after)
			}
		})
	}
}

// TestBulkLoadChecksForeignKeys: a bulk load whose rows name a person the register does not hold fails
// before it commits and leaves nothing, whether the database checks the keys row by row or the load
// checks them at its end (PostgreSQL as a superuser: Store.FinishBulkLoad).
func TestBulkLoadChecksForeignKeys(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := newLedgerEnv(t, d)
		ctx := t.Context()
		h := &domain.Household{ID: "h-ghost", RegionCode: "990001002001", Number: "G-1", State: domain.HouseholdActive,
			Status: domain.Status{Registry: domain.RegistryOrdinary, RegistryDate: "2024-01-01"}, Version: 1,
			CreateTime: today, UpdateTime: today,
			Members: []domain.Member{{PersonID: "no-such-person", Relation: domain.RelationHead, State: domain.MemberActive,
				StartDate: "2024-01-01"}}}
		var end func()
		err := e.st.InTx(ctx, func(ctx context.Context) error {
			var err error
			if end, err = e.st.BeginBulkLoad(ctx); err != nil {
				return err
			}
			// The member's person counts as known (its record updated, none inserted).
			if err := e.st.LoadHouseholds(ctx, []*domain.Household{h}, map[string]bool{"no-such-person": true}); err != nil {
				return err
			}
			return e.st.FinishBulkLoad(ctx)
		})
		if end != nil {
			end() // after the transaction, as the import calls it
		}
		if err == nil {
			t.Fatal("a load naming a person the register does not hold committed")
		}
		t.Logf("refused: %v", err)
		if n, err := e.st.CountHouseholds(ctx); err != nil || n != 0 {
			t.Errorf("after the failed load the register holds %d households, %v", n, err)
		}
	})
}

// TestBulkLoadSetWiseChecksMatchTheOrdinaryPath: the staged bulk load checks the whole staged file at
// once, in SQL, and decides the households it concerns in file order; its report and register (and those
// of the load by batches) must be the ordinary path's, which decides batch by batch against what earlier
// batches wrote. The file has
// chains of repeated persons across batches (the first household to hold a person keeps them; a
// household refused for a taken person does not take its other persons from later households), a
// household of the register imported again, one registered with different content, a person the
// register holds and one it knows but no household holds, and a household rejected for its rows whose
// readable members are held elsewhere.
func TestBulkLoadSetWiseChecksMatchTheOrdinaryPath(t *testing.T) {
	bulkVariants(t, testBulkLoadSetWiseChecksMatchTheOrdinaryPath)
}

func testBulkLoadSetWiseChecksMatchTheOrdinaryPath(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		l := func(n, name, idn, rel string) string {
			return line(n, "990001002001", "红桥村"+n, name, idn, rel, "一般户", "")
		}
		before := ledgerRows(ledgerHeader,
			l("R-1", "老一", id("19500101", 301), "户主"),
			l("R-2", "老二", id("19500101", 311), "户主"),
			l("R-3", "老三", id("19500101", 321), "户主"),
			l("R-4", "老四", id("19500101", 331), "户主"))
		file := ledgerRows(ledgerHeader,
			l("A-1", "甲", id("19600101", 401), "户主"),                     // 2 keeps P401
			l("A-2", "乙", id("19600101", 411), "户主"),                     // 3
			l("A-2", "乙二", id("19600101", 401), "配偶"),                    // 4 P401 taken by A-1: A-2 refused
			l("A-3", "丙", id("19600101", 411), "户主"),                     // 5 P411 free again (A-2 refused): written
			l("R-1", "老一", id("19500101", 301), "户主"),                    // 6 already imported
			l("R-2", "老二改", id("19500101", 311), "户主"),                   // 7 conflict (name)
			l("A-4", "丁", id("19500101", 321), "户主"),                     // 8 P321 held by R-3
			at(l("A-5", "戊", id("19600101", 421), "户主"), cHealth, "很健康"), // 9 rejected for its row...
			l("A-5", "戊二", id("19600101", 401), "配偶"),                    // 10 ...and its readable member is held
			l("A-6", "己", id("19600101", 431), "户主"),                     // 11
			l("A-7", "庚", id("19600101", 441), "户主"),                     // 12
			l("A-7", "庚二", id("19600101", 431), "子"),                     // 13 P431 taken by A-6
			l("A-8", "辛", id("19600101", 441), "户主"),                     // 14 P441 free (A-7 refused)
			l("A-9", "壬", id("19600101", 451), "户主"),                     // 15
			l("A-9", "壬二", id("19600101", 451), "子"),                     // 16 repeated within the household
			l("A-10", "癸", id("19500101", 331), "户主"))                    // 17 the person of R-4, archived: reused
		run := func(bulk bool) ([]finding, domain.LedgerImportSummary, []string) {
			e := newLedgerEnv(t, d)
			if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, before); err != nil || sum.Imported != 4 {
				t.Fatalf("the register's households: %+v, %v", sum, err)
			}
			// R-4's head leaves: the register knows the person, no household holds them.
			h, err := e.st.HouseholdsByNumber(t.Context(), []string{"R-4"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.ArchiveHousehold(t.Context(), county, h["R-4"].ID, "", "迁出"); err != nil {
				t.Fatal(err)
			}
			opts := domain.LedgerImportOptions{BatchSize: 1}
			if bulk {
				opts.Bulk, opts.DeclaredHouseholds = true, 1000
			}
			issues, sum, err := e.importLedger(t, county, opts, file)
			if err != nil {
				t.Fatal(err)
			}
			return findings(issues), sum, registerDump(t, e)
		}
		wantFindings, wantSum, wantRegister := run(false)
		gotFindings, gotSum, gotRegister := run(true)
		if fmt.Sprint(gotFindings) != fmt.Sprint(wantFindings) {
			t.Errorf("bulk load's findings\n%v\nthe ordinary path's\n%v", gotFindings, wantFindings)
		}
		gotSum.ImportID, wantSum.ImportID = "", ""
		if gotSum != wantSum {
			t.Errorf("bulk load's summary %+v, the ordinary path's %+v", gotSum, wantSum)
		}
		if !slices.Equal(gotRegister, wantRegister) {
			t.Errorf("bulk load's register\n%v\nthe ordinary path's\n%v", gotRegister, wantRegister)
		}
		// The ordinary path's result, stated: and A-10 (the freed person) written.
		if wantSum.Imported != 5 || wantSum.AlreadyImported != 1 || wantSum.Conflicting != 1 {
			t.Errorf("the ordinary path: %+v", wantSum)
		}
	})
}
