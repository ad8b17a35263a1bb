package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

var _ domain.VisitStore = (*Store)(nil)

// LockHousehold returns a household's reference data; inside a transaction on PostgreSQL it also locks the
// row, so helper and visit rules checked in the transaction hold until it commits (SQLite transactions
// already run one at a time).
func (s *Store) LockHousehold(ctx context.Context, id string) (*domain.HouseholdRef, error) {
	q := `SELECT id, region_code, number, state FROM households WHERE id = $1`
	if s.db.Dialect == sqldb.Postgres && sqldb.InTransaction(ctx) {
		q += ` FOR UPDATE`
	}
	var ref domain.HouseholdRef
	err := s.db.Q(ctx).QueryRowContext(ctx, q, id).Scan(&ref.ID, &ref.RegionCode, &ref.Number, &ref.State)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrHouseholdNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get household %s: %w", id, err)
	}
	return &ref, nil
}

const helperCols = `id, household_id, full_name, phone_cipher, phone_masked, work_unit, is_primary, start_date, end_date,
	backdate_reason, end_reason, actor, recorded_us, ended_by, ended_us`

func scanHelper(r scanner) (*domain.Helper, error) {
	var h domain.Helper
	var primary int
	var rec, ended int64
	err := r.Scan(&h.ID, &h.HouseholdID, &h.FullName, &h.PhoneCipher, &h.PhoneMasked, &h.WorkUnit, &primary, &h.StartDate,
		&h.EndDate, &h.BackdateReason, &h.EndReason, &h.Actor, &rec, &h.EndActor, &ended)
	if err != nil {
		return nil, err
	}
	h.Primary = primary == 1
	h.RecordTime = time.UnixMicro(rec)
	if ended != 0 {
		h.EndTime = time.UnixMicro(ended)
	}
	return &h, nil
}

// Helpers returns every helper assignment of a household in the order they were made.
func (s *Store) Helpers(ctx context.Context, householdID string) ([]*domain.Helper, error) {
	m, err := s.HelpersOf(ctx, []string{householdID})
	return m[householdID], err
}

// HelpersOf returns the helper assignments of several households.
func (s *Store) HelpersOf(ctx context.Context, householdIDs []string) (map[string][]*domain.Helper, error) {
	out := map[string][]*domain.Helper{}
	if len(householdIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(householdIDs))
	for i, id := range householdIDs {
		args[i] = id
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+helperCols+` FROM helpers
		WHERE household_id IN (`+sqldb.Placeholders(1, len(args))+`) ORDER BY household_id, recorded_us, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list helpers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		h, err := scanHelper(rows)
		if err != nil {
			return nil, fmt.Errorf("scan helper: %w", err)
		}
		out[h.HouseholdID] = append(out[h.HouseholdID], h)
	}
	return out, rows.Err()
}

// CreateHelper inserts a helper assignment.
func (s *Store) CreateHelper(ctx context.Context, h *domain.Helper) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO helpers (`+helperCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			h.ID, h.HouseholdID, h.FullName, h.PhoneCipher, h.PhoneMasked, h.WorkUnit, boolInt(h.Primary), h.StartDate,
			h.EndDate, h.BackdateReason, h.EndReason, h.Actor, h.RecordTime.UnixMicro(), h.EndActor, endMicros(h.EndTime))
		if err != nil {
			return fmt.Errorf("insert helper: %w", err)
		}
		return nil
	})
}

func endMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// EndHelper saves the end of an assignment.
func (s *Store) EndHelper(ctx context.Context, h *domain.Helper) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE helpers SET end_date = $3, end_reason = $4, ended_by = $5, ended_us = $6
			WHERE household_id = $1 AND id = $2`, h.HouseholdID, h.ID, h.EndDate, h.EndReason, h.EndActor, endMicros(h.EndTime))
		if err != nil {
			return fmt.Errorf("end helper: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domain.ErrHelperNotFound
		}
		return nil
	})
}

// LastVisitBy returns the date of the helper's latest visit, or "".
func (s *Store) LastVisitBy(ctx context.Context, helperID string) (string, error) {
	var last sql.NullString
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT MAX(occurred_on) FROM visits WHERE helper_id = $1`, helperID).Scan(&last)
	if err != nil {
		return "", fmt.Errorf("last visit of helper: %w", err)
	}
	return last.String, nil
}

