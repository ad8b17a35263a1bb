package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
)

var _ domain.MonitoringStore = (*Store)(nil)

const clueCols = `id, household_id, region_code, source, department, kind, facts, arose_date, external_ref, deadline_date,
	deadline_hash, stage, case_id, monitoring_type, decided_date, screening_run, net_fen, members, threshold_fen,
	rigid_fen, last_year_net_fen, created_by, version, created_us, updated_us`

func scanClue(r scanner) (*domain.Clue, error) {
	var c domain.Clue
	var f domain.ScreeningFacts
	var created, updated int64
	err := r.Scan(&c.ID, &c.HouseholdID, &c.RegionCode, &c.Source, &c.Department, &c.Kind, &c.Facts, &c.AroseDate,
		&c.Reference, &c.DeadlineDate, &c.DeadlineHash, &c.Stage, &c.CaseID, &c.MonitoringType, &c.DecidedDate, &f.Run,
		&f.NetFen, &f.Members, &f.ThresholdFen, &f.RigidFen, &f.LastYearNetFen, &c.CreatedBy, &c.Version, &created, &updated)
	if err != nil {
		return nil, err
	}
	if f.Run != "" {
		c.Screening = &f
	}
	c.CreateTime, c.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &c, nil
}

// CluesByReference returns the clues recorded under these natural keys.
func (s *Store) CluesByReference(ctx context.Context, refs []domain.ClueRef) (map[domain.ClueRef]*domain.Clue, error) {
	out := map[domain.ClueRef]*domain.Clue{}
	for _, ref := range refs {
		if _, done := out[ref]; done || ref.Reference == "" {
			continue
		}
		c, err := scanClue(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+clueCols+` FROM clues
			WHERE source = $1 AND department = $2 AND external_ref = $3`, ref.Source, ref.Department, ref.Reference))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find clue by reference: %w", err)
		}
		out[ref] = c
	}
	return out, nil
}

