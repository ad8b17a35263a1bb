package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// incomeItem is a test item of a household: a survey figure on a day.
func incomeItem(id, household string, ty domain.IncomeItemType, day string, fen int64) *domain.IncomeItem {
	it := &domain.IncomeItem{ID: id, HouseholdID: household, Type: ty, Source: domain.IncomeSourceSurvey, Period: day, Day: day,
		AmountFen: fen, RecordedBy: "t", CreateTime: time.UnixMicro(time.Now().UnixMicro())}
	if ty == domain.IncomeRigidSpending {
		it.RigidKind = domain.RigidMedical
	}
	if ty == domain.IncomeTransfer {
		it.Payer = domain.DeptCivilAffairs
		it.Program = domain.TransferDibao
	}
	return it
}

func TestIncomeStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "inc-a"))); err != nil {
			t.Fatal(err)
		}
		items := []*domain.IncomeItem{
			incomeItem("i1", "h1", domain.IncomeWages, "2025-01-01", 100_00),
			incomeItem("i2", "h1", domain.IncomeTransfer, "2025-02-01", 50_00),
			incomeItem("i3", "h1", domain.IncomeProductionCost, "2025-03-15", 30_00),
			incomeItem("i4", "h1", domain.IncomeRigidSpending, "2025-03-15", 70_00),
			incomeItem("i5", "h1", domain.IncomeWages, "2024-12-31", 1_00),
		}
		items[1].Source, items[1].SourceDepartment, items[1].Reference = domain.IncomeSourceDepartment, domain.DeptCivilAffairs, "DB-2025-02-0001"
		if err := s.InTx(ctx, func(ctx context.Context) error { return s.InsertIncomeItems(ctx, items) }); err != nil {
			t.Fatal(err)
		}
		t.Run("sums by type within the window, both ends included", func(t *testing.T) {
			got, err := s.SumIncome(ctx, "h1", "2025-01-01", "2025-03-15")
			if err != nil {
				t.Fatal(err)
			}
			want := domain.IncomeTotals{Wages: 100_00, Transfers: 50_00, ProductionCosts: 30_00, Medical: 70_00, Items: 4, IncomeItems: 3}
			if got != want {
				t.Errorf("totals %+v, want %+v", got, want)
			}
		})
		t.Run("pages by day then id", func(t *testing.T) {
			page, next, err := s.ListIncomeItems(ctx, "h1", "", "", "", 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) != 2 || page[0].ID != "i5" || page[1].ID != "i1" || next == "" {
				t.Fatalf("page %v next %q", ids(page), next)
			}
			rest, next, err := s.ListIncomeItems(ctx, "h1", "", "", next, 10)
			if err != nil || len(rest) != 3 || rest[0].ID != "i2" || rest[2].ID != "i4" || next != "" {
				t.Errorf("rest %v next %q err %v", ids(rest), next, err)
			}
		})
		t.Run("finds an item by the source's reference", func(t *testing.T) {
			ref := domain.IncomeRef{Source: domain.IncomeSourceDepartment, Department: domain.DeptCivilAffairs, Reference: "DB-2025-02-0001"}
			got, err := s.IncomeItemsByReference(ctx, []domain.IncomeRef{ref, {Source: domain.IncomeSourceDepartment, Department: domain.DeptHumanResources, Reference: "DB-2025-02-0001"}})
			if err != nil || len(got) != 1 || got[ref].ID != "i2" || got[ref].Payer != domain.DeptCivilAffairs || got[ref].Program != domain.TransferDibao {
				t.Errorf("got %v %v", got, err)
			}
		})
	})
}

