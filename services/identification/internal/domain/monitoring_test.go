package domain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/workflow"
)

var medical = domain.Reporter{Caller: domain.Caller{Actor: "yb"}, Department: domain.DeptMedicalSecurity}

func TestCreateClueRules(t *testing.T) {
	tests := []struct {
		name   string
		by     domain.Reporter
		edit   func(c *domain.NewClue)
		kind   apperr.Kind
		reason string
		field  string
	}{
		{"self-report by the household id", rural, func(*domain.NewClue) {}, 0, "", ""},
		{"医保 by a member's 身份证号", medical, func(c *domain.NewClue) {
			c.HouseholdID, c.IDNumber, c.Source, c.Kind = "", id("19800101", 11), domain.ClueSourceDepartmentScreening, domain.ClueRigidSpending
		}, 0, "", ""},
		{"医保 hands in only its own data", medical, func(*domain.NewClue) {},
			apperr.KindInvalid, domain.ReasonSourceNotCallersDepartment, "clue.source"},
		{"医保 does not hand in 应急's data", medical, func(c *domain.NewClue) {
			c.Source, c.Department = domain.ClueSourceDepartmentScreening, domain.DeptEmergencyManagement
		}, apperr.KindInvalid, domain.ReasonSourceNotCallersDepartment, "clue.source"},
		{"department screening names the department", rural, func(c *domain.NewClue) { c.Source = domain.ClueSourceDepartmentScreening },
			apperr.KindInvalid, domain.ReasonInvalidField, "clue.department"},
		{"a self-report has no department", rural, func(c *domain.NewClue) { c.Department = domain.DeptCivilAffairs },
			apperr.KindInvalid, domain.ReasonInvalidField, "clue.department"},
		{"a kind is required", rural, func(c *domain.NewClue) { c.Kind = 0 }, apperr.KindInvalid, domain.ReasonInvalidField, "clue.kind"},
		{"arose today", rural, func(c *domain.NewClue) { c.AroseDate = "2025-06-15" }, 0, "", ""},
		{"arose tomorrow", rural, func(c *domain.NewClue) { c.AroseDate = "2025-06-16" },
			apperr.KindInvalid, domain.ReasonDateInvalid, "clue.arose_date"},
		{"facts never hold a 身份证号", rural, func(c *domain.NewClue) { c.Facts = "户主 " + id("19800101", 10) + " 住院" },
			apperr.KindInvalid, domain.ReasonInvalidField, "clue.facts"},
		{"nobody with this 身份证号", medical, func(c *domain.NewClue) {
			c.HouseholdID, c.IDNumber, c.Source = "", id("19900101", 99), domain.ClueSourceDepartmentScreening
		}, apperr.KindNotFound, domain.ReasonClueHouseholdUnknown, "id_number"},
		{"a 身份证号 outside the caller's scope is unknown too", domain.Reporter{Caller: domain.Caller{Actor: "t", Scope: "990001001"},
			Department: domain.DeptRuralRevitalization}, func(c *domain.NewClue) { c.HouseholdID, c.IDNumber = "", id("19800101", 10) },
			apperr.KindNotFound, domain.ReasonClueHouseholdUnknown, "id_number"},
		{"a bad 身份证号", medical, func(c *domain.NewClue) {
			c.HouseholdID, c.IDNumber, c.Source = "", "990001198001010100", domain.ClueSourceDepartmentScreening
		}, apperr.KindInvalid, domain.ReasonIDNumberInvalid, "id_number"},
		{"a household outside the caller's scope", domain.Reporter{Caller: domain.Caller{Actor: "t", Scope: "990001001"},
			Department: domain.DeptRuralRevitalization}, func(*domain.NewClue) {}, apperr.KindPermissionDenied, domain.ReasonOutOfRegionScope, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMonEnv(t)
			h := e.household(t, "990001002001", 1, 2, domain.RegistryExited)
			in := domain.NewClue{HouseholdID: h.ID, Source: domain.ClueSourceSelfReport, Kind: domain.ClueIllness,
				Facts: "户主住院", AroseDate: "2025-06-01"}
			tt.edit(&in)
			c, existing, err := e.mon.CreateClue(t.Context(), tt.by, in)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if existing || c.HouseholdID != h.ID || c.RegionCode != "990001002001" || c.Stage != domain.StageOpen ||
					c.CreatedBy != tt.by.Actor {
					t.Errorf("clue %+v", c)
				}
				if in.AroseDate == "2025-06-01" && c.DeadlineDate != "2025-06-16" {
					t.Errorf("deadline %s, want day 15 after 2025-06-01", c.DeadlineDate)
				}
				if tt.by.Department == domain.DeptMedicalSecurity && c.Department != domain.DeptMedicalSecurity {
					t.Errorf("department %v, want the caller's", c.Department)
				}
				return
			}
			e2 := refusal(t, err)
			if e2.Kind != tt.kind || e2.Reason != tt.reason {
				t.Errorf("got %v (kind %d), want kind %d reason %s", e2, e2.Kind, tt.kind, tt.reason)
			}
			if tt.field != "" && (len(e2.Fields) == 0 || e2.Fields[0].Field != tt.field) {
				t.Errorf("fields %+v, want %s", e2.Fields, tt.field)
			}
		})
	}
}

