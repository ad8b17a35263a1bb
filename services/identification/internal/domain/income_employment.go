package domain

import (
	"context"
	"slices"
	"time"

	"fupin.dev/services/platform/apperr"
)

// 人社 holds each worker's wages month by month (the labour ledger, refreshed from the provincial 人社
// platform); the owner serves them, so the income assessment reads them for its household's members and
// window and counts them as wage income with source 人社, instead of relying on a survey's estimate alone.
// For a member and month where 人社 has a figure, that figure replaces any wage figure recorded in the
// register for the same member and month (a survey's, a declaration's): the recorded one is kept on the
// assessment's lines, marked superseded, so the record shows what was replaced and by what. A recorded wage
// figure that names no member cannot be matched and stays counted: surveys record wages per member where 人社
// may know them.

// Reason of the income assessment's call to employment (fupin.identification.v1.ErrorReason 300–319).
const ReasonEmploymentUnavailable = "EMPLOYMENT_UNAVAILABLE"

// ErrEmploymentUnavailable is the assessment's refusal when the employment service, configured for the
// deployment, does not answer: an assessment that silently counted no 人社 wages would understate income.
var ErrEmploymentUnavailable = apperr.Unavailable(ReasonEmploymentUnavailable,
	"the employment service (人社) did not answer: the assessment counts its wages and cannot be made without them; retry")

// IncomeLineSource is where an assessment line's figure comes from. Numbers equal
// fupin.identification.v1.IncomeLineSource.
type IncomeLineSource int32

// Line sources.
const (
	LineSourceUnspecified    IncomeLineSource = iota
	LineSourceRecorded                        // recorded in the register: 入户调查, 农户申报 or 部门数据 (ItemSource says which)
	LineSourceHumanResources                  // 人社: read from the employment service
)

// IncomeLine is one member's wage figure for one month, as the assessment used it or set it aside.
type IncomeLine struct {
	Type   IncomeItemType
	Source IncomeLineSource
	// ItemSource and ItemID are the recorded item's (LineSourceRecorded only).
	ItemSource IncomeSource
	ItemID     string
	PersonID   string
	// Month is YYYY-MM.
	Month     string
	AmountFen int64
	// Superseded: a recorded figure replaced by 人社's for the same member and month, kept for the record
	// and not counted.
	Superseded bool
}

// MemberWage is a member's wage in one month as 人社 reports it.
type MemberWage struct {
	PersonID  string
	Month     string
	AmountFen int64
}

// EmploymentFacts is what the assessment needs of the employment service: the monthly wages of persons by
// blind index for a range of months, and when 人社's facts were last changed (the assessment records it).
type EmploymentFacts interface {
	// MonthlyWages returns the wages per blind index (months with a figure only). An unreachable service
	// is ErrEmploymentUnavailable.
	MonthlyWages(ctx context.Context, idIndexes []string, fromMonth, toMonth string) (map[string][]MemberWage, time.Time, error)
}

// EmploymentState says whether an assessment counted 人社's wages. Numbers equal
// fupin.identification.v1.EmploymentFactsState.
type EmploymentState int32

// Employment states.
const (
	EmploymentStateUnspecified   EmploymentState = iota
	EmploymentStateCounted                       // 人社's wages were read and counted
	EmploymentStateNotConfigured                 // the deployment runs no employment service
)

// MergeEmploymentWages applies the replacement rule: recorded are the register's wage figures that name a
// member (per member and month), hr 人社's. It returns the lines — every recorded figure (superseded where
// 人社 has the same member and month) and every 人社 figure, by member, month and source — and the change
// to the recorded wage total: 人社's figures added, the superseded ones taken out.
func MergeEmploymentWages(recorded []IncomeLine, hr []MemberWage) (lines []IncomeLine, delta int64) {
	type key struct{ person, month string }
	has := map[key]bool{}
	for _, w := range hr {
		if w.AmountFen <= 0 {
			continue
		}
		has[key{w.PersonID, w.Month}] = true
		delta += w.AmountFen
		lines = append(lines, IncomeLine{Type: IncomeWages, Source: LineSourceHumanResources, PersonID: w.PersonID,
			Month: w.Month, AmountFen: w.AmountFen})
	}
	for _, r := range recorded {
		r.Source = LineSourceRecorded
		if r.Type == IncomeWages && r.PersonID != "" && has[key{r.PersonID, r.Month}] {
			r.Superseded = true
			delta -= r.AmountFen
		}
		lines = append(lines, r)
	}
	slices.SortStableFunc(lines, func(a, b IncomeLine) int {
		switch {
		case a.PersonID != b.PersonID:
			return cmpString(a.PersonID, b.PersonID)
		case a.Month != b.Month:
			return cmpString(a.Month, b.Month)
		}
		return int(a.Source) - int(b.Source)
	})
	return lines, delta
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// countEmployment adds to a the members' wages 人社 reports for the window, superseding the recorded
// figures of the same member and month (MergeEmploymentWages), and the lines behind them. A member counts
// for the months of the window in which they were a member.
func (s *Incomes) countEmployment(ctx context.Context, h *Household, a *IncomeAssessment) error {
	recorded, err := s.store.MemberWageLines(ctx, h.ID, a.From, a.To)
	if err != nil {
		return err
	}
	if s.employment == nil {
		a.Employment, a.Lines = EmploymentStateNotConfigured, recorded
		return nil
	}
	from, to := a.From[:7], a.To[:7]
	byIndex := map[string]*Member{}
	var indexes []string
	for i := range h.Members {
		m := &h.Members[i]
		if m.IDIndex == "" || m.StartDate[:min(len(m.StartDate), 7)] > to || (m.EndDate != "" && m.EndDate[:7] < from) {
			continue
		}
		if _, dup := byIndex[m.IDIndex]; !dup {
			indexes = append(indexes, m.IDIndex)
		}
		byIndex[m.IDIndex] = m
	}
	var hr []MemberWage
	if len(indexes) > 0 {
		wages, asOf, err := s.employment.MonthlyWages(ctx, indexes, from, to)
		if err != nil {
			return err
		}
		a.EmploymentAsOf = asOf
		for _, index := range indexes {
			m := byIndex[index]
			for _, w := range wages[index] {
				if w.Month < m.StartDate[:min(len(m.StartDate), 7)] || (m.EndDate != "" && w.Month > m.EndDate[:7]) {
					continue
				}
				hr = append(hr, MemberWage{PersonID: m.PersonID, Month: w.Month, AmountFen: w.AmountFen})
			}
		}
	}
	lines, delta := MergeEmploymentWages(recorded, hr)
	a.Employment, a.Lines = EmploymentStateCounted, lines
	a.Totals.Wages += delta
	for _, l := range lines {
		if l.Source == LineSourceHumanResources {
			a.Totals.IncomeItems++ // a 人社 figure is income data of the window, as a recorded item is
		}
	}
	return nil
}
