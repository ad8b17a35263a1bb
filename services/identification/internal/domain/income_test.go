package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// incPolicy is a fake policy source: entries by parameter and region prefix ("" for every region), the
// longest prefix winning, as policy.Store does.
type incPolicy map[string]map[string]string

func (p incPolicy) Decode(parameter, regionCode string, _ time.Time, into any) (policy.Value, error) {
	best, found := "", false
	for region := range p[parameter] {
		if strings.HasPrefix(regionCode, region) && (!found || len(region) > len(best)) {
			best, found = region, true
		}
	}
	if !found {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	raw := p[parameter][best]
	return policy.Value{Parameter: parameter, Region: best, Raw: json.RawMessage(raw), Hash: "hash:" + parameter + "@" + best},
		json.Unmarshal([]byte(raw), into)
}

// defaultIncPolicy is deploy/policy/defaults.json's values for this area.
func defaultIncPolicy() incPolicy {
	all := `["wages","business","property","transfer","production_cost"]`
	return incPolicy{
		domain.ParamPovertyLine:              {"": `299500`},
		domain.ParamIdentificationCounted:    {"": all},
		domain.ParamMonitoringCounted:        {"": all},
		domain.ParamDibaoCounted:             {"": `["wages","business","property","production_cost"]`},
		domain.ParamMonitoringThresholdRatio: {"": `{"num":3,"den":2}`},
		domain.ParamMonitoringWindowMonths:   {"": `12`},
		domain.ParamRigidSpendingRatio:       {"": `{"num":1,"den":1}`},
		domain.ParamClueDeadlineDays:         {"": `15`},
		domain.ParamMonitoringPostingDays:    {"": `5`},
		domain.ParamRiskRemovalPostingDays:   {"": `5`},
	}
}

// monEnv is the register with income assessment and monitoring on one SQLite database, its clock at
// `today` (2025-06-15 10:00 UTC, the same business date in Shanghai) unless moved.
type monEnv struct {
	ctx     context.Context
	st      *store.Store
	feed    *outbox.Feed
	svc     *domain.Service
	incomes *domain.Incomes
	mon     *domain.Monitoring
	pol     incPolicy
	now     time.Time
}

func newMonEnv(t *testing.T) *monEnv {
	t.Helper()
	db := sqldbtest.Open(t, sqldb.SQLite)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	e := &monEnv{feed: outbox.New(db, nil), pol: defaultIncPolicy(), now: today}
	e.st = store.New(db, e.feed)
	if err := e.st.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Level: domain.LevelCounty, Name: "示范县"},
		{Code: "990001001000", Level: domain.LevelTownship, Name: "城关镇", Parent: "990001000000"},
		{Code: "990001001001", Level: domain.LevelVillage, Name: "东街社区", Urban: true, Parent: "990001001000"},
		{Code: "990001002000", Level: domain.LevelTownship, Name: "青山乡", Parent: "990001000000"},
		{Code: "990001002001", Level: domain.LevelVillage, Name: "红桥村", Parent: "990001002000"},
	}); err != nil {
		t.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("id-%04d", n) }
	clock := func() time.Time { return e.now }
	e.svc = domain.NewService(e.st, protector, clock, newID)
	e.incomes = domain.NewIncomes(e.st, e.pol, clock, newID)
	engine := workflow.New(db, workflow.Options{Now: clock, NewID: newID, Policy: e.pol})
	if e.mon, err = domain.NewMonitoring(e.st, engine, protector, e.pol, clock, newID); err != nil {
		t.Fatal(err)
	}
	return e
}

