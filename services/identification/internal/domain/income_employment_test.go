package domain

import (
	"fmt"
	"testing"
)

func TestMergeEmploymentWages(t *testing.T) {
	survey := func(person, month string, fen int64) IncomeLine {
		return IncomeLine{Type: IncomeWages, ItemSource: IncomeSourceSurvey, ItemID: "i-" + person + month, PersonID: person, Month: month, AmountFen: fen}
	}
	show := func(ls []IncomeLine) string {
		s := ""
		for _, l := range ls {
			mark := ""
			if l.Superseded {
				mark = " superseded"
			}
			s += fmt.Sprintf("[%s %s %d src%d%s]", l.PersonID, l.Month, l.AmountFen, l.Source, mark)
		}
		return s
	}
	tests := []struct {
		name      string
		recorded  []IncomeLine
		hr        []MemberWage
		wantLines string
		wantDelta int64
	}{
		{"no 人社 figures: the survey stands", []IncomeLine{survey("a", "2025-03", 300_000)}, nil,
			"[a 2025-03 300000 src1]", 0},
		{"人社 for the same member and month replaces the survey's figure, kept superseded",
			[]IncomeLine{survey("a", "2025-03", 300_000)}, []MemberWage{{"a", "2025-03", 420_000}},
			"[a 2025-03 300000 src1 superseded][a 2025-03 420000 src2]", 120_000},
		{"another month of the same member: both count",
			[]IncomeLine{survey("a", "2025-03", 300_000)}, []MemberWage{{"a", "2025-04", 420_000}},
			"[a 2025-03 300000 src1][a 2025-04 420000 src2]", 420_000},
		{"another member in the same month: both count",
			[]IncomeLine{survey("a", "2025-03", 300_000)}, []MemberWage{{"b", "2025-03", 420_000}},
			"[a 2025-03 300000 src1][b 2025-03 420000 src2]", 420_000},
		{"a household-level figure (no member) cannot be matched and stays",
			[]IncomeLine{survey("", "2025-03", 300_000)}, []MemberWage{{"a", "2025-03", 420_000}},
			"[ 2025-03 300000 src1][a 2025-03 420000 src2]", 420_000},
		{"a month 人社 reports without wages replaces nothing",
			[]IncomeLine{survey("a", "2025-03", 300_000)}, []MemberWage{{"a", "2025-03", 0}},
			"[a 2025-03 300000 src1]", 0},
		{"two recorded figures of one member and month are both superseded, counted once as 人社's",
			[]IncomeLine{survey("a", "2025-03", 100_000), survey("a", "2025-03", 50_000)}, []MemberWage{{"a", "2025-03", 200_000}},
			"[a 2025-03 100000 src1 superseded][a 2025-03 50000 src1 superseded][a 2025-03 200000 src2]", 50_000},
		{"a lower 人社 figure lowers the total", []IncomeLine{survey("a", "2025-03", 300_000)}, []MemberWage{{"a", "2025-03", 100_000}},
			"[a 2025-03 300000 src1 superseded][a 2025-03 100000 src2]", -200_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, delta := MergeEmploymentWages(tt.recorded, tt.hr)
			if got := show(lines); got != tt.wantLines || delta != tt.wantDelta {
				t.Errorf("got %s %d, want %s %d", got, delta, tt.wantLines, tt.wantDelta)
			}
		})
	}
}
