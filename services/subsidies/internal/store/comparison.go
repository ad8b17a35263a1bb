package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

var _ domain.ComparisonStore = (*Store)(nil)

// DibaoHouseholds reads the 低保 list of a month from the entitlements: one row per household with a 低保
// entitlement paying in month (the latest granted when a change overlapped), under scope.
func (s *Store) DibaoHouseholds(ctx context.Context, month, scope string) ([]domain.DibaoHousehold, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT household_id, region_code, source, covered FROM payroll_entitlements
		WHERE program = $1 AND household_id <> '' AND from_month <= $2 AND (to_month = '' OR to_month >= $2)
			AND substr(region_code, 1, `+fmt.Sprint(len(scope))+`) = $3
		ORDER BY household_id, created_us, id`, int32(domain.ProgramDibao), month, scope)
	list, err := sqldb.Collect(rows, err, func(r *sql.Rows) (domain.DibaoHousehold, error) {
		var d domain.DibaoHousehold
		return d, r.Scan(&d.HouseholdID, &d.RegionCode, &d.Source, &d.Covered)
	})
	if err != nil {
		return nil, fmt.Errorf("dibao list: %w", err)
	}
	out := list[:0]
	for _, d := range list {
		if n := len(out); n > 0 && out[n-1].HouseholdID == d.HouseholdID {
			out[n-1] = d
			continue
		}
		out = append(out, d)
	}
	indexes, err := s.coveredIndexes(ctx, month, scope)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].IDIndexes = indexes[out[i].HouseholdID]
	}
	return out, nil
}

// coveredIndexes returns, per household, the blind indexes of the persons its 低保 coverages (household
// or 单人保) cover in month, as the 低保 decisions recorded them, so the comparison matches persons and
// finds a household whose members the register now keeps under another household.
func (s *Store) coveredIndexes(ctx context.Context, month, scope string) (map[string][]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT c.household_id, m.id_index FROM dibao_members m
		JOIN dibao_coverages c ON c.id = m.coverage_id
		WHERE m.id_index <> '' AND m.from_month <= $1 AND (m.to_month = '' OR m.to_month >= $1)
			AND substr(c.region_code, 1, `+fmt.Sprint(len(scope))+`) = $2
		ORDER BY c.household_id, m.id_index`, month, scope)
	type pair struct{ household, index string }
	pairs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (pair, error) {
		var p pair
		return p, r.Scan(&p.household, &p.index)
	})
	if err != nil {
		return nil, fmt.Errorf("dibao covered persons: %w", err)
	}
	out := map[string][]string{}
	for _, p := range pairs {
		out[p.household] = append(out[p.household], p.index)
	}
	return out, nil
}

const comparisonCols = `id, month, region_code, register_households, register_persons, registered_households,
	dibao_households, registered_covered, registered_not_covered, dibao_not_registered, policy_hash, actor, created_us,
	duration_ms`

func scanComparison(r interface{ Scan(...any) error }) (*domain.Comparison, error) {
	var c domain.Comparison
	var created, ms int64
	err := r.Scan(&c.ID, &c.Month, &c.RegionCode, &c.RegisterHouseholds, &c.RegisterPersons, &c.Registered,
		&c.DibaoHouseholds, &c.RegisteredCovered, &c.RegisteredNotCovered, &c.DibaoNotRegistered, &c.PolicyHash, &c.Actor,
		&created, &ms)
	c.CreateTime, c.Duration = time.UnixMicro(created), time.Duration(ms)*time.Millisecond
	return &c, err
}

