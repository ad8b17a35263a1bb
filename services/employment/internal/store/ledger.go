package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
)

// labourerCols are the labourers table's columns in scanLabourer's order.
const labourerCols = `id, id_index, household_id, region_code, birth_month, registry_status, monitoring_status, dibao,
	labour_ability, state, end_reason, end_date, work_status, wants_work, wants_training, insured_employee,
	receiving_pension, created_us, updated_us`

func scanLabourer(rows *sql.Rows) (*domain.Labourer, error) {
	var l domain.Labourer
	var dibao, wantsWork, wantsTraining, insured, pension int64
	var created, updated int64
	if err := rows.Scan(&l.PersonID, &l.IDIndex, &l.HouseholdID, &l.RegionCode, &l.BirthMonth, &l.RegistryStatus,
		&l.MonitoringStatus, &dibao, &l.LabourAbility, &l.State, &l.EndReason, &l.EndDate, &l.WorkStatus,
		&wantsWork, &wantsTraining, &insured, &pension, &created, &updated); err != nil {
		return nil, err
	}
	l.Dibao, l.WantsWork, l.WantsTraining, l.InsuredEmployee, l.ReceivingPension = dibao != 0, wantsWork != 0,
		wantsTraining != 0, insured != 0, pension != 0
	l.CreateTime, l.UpdateTime = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return &l, nil
}

// boolInt stores a flag as 0 or 1 in both dialects.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

const spellCols = `id, person_id, work_status, mode, employer, place, monthly_income_fen, from_month, to_month, source, created_us`

func scanSpell(rows *sql.Rows) (domain.Spell, error) {
	var s domain.Spell
	var created int64
	err := rows.Scan(&s.ID, &s.PersonID, &s.WorkStatus, &s.Mode, &s.Employer, &s.Place, &s.MonthlyIncomeFen,
		&s.FromMonth, &s.ToMonth, &s.Source, &created)
	s.CreateTime = time.UnixMicro(created).UTC()
	return s, err
}

const periodCols = `id, person_id, kind, from_month, to_month, monthly_amount_fen, source, created_us`

func scanPeriod(rows *sql.Rows) (domain.UnemploymentPeriod, error) {
	var u domain.UnemploymentPeriod
	var created int64
	err := rows.Scan(&u.ID, &u.PersonID, &u.Kind, &u.FromMonth, &u.ToMonth, &u.MonthlyAmountFen, &u.Source, &created)
	u.CreateTime = time.UnixMicro(created).UTC()
	return u, err
}

// Labourer returns a person's record with spells and unemployment periods, nil when the ledger has none.
func (s *Store) Labourer(ctx context.Context, personID string) (*domain.Labourer, error) {
	var out *domain.Labourer
	err := s.db.ReadTx(ctx, func(ctx context.Context) error {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+labourerCols+` FROM labourers WHERE id = $1`, personID)
		ls, err := sqldb.Collect(rows, err, scanLabourer)
		if err != nil || len(ls) == 0 {
			return err
		}
		out = ls[0]
		return s.attachRecords(ctx, ls)
	})
	if err != nil {
		return nil, fmt.Errorf("labourer %s: %w", personID, err)
	}
	return out, nil
}

// inChunk bounds the keys asked for in one statement (PostgreSQL takes at most 65,535 parameters,
// SQLite 32,766).
const inChunk = 500

// attachRecords fills the spells and unemployment periods of ls, oldest first.
func (s *Store) attachRecords(ctx context.Context, ls []*domain.Labourer) error {
	byID := make(map[string]*domain.Labourer, len(ls))
	ids := make([]any, 0, len(ls))
	for _, l := range ls {
		byID[l.PersonID] = l
		ids = append(ids, l.PersonID)
	}
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		in := s.db.Params(1, len(chunk))
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+spellCols+` FROM employment_spells WHERE person_id IN (`+in+
			`) ORDER BY person_id, from_month, id`, chunk...)
		spells, err := sqldb.Collect(rows, err, scanSpell)
		if err != nil {
			return fmt.Errorf("spells: %w", err)
		}
		for _, sp := range spells {
			byID[sp.PersonID].Spells = append(byID[sp.PersonID].Spells, sp)
		}
		rows, err = s.db.Q(ctx).QueryContext(ctx, `SELECT `+periodCols+` FROM unemployment_periods WHERE person_id IN (`+in+
			`) ORDER BY person_id, from_month, id`, chunk...)
		periods, err := sqldb.Collect(rows, err, scanPeriod)
		if err != nil {
			return fmt.Errorf("unemployment periods: %w", err)
		}
		for _, u := range periods {
			byID[u.PersonID].Unemployment = append(byID[u.PersonID].Unemployment, u)
		}
	}
	return nil
}

var regionDigits = regexp.MustCompile(`^[0-9]{1,12}$`)

// labourerFilter declares what ListLabourers filters on.
var labourerFilter = filter.Fields{
	"region_code": {Column: "region_code", Type: filter.String, Pattern: regionDigits.MatchString},
	"state":       {Column: "state", Type: filter.Enum, Values: domain.LabourerStateNames},
	"household":   {Column: "household_id", Type: filter.String},
	"person_id":   {Column: "id", Type: filter.String},
	"work_status": {Column: "work_status", Type: filter.Enum, Values: domain.WorkStatusNames},
}

var labourerPage = sqldb.ScopedPage[*domain.Labourer]{Table: "labourers", Columns: labourerCols,
	Fields: labourerFilter, Scan: scanLabourer, ID: func(l *domain.Labourer) string { return l.PersonID }}

// ListLabourers returns a page of the ledger under q.Scope in person id order (without spells).
func (s *Store) ListLabourers(ctx context.Context, q domain.LabourerQuery) ([]*domain.Labourer, string, error) {
	return labourerPage.List(ctx, s.db, q.Scope, q.After, q.Filter, q.Limit, nil)
}

