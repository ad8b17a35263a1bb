package domain

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/payroll"
)

// Recording what 人社 knows of a person: spells, unemployment periods, willingness and the quarterly
// file's pension columns. Staff record one at a time (these use cases); the quarterly file records many
// at once through the same checks (labour_import.go).

// RecordStore is what recording reads and writes (store.Store).
type RecordStore interface {
	Labourer(ctx context.Context, personID string) (*Labourer, error)
	InsertSpell(ctx context.Context, s Spell) error
	DeleteSpell(ctx context.Context, personID, id string) (bool, error)
	InsertUnemploymentPeriod(ctx context.Context, u UnemploymentPeriod) error
	// UpdateLabourerFields writes 人社's own fields of a record (work status, willingness, pension columns).
	UpdateLabourerFields(ctx context.Context, l *Labourer) error
	// LockLabourer serializes read-change-writes of one person's records.
	LockLabourer(ctx context.Context, personID string) error
}

// Records is the recording use cases.
type Records struct {
	st    RecordStore
	now   func() time.Time
	newID func() string
	// spellsChanged are told, in the change's transaction, of a household whose members' spells changed.
	spellsChanged []func(ctx context.Context, householdID string) error
}

// OnSpellsChanged adds fn to what happens when a spell is recorded or deleted, in the same transaction:
// the 零就业 evaluation of the household (aid area), so a household is listed, or taken off the list, as
// the spell arises.
func (r *Records) OnSpellsChanged(fn func(ctx context.Context, householdID string) error) {
	r.spellsChanged = append(r.spellsChanged, fn)
}

func (r *Records) spellsOf(ctx context.Context, householdID string) error {
	for _, fn := range r.spellsChanged {
		if err := fn(ctx, householdID); err != nil {
			return err
		}
	}
	return nil
}

// NewRecords returns the use cases.
func NewRecords(st RecordStore, now func() time.Time, newID func() string) *Records {
	return &Records{st: st, now: now, newID: newID}
}

// writable returns the person's record for a change by the caller: in scope (else NOT_FOUND, never telling
// that the person is recorded elsewhere) and not ended.
func (r *Records) writable(ctx context.Context, by Caller, personID string) (*Labourer, error) {
	if err := r.st.LockLabourer(ctx, personID); err != nil {
		return nil, err
	}
	l, err := r.st.Labourer(ctx, personID)
	if err != nil {
		return nil, err
	}
	if l == nil || !inScope(by.Scope, l.RegionCode) {
		return nil, ErrLabourerNotFound
	}
	if l.State == LabourerEnded {
		return nil, apperr.Refused(ReasonLabourerEnded, apperr.Violation{Type: "LABOURER_ENDED", Subject: "labourers/" + personID,
			Description: "the person's ledger record has ended (" + l.EndDate + "): nothing new is recorded on it"})
	}
	return l, nil
}

// CheckSpell refuses a spell whose fields do not fit together, naming the field (prefix is the field path
// of the spell in the request, e.g. "spell").
func CheckSpell(prefix string, s Spell) error {
	if s.WorkStatus < WorkLocalTownship || s.WorkStatus > WorkUnfit {
		return apperr.Invalid(ReasonSpellInvalid, prefix+".work_status", "务工状况 is one of 01–05, 未就业, 在校, 不宜就业")
	}
	if _, err := payroll.ParseMonth(s.FromMonth); err != nil {
		return apperr.Invalid(ReasonMonthInvalid, prefix+".from_month", "a month is YYYY-MM")
	}
	if s.ToMonth != "" {
		if _, err := payroll.ParseMonth(s.ToMonth); err != nil {
			return apperr.Invalid(ReasonMonthInvalid, prefix+".to_month", "a month is YYYY-MM")
		}
		if s.ToMonth < s.FromMonth {
			return apperr.Invalid(ReasonSpellInvalid, prefix+".to_month", "the spell ends before it starts")
		}
	}
	if s.WorkStatus.Working() {
		if s.Mode < ModeWageWork || s.Mode > ModeFlexible {
			return apperr.Invalid(ReasonSpellInvalid, prefix+".mode", "work (务工状况 01–05) names its 就业方式")
		}
		if s.MonthlyIncomeFen < 0 {
			return apperr.Invalid(ReasonSpellInvalid, prefix+".monthly_income_fen", "an income is not negative")
		}
		return nil
	}
	switch {
	case s.Mode != ModeNone:
		return apperr.Invalid(ReasonSpellInvalid, prefix+".mode", "a spell that is not work (未就业, 在校, 不宜就业) names no 就业方式")
	case s.Employer != "":
		return apperr.Invalid(ReasonSpellInvalid, prefix+".employer", "a spell that is not work names no employer")
	case s.MonthlyIncomeFen != 0:
		return apperr.Invalid(ReasonSpellInvalid, prefix+".monthly_income_fen", "a spell that is not work has no income")
	}
	return nil
}

