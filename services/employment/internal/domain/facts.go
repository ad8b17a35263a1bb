package domain

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/payroll"
)

// Purposes for which the facts are served (fupin.common.v1.Purpose codes): identification's income
// assessment (收入核算) and subsidies' 低保 income check (低保核对).
const (
	PurposeIncomeAssessment = "income_assessment"
	PurposeDibaoIncomeCheck = "dibao_income_check"
)

// FactsPurposes are the purposes BatchGetEmploymentFacts serves.
var FactsPurposes = []string{PurposeIncomeAssessment, PurposeDibaoIncomeCheck}

// MaxFactsWindowMonths bounds the window of one facts request: an income assessment looks back 12
// months, a 低保 review at most 12; 24 leaves room for a year-on-year look without letting one call read
// a person's whole history.
const MaxFactsWindowMonths = 24

// PersonFacts is what the ledger tells another department about one person for a window.
type PersonFacts struct {
	IDIndex          string
	PersonID         string
	Months           []MonthFigures // only months with a wage or a benefit
	MonthsWorked     int
	Spells           []Spell
	Unemployment     []UnemploymentPeriod
	InsuredEmployee  bool
	ReceivingPension bool
}

// FactsStore is what the facts read (store.Store).
type FactsStore interface {
	// LabourersByIndex returns the records of the persons with these blind indexes, with their spells
	// and unemployment periods, and the latest change among them.
	LabourersByIndex(ctx context.Context, idIndexes []string) ([]*Labourer, time.Time, error)
}

// Facts serves 人社's facts about persons to other departments' services.
type Facts struct{ st FactsStore }

// NewFacts returns the facts on st.
func NewFacts(st FactsStore) *Facts { return &Facts{st: st} }

var idIndexPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Batch returns the facts of the persons the ledger holds among idIndexes, in the order asked, for the
// months from first to last, and when the served facts last changed. purpose is the caller's stated
// purpose code; anything but FactsPurposes is refused.
func (f *Facts) Batch(ctx context.Context, purpose string, idIndexes []string, first, last string) ([]PersonFacts, time.Time, error) {
	if !slices.Contains(FactsPurposes, purpose) {
		return nil, time.Time{}, apperr.Denied(ReasonPurposeRequired,
			"employment facts are served for a stated purpose: income_assessment or dibao_income_check (x-fupin-purpose)")
	}
	if err := CheckWindow("from_month", "to_month", first, last, MaxFactsWindowMonths); err != nil {
		return nil, time.Time{}, err
	}
	for i, x := range idIndexes {
		if !idIndexPattern.MatchString(x) {
			return nil, time.Time{}, apperr.Invalid(ReasonIDIndexInvalid, "id_indexes["+strconv.Itoa(i)+"]", "a blind index is 32 lower-case hex characters")
		}
	}
	ls, asOf, err := f.st.LabourersByIndex(ctx, idIndexes)
	if err != nil {
		return nil, time.Time{}, err
	}
	byIndex := make(map[string]*Labourer, len(ls))
	for _, l := range ls {
		// Should the ledger hold two records of one blind index (a person re-registered under a new id),
		// the active one, else the later, answers.
		if o := byIndex[l.IDIndex]; o == nil || (o.State != LabourerActive && (l.State == LabourerActive || l.UpdateTime.After(o.UpdateTime))) {
			byIndex[l.IDIndex] = l
		}
	}
	var out []PersonFacts
	seen := map[string]bool{}
	for _, x := range idIndexes {
		l := byIndex[x]
		if l == nil || seen[x] {
			continue
		}
		seen[x] = true
		pf := PersonFacts{IDIndex: x, PersonID: l.PersonID, InsuredEmployee: l.InsuredEmployee, ReceivingPension: l.ReceivingPension}
		for _, s := range l.Spells {
			if s.Overlaps(first, last) {
				pf.Spells = append(pf.Spells, s)
			}
		}
		for _, u := range l.Unemployment {
			if u.Overlaps(first, last) {
				pf.Unemployment = append(pf.Unemployment, u)
			}
		}
		for _, m := range MonthlyFigures(pf.Spells, pf.Unemployment, first, last) {
			if m.Worked {
				pf.MonthsWorked++
			}
			if m.WageFen != 0 || m.UnemploymentBenefitFen != 0 {
				pf.Months = append(pf.Months, m)
			}
		}
		out = append(out, pf)
	}
	return out, asOf, nil
}

// CheckWindow refuses a month window that is not two YYYY-MM months, ends before it starts or spans more
// than most months, naming the field at fault.
func CheckWindow(firstField, lastField, first, last string, most int) error {
	if _, err := payroll.ParseMonth(first); err != nil {
		return apperr.Invalid(ReasonMonthInvalid, firstField, "a month is YYYY-MM")
	}
	if _, err := payroll.ParseMonth(last); err != nil {
		return apperr.Invalid(ReasonMonthInvalid, lastField, "a month is YYYY-MM")
	}
	if last < first {
		return apperr.Invalid(ReasonMonthInvalid, lastField, "the window ends before it starts")
	}
	if len(payroll.MonthsBetween(first, last)) > most {
		return apperr.Invalid(ReasonMonthWindowTooLong, lastField, "the window spans at most "+strconv.Itoa(most)+" months")
	}
	return nil
}