// household registers a household of size members (seq makes the 身份证号 unique) in a village.
func (e *monEnv) household(t *testing.T, village string, seq, size int, registry domain.RegistryStatus) *domain.Household {
	t.Helper()
	in := domain.NewHousehold{RegionCode: village, Registry: registry}
	for i := range size {
		rel := domain.RelationSon
		if i == 0 {
			rel = domain.RelationHead
		}
		in.Members = append(in.Members, m(rel, id("19800101", seq*10+i)))
	}
	h, err := e.svc.CreateHousehold(t.Context(), county, in)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var (
	rural = domain.Reporter{Caller: county, Department: domain.DeptRuralRevitalization}
	civil = domain.Reporter{Caller: domain.Caller{Actor: "mz"}, Department: domain.DeptCivilAffairs}
)

func wages(period string, fen int64) domain.IncomeItem {
	return domain.IncomeItem{Type: domain.IncomeWages, Source: domain.IncomeSourceSurvey, Period: period, AmountFen: fen}
}

func TestIncomeItemRules(t *testing.T) {
	tests := []struct {
		name   string
		by     domain.Reporter
		item   func(it *domain.IncomeItem)
		reason string
		field  string
	}{
		{"wages by survey", rural, func(*domain.IncomeItem) {}, "", ""},
		{"this month is not in the future", rural, func(it *domain.IncomeItem) { it.Period = "2025-06" }, "", ""},
		{"today is not in the future", rural, func(it *domain.IncomeItem) { it.Period = "2025-06-15" }, "", ""},
		{"next month is", rural, func(it *domain.IncomeItem) { it.Period = "2025-07" }, domain.ReasonIncomePeriodInvalid, "items[0].period"},
		{"tomorrow is", rural, func(it *domain.IncomeItem) { it.Period = "2025-06-16" }, domain.ReasonIncomePeriodInvalid, "items[0].period"},
		{"month 13", rural, func(it *domain.IncomeItem) { it.Period = "2025-13" }, domain.ReasonIncomePeriodInvalid, "items[0].period"},
		{"February 30", rural, func(it *domain.IncomeItem) { it.Period = "2025-02-30" }, domain.ReasonIncomePeriodInvalid, "items[0].period"},
		{"a year is not a period", rural, func(it *domain.IncomeItem) { it.Period = "2024" }, domain.ReasonIncomePeriodInvalid, "items[0].period"},
		{"zero amount", rural, func(it *domain.IncomeItem) { it.AmountFen = 0 }, domain.ReasonIncomeItemInvalid, "items[0].amount_fen"},
		{"the largest amount", rural, func(it *domain.IncomeItem) { it.AmountFen = domain.MaxItemFen }, "", ""},
		{"1 fen above it", rural, func(it *domain.IncomeItem) { it.AmountFen = domain.MaxItemFen + 1 },
			domain.ReasonIncomeItemInvalid, "items[0].amount_fen"},
		{"rigid spending needs its kind", rural, func(it *domain.IncomeItem) { it.Type = domain.IncomeRigidSpending },
			domain.ReasonIncomeItemInvalid, "items[0].rigid_spending_kind"},
		{"medical spending", rural, func(it *domain.IncomeItem) {
			it.Type, it.RigidKind = domain.IncomeRigidSpending, domain.RigidMedical
		}, "", ""},
		{"a kind only for rigid spending", rural, func(it *domain.IncomeItem) { it.RigidKind = domain.RigidEducation },
			domain.ReasonIncomeItemInvalid, "items[0].rigid_spending_kind"},
		{"a transfer names its payer", rural, func(it *domain.IncomeItem) { it.Type = domain.IncomeTransfer },
			domain.ReasonIncomeItemInvalid, "items[0].payer"},
		{"低保 paid by 民政", rural, func(it *domain.IncomeItem) {
			it.Type, it.Payer, it.Program = domain.IncomeTransfer, domain.DeptCivilAffairs, domain.TransferDibao
		}, "", ""},
		{"a payer only for transfers", rural, func(it *domain.IncomeItem) { it.Payer = domain.DeptHumanResources },
			domain.ReasonIncomeItemInvalid, "items[0].payer"},
		{"department data names the department", rural, func(it *domain.IncomeItem) { it.Source = domain.IncomeSourceDepartment },
			domain.ReasonIncomeItemInvalid, "items[0].source_department"},
		{"a survey has no source department", rural, func(it *domain.IncomeItem) { it.SourceDepartment = domain.DeptHumanResources },
			domain.ReasonIncomeItemInvalid, "items[0].source_department"},
		{"民政 sends its own data", civil, func(it *domain.IncomeItem) {
			it.Type, it.Payer, it.Source = domain.IncomeTransfer, domain.DeptCivilAffairs, domain.IncomeSourceDepartment
		}, "", ""},
		{"民政 does not send survey figures", civil, func(*domain.IncomeItem) {}, domain.ReasonSourceNotCallersDepartment, "items[0].source"},
		{"民政 does not send 人社's data", civil, func(it *domain.IncomeItem) {
			it.Source, it.SourceDepartment = domain.IncomeSourceDepartment, domain.DeptHumanResources
		}, domain.ReasonSourceNotCallersDepartment, "items[0].source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMonEnv(t)
			h := e.household(t, "990001002001", 1, 2, domain.RegistryOrdinary)
			it := wages("2025-05", 1000_00)
			tt.item(&it)
			got, err := e.incomes.RecordItems(t.Context(), tt.by, h.ID, []domain.IncomeItem{it})
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(got) != 1 || got[0].ID == "" || got[0].HouseholdID != h.ID || got[0].RecordedBy != tt.by.Actor {
					t.Errorf("recorded %+v", got)
				}
				if tt.by.Department == domain.DeptCivilAffairs && got[0].SourceDepartment != domain.DeptCivilAffairs {
					t.Errorf("source department %v, want the caller's", got[0].SourceDepartment)
				}
				return
			}
			e2 := refusal(t, err)
			if e2.Kind != apperr.KindInvalid || e2.Fields[0].Reason != tt.reason || e2.Fields[0].Field != tt.field {
				t.Errorf("got %+v, want %s on %s", e2.Fields, tt.reason, tt.field)
			}
		})
	}
}