// Clash returns the spell among existing that s may not overlap (nil when none): a spell of the same job
// (就业方式 and employer), or any overlap with a spell that is not work (未就业, 在校, 不宜就业). Two different jobs at
// once (a part-time job beside a 公益岗) are allowed: their incomes add up.
func Clash(existing []Spell, s Spell) *Spell {
	to := s.ToMonth
	if to == "" {
		to = "9999-12"
	}
	for i := range existing {
		e := existing[i]
		if e.ID == s.ID || !e.Overlaps(s.FromMonth, to) {
			continue
		}
		sameJob := e.WorkStatus.Working() && s.WorkStatus.Working() && e.Mode == s.Mode && e.Employer == s.Employer
		if sameJob || !e.WorkStatus.Working() || !s.WorkStatus.Working() {
			return &existing[i]
		}
	}
	return nil
}

// CurrentWorkStatus is the 务工状况 a person's spells give in month: the latest-starting spell covering the
// month, else the latest-starting spell before it (a spell recorded for a later month does not count
// yet), else none.
func CurrentWorkStatus(spells []Spell, month string) WorkStatus {
	var best *Spell
	for i := range spells {
		s := &spells[i]
		if s.FromMonth > month {
			continue
		}
		covers := s.Covers(month)
		if best == nil || (covers && !best.Covers(month)) || (covers == best.Covers(month) && s.FromMonth > best.FromMonth) {
			best = s
		}
	}
	if best == nil {
		return WorkUnspecified
	}
	return best.WorkStatus
}

// CreateSpell records a spell of a person in the caller's scope.
func (r *Records) CreateSpell(ctx context.Context, by Caller, personID string, s Spell) (*Spell, error) {
	if err := CheckSpell("spell", s); err != nil {
		return nil, err
	}
	l, err := r.writable(ctx, by, personID)
	if err != nil {
		return nil, err
	}
	if c := Clash(l.Spells, s); c != nil {
		return nil, apperr.Refused(ReasonSpellOverlaps, apperr.Violation{Type: "SPELL_OVERLAPS",
			Subject:     "labourers/" + personID + "/spells/" + c.ID,
			Description: fmt.Sprintf("the spell overlaps the spell from %s (%s): end that one first", c.FromMonth, orDate(c.ToMonth, "ongoing"))})
	}
	now := r.now()
	s.ID, s.PersonID, s.Source, s.CreateTime = r.newID(), personID, SourceStaff, now
	if err := r.st.InsertSpell(ctx, s); err != nil {
		return nil, err
	}
	if err := r.refreshStatus(ctx, l, append(slices.Clone(l.Spells), s), now); err != nil {
		return nil, err
	}
	if err := r.spellsOf(ctx, l.HouseholdID); err != nil {
		return nil, err
	}
	return &s, nil
}

// refreshStatus stores the person's 务工状况 this month when spells change it.
func (r *Records) refreshStatus(ctx context.Context, l *Labourer, spells []Spell, now time.Time) error {
	ws := CurrentWorkStatus(spells, bizdate.Today(now)[:7])
	if ws == l.WorkStatus {
		return nil
	}
	l.WorkStatus, l.UpdateTime = ws, now
	return r.st.UpdateLabourerFields(ctx, l)
}