func TestClueOnceByReference(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h := e.household(t, "990001002001", 1, 2, domain.RegistryOrdinary)
	in := domain.NewClue{IDNumber: id("19800101", 10), Source: domain.ClueSourceDepartmentScreening, Kind: domain.ClueRigidSpending,
		AroseDate: "2025-06-10", Reference: "YB-2025-000123", Facts: "住院自付 8 万元"}
	first, existing, err := e.mon.CreateClue(ctx, medical, in)
	if err != nil || existing || first.HouseholdID != h.ID {
		t.Fatalf("first %+v %v %v", first, existing, err)
	}
	again, existing, err := e.mon.CreateClue(ctx, medical, in)
	if err != nil || !existing || again.ID != first.ID {
		t.Errorf("again %+v %v %v", again, existing, err)
	}
	other := in
	other.Kind = domain.ClueIllness
	_, _, err = e.mon.CreateClue(ctx, medical, other)
	if e2 := refusal(t, err); e2.Reason != domain.ReasonExternalReferenceConflict {
		t.Errorf("another kind under the same reference: %v", e2)
	}
	// Another department may use the same number for its own record.
	emergency := domain.Reporter{Caller: domain.Caller{Actor: "yj"}, Department: domain.DeptEmergencyManagement}
	other.Kind = domain.ClueDisaster
	if _, existing, err := e.mon.CreateClue(ctx, emergency, other); err != nil || existing {
		t.Errorf("应急's own YB-2025-000123: %v %v", existing, err)
	}
}