// LabourersByIndex returns the records of the persons with these blind indexes, with spells and
// unemployment periods, read in one snapshot, and the latest change among them (a record's update or a
// spell's or period's recording).
func (s *Store) LabourersByIndex(ctx context.Context, idIndexes []string) ([]*domain.Labourer, time.Time, error) {
	var out []*domain.Labourer
	var asOf time.Time
	err := s.db.ReadTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(idIndexes); start += inChunk {
			chunk := idIndexes[start:min(start+inChunk, len(idIndexes))]
			args := make([]any, len(chunk))
			for i, x := range chunk {
				args[i] = x
			}
			rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+labourerCols+` FROM labourers WHERE id_index IN (`+
				s.db.Params(1, len(chunk))+`) ORDER BY id`, args...)
			ls, err := sqldb.Collect(rows, err, scanLabourer)
			if err != nil {
				return err
			}
			out = append(out, ls...)
		}
		if err := s.attachRecords(ctx, out); err != nil {
			return err
		}
		for _, l := range out {
			asOf = latest(asOf, l.UpdateTime)
			for _, sp := range l.Spells {
				asOf = latest(asOf, sp.CreateTime)
			}
			for _, u := range l.Unemployment {
				asOf = latest(asOf, u.CreateTime)
			}
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("labourers by blind index: %w", err)
	}
	return out, asOf, nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// LabourersOf returns, by person id, the records whose household is one of householdIDs or whose person
// is one of personIDs (without spells).
func (s *Store) LabourersOf(ctx context.Context, householdIDs, personIDs []string) (map[string]*domain.Labourer, error) {
	out := make(map[string]*domain.Labourer, len(personIDs))
	for _, q := range []struct {
		column string
		keys   []string
	}{{"household_id", householdIDs}, {"id", personIDs}} {
		for start := 0; start < len(q.keys); start += inChunk {
			chunk := q.keys[start:min(start+inChunk, len(q.keys))]
			args := make([]any, len(chunk))
			for i, k := range chunk {
				args[i] = k
			}
			rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+labourerCols+` FROM labourers WHERE `+q.column+` IN (`+
				s.db.Params(1, len(chunk))+`)`, args...)
			ls, err := sqldb.Collect(rows, err, scanLabourer)
			if err != nil {
				return nil, fmt.Errorf("labourers by %s: %w", q.column, err)
			}
			for _, l := range ls {
				out[l.PersonID] = l
			}
		}
	}
	return out, nil
}

// saveCols are the columns SaveLabourers writes; on a conflict all but id and created_us are replaced
// (人社's own fields are not the follower's and are not among them).
var saveCols = []string{"id", "id_index", "household_id", "region_code", "birth_month", "registry_status",
	"monitoring_status", "dibao", "labour_ability", "state", "end_reason", "end_date", "created_us", "updated_us"}

// saveChunk is the rows per statement: 14 parameters each, far below both dialects' limits.
const saveChunk = 500

// SaveLabourers inserts or replaces the records' register fields and state, in the transaction in ctx.
func (s *Store) SaveLabourers(ctx context.Context, ls []*domain.Labourer) error {
	set := ""
	for _, c := range saveCols {
		if c == "id" || c == "created_us" {
			continue
		}
		if set != "" {
			set += ", "
		}
		set += c + " = excluded." + c
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(ls); start += saveChunk {
			chunk := ls[start:min(start+saveChunk, len(ls))]
			args := make([]any, 0, len(chunk)*len(saveCols))
			values := ""
			for i, l := range chunk {
				if i > 0 {
					values += ", "
				}
				values += "(" + s.db.Params(i*len(saveCols)+1, len(saveCols)) + ")"
				args = append(args, l.PersonID, l.IDIndex, l.HouseholdID, l.RegionCode, l.BirthMonth, l.RegistryStatus,
					l.MonitoringStatus, boolInt(l.Dibao), l.LabourAbility, int32(l.State), int32(l.EndReason), l.EndDate,
					l.CreateTime.UnixMicro(), l.UpdateTime.UnixMicro())
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO labourers (`+strings.Join(saveCols, ", ")+`) VALUES `+values+
				` ON CONFLICT (id) DO UPDATE SET `+set, args...); err != nil {
				return fmt.Errorf("save labourers: %w", err)
			}
		}
		return nil
	})
}

// HeldHouseholds returns the households that have a record not ended, in id order: what a resync
// compares with the register's snapshot.
func (s *Store) HeldHouseholds(ctx context.Context) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT DISTINCT household_id FROM labourers WHERE state <> $1 ORDER BY household_id`,
		int32(domain.LabourerEnded))
	return sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// LabourersAfter returns up to limit records not ended after person id after, in id order (the age sweep).
func (s *Store) LabourersAfter(ctx context.Context, after string, limit int) ([]*domain.Labourer, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+labourerCols+` FROM labourers WHERE id > $1 AND state <> $2
		ORDER BY id LIMIT $3`, after, int32(domain.LabourerEnded), limit)
	return sqldb.Collect(rows, err, scanLabourer)
}

// AnalyzeLedger refreshes PostgreSQL's statistics of the ledger after a bulk change (a resync writes
// hundreds of thousands of records at once; until autovacuum comes by, the planner would guess and scan
// the table for every blind-index lookup). Nothing to do on SQLite, whose planner needs no statistics
// for these lookups.
func (s *Store) AnalyzeLedger(ctx context.Context) error {
	if s.db.Dialect != sqldb.Postgres {
		return nil
	}
	if _, err := s.db.Exec(ctx, `ANALYZE labourers`); err != nil {
		return fmt.Errorf("analyze labourers: %w", err)
	}
	return nil
}
