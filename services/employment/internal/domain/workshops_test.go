package domain

import (
	"fmt"
	"slices"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
)

const testWorkshopCode = "91420602MA4KXY123R"

// workshopSpell is a 车间 spell at the test workshop.
func workshopSpell(person, from, to string) WorkSpell {
	return WorkSpell{PersonID: person, HouseholdID: "h-" + person, AtWorkshop: true, EmployerCode: testWorkshopCode,
		FromMonth: from, ToMonth: to}
}

func TestEvaluateRecognition(t *testing.T) {
	five := func(n int) ([]WorkSpell, map[string]bool) {
		var spells []WorkSpell
		poor := map[string]bool{}
		for i := range n {
			p := fmt.Sprintf("p%d", i)
			spells = append(spells, workshopSpell(p, "2026-01", ""))
			poor[p] = true
		}
		return spells, poor
	}
	tests := []struct {
		name      string
		build     func() ([]WorkSpell, map[string]bool)
		want      bool
		wantPoor  int
		wantTotal int
	}{
		{"4 poor workers are one short", func() ([]WorkSpell, map[string]bool) { return five(4) }, false, 4, 4},
		{"5 poor workers are recognised", func() ([]WorkSpell, map[string]bool) { return five(5) }, true, 5, 5},
		{"a worker from a household neither 脱贫 nor 监测 does not count", func() ([]WorkSpell, map[string]bool) {
			s, p := five(5)
			p["p4"] = false
			return s, p
		}, false, 4, 5},
		{"two spells of one person count once", func() ([]WorkSpell, map[string]bool) {
			s, p := five(4)
			return append(s, workshopSpell("p0", "2025-06", "2025-12"), workshopSpell("p0", "2026-03", "2026-04")), p
		}, false, 4, 4},
		{"a spell ended the month before does not count", func() ([]WorkSpell, map[string]bool) {
			s, p := five(4)
			p["late"] = true
			return append(s, workshopSpell("late", "2025-01", "2026-02")), p
		}, false, 4, 4},
		{"a spell that starts the month after does not count", func() ([]WorkSpell, map[string]bool) {
			s, p := five(4)
			p["early"] = true
			return append(s, workshopSpell("early", "2026-04", "")), p
		}, false, 4, 4},
		{"work there not by 车间 does not count", func() ([]WorkSpell, map[string]bool) {
			s, p := five(4)
			p["other"] = true
			w := workshopSpell("other", "2026-01", "")
			w.AtWorkshop = false
			return append(s, w), p
		}, false, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spells, poor := tt.build()
			r := EvaluateRecognition(spells, poor, "2026-03", 5)
			if r.Eligible != tt.want || len(r.PoorWorkers) != tt.wantPoor || r.Workers != tt.wantTotal {
				t.Errorf("eligible %v poor %d workers %d; want %v %d %d", r.Eligible, len(r.PoorWorkers), r.Workers, tt.want, tt.wantPoor, tt.wantTotal)
			}
		})
	}
}

func TestCheckInsurancePremium(t *testing.T) {
	pol := policy.Value{Parameter: ParamWorkshopMinInsuranceFen, Effective: "2024-01-01"}
	tests := []struct {
		name    string
		premium int64
		refused bool
	}{
		{"one fen below 15 元 is refused", 1499, true},
		{"15 元 passes", 1500, false},
		{"more passes", 3000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckInsurancePremium("workshops/w1", tt.premium, 1500, pol)
			e, ok := apperr.As(err)
			refused := ok && e.Kind == apperr.KindRefused && e.Reason == ReasonInsurancePremiumTooLow &&
				len(e.Violations) == 1 && e.Violations[0].Type == RuleInsuranceMinPremium
			if refused != tt.refused || (err != nil && !refused) {
				t.Errorf("err %v, want refused %v", err, tt.refused)
			}
		})
	}
}

