package payroll

import (
	"errors"
	"testing"

	"fupin.dev/services/platform/apperr"
)

func TestRollID(t *testing.T) {
	for _, info := range Programs() {
		p := info.Program
		id := RollID(p, "2026-03")
		got, month, ok := ParseRollID(id)
		if !ok || got != p || month != "2026-03" {
			t.Errorf("%s: parsed back as %v %q %v", id, got, month, ok)
		}
	}
	if id := RollID(ProgramTemporaryAssistance, "2026-12"); id != "temporary-assistance-2026-12" {
		t.Errorf("id %q", id)
	}
	for _, bad := range []string{"", "dibao", "dibao-2026-13", "dibao-2026-3", "dibao2026-03", "unknown-2026-03",
		"dibao_2026-03", "temporary_assistance-2026-03"} {
		if _, _, ok := ParseRollID(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRollCallerMayWrite(t *testing.T) {
	tests := []struct {
		name    string
		caller  RollCaller
		program Program
		denied  bool
	}{
		{"民政 computes 低保", RollCaller{Department: DepartmentCivilAffairs}, ProgramDibao, false},
		{"民政 computes 特困", RollCaller{Department: DepartmentCivilAffairs}, ProgramDestitute, false},
		{"民政 computes 临时救助", RollCaller{Department: DepartmentCivilAffairs}, ProgramTemporaryAssistance, false},
		{"民政 may not compute the living subsidy", RollCaller{Department: DepartmentCivilAffairs}, ProgramLivingSubsidy, true},
		{"民政 may not compute the care subsidy", RollCaller{Department: DepartmentCivilAffairs}, ProgramCareSubsidy, true},
		{"残联 computes the care subsidy", RollCaller{Department: DepartmentFederation}, ProgramCareSubsidy, false},
		{"残联 computes the living subsidy", RollCaller{Department: DepartmentFederation}, ProgramLivingSubsidy, false},
		{"残联 may not compute 低保", RollCaller{Department: DepartmentFederation}, ProgramDibao, true},
		{"finance may not compute", RollCaller{Department: "finance"}, ProgramDibao, true},
		{"the schedule computes every program", RollCaller{System: true}, ProgramCareSubsidy, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.caller.mayWrite(tt.program)
			e, ok := apperr.As(err)
			if got := ok && e.Kind == apperr.KindPermissionDenied && e.Reason == ReasonProgramOfOtherDepartment; got != tt.denied {
				t.Errorf("denied %v, want %v (%v)", got, tt.denied, err)
			}
		})
	}
}

func TestScopedPrefix(t *testing.T) {
	tests := []struct {
		name, scope, requested, want string
		denied                       bool
	}{
		{"county caller, no filter", "", "", "", false},
		{"county caller, township filter", "", "990001001", "990001001", false},
		{"township caller, no filter: their township", "990001001", "", "990001001", false},
		{"township caller, village inside", "990001001", "990001001001", "990001001001", false},
		{"township caller, the county prefix narrows to the township", "990001001", "990001", "990001001", false},
		{"township caller, another township", "990001001", "990001002", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scopedPrefix(tt.scope, tt.requested)
			if (err != nil) != tt.denied || got != tt.want {
				t.Errorf("got %q %v, want %q denied %v", got, err, tt.want, tt.denied)
			}
		})
	}
}

func TestRollTotals(t *testing.T) {
	var tot RollTotals
	for _, l := range []RollLine{{Kind: RollLineRegular, AmountFen: 100}, {Kind: RollLineRegular, AmountFen: 50},
		{Kind: RollLineBackPay, AmountFen: 30}, {Kind: RollLineRecovery, AmountFen: -70}} {
		tot.Add(&l)
	}
	want := RollTotals{Lines: 4, AmountFen: 110, Regular: 2, RegularFen: 150, BackPay: 1, BackPayFen: 30, Recovery: 1, RecoveryFen: -70}
	if tot != want {
		t.Errorf("%+v", tot)
	}
	if !errors.Is(apperr.NotFound("payment roll"), ErrRollNotFound) {
		t.Error("not-found sentinel does not match")
	}
}
