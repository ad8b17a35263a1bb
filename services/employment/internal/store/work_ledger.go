package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"database/sql"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
)

var _ domain.WorkLedger = (*Store)(nil)

// The labour ledger as the workshop and employment-subsidy rules read it (domain.WorkLedger): the ledger's
// own tables (area core), read in the caller's transaction.

// SpellsAtEmployer returns the spells whose employer cell holds the credit code or the registered name
// (the employment_spells_employer index) and that include a month from from to to.
func (s *Store) SpellsAtEmployer(ctx context.Context, creditCode, name, from, to string) ([]domain.WorkSpell, error) {
	return s.workSpells(ctx, `s.employer IN ($1, $2) AND s.from_month <= $3 AND (s.to_month = '' OR s.to_month >= $4)`,
		func(w domain.WorkSpell) bool { return w.At(creditCode, name) }, creditCode, strings.TrimSpace(name), to, from)
}

// SpellsOfPerson returns a person's spells that include a month from from to to.
func (s *Store) SpellsOfPerson(ctx context.Context, personID, from, to string) ([]domain.WorkSpell, error) {
	return s.workSpells(ctx, `s.person_id = $1 AND s.from_month <= $2 AND (s.to_month = '' OR s.to_month >= $3)`,
		nil, personID, to, from)
}

func (s *Store) workSpells(ctx context.Context, where string, keep func(domain.WorkSpell) bool, args ...any) ([]domain.WorkSpell, error) {
	type row struct {
		spell     domain.Spell
		household string
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT s.id, s.person_id, s.work_status, s.mode, s.employer, s.place,
		s.monthly_income_fen, s.from_month, s.to_month, s.source, s.created_us, l.household_id
		FROM employment_spells s JOIN labourers l ON l.id = s.person_id WHERE `+where+` ORDER BY s.person_id, s.from_month, s.id`, args...)
	got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (row, error) {
		var x row
		var created int64
		err := r.Scan(&x.spell.ID, &x.spell.PersonID, &x.spell.WorkStatus, &x.spell.Mode, &x.spell.Employer, &x.spell.Place,
			&x.spell.MonthlyIncomeFen, &x.spell.FromMonth, &x.spell.ToMonth, &x.spell.Source, &created, &x.household)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("work spells: %w", err)
	}
	out := make([]domain.WorkSpell, 0, len(got))
	for _, x := range got {
		w := domain.WorkSpellOf(x.spell, x.household)
		if keep == nil || keep(w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// WorkPerson returns a person as the ledger holds them now: the household's register statuses decide
// whether it is 脱贫/监测, and an ended record whose reason is death on or before the month's end is dead.
// The ledger keeps the current statuses only, so a month in the past reads today's.
func (s *Store) WorkPerson(ctx context.Context, personID, month string) (*domain.WorkPerson, error) {
	p := &domain.WorkPerson{PersonID: personID}
	var registry, monitoring, state, endReason int32
	var endDate string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT household_id, region_code, registry_status, monitoring_status, state,
		end_reason, end_date FROM labourers WHERE id = $1`, personID).Scan(&p.HouseholdID, &p.RegionCode, &registry, &monitoring,
		&state, &endReason, &endDate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrLabourerNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("work person %s: %w", personID, err)
	}
	p.Poor = domain.PoorHousehold(registry, monitoring)
	p.Dead = domain.LabourerState(state) == domain.LabourerEnded && domain.EndReason(endReason) == domain.EndDeath &&
		endDate != "" && payroll.MonthOf(endDate) <= month
	return p, nil
}

// HouseholdPersons returns the ids of the persons the ledger holds in a household.
func (s *Store) HouseholdPersons(ctx context.Context, householdID string) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM labourers WHERE household_id = $1 ORDER BY id`, householdID)
	ids, err := sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("household persons: %w", err)
	}
	return ids, nil
}