// DeleteSpell removes a spell recorded in error.
func (r *Records) DeleteSpell(ctx context.Context, by Caller, personID, spellID string) error {
	l, err := r.st.Labourer(ctx, personID)
	if err != nil {
		return err
	}
	notFound := &apperr.Error{Kind: apperr.KindNotFound, Reason: ReasonSpellNotFound, Message: "the spell does not exist inside the caller's scope"}
	if l == nil || !inScope(by.Scope, l.RegionCode) {
		return notFound
	}
	ok, err := r.st.DeleteSpell(ctx, personID, spellID)
	if err != nil {
		return err
	}
	if !ok {
		return notFound
	}
	rest := slices.DeleteFunc(slices.Clone(l.Spells), func(s Spell) bool { return s.ID == spellID })
	if err := r.refreshStatus(ctx, l, rest, r.now()); err != nil {
		return err
	}
	return r.spellsOf(ctx, l.HouseholdID)
}

// CreateUnemploymentPeriod records a 失业登记 or 失业保险金 period.
func (r *Records) CreateUnemploymentPeriod(ctx context.Context, by Caller, personID string, u UnemploymentPeriod) (*UnemploymentPeriod, error) {
	if err := CheckUnemployment("period", u); err != nil {
		return nil, err
	}
	if _, err := r.writable(ctx, by, personID); err != nil {
		return nil, err
	}
	u.ID, u.PersonID, u.Source, u.CreateTime = r.newID(), personID, SourceStaff, r.now()
	if err := r.st.InsertUnemploymentPeriod(ctx, u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CheckUnemployment refuses a period whose fields do not fit together.
func CheckUnemployment(prefix string, u UnemploymentPeriod) error {
	if u.Kind != UnemploymentRegistration && u.Kind != UnemploymentBenefit {
		return apperr.Invalid(ReasonAmountInvalid, prefix+".kind", "失业登记 or 失业保险金")
	}
	if _, err := payroll.ParseMonth(u.FromMonth); err != nil {
		return apperr.Invalid(ReasonMonthInvalid, prefix+".from_month", "a month is YYYY-MM")
	}
	if u.ToMonth != "" {
		if _, err := payroll.ParseMonth(u.ToMonth); err != nil || u.ToMonth < u.FromMonth {
			return apperr.Invalid(ReasonMonthInvalid, prefix+".to_month", "a month (YYYY-MM) not before from_month")
		}
	}
	switch {
	case u.Kind == UnemploymentBenefit && u.MonthlyAmountFen <= 0:
		return apperr.Invalid(ReasonAmountInvalid, prefix+".monthly_amount_fen", "a 失业保险金 period names its monthly amount")
	case u.Kind == UnemploymentRegistration && u.MonthlyAmountFen != 0:
		return apperr.Invalid(ReasonAmountInvalid, prefix+".monthly_amount_fen", "a 失业登记 has no amount")
	}
	return nil
}

// LabourerChange is what UpdateLabourer may change, with the fields named.
type LabourerChange struct {
	Fields                                             []string
	WantsWork, WantsTraining, InsuredEmployee, Pension bool
}

// Update changes 人社's own fields of a record.
func (r *Records) Update(ctx context.Context, by Caller, personID string, c LabourerChange) (*Labourer, error) {
	if len(c.Fields) == 0 {
		return nil, apperr.Invalid(ReasonUpdateMaskInvalid, "update_mask", "name the fields to change")
	}
	for _, f := range c.Fields {
		if !slices.Contains([]string{"wants_work", "wants_training", "insured_employee", "receiving_pension"}, f) {
			return nil, apperr.Invalid(ReasonUpdateMaskInvalid, "update_mask",
				"only wants_work, wants_training, insured_employee and receiving_pension change here")
		}
	}
	l, err := r.writable(ctx, by, personID)
	if err != nil {
		return nil, err
	}
	for _, f := range c.Fields {
		switch f {
		case "wants_work":
			l.WantsWork = c.WantsWork
		case "wants_training":
			l.WantsTraining = c.WantsTraining
		case "insured_employee":
			l.InsuredEmployee = c.InsuredEmployee
		case "receiving_pension":
			l.ReceivingPension = c.Pension
		}
	}
	l.UpdateTime = r.now()
	if err := r.st.UpdateLabourerFields(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}
