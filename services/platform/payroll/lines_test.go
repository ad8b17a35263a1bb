package payroll

import (
	"reflect"
	"testing"
)

func ent(id, from, to string, fen int64) *Entitlement {
	return &Entitlement{ID: id, Program: ProgramDibao, Beneficiary: "households/h1", HouseholdID: "h1",
		RegionCode: "990001001001", FromMonth: from, ToMonth: to, AmountFen: fen}
}

func paidFor(period string, net int64, kinds ...RollLineKind) PaidPeriod {
	return PaidPeriod{Beneficiary: "households/h1", Period: period, NetFen: net, Kinds: kinds, HouseholdID: "h1",
		RegionCode: "990001001001", EntitlementIDs: []string{"old"}}
}

// paidRegular is months first..last paid regularly with fen each, plus more.
func paidRegular(first, last string, fen int64, more ...PaidPeriod) []PaidPeriod {
	var out []PaidPeriod
	for _, m := range MonthsBetween(first, last) {
		out = append(out, paidFor(m, fen, RollLineRegular))
	}
	for _, p := range more {
		for i := range out {
			if out[i].Period == p.Period {
				out[i] = p
			}
		}
	}
	return out
}

// brief is a line reduced to what the rule decides.
type brief struct {
	Period string
	Kind   RollLineKind
	Fen    int64
}

func briefs(lines []RollLine) []brief {
	var out []brief
	for _, l := range lines {
		out = append(out, brief{l.Period, l.Kind, l.AmountFen})
	}
	return out
}

func heldBriefs(held []HeldAdjustment) []brief {
	var out []brief
	for _, h := range held {
		out = append(out, brief{h.Period, h.Kind, h.AmountFen})
	}
	return out
}

func TestBeneficiaryLines(t *testing.T) {
	const month = "2026-05"
	tests := []struct {
		name  string
		first string
		ents  []*Entitlement
		paid  []PaidPeriod
		want  []brief
		held  []brief
	}{
		{name: "an open entitlement pays the month", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "", 120000)},
			paid: []PaidPeriod{paidFor("2026-01", 120000, RollLineRegular), paidFor("2026-02", 120000, RollLineRegular),
				paidFor("2026-03", 120000, RollLineRegular), paidFor("2026-04", 120000, RollLineRegular)},
			want: []brief{{"2026-05", RollLineRegular, 120000}}},
		{name: "the first roll pays only its own month", first: month,
			ents: []*Entitlement{ent("e1", "2025-06", "", 120000)},
			want: []brief{{"2026-05", RollLineRegular, 120000}}},
		{name: "an entitlement starting next month pays nothing", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-06", "", 120000)}},
		{name: "an entitlement whose last month is this month pays it", first: month,
			ents: []*Entitlement{ent("e1", "2026-01", "2026-05", 120000)},
			want: []brief{{"2026-05", RollLineRegular, 120000}}},
		{name: "late approval: back pay from the program's first roll month, never before", first: "2026-03",
			ents: []*Entitlement{ent("e1", "2026-01", "", 50000)},
			want: []brief{{"2026-03", RollLineBackPay, 50000}, {"2026-04", RollLineBackPay, 50000}, {"2026-05", RollLineRegular, 50000}}},
		{name: "a raise reaching back pays the difference", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-03", 100000), ent("e2", "2026-04", "", 130000)},
			paid: paidRegular("2026-01", "2026-04", 100000),
			want: []brief{{"2026-04", RollLineBackPay, 30000}, {"2026-05", RollLineRegular, 130000}}},
		{name: "death in April: no payment from May, April's paid amount stays", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-04", 120000)},
			paid: paidRegular("2026-01", "2026-04", 120000)},
		{name: "death in March recorded after April was paid: April is recovered", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-03", 120000)},
			paid: paidRegular("2026-01", "2026-04", 120000),
			want: []brief{{"2026-04", RollLineRecovery, -120000}}},
		{name: "a smaller amount reaching back recovers the difference", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-03", 120000), ent("e2", "2026-04", "", 80000)},
			paid: paidRegular("2026-01", "2026-04", 120000),
			want: []brief{{"2026-04", RollLineRecovery, -40000}, {"2026-05", RollLineRegular, 80000}}},
		{name: "a month already back paid is settled", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-02", "", 50000)},
			paid: []PaidPeriod{paidFor("2026-02", 50000, RollLineBackPay), paidFor("2026-03", 50000, RollLineBackPay),
				paidFor("2026-04", 50000, RollLineRegular)},
			want: []brief{{"2026-05", RollLineRegular, 50000}}},
		{name: "a recovered month raised again is back paid", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "", 120000)},
			paid: paidRegular("2026-01", "2026-04", 120000, paidFor("2026-04", 0, RollLineRegular, RollLineRecovery)),
			want: []brief{{"2026-04", RollLineBackPay, 120000}, {"2026-05", RollLineRegular, 120000}}},
		{name: "a second recovery of the same month is held, not a second line", first: "2026-01",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-03", 120000), ent("e2", "2026-04", "", 30000)},
			paid: paidRegular("2026-01", "2026-04", 120000, paidFor("2026-04", 80000, RollLineRegular, RollLineRecovery)),
			want: []brief{{"2026-05", RollLineRegular, 30000}},
			held: []brief{{"2026-04", RollLineRecovery, -50000}}},
		{name: "months before the first roll are never looked at", first: "2026-04",
			ents: []*Entitlement{ent("e1", "2026-01", "2026-02", 120000)},
			paid: []PaidPeriod{paidFor("2026-02", 120000, RollLineRegular)}},
		{name: "a zero amount pays nothing", first: month,
			ents: []*Entitlement{ent("e1", "2026-01", "", 0)}},
		{name: "no entitlement and nothing paid: no line", first: "2026-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, held := BeneficiaryLines(ProgramDibao, month, tt.first, tt.ents, tt.paid)
			if got := briefs(lines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines %v, want %v", got, tt.want)
			}
			if got := heldBriefs(held); !reflect.DeepEqual(got, tt.held) {
				t.Errorf("held %v, want %v", got, tt.held)
			}
			for _, l := range lines {
				if l.Program != ProgramDibao || l.RollMonth != month || l.Beneficiary != "households/h1" ||
					l.HouseholdID != "h1" || l.RegionCode != "990001001001" || l.Reason == "" || len(l.EntitlementIDs) == 0 {
					t.Errorf("line not filled in: %+v", l)
				}
			}
		})
	}
}