func TestEvaluateRewards(t *testing.T) {
	insuredAll := func(persons ...string) map[string][]string {
		out := map[string][]string{}
		for _, p := range persons {
			out[p] = payroll.MonthsBetween("2025-01", "2026-12")
		}
		return out
	}
	tests := []struct {
		name       string
		spells     []WorkSpell
		insured    map[string][]string
		poor       bool
		rewarded   bool
		month      string
		wantDue    bool
		wantMonths int
		wantFrom   string
	}{
		{"5 months are one short", []WorkSpell{workshopSpell("a", "2026-01", "")}, insuredAll("a"), true, false, "2026-05", false, 5, "2026-01"},
		{"6 months earn the reward", []WorkSpell{workshopSpell("a", "2026-01", "")}, insuredAll("a"), true, false, "2026-06", true, 6, "2026-01"},
		{"a month not insured breaks the stretch", []WorkSpell{workshopSpell("a", "2026-01", "")},
			map[string][]string{"a": {"2026-01", "2026-02", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"}}, true, false, "2026-08", false, 5, "2026-04"},
		{"a gap between spells breaks the stretch", []WorkSpell{workshopSpell("a", "2026-01", "2026-03"), workshopSpell("a", "2026-05", "2026-07")},
			insuredAll("a"), true, false, "2026-08", false, 3, "2026-01"},
		{"adjacent spells join", []WorkSpell{workshopSpell("a", "2026-01", "2026-03"), workshopSpell("a", "2026-04", "2026-06")},
			insuredAll("a"), true, false, "2026-06", true, 6, "2026-01"},
		{"a worker not from a 脱贫/监测 household earns nothing", []WorkSpell{workshopSpell("a", "2026-01", "")}, insuredAll("a"), false, false, "2026-06", false, 6, "2026-01"},
		{"a worker rewarded before earns nothing more", []WorkSpell{workshopSpell("a", "2025-01", "")}, insuredAll("a"), true, true, "2026-06", false, 10, "2025-09"},
		{"months before the workshop's first month do not count", []WorkSpell{workshopSpell("a", "2025-06", "")}, insuredAll("a"), true, false, "2025-12", false, 4, "2025-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := EvaluateRewards(tt.spells, tt.insured, map[string]bool{"a": tt.poor}, map[string]bool{"a": tt.rewarded}, "2025-09", tt.month, 6)
			if len(cs) != 1 {
				t.Fatalf("%d candidates", len(cs))
			}
			c := cs[0]
			if c.Due != tt.wantDue || c.StableMonths != tt.wantMonths || c.StableFrom != tt.wantFrom {
				t.Errorf("due %v months %d from %s; want %v %d %s", c.Due, c.StableMonths, c.StableFrom, tt.wantDue, tt.wantMonths, tt.wantFrom)
			}
		})
	}
}

func TestInsuredMonths(t *testing.T) {
	got := InsuredMonths([]*WorkshopInsurance{
		{FromMonth: "2026-01", ToMonth: "2026-03", PersonIDs: []string{"a", "b"}},
		{FromMonth: "2026-03", ToMonth: "2026-04", PersonIDs: []string{"a"}},
	})
	if want := []string{"2026-01", "2026-02", "2026-03", "2026-04"}; !slices.Equal(got["a"], want) {
		t.Errorf("a: %v, want %v", got["a"], want)
	}
	if want := []string{"2026-01", "2026-02", "2026-03"}; !slices.Equal(got["b"], want) {
		t.Errorf("b: %v, want %v", got["b"], want)
	}
}

func TestNewWorkshopValidate(t *testing.T) {
	ok := NewWorkshop{Name: "幸福扶贫车间", CreditCode: testWorkshopCode, RegionCode: "420602001002", Address: "一组", Kind: WorkshopKindFactory}
	tests := []struct {
		name   string
		mutate func(*NewWorkshop)
		field  string
	}{
		{"valid", func(*NewWorkshop) {}, ""},
		{"no name", func(n *NewWorkshop) { n.Name = "" }, "workshop.display_name"},
		{"credit code with a wrong check character", func(n *NewWorkshop) { n.CreditCode = testWorkshopCode[:17] + "Q" }, "workshop.credit_code"},
		{"credit code too short", func(n *NewWorkshop) { n.CreditCode = testWorkshopCode[:17] }, "workshop.credit_code"},
		{"township instead of village", func(n *NewWorkshop) { n.RegionCode = "420602001" }, "workshop.region_code"},
		{"no address", func(n *NewWorkshop) { n.Address = "" }, "workshop.address"},
		{"no kind", func(n *NewWorkshop) { n.Kind = WorkshopKindUnspecified }, "workshop.kind"},
		{"kind out of range", func(n *NewWorkshop) { n.Kind = WorkshopKindTourism + 1 }, "workshop.kind"},
		{"bad date", func(n *NewWorkshop) { n.RegisteredOn = "2026-02-30" }, "workshop.registered_on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := ok
			tt.mutate(&n)
			err := n.validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			e, isApp := apperr.As(err)
			if !isApp || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("err %v, want one field violation on %s", err, tt.field)
			}
		})
	}
}

