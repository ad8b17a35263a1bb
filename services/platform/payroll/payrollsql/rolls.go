package payrollsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var _ payroll.RollStore = (*Store)(nil)

// Store keeps the payroll in a service's database (the platform's migrations make its tables).
type Store struct {
	db    *sqldb.DB
	feed  *outbox.Feed
	clock func() time.Time
}

// New returns the payroll store on db, publishing roll.handed_off to feed (the service's change feed).
func New(db *sqldb.DB, feed *outbox.Feed) *Store { return &Store{db: db, feed: feed} }

// SetClock makes the store stamp received results with now (default time.Now).
func (s *Store) SetClock(now func() time.Time) { s.clock = now }

func (s *Store) now() time.Time {
	if s.clock == nil {
		return time.Now()
	}
	return s.clock()
}

// InTx runs fn in one transaction (joining the one in ctx, if any).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

const rollCols = `program, month, state, first_month, fencing_token, computations, computed_by, compute_us,
	approved_by, approve_us, handed_off_by, hand_off_us, line_count, amount_fen, regular_count, regular_fen,
	back_pay_count, back_pay_fen, recovery_count, recovery_fen, reissue_count, reissue_fen, held, version, created_us,
	updated_us`

type scanner interface{ Scan(dest ...any) error }

func scanRoll(r scanner) (*payroll.Roll, error) {
	var x payroll.Roll
	var compute, approve, handOff, created, updated int64
	var held string
	t := &x.Totals
	err := r.Scan(&x.Program, &x.Month, &x.State, &x.FirstMonth, &x.FencingToken, &x.Computations, &x.ComputedBy,
		&compute, &x.ApprovedBy, &approve, &x.HandedOffBy, &handOff, &t.Lines, &t.AmountFen, &t.Regular, &t.RegularFen,
		&t.BackPay, &t.BackPayFen, &t.Recovery, &t.RecoveryFen, &t.Reissue, &t.ReissueFen, &held, &x.Version, &created,
		&updated)
	if err != nil {
		return nil, err
	}
	x.ComputeTime, x.ApproveTime, x.HandOffTime = fromMicros(compute), fromMicros(approve), fromMicros(handOff)
	x.CreateTime, x.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	if err := json.Unmarshal([]byte(held), &x.Held); err != nil {
		return nil, fmt.Errorf("roll %s held: %w", x.ID(), err)
	}
	if len(x.Held) == 0 {
		x.Held = nil
	}
	return &x, nil
}

// fromMicros reads an optional time stored as Unix microseconds (0: never).
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// LockRoll returns the roll locked for the rest of the transaction (FOR UPDATE on PostgreSQL; SQLite's
// single writer serializes by itself), or nil.
func (s *Store) LockRoll(ctx context.Context, program payroll.Program, month string) (*payroll.Roll, error) {
	q := `SELECT ` + rollCols + ` FROM payroll_rolls WHERE program = $1 AND month = $2`
	if s.db.Dialect == sqldb.Postgres {
		q += ` FOR UPDATE`
	}
	r, err := scanRoll(s.db.Q(ctx).QueryRowContext(ctx, q, int32(program), month))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock roll: %w", err)
	}
	return r, nil
}

// GetRoll returns a roll or payroll.ErrRollNotFound.
func (s *Store) GetRoll(ctx context.Context, program payroll.Program, month string) (*payroll.Roll, error) {
	r, err := scanRoll(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+rollCols+` FROM payroll_rolls
		WHERE program = $1 AND month = $2`, int32(program), month))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payroll.ErrRollNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get roll: %w", err)
	}
	return r, nil
}