func TestBeneficiaryLinesDetails(t *testing.T) {
	t.Run("a recovery with no entitlement left names the paid line's sources and the end reason", func(t *testing.T) {
		e := ent("e1", "2026-01", "2026-03", 120000)
		e.EndReason = "死亡"
		lines, _ := BeneficiaryLines(ProgramDibao, "2026-05", "2026-01", []*Entitlement{e}, paidRegular("2026-01", "2026-04", 120000))
		if len(lines) != 1 {
			t.Fatalf("lines %v", lines)
		}
		l := lines[0]
		if !reflect.DeepEqual(l.EntitlementIDs, []string{"old"}) || l.Reason != "追回 2026-04: 应发 0 分, 已发 120000 分; 原因: 死亡" {
			t.Errorf("line %+v", l)
		}
	})
	t.Run("the input order does not change the lines", func(t *testing.T) {
		a, b := ent("e1", "2026-01", "2026-02", 100), ent("e2", "2026-03", "", 200)
		a.Reason, b.Reason = "批准", "调整"
		one, _ := BeneficiaryLines(ProgramDibao, "2026-05", "2026-01", []*Entitlement{a, b}, nil)
		two, _ := BeneficiaryLines(ProgramDibao, "2026-05", "2026-01", []*Entitlement{b, a}, nil)
		if !reflect.DeepEqual(one, two) || len(one) != 5 {
			t.Errorf("%v\n%v", one, two)
		}
	})
	t.Run("the regular line says which decision pays", func(t *testing.T) {
		e := ent("e1", "2026-05", "", 100)
		e.Reason = "低保审批"
		lines, _ := BeneficiaryLines(ProgramDibao, "2026-05", "2026-05", []*Entitlement{e}, nil)
		if len(lines) != 1 || lines[0].Reason != "正常发放 2026-05; 依据: 低保审批" {
			t.Errorf("%+v", lines)
		}
	})
}

func TestDiffLines(t *testing.T) {
	line := func(period string, kind RollLineKind, fen int64) RollLine {
		return RollLine{Program: ProgramDibao, RollMonth: "2026-05", Beneficiary: "households/h1", Period: period, Kind: kind,
			RegionCode: "990001001001", AmountFen: fen, EntitlementIDs: []string{"e1"}, Reason: "r"}
	}
	reg, back := line("2026-05", RollLineRegular, 100), line("2026-04", RollLineBackPay, 50)
	tests := []struct {
		name              string
		current, computed []RollLine
		remove, add       []brief
	}{
		{"nothing before: everything added", nil, []RollLine{back, reg}, nil,
			[]brief{{"2026-04", RollLineBackPay, 50}, {"2026-05", RollLineRegular, 100}}},
		{"the same lines: nothing written", []RollLine{back, reg}, []RollLine{back, reg}, nil, nil},
		{"a changed amount: removed and added again", []RollLine{reg}, []RollLine{line("2026-05", RollLineRegular, 80)},
			[]brief{{"2026-05", RollLineRegular, 100}}, []brief{{"2026-05", RollLineRegular, 80}}},
		{"a changed reason counts as a change", []RollLine{reg}, []RollLine{func() RollLine { l := reg; l.Reason = "x"; return l }()},
			[]brief{{"2026-05", RollLineRegular, 100}}, []brief{{"2026-05", RollLineRegular, 100}}},
		{"a line gone: removed", []RollLine{back, reg}, []RollLine{reg}, []brief{{"2026-04", RollLineBackPay, 50}}, nil},
		{"everything gone", []RollLine{reg}, nil, []brief{{"2026-05", RollLineRegular, 100}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remove, add := diffLines(tt.current, tt.computed)
			if got := briefs(remove); !reflect.DeepEqual(got, tt.remove) {
				t.Errorf("remove %v, want %v", got, tt.remove)
			}
			if got := briefs(add); !reflect.DeepEqual(got, tt.add) {
				t.Errorf("add %v, want %v", got, tt.add)
			}
		})
	}
}