func TestWorkSpellAt(t *testing.T) {
	tests := []struct {
		name  string
		spell WorkSpell
		want  bool
	}{
		{"by credit code", WorkSpell{EmployerCode: testWorkshopCode, Employer: testWorkshopCode}, true},
		{"another credit code", WorkSpell{EmployerCode: "91420602MA4KXY4567", Employer: "幸福扶贫车间"}, false},
		{"by the registered name, spaces ignored", WorkSpell{Employer: "幸福 扶贫车间"}, true},
		{"another name", WorkSpell{Employer: "县服装厂"}, false},
		{"no employer recorded", WorkSpell{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spell.At(testWorkshopCode, "幸福扶贫车间"); got != tt.want {
				t.Errorf("At = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWorkSpellOf(t *testing.T) {
	tests := []struct {
		name     string
		spell    Spell
		away     WorkAway
		workshop bool
		code     string
	}{
		{"省外 wage work", Spell{WorkStatus: WorkOutOfProvince, Mode: ModeWageWork, Employer: "某电子厂"}, WorkAwayOutOfProvince, false, ""},
		{"县外省内", Spell{WorkStatus: WorkInProvince, Mode: ModeWageWork}, WorkAwayInProvince, false, ""},
		{"乡镇外县内 is in the county", Spell{WorkStatus: WorkInCounty, Mode: ModeWageWork}, WorkAwayNone, false, ""},
		{"车间 named by credit code", Spell{WorkStatus: WorkLocalTownship, Mode: ModeWorkshop, Employer: " " + testWorkshopCode}, WorkAwayNone, true, testWorkshopCode},
		{"未就业 is no work", Spell{WorkStatus: WorkUnemployed, Mode: ModeWorkshop, Employer: testWorkshopCode}, WorkAwayNone, false, testWorkshopCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := WorkSpellOf(tt.spell, "h")
			if w.Away != tt.away || w.AtWorkshop != tt.workshop || w.EmployerCode != tt.code || w.HouseholdID != "h" {
				t.Errorf("%+v", w)
			}
		})
	}
}

func TestPoorHousehold(t *testing.T) {
	tests := []struct {
		name                 string
		registry, monitoring int32
		want                 bool
	}{
		{"ordinary", 1, 0, false},
		{"ordinary, monitored", 1, 1, true},
		{"ordinary, risk removed", 1, 2, false},
		{"贫困户", 2, 0, true},
		{"脱贫户", 3, 0, true},
		{"返贫", 4, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PoorHousehold(tt.registry, tt.monitoring); got != tt.want {
				t.Errorf("got %v", got)
			}
		})
	}
}
