package store

import (
	"context"
	"fmt"

	"fupin.dev/services/employment/internal/domain"
)

// InsertSpell writes a new spell.
func (s *Store) InsertSpell(ctx context.Context, sp domain.Spell) error {
	_, err := s.db.Exec(ctx, `INSERT INTO employment_spells (`+spellCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		sp.ID, sp.PersonID, int32(sp.WorkStatus), int32(sp.Mode), sp.Employer, sp.Place, sp.MonthlyIncomeFen, sp.FromMonth,
		sp.ToMonth, int32(sp.Source), sp.CreateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert spell: %w", err)
	}
	return nil
}

// DeleteSpell removes a person's spell and reports whether there was one.
func (s *Store) DeleteSpell(ctx context.Context, personID, id string) (bool, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM employment_spells WHERE id = $1 AND person_id = $2`, id, personID)
	if err != nil {
		return false, fmt.Errorf("delete spell: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertUnemploymentPeriod writes a new period.
func (s *Store) InsertUnemploymentPeriod(ctx context.Context, u domain.UnemploymentPeriod) error {
	_, err := s.db.Exec(ctx, `INSERT INTO unemployment_periods (`+periodCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.PersonID, int32(u.Kind), u.FromMonth, u.ToMonth, u.MonthlyAmountFen, int32(u.Source), u.CreateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert unemployment period: %w", err)
	}
	return nil
}

// UpdateLabourerFields writes 人社's own fields of a record: 务工状况, willingness, the pension columns.
func (s *Store) UpdateLabourerFields(ctx context.Context, l *domain.Labourer) error {
	_, err := s.db.Exec(ctx, `UPDATE labourers SET work_status = $2, wants_work = $3, wants_training = $4, insured_employee = $5,
		receiving_pension = $6, updated_us = $7 WHERE id = $1`, l.PersonID, int32(l.WorkStatus), boolInt(l.WantsWork),
		boolInt(l.WantsTraining), boolInt(l.InsuredEmployee), boolInt(l.ReceivingPension), l.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("update labourer %s: %w", l.PersonID, err)
	}
	return nil
}

// LockLabourer locks a person's record for the rest of the transaction in ctx.
func (s *Store) LockLabourer(ctx context.Context, personID string) error {
	return s.db.LockRow(ctx, "labourers", "id", personID)
}