func TestImportClues(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	e.household(t, "990001002001", 1, 2, domain.RegistryOrdinary)
	e.household(t, "990001001001", 2, 1, domain.RegistryOrdinary)
	row := func(n int, idNumber, ref string, kind domain.ClueKind, arose string) domain.ClueRow {
		return domain.ClueRow{Row: n, NewClue: domain.NewClue{IDNumber: idNumber, Source: domain.ClueSourceDepartmentScreening,
			Kind: kind, AroseDate: arose, Reference: ref, Facts: "医保结算"}}
	}
	rows := []domain.ClueRow{
		row(2, id("19800101", 10), "YB-1", domain.ClueRigidSpending, "2025-06-01"),
		row(3, id("19800101", 20), "YB-2", domain.ClueIllness, "2025-06-02"),
		row(4, id("19900101", 99), "YB-3", domain.ClueIllness, "2025-06-02"),   // nobody
		row(5, id("19800101", 11), "", domain.ClueIllness, "2025-06-02"),       // no reference
		row(6, id("19800101", 11), "YB-5", domain.ClueIllness, "2025-06-30"),   // future
		row(7, "99000119800101001X", "YB-6", domain.ClueIllness, "2025-06-02"), // bad check digit
	}
	results, err := e.mon.ImportClues(ctx, medical, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		outcome domain.ClueImportOutcome
		field   string
		reason  string
	}{
		{domain.ImportCreated, "", ""},
		{domain.ImportCreated, "", ""},
		{domain.ImportFailed, "id_number", domain.ReasonClueHouseholdUnknown},
		{domain.ImportFailed, "clue.external_reference", domain.ReasonInvalidField},
		{domain.ImportFailed, "clue.arose_date", domain.ReasonDateInvalid},
		{domain.ImportFailed, "id_number", domain.ReasonIDNumberInvalid},
	}
	for i, w := range want {
		r := results[i]
		if r.Row != rows[i].Row || r.Outcome != w.outcome || r.Field != w.field || r.Reason != w.reason {
			t.Errorf("row %d: %+v, want %+v", rows[i].Row, r, w)
		}
	}
	rerun, err := e.mon.ImportClues(ctx, medical, rows[:2])
	if err != nil {
		t.Fatal(err)
	}
	if rerun[0].Outcome != domain.ImportExisting || rerun[0].ClueID != results[0].ClueID || rerun[1].Outcome != domain.ImportExisting {
		t.Errorf("rerun %+v", rerun)
	}
	cs, _, _ := e.mon.ListClues(ctx, county, "", "", 100)
	if len(cs) != 2 {
		t.Errorf("%d clues, want 2", len(cs))
	}
}

func TestRunScreening(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	// 青山乡 (990001002) screens with 2 × the line; the rest of the county with the default 1.5 ×.
	e.pol[domain.ParamMonitoringThresholdRatio]["990001002"] = `{"num":2,"den":1}`
	record := func(h *domain.Household, fen int64) {
		t.Helper()
		if _, err := e.incomes.RecordItems(ctx, rural, h.ID, []domain.IncomeItem{wages("2025-03", fen)}); err != nil {
			t.Fatal(err)
		}
	}
	town := e.household(t, "990001001001", 1, 1, domain.RegistryOrdinary)
	record(town, 500_000) // 5,000 元: above 1.5 × 2,995 = 4,492.5
	village := e.household(t, "990001002001", 2, 1, domain.RegistryExited)
	record(village, 500_000) // below 2 × 2,995 = 5,990: inside there
	edge := e.household(t, "990001002001", 3, 1, domain.RegistryOrdinary)
	record(edge, 599_000) // exactly 2 × the line: outside
	run, err := e.mon.RunScreening(ctx, domain.Caller{Actor: "county"})
	if err != nil {
		t.Fatal(err)
	}
	if run.IncomeClues != 1 || run.SpendingClues != 0 || run.Households != 3 || run.AsOf != "2025-06-15" || len(run.PolicyHashes) < 7 {
		t.Errorf("run %+v", run)
	}
	cs, _, err := e.mon.ListClues(ctx, county, "", "", 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("clues %v %v", cs, err)
	}
	c := cs[0]
	if c.HouseholdID != village.ID || c.Kind != domain.ClueIncomeInRange || c.Screening == nil || c.Screening.ThresholdFen != 599_000 ||
		c.Screening.NetFen != 500_000 || c.DeadlineDate != "2025-06-30" || c.DeadlineHash == "" || c.Screening.Run != run.ID {
		t.Errorf("clue %+v %+v", c, c.Screening)
	}
	again, err := e.mon.RunScreening(ctx, domain.Caller{Actor: "county"})
	if err != nil || again.IncomeClues+again.SpendingClues != 0 {
		t.Errorf("rerun %+v %v", again, err)
	}
	t.Run("a township officer screens only their township", func(t *testing.T) {
		e.pol[domain.ParamMonitoringThresholdRatio]["990001001"] = `{"num":2,"den":1}`
		run, err := e.mon.RunScreening(ctx, domain.Caller{Actor: "t", Scope: "990001001"})
		if err != nil || run.IncomeClues != 1 || run.Households != 1 {
			t.Errorf("run %+v %v", run, err)
		}
	})
	t.Run("a policy value missing for a village refuses the run", func(t *testing.T) {
		delete(e.pol, domain.ParamRigidSpendingRatio)
		_, err := e.mon.RunScreening(ctx, domain.Caller{Actor: "county"})
		if e2 := refusal(t, err); e2.Reason != workflow.ReasonPolicyValueMissing {
			t.Errorf("err = %v", err)
		}
	})
}