// SaveComparison stores a run and its mismatches in the transaction in ctx (or one of its own).
func (s *Store) SaveComparison(ctx context.Context, c *domain.Comparison, mismatches []domain.Mismatch) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO comparisons (`+comparisonCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			c.ID, c.Month, c.RegionCode, c.RegisterHouseholds, c.RegisterPersons, c.Registered, c.DibaoHouseholds,
			c.RegisteredCovered, c.RegisteredNotCovered, c.DibaoNotRegistered, c.PolicyHash, c.Actor,
			c.CreateTime.UnixMicro(), c.Duration.Milliseconds())
		if err != nil {
			return fmt.Errorf("save comparison: %w", err)
		}
		if err := s.insertMismatches(ctx, c.ID, mismatches); err != nil {
			return fmt.Errorf("save mismatches: %w", err)
		}
		return nil
	})
}

const mismatchCols = `seq, kind, reason, household_id, region_code, registry_status, monitoring_type, monitoring_status,
	register_size, dibao_source, covered`

// insertMismatches writes a run's mismatches, tens of thousands for a county: on PostgreSQL as one INSERT
// over unnest'ed arrays per 10,000 rows instead of a round trip per row; on SQLite as one prepared
// statement run per row (a multi-row statement's numbered parameters cost SQLite more to bind).
func (s *Store) insertMismatches(ctx context.Context, id string, ms []domain.Mismatch) error {
	if s.db.Dialect == sqldb.Postgres {
		const chunk = 10_000
		for len(ms) > 0 {
			part := ms[:min(chunk, len(ms))]
			ms = ms[len(part):]
			var (
				seq, kind, reason, registry, mtype, mstatus, size, covered = make([]int32, len(part)), make([]int32, len(part)),
					make([]int32, len(part)), make([]int32, len(part)), make([]int32, len(part)), make([]int32, len(part)),
					make([]int32, len(part)), make([]int32, len(part))
				household, region, source = make([]string, len(part)), make([]string, len(part)), make([]string, len(part))
			)
			for i, m := range part {
				seq[i], kind[i], reason[i], registry[i], mtype[i], mstatus[i], size[i], covered[i] = int32(m.Seq), int32(m.Kind),
					int32(m.Reason), m.Registry, m.MonitoringType, m.MonitoringStatus, int32(m.RegisterSize), int32(m.Covered)
				household[i], region[i], source[i] = m.HouseholdID, m.RegionCode, m.DibaoSource
			}
			_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO comparison_mismatches (comparison_id, `+mismatchCols+`)
				SELECT $1, * FROM unnest($2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[],
					$9::int[], $10::int[], $11::text[], $12::int[])`,
				id, seq, kind, reason, household, region, registry, mtype, mstatus, size, source, covered)
			if err != nil {
				return err
			}
		}
		return nil
	}
	st, err := s.db.Prepare(ctx, `INSERT INTO comparison_mismatches (comparison_id, `+mismatchCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
	if err != nil {
		return err
	}
	// Rows run under a context that cannot be cancelled: for a cancellable one the SQLite driver starts a
	// watcher goroutine per statement. The transaction still ends with ctx.
	rowCtx := context.WithoutCancel(ctx)
	for _, m := range ms {
		if _, err := st.ExecContext(rowCtx, id, m.Seq, int32(m.Kind), int32(m.Reason), m.HouseholdID, m.RegionCode, m.Registry,
			m.MonitoringType, m.MonitoringStatus, m.RegisterSize, m.DibaoSource, m.Covered); err != nil {
			return err
		}
	}
	return nil
}

// GetComparison returns one run.
func (s *Store) GetComparison(ctx context.Context, id string) (*domain.Comparison, error) {
	c, err := scanComparison(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+comparisonCols+` FROM comparisons WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrComparisonNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get comparison: %w", err)
	}
	return c, nil
}

// ListComparisons returns runs whose region contains the scope or lies inside it, newest first (ids are
// UUIDv7, so their order is the order of creation).
func (s *Store) ListComparisons(ctx context.Context, scope, after string, limit int) ([]*domain.Comparison, error) {
	where := `(substr($1, 1, length(region_code)) = region_code OR substr(region_code, 1, ` + fmt.Sprint(len(scope)) + `) = $1)`
	args := []any{scope}
	if after != "" {
		where += ` AND id < $2`
		args = append(args, after)
	}
	args = append(args, limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+comparisonCols+` FROM comparisons WHERE `+where+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	out, err := sqldb.Collect(rows, err, func(r *sql.Rows) (*domain.Comparison, error) { return scanComparison(r) })
	if err != nil {
		return nil, fmt.Errorf("list comparisons: %w", err)
	}
	return out, nil
}

var mismatchRegionDigits = regexp.MustCompile(`^[0-9]{1,12}$`)

// mismatchFields are the fields ListMismatches filters on.
var mismatchFields = filter.Fields{
	"kind":        {Column: "kind", Type: filter.Enum, Values: subsidiesv1.MismatchKind_value},
	"reason":      {Column: "reason", Type: filter.Enum, Values: subsidiesv1.MismatchReason_value},
	"region_code": {Column: "region_code", Type: filter.String, Pattern: mismatchRegionDigits.MatchString},
}

// ListMismatches returns a page of a run's mismatches under the scope, in Seq order.
func (s *Store) ListMismatches(ctx context.Context, q domain.MismatchQuery) ([]domain.Mismatch, error) {
	where := []string{"comparison_id = $1", "seq > $2", "substr(region_code, 1, " + fmt.Sprint(len(q.Scope)) + ") = $3"}
	args := []any{q.ComparisonID, q.After, q.Scope}
	cond, fargs, err := mismatchFields.Compile(q.Filter, len(args)+1)
	if err != nil {
		return nil, err
	}
	if cond != "" {
		where = append(where, cond)
		args = append(args, fargs...)
	}
	args = append(args, q.Limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+mismatchCols+` FROM comparison_mismatches WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args)), args...)
	out, err := sqldb.Collect(rows, err, func(r *sql.Rows) (domain.Mismatch, error) {
		var m domain.Mismatch
		return m, r.Scan(&m.Seq, &m.Kind, &m.Reason, &m.HouseholdID, &m.RegionCode, &m.Registry, &m.MonitoringType,
			&m.MonitoringStatus, &m.RegisterSize, &m.DibaoSource, &m.Covered)
	})
	if err != nil {
		return nil, fmt.Errorf("list mismatches: %w", err)
	}
	return out, nil
}
