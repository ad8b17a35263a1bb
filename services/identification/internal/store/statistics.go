package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
	"golang.org/x/sync/errgroup"
)

var _ domain.StatisticsStore = (*Store)(nil)

// AsOfCounts runs StatusCounts and ExitCounts. Without a transaction in ctx (statistics are reads) it runs
// their statements at the same time on separate connections, the exits in exitShards parts, and sums the
// parts. Each statement reads one consistent state; a change committed while they run may show in the
// exits and not yet in the states, or the other way round, never half in either.
func (s *Store) AsOfCounts(ctx context.Context, prefix string, at domain.AsOf) ([]domain.StatusCount, []domain.ExitCount, error) {
	if sqldb.InTransaction(ctx) {
		status, err := s.StatusCounts(ctx, prefix, at)
		if err != nil {
			return nil, nil, err
		}
		exits, err := s.ExitCounts(ctx, prefix, at)
		return status, exits, err
	}
	var deltas []statusDelta
	parts := make([][]domain.ExitCount, exitShards)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return s.analytic(gctx, func(ctx context.Context) (err error) {
			deltas, err = s.statusDeltas(ctx, prefix, at)
			return err
		})
	})
	for i := range parts {
		g.Go(func() error {
			return s.analytic(gctx, func(ctx context.Context) (err error) {
				parts[i], err = s.exitCounts(ctx, prefix, at, i, exitShards)
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	type key struct {
		region string
		year   int
	}
	sums := map[key]*domain.ExitCount{}
	var exits []domain.ExitCount
	for _, part := range parts {
		for _, c := range part {
			k := key{c.RegionCode, c.Year}
			if sums[k] == nil {
				sums[k] = &domain.ExitCount{RegionCode: c.RegionCode, Year: c.Year}
			}
			sums[k].Households += c.Households
			sums[k].Persons += c.Persons
		}
	}
	for _, c := range sums {
		exits = append(exits, *c)
	}
	sort.Slice(exits, func(i, j int) bool {
		if exits[i].RegionCode != exits[j].RegionCode {
			return exits[i].RegionCode < exits[j].RegionCode
		}
		return exits[i].Year < exits[j].Year
	})
	return sumStatus(deltas), exits, nil
}

// exitShards is how many parts AsOfCounts splits the exits into (by status entry id): for recent dates
// the exits are most of the work, and two parts keep both cores of a two-core machine busy.
const exitShards = 2

// analytic runs fn's statistics queries. On PostgreSQL they run in a transaction of their own that turns
// JIT compilation off (the planner's cost estimates for these lookups trigger it, and compiling costs
// more than the queries) and gives hashes room in memory; SQLite reads straight from the read pool.
func (s *Store) analytic(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.db.Dialect != sqldb.Postgres {
		return fn(ctx)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
			return fmt.Errorf("statistics settings: %w", err)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return fmt.Errorf("statistics settings: %w", err)
		}
		return fn(ctx)
	})
}

// statusPack packs a status_history row's three small enums into one integer (registry·100 +
// monitoring type·10 + monitoring status), so one correlated lookup returns the whole state.
const statusPack = `registry_status * 100 + monitoring_type * 10 + monitoring_status`

// asOfProbe is the packed state of household hid on date $3: its latest status entry on or before the
// date, the later id first on the same date (NULL when the household was not registered yet). It is
// answered from status_history_asof alone.
func asOfProbe(hid string) string {
	return `(SELECT ` + statusPack + ` FROM status_history sh WHERE sh.household_id = ` + hid + ` AND sh.effective_date <= $3
		ORDER BY sh.effective_date DESC, sh.id DESC LIMIT 1)`
}

// activeOn is true for a household h not archived by the end of the date (param: the first microsecond
// of the next day). The register keeps no archive date; an archived record never changes again, so its
// last update time is when it was archived.
func activeOn(param string) string { return `(h.state = 1 OR h.updated_us >= ` + param + `)` }

// StatusCounts groups the households under prefix by village and by their state on the date (see the
// as-of rules in domain/statistics.go), counting households and their persons current on the date.
//
// It does not look every household up in the history. It starts from the register's current state, kept
// in the households row (its status columns are those of its latest status entry and size is its number
// of open memberships: the register writes both with the change, in one transaction), aggregated per
// village in one pass over households (in the order of households_stats on SQLite, so without a sort; a
// hashed parallel scan on PostgreSQL). Then it corrects, with index lookups, only what changed after the
// date: households with a status entry after it move from their current state to their state on the
// date (or out, when they were registered later), and memberships that began or ended after it add or
// remove a person. The work is one scan plus a lookup per later change; for dates before most of the
// register was entered, that approaches a lookup per household.
func (s *Store) StatusCounts(ctx context.Context, prefix string, at domain.AsOf) ([]domain.StatusCount, error) {
	deltas, err := s.statusDeltas(ctx, prefix, at)
	if err != nil {
		return nil, err
	}
	return sumStatus(deltas), nil
}

// statusDelta adds households and persons to a village's state.
type statusDelta struct {
	region     string
	packed     int64
	households int64
	persons    int64
}

// sumStatus adds up deltas per village and state, leaving out states that sum to nothing.
func sumStatus(parts ...[]statusDelta) []domain.StatusCount {
	type key struct {
		region string
		packed int64
	}
	sums := map[key]*domain.StatusCount{}
	for _, part := range parts {
		for _, d := range part {
			k := key{d.region, d.packed}
			c := sums[k]
			if c == nil {
				c = &domain.StatusCount{RegionCode: d.region, Registry: domain.RegistryStatus(d.packed / 100),
					MonitoringType: domain.MonitoringType(d.packed / 10 % 10), MonitoringStatus: domain.MonitoringStatus(d.packed % 10)}
				sums[k] = c
			}
			c.Households += d.households
			c.Persons += d.persons
		}
	}
	out := make([]domain.StatusCount, 0, len(sums))
	for _, c := range sums {
		if c.Households != 0 || c.Persons != 0 {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.RegionCode != b.RegionCode {
			return a.RegionCode < b.RegionCode
		}
		return packOf(a) < packOf(b)
	})
	return out
}

func packOf(c domain.StatusCount) int64 {
	return int64(c.Registry)*100 + int64(c.MonitoringType)*10 + int64(c.MonitoringStatus)
}

// statusDeltas is StatusCounts' one statement, so it reads one consistent state of the register. Its
// first part aggregates the register now, per village and state, in one pass over households. Its
// second takes the households that changed after the date back to the date: those with a status entry
// after it move from their current state to their state on the date (out, when they were registered
// later), and memberships that began after it (open now, absent then) or ended after it (closed now,
// present then) correct their persons, with one lookup in the history per household whose status changed.
func (s *Store) statusDeltas(ctx context.Context, prefix string, at domain.AsOf) ([]statusDelta, error) {
	lo, hi := codeRange(prefix)
	var out []statusDelta
	err := scanRows(ctx, s.db.Q(ctx), `WITH s AS MATERIALIZED (
			SELECT household_id FROM status_history WHERE effective_date > $3),
		md AS MATERIALIZED (
			SELECT household_id, SUM(d) AS d FROM (
				SELECT household_id, -1 AS d FROM memberships WHERE start_date > $3 AND end_date = ''
				UNION ALL
				SELECT household_id, 1 AS d FROM memberships WHERE end_date > $3 AND end_date <> '' AND start_date <= $3) m
			GROUP BY household_id),
		x AS MATERIALIZED (
			SELECT h.region_code, `+packed("h")+` AS cur,
				CASE WHEN h.id IN (SELECT household_id FROM s) THEN `+asOfProbe("h.id")+` ELSE `+packed("h")+` END AS asof,
				h.size, COALESCE(md.d, 0) AS d
			FROM (SELECT household_id FROM s UNION SELECT household_id FROM md) c
			CROSS JOIN households h
			LEFT JOIN md ON md.household_id = h.id
			WHERE h.id = c.household_id AND h.region_code BETWEEN $1 AND $2 AND `+activeOn("$4")+`)
		SELECT 0, h.region_code, `+packed("h")+`, NULL, COUNT(*), SUM(h.size), 0 FROM households h
			WHERE h.region_code BETWEEN $1 AND $2 AND `+activeOn("$4")+`
			GROUP BY h.region_code, h.registry_status, h.monitoring_type, h.monitoring_status
		UNION ALL
		SELECT 1, region_code, cur, asof, COUNT(*), SUM(size), SUM(d) FROM x GROUP BY region_code, cur, asof`,
		[]any{lo, hi, at.Date, at.EndMicros}, func(r *sql.Rows) error {
			var kind int
			var region string
			var cur, n, size, d int64
			var asof sql.NullInt64
			if err := r.Scan(&kind, &region, &cur, &asof, &n, &size, &d); err != nil {
				return err
			}
			if kind == 0 {
				out = append(out, statusDelta{region, cur, n, size})
				return nil
			}
			out = append(out, statusDelta{region, cur, -n, -size})
			if asof.Valid {
				out = append(out, statusDelta{region, asof.Int64, n, size + d})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("status counts as of %s: %w", at.Date, err)
	}
	return out, nil
}

func packed(alias string) string {
	return alias + `.registry_status * 100 + ` + alias + `.monitoring_type * 10 + ` + alias + `.monitoring_status`
}

// scanRows runs a query and hands each row to fn.
func scanRows(ctx context.Context, q sqldb.Querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExitCounts groups exits by village and year: every status entry that moves a household to EXITED
// (the household's first entry, or one whose previous entry was not EXITED) with effective date on or
// before the date. The year of the exit that put a household in its current EXITED status is its recorded
// exit year (脱贫年度: an exit decided in January may belong to the year before; a household registered as
// already exited keeps its ledger's year); the register keeps only that one, so earlier exits (of
// households that returned and exited again) count in the year of their effective date. Persons are the
// members current on the day of the exit.
func (s *Store) ExitCounts(ctx context.Context, prefix string, at domain.AsOf) ([]domain.ExitCount, error) {
	return s.exitCounts(ctx, prefix, at, 0, 1)
}

// exitCounts counts the exits whose status entry id is part modulo parts.
func (s *Store) exitCounts(ctx context.Context, prefix string, at domain.AsOf, part, parts int) ([]domain.ExitCount, error) {
	lo, hi := codeRange(prefix)
	year := `CAST(substr(e.effective_date, 1, 4) AS INTEGER)`
	// The exit entries on or before the date: for the county all of them through status_history_registry,
	// for a township or village through its households.
	exits := `SELECT x.household_id, x.id, x.effective_date FROM status_history x
		WHERE x.registry_status = 3 AND x.effective_date <= $3 AND x.id % $4 = $5`
	if len(prefix) > 6 {
		exits = `SELECT x.household_id, x.id, x.effective_date
			FROM households h CROSS JOIN status_history x
			WHERE h.region_code BETWEEN $1 AND $2 AND x.household_id = h.id AND x.registry_status = 3 AND x.effective_date <= $3
				AND x.id % $4 = $5`
	}
	query := `WITH e AS MATERIALIZED (
			SELECT x.household_id, x.effective_date,
				(SELECT p.registry_status FROM status_history p WHERE p.household_id = x.household_id
					AND (p.effective_date < x.effective_date OR (p.effective_date = x.effective_date AND p.id < x.id))
					ORDER BY p.effective_date DESC, p.id DESC LIMIT 1) AS prev
			FROM (` + exits + `) x),
		y AS MATERIALIZED (
			SELECT h.region_code,
				CASE WHEN h.registry_status = 3 AND h.exit_year > 0 AND h.registry_date = e.effective_date
					THEN h.exit_year ELSE ` + year + ` END AS yr,
				(SELECT COUNT(*) FROM memberships m WHERE m.household_id = e.household_id
					AND m.start_date <= e.effective_date AND (m.end_date = '' OR m.end_date > e.effective_date)) AS n
			FROM e CROSS JOIN households h
			WHERE h.id = e.household_id AND h.region_code BETWEEN $1 AND $2 AND (e.prev IS NULL OR e.prev <> 3))
		SELECT region_code, yr, COUNT(*), SUM(n) FROM y GROUP BY region_code, yr ORDER BY region_code, yr`
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, lo, hi, at.Date, parts, part)
	if err != nil {
		return nil, fmt.Errorf("exit counts: %w", err)
	}
	defer rows.Close()
	var out []domain.ExitCount
	for rows.Next() {
		var c domain.ExitCount
		if err := rows.Scan(&c.RegionCode, &c.Year, &c.Households, &c.Persons); err != nil {
			return nil, fmt.Errorf("scan exit count: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CollectiveIncomes returns the latest revision of each village's collective income under prefix, for one
// year (0: every year), in village and year order after (afterRegion, afterYear); limit 0 means all.
func (s *Store) CollectiveIncomes(ctx context.Context, prefix string, year int, afterRegion string, afterYear, limit int) ([]*domain.CollectiveIncome, error) {
	lo, hi := codeRange(prefix)
	args := []any{lo, hi, year, afterRegion, afterYear}
	query := `SELECT c.region_code, c.year, c.revision, c.amount_fen, c.note, c.actor, c.recorded_us
		FROM collective_incomes c
		WHERE c.region_code BETWEEN $1 AND $2 AND ($3 = 0 OR c.year = $3)
			AND (c.region_code > $4 OR (c.region_code = $4 AND c.year > $5))
			AND c.revision = (SELECT MAX(r.revision) FROM collective_incomes r WHERE r.region_code = c.region_code AND r.year = c.year)
		ORDER BY c.region_code, c.year`
	if limit > 0 {
		args = append(args, limit)
		query += ` LIMIT $6`
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("collective incomes: %w", err)
	}
	defer rows.Close()
	var out []*domain.CollectiveIncome
	for rows.Next() {
		var ci domain.CollectiveIncome
		var rec int64
		if err := rows.Scan(&ci.RegionCode, &ci.Year, &ci.Revision, &ci.AmountFen, &ci.Note, &ci.Actor, &rec); err != nil {
			return nil, fmt.Errorf("scan collective income: %w", err)
		}
		ci.RecordTime = time.UnixMicro(rec)
		out = append(out, &ci)
	}
	return out, rows.Err()
}

// AddCollectiveIncome stores the next revision of a village's income for a year and fills ci.Revision.
// Recordings of one village run one at a time (SQLite has one writer; PostgreSQL locks the region row).
func (s *Store) AddCollectiveIncome(ctx context.Context, ci *domain.CollectiveIncome) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		// Serialize recordings of one village: the region row is the lock.
		if err := s.db.LockRow(ctx, "regions", "code", ci.RegionCode); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) + 1 FROM collective_incomes
			WHERE region_code = $1 AND year = $2`, ci.RegionCode, ci.Year).Scan(&ci.Revision); err != nil {
			return fmt.Errorf("next revision: %w", err)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO collective_incomes (region_code, year, revision, amount_fen, note, actor, recorded_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, ci.RegionCode, ci.Year, ci.Revision, ci.AmountFen, ci.Note, ci.Actor, ci.RecordTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert collective income: %w", err)
		}
		return nil
	})
}