const visitCols = `v.id, v.household_id, v.helper_id, h.full_name, v.occurred_on, v.kind, v.notes, v.findings, v.backdate_reason,
	v.actor, v.recorded_us`

func scanVisit(r scanner) (*domain.Visit, error) {
	var v domain.Visit
	var rec int64
	if err := r.Scan(&v.ID, &v.HouseholdID, &v.HelperID, &v.HelperName, &v.Date, &v.Kind, &v.Notes, &v.Findings,
		&v.BackdateReason, &v.Actor, &rec); err != nil {
		return nil, err
	}
	v.RecordTime = time.UnixMicro(rec)
	return &v, nil
}

// CreateVisit inserts a visit.
func (s *Store) CreateVisit(ctx context.Context, v *domain.Visit) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO visits (id, household_id, helper_id, occurred_on, kind, notes,
			findings, backdate_reason, actor, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			v.ID, v.HouseholdID, v.HelperID, v.Date, v.Kind, v.Notes, v.Findings, v.BackdateReason, v.Actor, v.RecordTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert visit: %w", err)
		}
		return nil
	})
}

// Visits returns a page of a household's visits, newest first (by visit date, then id).
func (s *Store) Visits(ctx context.Context, householdID string, after domain.VisitCursor, limit int) ([]*domain.Visit, error) {
	where, args := `v.household_id = $1`, []any{householdID}
	if after.Date != "" {
		where += ` AND (v.occurred_on < $2 OR (v.occurred_on = $2 AND v.id < $3))`
		args = append(args, after.Date, after.ID)
	}
	args = append(args, limit)
	return s.visits(ctx, `SELECT `+visitCols+` FROM visits v JOIN helpers h ON h.id = v.helper_id WHERE `+where+
		fmt.Sprintf(` ORDER BY v.occurred_on DESC, v.id DESC LIMIT $%d`, len(args)), args...)
}

// AllVisits returns every visit of a household, oldest first.
func (s *Store) AllVisits(ctx context.Context, householdID string) ([]*domain.Visit, error) {
	return s.visits(ctx, `SELECT `+visitCols+` FROM visits v JOIN helpers h ON h.id = v.helper_id
		WHERE v.household_id = $1 ORDER BY v.occurred_on, v.recorded_us, v.id`, householdID)
}

func (s *Store) visits(ctx context.Context, query string, args ...any) ([]*domain.Visit, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list visits: %w", err)
	}
	defer rows.Close()
	var out []*domain.Visit
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, fmt.Errorf("scan visit: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// codeRange returns the inclusive range of 12-digit region codes starting with prefix, so a prefix
// condition can use the households_region index in both dialects (codes are digits, so the range holds
// under any collation).
func codeRange(prefix string) (string, string) {
	if len(prefix) > 12 {
		return prefix, prefix
	}
	return prefix + strings.Repeat("0", 12-len(prefix)), prefix + strings.Repeat("9", 12-len(prefix))
}

// OverdueHouseholds returns one page of households, in id order, that have a helper assignment in effect
// on the date and whose reference date (latest visit on or before the date, else the start of their first
// assignment) is before their group's cutoff.
func (s *Store) OverdueHouseholds(ctx context.Context, q domain.OverdueQuery) ([]*domain.OverdueHousehold, error) {
	query, args := overdueQuery(q, false)
	if query == "" {
		return nil, nil
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("overdue households: %w", err)
	}
	defer rows.Close()
	var out []*domain.OverdueHousehold
	for rows.Next() {
		var o domain.OverdueHousehold
		var first string
		if err := rows.Scan(&o.HouseholdID, &o.RegionCode, &o.Number, &first, &o.LastVisit); err != nil {
			return nil, fmt.Errorf("scan overdue household: %w", err)
		}
		o.Reference = first
		if o.LastVisit != "" {
			o.Reference = o.LastVisit
		}
		out = append(out, &o)
	}
	return out, rows.Err()
}

// CountOverdueHouseholds counts every overdue household of the query (its cursor and limit aside).
func (s *Store) CountOverdueHouseholds(ctx context.Context, q domain.OverdueQuery) (int64, error) {
	query, args := overdueQuery(q, true)
	if query == "" {
		return 0, nil
	}
	var n int64
	if err := s.db.Q(ctx).QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count overdue households: %w", err)
	}
	return n, nil
}