func ids(items []*domain.IncomeItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// screeningGroup is the default policy: line 2,995 元, threshold 3/2, spending ratio 1/1, every type counted.
func screeningGroup() domain.ScreeningGroup {
	return domain.ScreeningGroup{Multipliers: [6]int64{0, 1, 1, 1, 1, -1}, LineFen: 299_500, ThresholdNum: 3, ThresholdDen: 2,
		RigidNum: 1, RigidDen: 1, WindowFrom: "2024-07-01", DeadlineDate: "2025-06-30", DeadlineHash: "h", ThresholdFen: 449_250}
}

func screeningParams(run string) domain.ScreeningParams {
	return domain.ScreeningParams{RunID: run, AsOf: "2025-06-15", LastYearFrom: "2024-01-01", LastYearTo: "2024-12-31",
		Groups: []domain.ScreeningGroup{screeningGroup()}, Actor: "screening", Now: time.Now()}
}

func TestScreening(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		n := 0
		// add makes a household of size members in the village with the given items (type, day, fen).
		add := func(id string, members int, status domain.RegistryStatus, items ...any) {
			t.Helper()
			var ms []domain.Member
			for i := range members {
				rel := domain.RelationSon
				if i == 0 {
					rel = domain.RelationHead
				}
				ms = append(ms, member(rel, fmt.Sprintf("%s-%d", id, i)))
			}
			h := household(id, "990001002001", "", ms...)
			h.Status.Registry = status
			if err := s.CreateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
			var its []*domain.IncomeItem
			for i := 0; i+2 < len(items); i += 3 {
				n++
				its = append(its, incomeItem(fmt.Sprint("it-", n), id, items[i].(domain.IncomeItemType), items[i+1].(string), int64(items[i+2].(int))))
			}
			if err := s.InTx(ctx, func(ctx context.Context) error { return s.InsertIncomeItems(ctx, its) }); err != nil {
				t.Fatal(err)
			}
		}
		const w, c, r = domain.IncomeWages, domain.IncomeProductionCost, domain.IncomeRigidSpending
		ord, exited := domain.RegistryOrdinary, domain.RegistryExited
		// Threshold: 1.5 × 299,500 = 449,250 fen per person.
		add("below-1", 1, ord, w, "2025-06-01", 449_249)                          // 1 fen below: inside
		add("at", 1, ord, w, "2025-06-01", 449_250)                               // exactly at: outside
		add("above-1", 1, ord, w, "2025-06-01", 449_251)                          // 1 fen above: outside
		add("pair-inside", 2, exited, w, "2024-07-01", 898_499)                   // 449,249.5 per person: inside
		add("pair-at", 2, exited, w, "2024-07-01", 898_500)                       // 449,250 per person: outside
		add("costs", 1, ord, w, "2025-01-01", 500_000, c, "2025-02-01", 50_751)   // net 449,249: inside
		add("old-income", 1, ord, w, "2024-06-30", 100, w, "2025-06-01", 449_250) // June 2024 lies outside the window
		add("poor", 1, domain.RegistryPoor, w, "2025-06-01", 100)                 // in the registry: not screened
		add("no-items", 1, ord)                                                   // nothing known: not screened
		// Rigid spending against last year's net income (2024: 300,000 fen).
		add("spend-equal", 3, ord, w, "2024-03-01", 300_000, w, "2025-03-01", 9_000_000, r, "2025-03-01", 300_000)
		add("spend-beyond", 3, ord, w, "2024-03-01", 300_000, w, "2025-03-01", 9_000_000, r, "2025-03-01", 300_001)
		add("spend-no-last-year", 3, ord, w, "2025-03-01", 9_000_000, r, "2025-03-01", 300_001)
		// An open monitoring object is not screened.
		add("monitored", 1, ord, w, "2025-06-01", 100)
		if _, err := s.UpdateHousehold(ctx, "monitored", func(h *domain.Household) error {
			h.Status.MonitoringType, h.Status.MonitoringStatus = domain.MonitoringMarginal, domain.MonitoringStatusOpen
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		var income, spending int64
		if err := s.InTx(ctx, func(ctx context.Context) (err error) {
			income, spending, err = s.Screen(ctx, screeningParams("run-1"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got := opened(t, s, "")
		want := map[string]domain.ClueKind{"below-1": domain.ClueIncomeInRange, "pair-inside": domain.ClueIncomeInRange,
			"costs": domain.ClueIncomeInRange, "spend-beyond": domain.ClueRigidSpending}
		if fmt.Sprint(got) != fmt.Sprint(want) || income != 3 || spending != 1 {
			t.Errorf("opened %v (income %d, spending %d), want %v", got, income, spending, want)
		}
		all, _, err := s.ListClues(ctx, domain.ClueQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, cl := range all {
			if cl.HouseholdID == "pair-inside" && (cl.Screening == nil || cl.Screening.NetFen != 898_499 || cl.Screening.Members != 2 ||
				cl.Screening.ThresholdFen != 449_250 || cl.Stage != domain.StageOpen || cl.DeadlineDate != "2025-06-30" ||
				cl.AroseDate != "2025-06-15" || cl.Source != domain.ClueSourceDepartmentScreening || len(cl.ID) != 32) {
				t.Errorf("clue %+v screening %+v", cl, cl.Screening)
			}
		}

		t.Run("a rerun opens nothing new", func(t *testing.T) {
			var income, spending int64
			if err := s.InTx(ctx, func(ctx context.Context) (err error) {
				income, spending, err = s.Screen(ctx, screeningParams("run-2"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if income != 0 || spending != 0 || len(opened(t, s, "")) != 4 {
				t.Errorf("rerun opened %d + %d", income, spending)
			}
		})
		t.Run("a decided clue does not block a new one", func(t *testing.T) {
			cl := clueOf(t, s, "below-1")
			cl.Stage, cl.DecidedDate = domain.StageNotConfirmed, "2025-06-15"
			if err := s.UpdateClue(ctx, cl); err != nil {
				t.Fatal(err)
			}
			var income int64
			if err := s.InTx(ctx, func(ctx context.Context) (err error) {
				income, _, err = s.Screen(ctx, screeningParams("run-3"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if income != 1 {
				t.Errorf("opened %d, want 1 for below-1 again", income)
			}
		})
		t.Run("a group limited to villages and a scope", func(t *testing.T) {
			p := screeningParams("run-4")
			p.Groups[0].Villages = []string{"990001001001"}
			var income int64
			if err := s.InTx(ctx, func(ctx context.Context) (err error) {
				income, _, err = s.Screen(ctx, p)
				return err
			}); err != nil || income != 0 {
				t.Errorf("another village's group opened %d, %v", income, err)
			}
			p.Groups[0].Villages, p.Scope = nil, "990001001"
			if err := s.InTx(ctx, func(ctx context.Context) (err error) {
				income, _, err = s.Screen(ctx, p)
				return err
			}); err != nil || income != 0 {
				t.Errorf("another township's scope opened %d, %v", income, err)
			}
		})
		t.Run("a window reaching back before last year", func(t *testing.T) {
			p := screeningParams("run-5")
			p.Groups[0].WindowFrom = "2023-07-01"
			var income, spending int64
			if err := s.InTx(ctx, func(ctx context.Context) (err error) {
				income, spending, err = s.Screen(ctx, p)
				return err
			}); err != nil || income+spending != 0 {
				t.Errorf("opened %d + %d, %v", income, spending, err)
			}
		})
		t.Run("counts the households screening considers", func(t *testing.T) {
			n, err := s.CountScreenable(ctx, "")
			if err != nil || n != 11 {
				t.Errorf("n = %d, %v (want 13 households − poor − monitored)", n, err)
			}
		})
	})
}

// opened maps each household with an undecided clue to its kind.
func opened(t *testing.T, s *store.Store, scope string) map[string]domain.ClueKind {
	t.Helper()
	cs, _, err := s.ListClues(t.Context(), domain.ClueQuery{Scope: scope, Filter: "stage = MONITORING_STAGE_OPEN", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]domain.ClueKind{}
	for _, c := range cs {
		if _, dup := out[c.HouseholdID]; dup {
			t.Errorf("two open clues for %s", c.HouseholdID)
		}
		out[c.HouseholdID] = c.Kind
	}
	return out
}

func clueOf(t *testing.T, s *store.Store, household string) *domain.Clue {
	t.Helper()
	cs, _, err := s.ListClues(t.Context(), domain.ClueQuery{Filter: `household_id = "` + household + `"`, Limit: 10})
	if err != nil || len(cs) == 0 {
		t.Fatalf("no clue of %s: %v", household, err)
	}
	return cs[0]
}

func TestOverdueClues(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "od-a"))); err != nil {
			t.Fatal(err)
		}
		now := time.UnixMicro(time.Now().UnixMicro())
		// Arose 2025-06-01 with 15 days: the deadline is 2025-06-16 (day 15).
		for _, c := range []*domain.Clue{
			{ID: "c-open", AroseDate: "2025-06-01", DeadlineDate: "2025-06-16", Stage: domain.StageOpen},
			{ID: "c-posting", AroseDate: "2025-06-01", DeadlineDate: "2025-06-16", Stage: domain.StagePosting},
			{ID: "c-decided", AroseDate: "2025-06-01", DeadlineDate: "2025-06-16", Stage: domain.StageConfirmed, DecidedDate: "2025-06-20"},
			{ID: "c-later", AroseDate: "2025-06-02", DeadlineDate: "2025-06-17", Stage: domain.StageOpen},
		} {
			c.HouseholdID, c.RegionCode, c.Source, c.Kind, c.DeadlineHash, c.CreatedBy, c.Version = "h1", "990001002001",
				domain.ClueSourceSelfReport, domain.ClueIllness, "h", "t", 1
			c.CreateTime, c.UpdateTime = now, now
			if err := s.InsertClue(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			asOf  string
			scope string
			want  []string
		}{
			{"day 15 is on time", "2025-06-16", "", nil},
			{"day 16 is overdue", "2025-06-17", "", []string{"c-open", "c-posting"}},
			{"a day later the next clue too, oldest deadline first", "2025-06-18", "", []string{"c-open", "c-posting", "c-later"}},
			{"outside the caller's scope nothing", "2025-06-18", "990001001", nil},
			{"inside the caller's village", "2025-06-18", "990001002001", []string{"c-open", "c-posting", "c-later"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cs, err := s.ListOverdueClues(ctx, tt.scope, tt.asOf, "", "", 10)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range cs {
					got = append(got, c.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("overdue %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("pages after a cursor", func(t *testing.T) {
			cs, err := s.ListOverdueClues(ctx, "", "2025-06-18", "2025-06-16", "c-open", 10)
			if err != nil || len(cs) != 2 || cs[0].ID != "c-posting" {
				t.Errorf("after cursor %v %v", cs, err)
			}
		})
	})
}