// ListRolls lists rolls, newest month first, then by program.
func (s *Store) ListRolls(ctx context.Context, q payroll.RollQuery) ([]*payroll.Roll, error) {
	where, args := []string{"1 = 1"}, []any{}
	if q.Program != 0 {
		args = append(args, int32(q.Program))
		where = append(where, fmt.Sprintf("program = $%d", len(args)))
	}
	if len(q.Programs) > 0 {
		in := make([]string, len(q.Programs))
		for i, p := range q.Programs {
			in[i] = strconv.Itoa(int(p))
		}
		where = append(where, "program IN ("+strings.Join(in, ", ")+")")
	}
	if q.AfterMonth != "" {
		args = append(args, q.AfterMonth, int32(q.AfterProgram))
		where = append(where, fmt.Sprintf("(month < $%d OR (month = $%d AND program > $%d))", len(args)-1, len(args)-1, len(args)))
	}
	args = append(args, q.Limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+rollCols+` FROM payroll_rolls WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY month DESC, program LIMIT $%d`, len(args)), args...)
	return sqldb.Collect(rows, err, func(r *sql.Rows) (*payroll.Roll, error) { return scanRoll(r) })
}

// ProgramRolls lists the months and states of a program's rolls, oldest first.
func (s *Store) ProgramRolls(ctx context.Context, program payroll.Program) ([]payroll.RollSummary, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT month, state, compute_us FROM payroll_rolls WHERE program = $1
		ORDER BY month`, int32(program))
	return sqldb.Collect(rows, err, func(r *sql.Rows) (payroll.RollSummary, error) {
		var x payroll.RollSummary
		var us int64
		err := r.Scan(&x.Month, &x.State, &us)
		x.ComputeTime = fromMicros(us)
		return x, err
	})
}

func rollArgs(r *payroll.Roll) ([]any, error) {
	held := r.Held
	if held == nil {
		held = []payroll.HeldAdjustment{}
	}
	b, err := json.Marshal(held)
	if err != nil {
		return nil, err
	}
	t := r.Totals
	return []any{int32(r.Program), r.Month, int32(r.State), r.FirstMonth, r.FencingToken, r.Computations, r.ComputedBy,
		micros(r.ComputeTime), r.ApprovedBy, micros(r.ApproveTime), r.HandedOffBy, micros(r.HandOffTime), t.Lines,
		t.AmountFen, t.Regular, t.RegularFen, t.BackPay, t.BackPayFen, t.Recovery, t.RecoveryFen, t.Reissue, t.ReissueFen,
		string(b), r.Version, r.CreateTime.UnixMicro(), r.UpdateTime.UnixMicro()}, nil
}

// CreateRoll inserts a new roll; payroll.ErrRollExists when the (program, month) is taken.
func (s *Store) CreateRoll(ctx context.Context, r *payroll.Roll) error {
	if r.UpdateTime.IsZero() {
		r.UpdateTime = r.CreateTime
	}
	if r.FirstMonth == "" {
		r.FirstMonth = r.Month
	}
	args, err := rollArgs(r)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO payroll_rolls (`+rollCols+`) VALUES (`+sqldb.Placeholders(1, len(args))+`)`, args...)
	if sqldb.IsUniqueViolation(err) {
		return payroll.ErrRollExists
	}
	if err != nil {
		return fmt.Errorf("create roll %s: %w", r.ID(), err)
	}
	return nil
}

// SaveRoll writes every changeable field of a roll.
func (s *Store) SaveRoll(ctx context.Context, r *payroll.Roll) error {
	args, err := rollArgs(r)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, `UPDATE payroll_rolls SET state = $3, first_month = $4, fencing_token = $5,
		computations = $6, computed_by = $7, compute_us = $8, approved_by = $9, approve_us = $10, handed_off_by = $11,
		hand_off_us = $12, line_count = $13, amount_fen = $14, regular_count = $15, regular_fen = $16,
		back_pay_count = $17, back_pay_fen = $18, recovery_count = $19, recovery_fen = $20, reissue_count = $21,
		reissue_fen = $22, held = $23, version = $24, updated_us = $25 WHERE program = $1 AND month = $2`,
		append(args[:24:24], args[25])...)
	if err != nil {
		return fmt.Errorf("save roll %s: %w", r.ID(), err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payroll.ErrRollNotFound
	}
	return nil
}