// overdueQuery is the query of the overdue households of q: a page of them, or (count) how many in all.
func overdueQuery(q domain.OverdueQuery, count bool) (string, []any) {
	lo, hi := codeRange(q.Scope)
	args := []any{q.Date, lo, hi, q.AsOf.EndMicros, q.After}
	var groups []string
	for _, g := range q.Groups {
		var cond string
		if len(g.Villages) > 0 {
			vargs := make([]any, len(g.Villages))
			for i, v := range g.Villages {
				vargs[i] = v
			}
			cond = `h.region_code IN (` + sqldb.Placeholders(len(args)+1, len(vargs)) + `)`
			args = append(args, vargs...)
		} else {
			glo, ghi := codeRange(g.Prefix)
			cond = fmt.Sprintf(`h.region_code BETWEEN $%d AND $%d`, len(args)+1, len(args)+2)
			args = append(args, glo, ghi)
		}
		args = append(args, g.Cutoff)
		groups = append(groups, fmt.Sprintf(`(%s AND COALESCE(v.last_visit, a.first_start) < $%d)`, cond, len(args)))
	}
	if len(groups) == 0 {
		return "", nil
	}
	cols, tail := `h.id, h.region_code, h.number, a.first_start, COALESCE(v.last_visit, '')`, ""
	if count {
		args[4] = ""
		cols = "COUNT(*)"
	} else {
		args = append(args, q.Limit)
		tail = ` ORDER BY h.id LIMIT $` + fmt.Sprint(len(args))
	}
	query := `SELECT ` + cols + `
		FROM households h
		JOIN (SELECT household_id, MIN(start_date) AS first_start FROM helpers WHERE start_date <= $1 GROUP BY household_id
			HAVING SUM(CASE WHEN end_date = '' OR end_date >= $1 THEN 1 ELSE 0 END) > 0) a ON a.household_id = h.id
		LEFT JOIN (SELECT household_id, MAX(occurred_on) AS last_visit FROM visits WHERE occurred_on <= $1
			GROUP BY household_id) v ON v.household_id = h.id
		WHERE h.region_code BETWEEN $2 AND $3 AND (h.state = 1 OR h.updated_us >= $4) AND h.id > $5
			AND (` + strings.Join(groups, " OR ") + `)` + tail
	return query, args
}

// RegionsUnder returns the regions whose code starts with prefix, in code order, with their populations.
func (s *Store) RegionsUnder(ctx context.Context, prefix string) ([]*domain.Region, error) {
	lo, hi := codeRange(prefix)
	out, err := s.queryRegions(ctx, `SELECT `+regionCols+` FROM regions WHERE code BETWEEN $1 AND $2 ORDER BY code`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("regions under %s: %w", prefix, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	byCode := map[string]*domain.Region{}
	for _, r := range out {
		byCode[r.Code] = r
	}
	prows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT code, year, residents FROM region_populations
		WHERE code BETWEEN $1 AND $2 ORDER BY code, year`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("populations under %s: %w", prefix, err)
	}
	defer prows.Close()
	for prows.Next() {
		var code string
		var p domain.Population
		if err := prows.Scan(&code, &p.Year, &p.Residents); err != nil {
			return nil, err
		}
		if r := byCode[code]; r != nil {
			r.Populations = append(r.Populations, p)
		}
	}
	return out, prows.Err()
}