func TestOverdueClueList(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h := e.household(t, "990001002001", 1, 1, domain.RegistryOrdinary)
	for i, arose := range []string{"2025-05-30", "2025-05-31", "2025-06-01"} {
		if _, _, err := e.mon.CreateClue(ctx, rural, domain.NewClue{HouseholdID: h.ID, Source: domain.ClueSourceCadreScreening,
			Kind: domain.ClueDisaster, AroseDate: arose, Facts: fmt.Sprint("水灾 ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		asOf string
		want int
	}{
		// 2025-06-15 is day 15 after 2025-05-31 (on time) and day 16 after 2025-05-30 (overdue).
		{"day 16 of the oldest only", "2025-06-15", 1},
		{"day 16 of the second", "2025-06-16", 2},
		{"all three", "2025-06-17", 3},
		{"none before", "2025-06-14", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, more, total, err := e.mon.ListOverdue(ctx, county, tt.asOf, domain.OverdueCursor{}, 10)
			if err != nil || len(cs) != tt.want || more || total != int64(tt.want) {
				t.Errorf("%d overdue (more %v, total %d), want %d: %v", len(cs), more, total, tt.want, err)
			}
			for _, c := range cs {
				if !c.OverdueOn(tt.asOf) {
					t.Errorf("%s listed but not overdue on %s (deadline %s)", c.ID, tt.asOf, c.DeadlineDate)
				}
			}
		})
	}
	t.Run("default today, in pages", func(t *testing.T) {
		e.now = time.Date(2025, 6, 17, 10, 0, 0, 0, time.UTC)
		first, more, total, err := e.mon.ListOverdue(ctx, county, "", domain.OverdueCursor{}, 2)
		if err != nil || len(first) != 2 || !more || total != 3 {
			t.Fatalf("first page %d %v (total %d) %v", len(first), more, total, err)
		}
		rest, more, total, err := e.mon.ListOverdue(ctx, county, "", domain.OverdueCursor{Deadline: first[1].DeadlineDate, ID: first[1].ID}, 2)
		if err != nil || len(rest) != 1 || more || rest[0].AroseDate != "2025-06-01" || total != 3 {
			t.Errorf("second page %v %v %v", rest, more, err)
		}
	})
	t.Run("outside the caller's scope nothing", func(t *testing.T) {
		cs, _, total, err := e.mon.ListOverdue(ctx, domain.Caller{Actor: "t", Scope: "990001001"}, "2025-06-17", domain.OverdueCursor{}, 10)
		if err != nil || len(cs) != 0 || total != 0 {
			t.Errorf("%v %v", cs, err)
		}
	})
	t.Run("a clue outside the scope does not exist", func(t *testing.T) {
		cs, _, _ := e.mon.ListClues(ctx, county, "", "", 1)
		_, err := e.mon.GetClue(ctx, domain.Caller{Actor: "t", Scope: "990001001"}, cs[0].ID)
		if !errors.Is(err, domain.ErrClueNotFound) {
			t.Errorf("err = %v", err)
		}
	})
}