// EachRollBeneficiary reads, in one ordered pass, the program's entitlements that pay in [first, month]
// (or changed since changedSince), the net paid per beneficiary and month by the program's rolls before
// month, and the lines the roll of month has now, and hands them to fn beneficiary by beneficiary. Rolls
// before month are all approved when a computation runs (the domain checks it first), so those are the
// lines of approved rolls. Reissue lines do not count as paid: they pay again what a released line stands
// for, which still counts; the released lines no roll before month reissued yet come as reissues. One statement (a UNION ALL ordered by beneficiary) rather than several cursors:
// a PostgreSQL connection runs one query at a time.
func (s *Store) EachRollBeneficiary(ctx context.Context, program payroll.Program, first, month string, changedSince time.Time,
	fn func(ents []*payroll.Entitlement, paid []payroll.PaidPeriod, reissues, current []payroll.RollLine) error) error {
	since := int64(math.MaxInt64) // a first roll recovers nothing: no ended entitlement is needed
	if !changedSince.IsZero() {
		since = changedSince.UnixMicro()
	}
	if err := s.bulkSession(ctx); err != nil {
		return err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `
		SELECT beneficiary, 0 AS src, id, household_id, person_id, region_code, from_month AS m, to_month,
			amount_fen, reason, end_reason, 0 AS kinds, 0 AS attempt, 0 AS reissue
		FROM payroll_entitlements WHERE program = $1 AND from_month <= $3 AND (to_month = '' OR to_month >= $2 OR updated_us >= $4)
		UNION ALL
		SELECT beneficiary, 1, MAX(entitlement_ids), MAX(household_id), MAX(person_id), MAX(region_code), period, '',
			CAST(SUM(CASE WHEN kind = 4 THEN 0 ELSE amount_fen END) AS BIGINT), '', '',
			CAST(SUM(CASE kind WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 4 ELSE 0 END) AS BIGINT), 0, 0
		FROM payroll_lines WHERE program = $1 AND period >= $2 AND roll_month < $3
		GROUP BY beneficiary, period
		UNION ALL
		SELECT beneficiary, 2, entitlement_ids, household_id, person_id, region_code, period, '', amount_fen, reason, '',
			kind, attempt, 0
		FROM payroll_lines WHERE program = $1 AND roll_month = $3
		UNION ALL
		SELECT l.beneficiary, 3, l.entitlement_ids, l.household_id, l.person_id, l.region_code, l.period, l.roll_month,
			l.amount_fen, p.release_reason, '', l.kind, l.attempt, p.reissue_attempt
		FROM payroll_line_payments p JOIN payroll_lines l ON l.program = p.program AND l.period = p.period
			AND l.beneficiary = p.beneficiary AND l.kind = p.kind AND l.attempt = p.attempt
		WHERE p.program = $1 AND p.release_us <> 0 AND l.roll_month < $3 AND NOT EXISTS (
			SELECT 1 FROM payroll_lines r WHERE r.program = l.program AND r.period = l.period
				AND r.beneficiary = l.beneficiary AND r.kind = 4 AND r.attempt = p.reissue_attempt AND r.roll_month < $3)
		ORDER BY 1, 2, 7, 12, 13`, int32(program), first, month, since)
	if err != nil {
		return fmt.Errorf("roll inputs: %w", err)
	}
	defer rows.Close()
	var (
		current  string
		ents     []*payroll.Entitlement
		paid     []payroll.PaidPeriod
		lines    []payroll.RollLine
		reissues []payroll.RollLine
	)
	flush := func() error {
		if current == "" {
			return nil
		}
		err := fn(ents, paid, reissues, lines)
		ents, paid, lines, reissues = nil, nil, nil, nil
		return err
	}
	for rows.Next() {
		var (
			beneficiary, id, household, person, region, m, to, reason, endReason string
			src                                                                  int
			amount, kinds                                                        int64
			attempt, reissue                                                     int32
		)
		if err := rows.Scan(&beneficiary, &src, &id, &household, &person, &region, &m, &to, &amount, &reason,
			&endReason, &kinds, &attempt, &reissue); err != nil {
			return fmt.Errorf("roll inputs: %w", err)
		}
		if beneficiary != current {
			if err := flush(); err != nil {
				return err
			}
			current = beneficiary
		}
		switch src {
		case 0:
			ents = append(ents, &payroll.Entitlement{ID: id, Program: program, Beneficiary: beneficiary, HouseholdID: household,
				PersonID: person, RegionCode: region, FromMonth: m, ToMonth: to, AmountFen: amount, Reason: reason,
				EndReason: endReason})
		case 1:
			p := payroll.PaidPeriod{Beneficiary: beneficiary, Period: m, NetFen: amount, HouseholdID: household,
				PersonID: person, RegionCode: region, EntitlementIDs: splitIDs(id)}
			for _, k := range []payroll.RollLineKind{payroll.RollLineRegular, payroll.RollLineBackPay, payroll.RollLineRecovery} {
				if kinds&(1<<(k-1)) != 0 {
					p.Kinds = append(p.Kinds, k)
				}
			}
			paid = append(paid, p)
		case 2:
			lines = append(lines, payroll.RollLine{Program: program, RollMonth: month, Beneficiary: beneficiary, Period: m,
				Kind: payroll.RollLineKind(kinds), Attempt: attempt, HouseholdID: household, PersonID: person,
				RegionCode: region, AmountFen: amount, EntitlementIDs: splitIDs(id), Reason: reason})
		default:
			reissues = append(reissues, payroll.RollLine{Program: program, RollMonth: to, Beneficiary: beneficiary,
				Period: m, Kind: payroll.RollLineKind(kinds), Attempt: attempt, HouseholdID: household, PersonID: person,
				RegionCode: region, AmountFen: amount, EntitlementIDs: splitIDs(id),
				Payment: &payroll.LinePayment{State: payroll.PaymentFailed, ReleaseReason: reason, ReissueAttempt: reissue}})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("roll inputs: %w", err)
	}
	return flush()
}

// bulkSession sets up a PostgreSQL transaction for a roll's bulk statements: no JIT compilation (it
// costs more than it saves on these plain scans and sorts) and memory for the sort of the inputs.
func (s *Store) bulkSession(ctx context.Context) error {
	if s.db.Dialect != sqldb.Postgres || !sqldb.InTransaction(ctx) {
		return nil
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`)
	return err
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

const lineCols = `program, beneficiary, period, kind, attempt, roll_month, household_id, person_id, region_code,
	amount_fen, entitlement_ids, reason`

// lineRead reads lines (l) with what funds reported and the department released (p; no row: unsent).
const lineRead = `SELECT l.program, l.beneficiary, l.period, l.kind, l.attempt, l.roll_month, l.household_id,
	l.person_id, l.region_code, l.amount_fen, l.entitlement_ids, l.reason, COALESCE(p.payment_state, 1),
	COALESCE(p.failure_reason, 0), COALESCE(p.result_id, ''), COALESCE(p.result_us, 0), COALESCE(p.released_by, ''),
	COALESCE(p.release_reason, ''), COALESCE(p.release_us, 0), COALESCE(p.reissue_attempt, 0)
	FROM payroll_lines l LEFT JOIN payroll_line_payments p ON p.program = l.program AND p.period = l.period
		AND p.beneficiary = l.beneficiary AND p.kind = l.kind AND p.attempt = l.attempt`

func scanLine(r scanner) (payroll.RollLine, error) {
	var l payroll.RollLine
	var p payroll.LinePayment
	var ids string
	var resultUS, releaseUS int64
	err := r.Scan(&l.Program, &l.Beneficiary, &l.Period, &l.Kind, &l.Attempt, &l.RollMonth, &l.HouseholdID, &l.PersonID,
		&l.RegionCode, &l.AmountFen, &ids, &l.Reason, &p.State, &p.FailureReason, &p.ResultID, &resultUS,
		&p.ReleasedBy, &p.ReleaseReason, &releaseUS, &p.ReissueAttempt)
	l.EntitlementIDs = splitIDs(ids)
	if p.State != payroll.PaymentUnsent {
		p.ResultTime, p.ReleaseTime = fromMicros(resultUS), fromMicros(releaseUS)
		l.Payment = &p
	}
	return l, err
}

// lineBatch lines are inserted per statement on PostgreSQL.
const lineBatch = 20_000

// ApplyRollLines removes lines from a roll and adds others, in one transaction: on PostgreSQL one
// statement per batch over unnest'ed column arrays, on SQLite one prepared statement run per line
// (parsing is most of a small statement's cost there, and SQLite runs in-process, so there is no round
// trip to save).
func (s *Store) ApplyRollLines(ctx context.Context, program payroll.Program, month string, remove, add []payroll.RollLine) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if s.db.Dialect == sqldb.Postgres {
			if err := s.deleteLinesPostgres(ctx, program, month, remove); err != nil {
				return err
			}
			return s.insertLinesPostgres(ctx, add)
		}
		// No cancellation per row: for a cancellable context the SQLite driver starts a watcher goroutine
		// per statement, which costs more than the statement. The transaction still ends with ctx.
		rowCtx := context.WithoutCancel(ctx)
		if len(remove) > 0 {
			del, err := s.db.Prepare(ctx, `DELETE FROM payroll_lines
				WHERE program = $1 AND period = $2 AND beneficiary = $3 AND kind = $4 AND attempt = $5 AND roll_month = $6`)
			if err != nil {
				return err
			}
			defer del.Close()
			for i := range remove {
				l := &remove[i]
				if _, err := del.ExecContext(rowCtx, int32(program), l.Period, l.Beneficiary, int32(l.Kind), l.Attempt, month); err != nil {
					return fmt.Errorf("delete roll line: %w", err)
				}
			}
		}
		if len(add) == 0 {
			return nil
		}
		st, err := s.db.Prepare(ctx, `INSERT INTO payroll_lines (`+lineCols+`) VALUES (`+sqldb.Placeholders(1, 12)+`)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range add {
			l := &add[i]
			if _, err := st.ExecContext(rowCtx, int32(l.Program), l.Beneficiary, l.Period, int32(l.Kind), l.Attempt, l.RollMonth,
				l.HouseholdID, l.PersonID, l.RegionCode, l.AmountFen, strings.Join(l.EntitlementIDs, ","), l.Reason); err != nil {
				return fmt.Errorf("insert roll line %s %s: %w", l.Beneficiary, l.Period, err)
			}
		}
		return nil
	})
}