// InsertClue writes a new clue.
func (s *Store) InsertClue(ctx context.Context, c *domain.Clue) error {
	var f domain.ScreeningFacts
	if c.Screening != nil {
		f = *c.Screening
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO clues (`+clueCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
			$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
			c.ID, c.HouseholdID, c.RegionCode, c.Source, c.Department, c.Kind, c.Facts, c.AroseDate, c.Reference, c.DeadlineDate,
			c.DeadlineHash, c.Stage, c.CaseID, c.MonitoringType, c.DecidedDate, f.Run, f.NetFen, f.Members, f.ThresholdFen,
			f.RigidFen, f.LastYearNetFen, c.CreatedBy, c.Version, c.CreateTime.UnixMicro(), c.UpdateTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert clue: %w", err)
		}
		return nil
	})
}

// GetClue returns a clue; inside a transaction on PostgreSQL the row is locked until it ends.
func (s *Store) GetClue(ctx context.Context, id string) (*domain.Clue, error) {
	q := `SELECT ` + clueCols + ` FROM clues WHERE id = $1`
	if s.db.Dialect == sqldb.Postgres && sqldb.InTransaction(ctx) {
		q += ` FOR UPDATE`
	}
	c, err := scanClue(s.db.Q(ctx).QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrClueNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get clue: %w", err)
	}
	return c, nil
}

// UpdateClue saves the decision state of a clue, increasing its version.
func (s *Store) UpdateClue(ctx context.Context, c *domain.Clue) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE clues SET stage = $3, case_id = $4, monitoring_type = $5,
			decided_date = $6, version = $7, updated_us = $8 WHERE id = $1 AND version = $2`,
			c.ID, c.Version, c.Stage, c.CaseID, c.MonitoringType, c.DecidedDate, c.Version+1, c.UpdateTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("update clue: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		c.Version++
		return nil
	})
}

// clueFields are the fields ListClues filters on.
var clueFields = filter.Fields{
	"region_code":  {Column: "region_code", Type: filter.String, Pattern: digits.MatchString},
	"household_id": {Column: "household_id", Type: filter.String},
	"stage":        {Column: "stage", Type: filter.Enum, Values: identificationv1.MonitoringStage_value},
	"kind":         {Column: "kind", Type: filter.Enum, Values: identificationv1.ClueKind_value},
	"source":       {Column: "source", Type: filter.Enum, Values: identificationv1.ClueSource_value},
	"department":   {Column: "department", Type: filter.Enum, Values: commonv1.Department_value},
	"arose_date":   {Column: "arose_date", Type: filter.String},
}

// ListClues returns a page of clues in scope in id order.
func (s *Store) ListClues(ctx context.Context, q domain.ClueQuery) ([]*domain.Clue, string, error) {
	return cluePage.List(ctx, s.db, q.Scope, q.After, q.Filter, q.Limit, nil)
}

var cluePage = sqldb.ScopedPage[*domain.Clue]{Table: "clues", Columns: clueCols, Fields: clueFields,
	Scan: func(r *sql.Rows) (*domain.Clue, error) { return scanClue(r) },
	ID:   func(c *domain.Clue) string { return c.ID }}

// CluesOfHousehold returns a household's clues by arose date.
func (s *Store) CluesOfHousehold(ctx context.Context, householdID string) ([]*domain.Clue, error) {
	return s.queryClues(ctx, `SELECT `+clueCols+` FROM clues WHERE household_id = $1 ORDER BY arose_date, created_us, id`, householdID)
}

// ListOverdueClues returns undecided clues in scope whose deadline lies before asOf, by deadline then id,
// after the cursor.
func (s *Store) ListOverdueClues(ctx context.Context, scope, asOf, afterDeadline, afterID string, limit int) ([]*domain.Clue, error) {
	return s.queryClues(ctx, `SELECT `+clueCols+` FROM clues
		WHERE stage < 4 AND deadline_date < $1 AND substr(region_code, 1, `+fmt.Sprint(len(scope))+`) = $2
		AND (deadline_date > $3 OR (deadline_date = $3 AND id > $4))
		ORDER BY deadline_date, id LIMIT $5`, asOf, scope, afterDeadline, afterID, limit)
}

// CountOverdueClues counts the undecided clues in scope whose deadline lies before asOf.
func (s *Store) CountOverdueClues(ctx context.Context, scope, asOf string) (int64, error) {
	var n int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM clues WHERE stage < 4 AND deadline_date < $1
		AND substr(region_code, 1, `+fmt.Sprint(len(scope))+`) = $2`, asOf, scope).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count overdue clues: %w", err)
	}
	return n, nil
}

func (s *Store) queryClues(ctx context.Context, q string, args ...any) ([]*domain.Clue, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list clues: %w", err)
	}
	defer rows.Close()
	var out []*domain.Clue
	for rows.Next() {
		c, err := scanClue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Stored values the screening statement compares with.
const (
	screenedRegistry = "1, 3" // ORDINARY (never registered) and EXITED; POOR and RETURNED are in the registry
	monitoringOpen   = 1      // MonitoringStatusOpen
	stageDecidedFrom = 4      // StageConfirmed: stages below are undecided
)

// Screen opens the clues of one screening run, set-based, per group of villages sharing policy values:
// one statement aggregates the income items of every household in one pass (the rolling window and last
// calendar year at once), joins the households, compares the sums with the thresholds bound as parameters
// and keeps the hits in a temporary table (CREATE TABLE AS, which PostgreSQL may run with parallel
// workers); a second inserts a clue for each hit without an undecided clue of the same kind
// (INSERT … SELECT … WHERE NOT EXISTS).
func (s *Store) Screen(ctx context.Context, p domain.ScreeningParams) (income, spending int64, err error) {
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if s.db.Dialect == sqldb.Postgres {
			// One batch job: room for the aggregate's hash table instead of spilling it to disk.
			if _, err := q.ExecContext(ctx, `SET LOCAL work_mem = '128MB'`); err != nil {
				return fmt.Errorf("screen: %w", err)
			}
		}
		for _, g := range p.Groups {
			hits, args := screenHits(p, g)
			if _, err := q.ExecContext(ctx, hits, args...); err != nil {
				return fmt.Errorf("screen: %w", err)
			}
			if _, err := q.ExecContext(ctx, s.screenInsertSQL(), screenInsertArgs(p, g)...); err != nil {
				return fmt.Errorf("screen: open clues: %w", err)
			}
			if _, err := q.ExecContext(ctx, `DROP TABLE screening_hits`); err != nil {
				return fmt.Errorf("screen: %w", err)
			}
		}
		rows, err := q.QueryContext(ctx, `SELECT kind, COUNT(*) FROM clues WHERE screening_run = $1 GROUP BY kind`, p.RunID)
		if err != nil {
			return fmt.Errorf("count screening clues: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind domain.ClueKind
			var n int64
			if err := rows.Scan(&kind, &n); err != nil {
				return err
			}
			switch kind {
			case domain.ClueIncomeInRange:
				income = n
			case domain.ClueRigidSpending:
				spending = n
			}
		}
		return rows.Err()
	})
	return income, spending, err
}

// params numbers bound parameters in the order a statement first uses them.
type params struct {
	args []any
	seen map[string]string
}

// bind returns the placeholder of a named value, binding it on first use; a value that is only bound is
// always used, so PostgreSQL can type every parameter.
func (p *params) bind(name string, v any) string {
	if ph, ok := p.seen[name]; ok {
		return ph
	}
	if p.seen == nil {
		p.seen = map[string]string{}
	}
	p.args = append(p.args, v)
	ph := fmt.Sprintf("$%d", len(p.args))
	p.seen[name] = ph
	return ph
}

// screenHits is the statement that finds the hits of one group into the temporary table screening_hits,
// with its arguments: the policy values and dates bound as parameters.
func screenHits(p domain.ScreeningParams, g domain.ScreeningGroup) (string, []any) {
	var b params
	big := func(name string, v int64) string { return "CAST(" + b.bind(name, v) + " AS BIGINT)" }
	from12, asOf := b.bind("from12", g.WindowFrom), b.bind("asOf", p.AsOf)
	// Rows are read from the earlier of the two windows' first days; when that is last year's (always, for
	// windows up to 12 months), a row lies in last year by its last day alone.
	lastYear := "i.day <= " + b.bind("lyTo", p.LastYearTo)
	lo := b.bind("lyFrom", p.LastYearFrom)
	if g.WindowFrom < p.LastYearFrom {
		lastYear = "i.day >= " + lo + " AND " + lastYear
		lo = from12
	}
	// An item's signed amount in net income: + for the counted income types, − for production costs when
	// counted, 0 otherwise. Which types count is policy, written into the statement as a condition on the
	// item type (numbers, not text from anyone), so each row costs a comparison or two rather than a
	// lookup of five parameters. Amounts are INTEGER (at most 2^31-1 fen): sums are 64-bit integer
	// aggregates in both databases.
	signed := signedAmount(g.Multipliers)
	agg := `SELECT i.household_id,
			SUM(CASE WHEN i.day >= ` + from12 + ` THEN ` + signed + ` ELSE 0 END) AS net12,
			SUM(CASE WHEN i.day >= ` + from12 + ` AND i.item_type < 6 THEN 1 ELSE 0 END) AS n12,
			SUM(CASE WHEN i.day >= ` + from12 + ` AND i.item_type = 6 THEN i.amount_fen ELSE 0 END) AS rigid12,
			SUM(CASE WHEN ` + lastYear + ` THEN ` + signed + ` ELSE 0 END) AS netly,
			SUM(CASE WHEN ` + lastYear + ` AND i.item_type < 6 THEN 1 ELSE 0 END) AS nly
		FROM income_items i
		WHERE i.day >= ` + lo + ` AND i.day <= ` + asOf + `
		GROUP BY i.household_id`
	incomeHit := `a.n12 > 0 AND a.net12 * ` + big("den", g.ThresholdDen) + ` < ` + big("num", g.ThresholdNum) + ` * ` +
		big("line", g.LineFen) + ` * h.size`
	spendingHit := `a.nly > 0 AND a.rigid12 > 0 AND a.rigid12 * ` + big("rden", g.RigidDen) + ` > ` + big("rnum", g.RigidNum) + ` * a.netly`
	where := `h.state = 1 AND h.registry_status IN (` + screenedRegistry + `) AND h.monitoring_status <> ` + fmt.Sprint(monitoringOpen) +
		` AND h.size > 0`
	if p.Scope != "" {
		where += " AND substr(h.region_code, 1, " + fmt.Sprint(len(p.Scope)) + ") = " + b.bind("scope", p.Scope)
	}
	if len(g.Villages) > 0 {
		var phs []string
		for i, v := range g.Villages {
			phs = append(phs, b.bind(fmt.Sprint("village", i), v))
		}
		where += " AND h.region_code IN (" + strings.Join(phs, ", ") + ")"
	}
	return `CREATE TEMP TABLE screening_hits AS
	SELECT h.id, h.region_code, h.size, a.net12, a.rigid12, a.netly,
		CASE WHEN ` + incomeHit + ` THEN 1 ELSE 0 END AS income_hit,
		CASE WHEN ` + spendingHit + ` THEN 1 ELSE 0 END AS spending_hit
	FROM (` + agg + `) a JOIN households h ON h.id = a.household_id
	WHERE ` + where + ` AND ((` + incomeHit + `) OR (` + spendingHit + `))`, b.args
}

// signedAmount is the SQL expression of an item's amount signed by multipliers (index = item type 1–5; 1,
// -1 or 0): a CASE over runs of consecutive types with the same sign.
func signedAmount(m [6]int64) string {
	cond := func(sign int64) string {
		var parts []string
		for ty := 1; ty <= 5; ty++ {
			if m[ty] != sign || (ty > 1 && m[ty-1] == sign) {
				continue
			}
			end := ty
			for end < 5 && m[end+1] == sign {
				end++
			}
			if end == ty {
				parts = append(parts, fmt.Sprintf("i.item_type = %d", ty))
			} else {
				parts = append(parts, fmt.Sprintf("i.item_type BETWEEN %d AND %d", ty, end))
			}
		}
		return strings.Join(parts, " OR ")
	}
	out := "CASE"
	if c := cond(1); c != "" {
		out += " WHEN " + c + " THEN i.amount_fen"
	}
	if c := cond(-1); c != "" {
		out += " WHEN " + c + " THEN -i.amount_fen"
	}
	if out == "CASE" {
		return "0"
	}
	return out + " ELSE 0 END"
}

// screenInsertSQL opens a clue for each hit without an undecided clue of the same kind. Parameters
// (screenInsertArgs): $1 as-of date, $2/$3 deadline and its policy hash, $4 run id, $5 threshold per
// person (display), $6 actor, $7 time.
func (s *Store) screenInsertSQL() string {
	idExpr := `lower(hex(randomblob(16)))`
	if s.db.Dialect == sqldb.Postgres {
		idExpr = `replace(gen_random_uuid()::text, '-', '')`
	}
	insert := func(kind domain.ClueKind, hit string) string {
		return `SELECT ` + idExpr + `, x.id, x.region_code, ` + fmt.Sprint(int(domain.ClueSourceDepartmentScreening)) + `, ` +
			fmt.Sprint(int(domain.DeptRuralRevitalization)) + `, ` + fmt.Sprint(int(kind)) + `, '', $1, '', $2, $3, ` +
			fmt.Sprint(int(domain.StageOpen)) + `, $4, x.net12, x.size, CAST($5 AS BIGINT), x.rigid12, x.netly, $6, 1,
			CAST($7 AS BIGINT), CAST($7 AS BIGINT)
			FROM screening_hits x WHERE x.` + hit + ` = 1 AND NOT EXISTS (SELECT 1 FROM clues c
				WHERE c.household_id = x.id AND c.kind = ` + fmt.Sprint(int(kind)) + ` AND c.stage < ` + fmt.Sprint(stageDecidedFrom) + `)`
	}
	return `INSERT INTO clues (id, household_id, region_code, source, department, kind, facts, arose_date, external_ref,
		deadline_date, deadline_hash, stage, screening_run, net_fen, members, threshold_fen, rigid_fen, last_year_net_fen,
		created_by, version, created_us, updated_us)
	` + insert(domain.ClueIncomeInRange, "income_hit") + `
	UNION ALL
	` + insert(domain.ClueRigidSpending, "spending_hit")
}

func screenInsertArgs(p domain.ScreeningParams, g domain.ScreeningGroup) []any {
	return []any{p.AsOf, g.DeadlineDate, g.DeadlineHash, p.RunID, g.ThresholdFen, p.Actor, p.Now.UnixMicro()}
}

// CountScreenable counts the active households in scope that screening considers.
func (s *Store) CountScreenable(ctx context.Context, scope string) (int64, error) {
	var n int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE state = 1 AND registry_status IN (`+
		screenedRegistry+`) AND monitoring_status <> `+fmt.Sprint(monitoringOpen)+` AND substr(region_code, 1, `+
		fmt.Sprint(len(scope))+`) = $1`, scope).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count screenable households: %w", err)
	}
	return n, nil
}

// InsertScreeningRun records a run.
func (s *Store) InsertScreeningRun(ctx context.Context, r *domain.ScreeningRun) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO screening_runs (id, as_of, scope, households, income_clues,
		spending_clues, policy_hashes, actor, started_us, duration_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.AsOf, r.Scope, r.Households, r.IncomeClues, r.SpendingClues, strings.Join(r.PolicyHashes, ","), r.Actor,
		r.StartTime.UnixMicro(), r.Duration.Microseconds())
	if err != nil {
		return fmt.Errorf("insert screening run: %w", err)
	}
	return nil
}
