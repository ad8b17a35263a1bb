package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// MatchIndexes finds the ledger records of the blind indexes; of two records of one index (a person
// re-registered under a new id) the active one wins.
func (s *Store) MatchIndexes(ctx context.Context, indexes []string) (map[string]domain.Match, error) {
	out := make(map[string]domain.Match, len(indexes))
	for start := 0; start < len(indexes); start += inChunk * 2 {
		chunk := indexes[start:min(start+inChunk*2, len(indexes))]
		args := make([]any, len(chunk))
		for i, x := range chunk {
			args[i] = x
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id_index, id, state FROM labourers WHERE id_index IN (`+
			s.db.Params(1, len(chunk))+`)`, args...)
		type hit struct {
			index, id string
			state     int32
		}
		hits, err := sqldb.Collect(rows, err, func(r *sql.Rows) (hit, error) {
			var h hit
			return h, r.Scan(&h.index, &h.id, &h.state)
		})
		if err != nil {
			return nil, fmt.Errorf("match blind indexes: %w", err)
		}
		for _, h := range hits {
			ended := h.state == int32(domain.LabourerEnded)
			if m, seen := out[h.index]; !seen || (m.Ended && !ended) {
				out[h.index] = domain.Match{PersonID: h.id, Ended: ended}
			}
		}
	}
	return out, nil
}

// Stage tables of an import: the file's spells, periods and flags are written into them at the dialect's
// fastest (COPY on PostgreSQL, multi-row INSERTs on SQLite), then applied to the ledger's tables by a few
// set-wise statements, all in the import's one transaction. They are temporary: dropped at its end.
const (
	stageSpells  = "employment_stage_spells"
	stagePeriods = "employment_stage_periods"
	stageFlags   = "employment_stage_flags"
)

var (
	spellColumns  = []string{"id", "person_id", "work_status", "mode", "employer", "place", "monthly_income_fen", "from_month", "to_month", "source", "created_us"}
	periodColumns = []string{"id", "person_id", "kind", "from_month", "to_month", "monthly_amount_fen", "source", "created_us"}
	flagColumns   = []string{"id", "s_work_status", "s_wants_work", "s_wants_training", "s_insured", "s_pension"}
)

// flagValue is a flag as the stage holds it: -1 keeps the record's, 0 or 1 sets it.
func flagValue(b *bool) int64 {
	if b == nil {
		return -1
	}
	return boolInt(*b)
}

// ApplyLabourImport writes an import's spells and periods (replacing those with the same ids: a rerun)
// and sets the records' 务工状况 and flags where they change (a rerun rewrites no record), in the
// transaction in ctx.
func (s *Store) ApplyLabourImport(ctx context.Context, spells []domain.Spell, periods []domain.UnemploymentPeriod,
	flags []domain.LabourerFlags, now time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		text, integer := "TEXT", "INTEGER"
		if s.db.Dialect == sqldb.Postgres {
			text, integer = `TEXT COLLATE "C"`, "BIGINT"
		}
		for _, ddl := range []string{
			`CREATE TEMP TABLE ` + stageSpells + ` (id ` + text + ` PRIMARY KEY, person_id ` + text + `, work_status ` + integer +
				`, mode ` + integer + `, employer ` + text + `, place ` + text + `, monthly_income_fen ` + integer + `, from_month ` + text +
				`, to_month ` + text + `, source ` + integer + `, created_us ` + integer + `)`,
			`CREATE TEMP TABLE ` + stagePeriods + ` (id ` + text + ` PRIMARY KEY, person_id ` + text + `, kind ` + integer +
				`, from_month ` + text + `, to_month ` + text + `, monthly_amount_fen ` + integer + `, source ` + integer + `, created_us ` + integer + `)`,
			`CREATE TEMP TABLE ` + stageFlags + ` (id ` + text + ` PRIMARY KEY, s_work_status ` + integer + `, s_wants_work ` + integer +
				`, s_wants_training ` + integer + `, s_insured ` + integer + `, s_pension ` + integer + `)`,
		} {
			if _, err := s.db.Q(ctx).ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("stage: %w", err)
			}
		}
		if err := s.db.InsertRows(ctx, stageSpells, spellColumns, len(spells), func(i int) ([]any, error) {
			sp := spells[i]
			return []any{sp.ID, sp.PersonID, int64(sp.WorkStatus), int64(sp.Mode), sp.Employer, sp.Place, sp.MonthlyIncomeFen,
				sp.FromMonth, sp.ToMonth, int64(sp.Source), sp.CreateTime.UnixMicro()}, nil
		}); err != nil {
			return fmt.Errorf("stage spells: %w", err)
		}
		if err := s.db.InsertRows(ctx, stagePeriods, periodColumns, len(periods), func(i int) ([]any, error) {
			u := periods[i]
			return []any{u.ID, u.PersonID, int64(u.Kind), u.FromMonth, u.ToMonth, u.MonthlyAmountFen, int64(u.Source), u.CreateTime.UnixMicro()}, nil
		}); err != nil {
			return fmt.Errorf("stage periods: %w", err)
		}
		if err := s.db.InsertRows(ctx, stageFlags, flagColumns, len(flags), func(i int) ([]any, error) {
			f := flags[i]
			return []any{f.PersonID, int64(f.WorkStatus), flagValue(f.WantsWork), flagValue(f.WantsTraining), flagValue(f.Insured),
				flagValue(f.Pension)}, nil
		}); err != nil {
			return fmt.Errorf("stage flags: %w", err)
		}
		cols := func(c []string) string {
			out := ""
			for i, x := range c {
				if i > 0 {
					out += ", "
				}
				out += x
			}
			return out
		}
		// Every staged person is a ledger record (checked set-wise: the spells' tables have no per-row
		// foreign-key trigger on PostgreSQL, see migration 00002).
		var orphans int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM (SELECT person_id FROM `+stageSpells+
			` UNION SELECT person_id FROM `+stagePeriods+`) p WHERE NOT EXISTS (SELECT 1 FROM labourers l WHERE l.id = p.person_id)`).Scan(&orphans); err != nil {
			return fmt.Errorf("check persons: %w", err)
		}
		if orphans > 0 {
			return fmt.Errorf("labour import: %d staged persons have no ledger record", orphans)
		}
		if s.db.Dialect == sqldb.Postgres {
			// The stage tables' statistics, so the statements below join them by hash, not by guess.
			for _, t := range []string{stageSpells, stagePeriods, stageFlags} {
				if _, err := s.db.Q(ctx).ExecContext(ctx, `ANALYZE `+t); err != nil {
					return fmt.Errorf("analyze %s: %w", t, err)
				}
			}
		}
		for _, q := range []string{
			`DELETE FROM employment_spells WHERE id IN (SELECT id FROM ` + stageSpells + `)`,
			`INSERT INTO employment_spells (` + cols(spellColumns) + `) SELECT ` + cols(spellColumns) + ` FROM ` + stageSpells,
			`DELETE FROM unemployment_periods WHERE id IN (SELECT id FROM ` + stagePeriods + `)`,
			`INSERT INTO unemployment_periods (` + cols(periodColumns) + `) SELECT ` + cols(periodColumns) + ` FROM ` + stagePeriods,
			`UPDATE labourers SET
				work_status = CASE WHEN f.s_work_status = 0 THEN work_status ELSE f.s_work_status END,
				wants_work = CASE WHEN f.s_wants_work < 0 THEN wants_work ELSE f.s_wants_work END,
				wants_training = CASE WHEN f.s_wants_training < 0 THEN wants_training ELSE f.s_wants_training END,
				insured_employee = CASE WHEN f.s_insured < 0 THEN insured_employee ELSE f.s_insured END,
				receiving_pension = CASE WHEN f.s_pension < 0 THEN receiving_pension ELSE f.s_pension END,
				updated_us = $1
			FROM ` + stageFlags + ` AS f WHERE labourers.id = f.id AND NOT (
				(f.s_work_status = 0 OR f.s_work_status = work_status) AND (f.s_wants_work < 0 OR f.s_wants_work = wants_work) AND
				(f.s_wants_training < 0 OR f.s_wants_training = wants_training) AND (f.s_insured < 0 OR f.s_insured = insured_employee) AND
				(f.s_pension < 0 OR f.s_pension = receiving_pension))`,
			`DROP TABLE ` + stageSpells,
			`DROP TABLE ` + stagePeriods,
			`DROP TABLE ` + stageFlags,
		} {
			var args []any
			if len(q) > 6 && q[:6] == "UPDATE" {
				args = []any{now.UnixMicro()}
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("apply labour import: %w", err)
			}
		}
		return nil
	})
}