func (s *Store) deleteLinesPostgres(ctx context.Context, program payroll.Program, month string, lines []payroll.RollLine) error {
	for start := 0; start < len(lines); start += lineBatch {
		batch := lines[start:min(start+lineBatch, len(lines))]
		period, benef := make([]string, len(batch)), make([]string, len(batch))
		kinds, attempts := make([]int32, len(batch)), make([]int32, len(batch))
		for i := range batch {
			period[i], benef[i], kinds[i], attempts[i] = batch[i].Period, batch[i].Beneficiary, int32(batch[i].Kind), batch[i].Attempt
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM payroll_lines l
			USING unnest($3::text[], $4::text[], $5::int[], $6::int[]) AS x (period, beneficiary, kind, attempt)
			WHERE l.program = $1 AND l.roll_month = $2 AND l.period = x.period AND l.beneficiary = x.beneficiary
				AND l.kind = x.kind AND l.attempt = x.attempt`, int32(program), month, period, benef, kinds, attempts); err != nil {
			return fmt.Errorf("delete roll lines: %w", err)
		}
	}
	return nil
}

func (s *Store) insertLinesPostgres(ctx context.Context, lines []payroll.RollLine) error {
	for start := 0; start < len(lines); start += lineBatch {
		batch := lines[start:min(start+lineBatch, len(lines))]
		n := len(batch)
		programs, kinds, attempts := make([]int32, n), make([]int32, n), make([]int32, n)
		amounts := make([]int64, n)
		benef, period, rollMonth, household, person, region, ids, reason := make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i := range batch {
			l := &batch[i]
			programs[i], benef[i], period[i], kinds[i], rollMonth[i] = int32(l.Program), l.Beneficiary, l.Period, int32(l.Kind), l.RollMonth
			attempts[i] = l.Attempt
			household[i], person[i], region[i], amounts[i] = l.HouseholdID, l.PersonID, l.RegionCode, l.AmountFen
			ids[i], reason[i] = strings.Join(l.EntitlementIDs, ","), l.Reason
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payroll_lines (`+lineCols+`)
			SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[],
				$9::text[], $10::bigint[], $11::text[], $12::text[])`,
			programs, benef, period, kinds, attempts, rollMonth, household, person, region, amounts, ids, reason); err != nil {
			return fmt.Errorf("insert roll lines: %w", err)
		}
	}
	return nil
}