func TestRecordItemsIsAllOrNothingAndPublishes(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	a := e.household(t, "990001002001", 1, 2, domain.RegistryOrdinary)
	b := e.household(t, "990001001001", 2, 1, domain.RegistryOrdinary)
	good := wages("2025-05", 600_000)
	good.HouseholdID = a.ID
	bad := wages("2025-07", 1)
	bad.HouseholdID = b.ID
	if _, err := e.incomes.RecordItems(ctx, rural, "-", []domain.IncomeItem{good, bad}); err == nil {
		t.Fatal("a batch with a bad item was accepted")
	}
	if items, _, _ := e.incomes.ListItems(ctx, county, a.ID, "", "", "", 10); len(items) != 0 {
		t.Fatalf("the good item of a refused batch was written: %v", items)
	}
	other := wages("2025-04", 100_000)
	other.HouseholdID = b.ID
	if _, err := e.incomes.RecordItems(ctx, rural, "-", []domain.IncomeItem{good, other}); err != nil {
		t.Fatal(err)
	}
	changes, err := e.feed.List(ctx, outbox.Query{Topics: []string{domain.TopicIncomeAssessed}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Fatalf("%d income.assessed changes, want one per household", len(changes))
	}
	var got identificationv1.IncomeAssessed
	if err := changes[0].GetPayload().UnmarshalTo(&got); err != nil {
		t.Fatal(err)
	}
	as := got.GetAssessment()
	if got.GetTrigger() != "items_recorded" || as.GetHousehold() != "households/"+a.ID || as.GetNetFen() != 600_000 ||
		as.GetMembers() != 2 || as.GetPerCapitaFen() != 300_000 || as.GetFromDate() != "2024-07-01" || as.GetToDate() != "2025-06-15" ||
		changes[0].GetRegionCode() != "990001002001" {
		t.Errorf("payload %v", &got)
	}
	t.Run("items of a household outside the caller's scope are refused", func(t *testing.T) {
		township := domain.Reporter{Caller: domain.Caller{Actor: "t", Scope: "990001001"}, Department: domain.DeptRuralRevitalization}
		_, err := e.incomes.RecordItems(ctx, township, a.ID, []domain.IncomeItem{wages("2025-05", 1)})
		if !errors.Is(err, domain.ErrOutOfScope) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRecordItemsOnceByReference(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h := e.household(t, "990001002001", 1, 1, domain.RegistryOrdinary)
	pay := domain.IncomeItem{Type: domain.IncomeTransfer, Source: domain.IncomeSourceDepartment, Payer: domain.DeptCivilAffairs,
		Program: domain.TransferDibao, Period: "2025-05", AmountFen: 60_000, Reference: "DB-202505-0007"}
	first, err := e.incomes.RecordItems(ctx, civil, h.ID, []domain.IncomeItem{pay})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.incomes.RecordItems(ctx, civil, h.ID, []domain.IncomeItem{pay, pay})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != first[0].ID || again[1].ID != first[0].ID {
		t.Errorf("sent again: %s %s, first %s", again[0].ID, again[1].ID, first[0].ID)
	}
	if items, _, _ := e.incomes.ListItems(ctx, county, h.ID, "", "", "", 10); len(items) != 1 {
		t.Errorf("%d items, want 1", len(items))
	}
	changed := pay
	changed.AmountFen = 70_000
	_, err = e.incomes.RecordItems(ctx, civil, h.ID, []domain.IncomeItem{changed})
	if e2 := refusal(t, err); e2.Reason != domain.ReasonExternalReferenceConflict || e2.Fields[0].Field != "items[0].external_reference" {
		t.Errorf("changed content under the same reference: %+v", e2)
	}
}

func TestAssessment(t *testing.T) {
	item := func(ty domain.IncomeItemType, period string, fen int64) domain.IncomeItem {
		it := domain.IncomeItem{Type: ty, Source: domain.IncomeSourceSurvey, Period: period, AmountFen: fen}
		switch ty {
		case domain.IncomeTransfer:
			it.Payer = domain.DeptCivilAffairs
		case domain.IncomeRigidSpending:
			it.RigidKind = domain.RigidEducation
		}
		return it
	}
	w, b, p, tr, c, r := domain.IncomeWages, domain.IncomeBusiness, domain.IncomeProperty, domain.IncomeTransfer,
		domain.IncomeProductionCost, domain.IncomeRigidSpending
	tests := []struct {
		name      string
		size      int
		items     []domain.IncomeItem
		window    domain.IncomeWindowSpec
		program   domain.IncomeProgram
		counted   string // monitoring.counted_income_types override
		net       int64
		perCapita int64
		from, to  string
	}{
		// The seeds' example: 4 people, 12,120 元 → 3,030 元 each.
		{"seed example", 4, []domain.IncomeItem{item(w, "2024-03", 800_000), item(b, "2024-09", 500_000),
			item(p, "2024-10-01", 12_000), item(tr, "2024-12-31", 100_000), item(c, "2024-05", 200_000)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramIdentification, "", 1_212_000, 303_000, "2024-01-01", "2024-12-31"},
		{"a year excludes its neighbours and rigid spending", 1, []domain.IncomeItem{item(w, "2023-12-31", 1), item(w, "2024-01", 10),
			item(w, "2025-01-01", 100), item(r, "2024-06", 5_000)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramMonitoring, "", 10, 10, "2024-01-01", "2024-12-31"},
		{"rolling 12 months: from the first of the month 11 months back", 1, []domain.IncomeItem{item(w, "2024-06-30", 1),
			item(w, "2024-07-01", 10), item(w, "2024-07", 100), item(w, "2025-06-15", 1000)},
			domain.IncomeWindowSpec{AsOf: "2025-06-15"}, domain.ProgramMonitoring, "", 1110, 1110, "2024-07-01", "2025-06-15"},
		{"rolling window ends on its date", 1, []domain.IncomeItem{item(w, "2025-06-15", 1000), item(w, "2025-06-01", 1)},
			domain.IncomeWindowSpec{AsOf: "2025-06-14"}, domain.ProgramMonitoring, "", 1, 1, "2024-07-01", "2025-06-14"},
		{"per capita rounds down", 3, []domain.IncomeItem{item(w, "2024-03", 100)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramMonitoring, "", 100, 33, "2024-01-01", "2024-12-31"},
		{"a loss rounds toward minus infinity", 3, []domain.IncomeItem{item(w, "2024-03", 100), item(c, "2024-03", 200)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramMonitoring, "", -100, -34, "2024-01-01", "2024-12-31"},
		{"policy leaves transfers out", 2, []domain.IncomeItem{item(w, "2024-03", 1000), item(tr, "2024-03", 600)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramMonitoring, `["wages","production_cost"]`, 1000, 500, "2024-01-01", "2024-12-31"},
		{"costs not subtracted when not counted", 1, []domain.IncomeItem{item(w, "2024-03", 1000), item(c, "2024-03", 600)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramMonitoring, `["wages"]`, 1000, 1000, "2024-01-01", "2024-12-31"},
		{"the identification program keeps its own list", 1, []domain.IncomeItem{item(w, "2024-03", 1000), item(tr, "2024-03", 600)},
			domain.IncomeWindowSpec{Year: 2024}, domain.ProgramIdentification, `["wages"]`, 1600, 1600, "2024-01-01", "2024-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMonEnv(t)
			if tt.counted != "" {
				e.pol[domain.ParamMonitoringCounted] = map[string]string{"": tt.counted}
			}
			h := e.household(t, "990001002001", 1, tt.size, domain.RegistryOrdinary)
			if _, err := e.incomes.RecordItems(t.Context(), rural, h.ID, tt.items); err != nil {
				t.Fatal(err)
			}
			a, err := e.incomes.Assess(t.Context(), county, h.ID, tt.window, tt.program)
			if err != nil {
				t.Fatal(err)
			}
			if a.Net != tt.net || a.PerCapita != tt.perCapita || a.Members != tt.size || a.From != tt.from || a.To != tt.to ||
				a.MembersDate != "2025-06-15" || a.PolicyHash == "" {
				t.Errorf("assessment %+v, want net %d per capita %d window %s..%s", a, tt.net, tt.perCapita, tt.from, tt.to)
			}
		})
	}
}

// Compute is the read other departments use: the same figures as Assess, in the caller's scope, with 低保's
// own counted types, and nothing on the change feed.
func TestComputePublishesNothing(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h := e.household(t, "990001002001", 1, 2, domain.RegistryOrdinary)
	tr := wages("2025-03", 240_000)
	tr.Type, tr.Payer, tr.Program = domain.IncomeTransfer, domain.DeptCivilAffairs, domain.TransferDibao
	if _, err := e.incomes.RecordItems(ctx, rural, h.ID, []domain.IncomeItem{wages("2025-05", 600_000), tr}); err != nil {
		t.Fatal(err)
	}
	before, err := e.feed.List(ctx, outbox.Query{Topics: []string{domain.TopicIncomeAssessed}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		program domain.IncomeProgram
		net     int64
	}{
		{"monitoring counts the 低保 transfer", domain.ProgramMonitoring, 840_000},
		{"低保 counts its own list, without transfers", domain.ProgramDibao, 600_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := e.incomes.Compute(ctx, county, h.ID, domain.IncomeWindowSpec{AsOf: "2025-06-15"}, tt.program)
			if err != nil {
				t.Fatal(err)
			}
			if a.Net != tt.net || a.Members != 2 || a.PerCapita != tt.net/2 || a.Program != tt.program {
				t.Errorf("assessment %+v, want net %d", a, tt.net)
			}
		})
	}
	after, err := e.feed.List(ctx, outbox.Query{Topics: []string{domain.TopicIncomeAssessed}, Limit: 100})
	if err != nil || len(after) != len(before) {
		t.Errorf("Compute published: %d changes before, %d after (%v)", len(before), len(after), err)
	}
	township := domain.Caller{Actor: "t", Scope: "990001001"}
	if _, err := e.incomes.Compute(ctx, township, h.ID, domain.IncomeWindowSpec{Year: 2025}, domain.ProgramDibao); !errors.Is(err, domain.ErrOutOfScope) {
		t.Errorf("outside the caller's scope: %v", err)
	}
}

func TestAssessmentWindowRules(t *testing.T) {
	e := newMonEnv(t)
	h := e.household(t, "990001002001", 1, 1, domain.RegistryOrdinary)
	for _, w := range []domain.IncomeWindowSpec{{Year: 2026}, {Year: 1999}, {AsOf: "2025-06-16"}, {AsOf: "2025-02-29"}} {
		_, err := e.incomes.Assess(t.Context(), county, h.ID, w, domain.ProgramMonitoring)
		if e2 := refusal(t, err); e2.Reason != domain.ReasonDateInvalid {
			t.Errorf("%+v: %v", w, e2)
		}
	}
	delete(e.pol, domain.ParamIdentificationCounted)
	_, err := e.incomes.Assess(t.Context(), county, h.ID, domain.IncomeWindowSpec{Year: 2024}, domain.ProgramIdentification)
	if e2 := refusal(t, err); e2.Reason != workflow.ReasonPolicyValueMissing {
		t.Errorf("missing policy: %v", e2)
	}
}

func TestPerCapitaNet(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h := e.household(t, "990001002001", 1, 4, domain.RegistryOrdinary)
	if _, _, err := e.incomes.PerCapitaNet(ctx, h.ID, 2024); !errors.Is(err, domain.ErrNoIncomeItems) {
		t.Fatalf("no items: %v", err)
	}
	if _, err := e.incomes.RecordItems(ctx, rural, h.ID, []domain.IncomeItem{wages("2024-11", 1_212_000)}); err != nil {
		t.Fatal(err)
	}
	fen, members, err := e.incomes.PerCapitaNet(ctx, h.ID, 2024)
	if err != nil || fen != 303_000 || members != 4 {
		t.Errorf("PerCapitaNet = %d, %d, %v", fen, members, err)
	}
	if _, _, err := e.incomes.PerCapitaNet(ctx, "nope", 2024); !errors.Is(err, domain.ErrHouseholdNotFound) {
		t.Errorf("unknown household: %v", err)
	}
}

func TestInsideMonitoringRange(t *testing.T) {
	ratio := policy.Ratio{Num: 3, Den: 2}
	const line = 299_500 // threshold 449,250 fen per person
	tests := []struct {
		name    string
		net     int64
		members int
		inside  bool
	}{
		{"1 fen below the threshold", 449_249, 1, true},
		{"exactly at the threshold is outside", 449_250, 1, false},
		{"1 fen above", 449_251, 1, false},
		{"half a fen below per person (no rounding)", 898_499, 2, true},
		{"exactly at it for two", 898_500, 2, false},
		{"no income", 0, 3, true},
		{"a loss", -5, 1, true},
		{"no members is never inside", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.InsideMonitoringRange(tt.net, tt.members, line, ratio); got != tt.inside {
				t.Errorf("InsideMonitoringRange(%d, %d) = %v", tt.net, tt.members, got)
			}
		})
	}
	t.Run("an odd line gives a threshold between two fen", func(t *testing.T) {
		// 1.5 × 299,501 = 449,251.5: 449,251 is inside, 449,252 is not.
		if !domain.InsideMonitoringRange(449_251, 1, 299_501, ratio) || domain.InsideMonitoringRange(449_252, 1, 299_501, ratio) {
			t.Error("wrong side of 449,251.5")
		}
	})
}

func TestRigidSpendingBeyond(t *testing.T) {
	one := policy.Ratio{Num: 1, Den: 1}
	tests := []struct {
		name         string
		rigid, netLY int64
		ratio        policy.Ratio
		hit          bool
	}{
		{"equal to last year's income is not beyond", 300_000, 300_000, one, false},
		{"1 fen beyond", 300_001, 300_000, one, true},
		{"no spending, even after a loss", 0, -10, one, false},
		{"any spending after a loss", 1, -10, one, true},
		{"half the income with ratio 1/2 is not beyond", 150_000, 300_000, policy.Ratio{Num: 1, Den: 2}, false},
		{"1 fen more with ratio 1/2", 150_001, 300_000, policy.Ratio{Num: 1, Den: 2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.RigidSpendingBeyond(tt.rigid, tt.netLY, tt.ratio); got != tt.hit {
				t.Errorf("RigidSpendingBeyond(%d, %d) = %v", tt.rigid, tt.netLY, got)
			}
		})
	}
}

func TestFloorDiv(t *testing.T) {
	for _, tt := range []struct{ a, b, want int64 }{{7, 2, 3}, {-7, 2, -4}, {6, 3, 2}, {-6, 3, -2}, {0, 5, 0}, {1, 3, 0}, {-1, 3, -1}} {
		if got := domain.FloorDiv(tt.a, tt.b); got != tt.want {
			t.Errorf("FloorDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