// ListRollLines lists a roll's lines in the roll's order, after q.After.
func (s *Store) ListRollLines(ctx context.Context, q payroll.RollLineQuery) ([]payroll.RollLine, error) {
	where := []string{"l.program = $1", "l.roll_month = $2"}
	args := []any{int32(q.Program), q.Month}
	if q.Kind != 0 {
		args = append(args, int32(q.Kind))
		where = append(where, fmt.Sprintf("l.kind = $%d", len(args)))
	}
	if q.RegionPrefix != "" {
		// Region codes are digits and ':' sorts right after '9', so the prefix is a range on the index.
		args = append(args, q.RegionPrefix, q.RegionPrefix+":")
		where = append(where, fmt.Sprintf("l.region_code >= $%d AND l.region_code < $%d", len(args)-1, len(args)))
	}
	if a := q.After; a != nil {
		args = append(args, a.RegionCode, a.Beneficiary, a.Period, int32(a.Kind), a.Attempt)
		n := len(args)
		where = append(where, fmt.Sprintf("(l.region_code, l.beneficiary, l.period, l.kind, l.attempt) > ($%d, $%d, $%d, $%d, $%d)",
			n-4, n-3, n-2, n-1, n))
	}
	args = append(args, q.Limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, lineRead+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY l.region_code, l.beneficiary, l.period, l.kind, l.attempt LIMIT $%d`, len(args)), args...)
	return sqldb.Collect(rows, err, func(r *sql.Rows) (payroll.RollLine, error) { return scanLine(r) })
}

// RollTotals counts and sums the lines of a roll under a region code prefix, on the roll's index
// (program, roll_month, region_code, …): a township's part of a county roll is one range of it.
func (s *Store) RollTotals(ctx context.Context, program payroll.Program, month, regionPrefix string) (payroll.RollTotals, error) {
	var t payroll.RollTotals
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(amount_fen), 0),
			COALESCE(sum(CASE WHEN kind = 1 THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN kind = 1 THEN amount_fen ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN kind = 2 THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN kind = 2 THEN amount_fen ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN kind = 3 THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN kind = 3 THEN amount_fen ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN kind = 4 THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN kind = 4 THEN amount_fen ELSE 0 END), 0)
		FROM payroll_lines WHERE program = $1 AND roll_month = $2 AND region_code >= $3 AND region_code < $4`,
		int32(program), month, regionPrefix, regionPrefix+":").Scan(&t.Lines, &t.AmountFen, &t.Regular, &t.RegularFen,
		&t.BackPay, &t.BackPayFen, &t.Recovery, &t.RecoveryFen, &t.Reissue, &t.ReissueFen)
	if err != nil {
		return t, fmt.Errorf("roll totals: %w", err)
	}
	return t, nil
}

// TopicRollHandedOff is the change feed topic of a roll handed to finance.
const TopicRollHandedOff = "roll.handed_off"

// PublishRollHandedOff appends roll.handed_off for r to the change feed, in the transaction in ctx: the
// program's code and department, the month, the line count and the total, for funds to follow.
func (s *Store) PublishRollHandedOff(ctx context.Context, r *payroll.Roll) error {
	name := "paymentRolls/" + r.ID()
	return s.feed.Append(ctx, outbox.Event{Topic: TopicRollHandedOff, Resource: name, Payload: &payrollv1.RollHandedOff{
		Roll: name, Program: payrollv1.Program(r.Program), Month: r.Month, Totals: TotalsMessage(r.Totals),
		HandedOffBy: r.HandedOffBy, HandOffTime: timestamppb.New(r.HandOffTime),
		ProgramCode: r.Program.Code(), Department: r.Program.Department(), LineCount: r.Totals.Lines,
		AmountFen: r.Totals.AmountFen,
	}})
}

// TotalsMessage is the message of a roll's totals (the event's, and the API's through payrollsvc).
func TotalsMessage(t payroll.RollTotals) *payrollv1.RollTotals {
	return &payrollv1.RollTotals{LineCount: t.Lines, AmountFen: t.AmountFen, RegularCount: t.Regular,
		RegularFen: t.RegularFen, BackPayCount: t.BackPay, BackPayFen: t.BackPayFen, RecoveryCount: t.Recovery,
		RecoveryFen: t.RecoveryFen, ReissueCount: t.Reissue, ReissueFen: t.ReissueFen}
}

// BenchGrantEntitlements inserts many entitlements in the transaction in ctx, for the roll benchmark's
// seeding: one INSERT over unnest'ed arrays on PostgreSQL, a prepared statement on SQLite.
func (s *Store) BenchGrantEntitlements(ctx context.Context, es []*payroll.Entitlement) error {
	if s.db.Dialect == sqldb.Postgres {
		n := len(es)
		ids, ben, hh, pp, reg, src, from, to, reason := make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		prog, cov := make([]int32, n), make([]int32, n)
		amt, at := make([]int64, n), make([]int64, n)
		for i, e := range es {
			ids[i], prog[i], ben[i], hh[i], pp[i], reg[i], src[i] = e.ID, int32(e.Program), e.Beneficiary, e.HouseholdID, e.PersonID, e.RegionCode, e.Source
			from[i], to[i], amt[i], cov[i], reason[i], at[i] = e.FromMonth, e.ToMonth, e.AmountFen, int32(e.Covered), e.Reason, e.CreateTime.UnixMicro()
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payroll_entitlements (id, program, beneficiary, household_id, person_id,
			region_code, source, from_month, to_month, amount_fen, covered, reason, created_us, updated_us)
			SELECT i, p, b, h, pe, r, s, f, t, a, c, re, u, u FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],
				$6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::int[], $12::text[], $13::bigint[])
				AS x (i, p, b, h, pe, r, s, f, t, a, c, re, u)`, ids, prog, ben, hh, pp, reg, src, from, to, amt, cov, reason, at)
		return err
	}
	st, err := s.db.Prepare(ctx, `INSERT INTO payroll_entitlements (`+entitlementCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`)
	if err != nil {
		return err
	}
	defer st.Close()
	rowCtx := context.WithoutCancel(ctx)
	for _, e := range es {
		if _, err := st.ExecContext(rowCtx, e.ID, int32(e.Program), e.Beneficiary, e.HouseholdID, e.PersonID, e.RegionCode,
			e.Source, e.FromMonth, e.ToMonth, e.AmountFen, e.Covered, e.Reason, e.EndReason, e.CreateTime.UnixMicro(),
			e.UpdateTime.UnixMicro()); err != nil {
			return err
		}
	}
	return nil
}

// AnalyzeRolls refreshes the planner's statistics after bulk loading.
func (s *Store) AnalyzeRolls(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `ANALYZE`)
	return err
}

// DB is the store's database.
func (s *Store) DB() *sqldb.DB { return s.db }
