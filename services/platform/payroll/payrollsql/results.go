package payrollsql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
)

// LockLine returns the line with key k, locked for the rest of the transaction, or nil.
func (s *Store) LockLine(ctx context.Context, k payroll.LineKey) (*payroll.RollLine, error) {
	q := lineRead + ` WHERE l.program = $1 AND l.period = $2 AND l.beneficiary = $3 AND l.kind = $4 AND l.attempt = $5`
	if s.db.Dialect == sqldb.Postgres {
		q += ` FOR UPDATE OF l`
	}
	l, err := scanLine(s.db.Q(ctx).QueryRowContext(ctx, q, int32(k.Program), k.Period, k.Beneficiary, int32(k.Kind), k.Attempt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock line: %w", err)
	}
	return &l, nil
}

// NextReissueAttempt is 1 + the largest reissue attempt of the beneficiary's period, on a line or given
// by a release.
func (s *Store) NextReissueAttempt(ctx context.Context, program payroll.Program, beneficiary, period string) (int32, error) {
	var n int32
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT MAX(a) FROM (
			SELECT COALESCE(MAX(attempt), 0) AS a FROM payroll_lines
			WHERE program = $1 AND period = $2 AND beneficiary = $3 AND kind = 4
			UNION ALL
			SELECT COALESCE(MAX(reissue_attempt), 0) FROM payroll_line_payments
			WHERE program = $1 AND period = $2 AND beneficiary = $3) AS x`,
		int32(program), period, beneficiary).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next reissue attempt: %w", err)
	}
	return n + 1, nil
}

// SaveRelease writes the release of a line.
func (s *Store) SaveRelease(ctx context.Context, l *payroll.RollLine) error {
	_, err := s.db.Exec(ctx, `UPDATE payroll_line_payments SET released_by = $6, release_reason = $7, release_us = $8,
		reissue_attempt = $9 WHERE program = $1 AND period = $2 AND beneficiary = $3 AND kind = $4 AND attempt = $5`,
		int32(l.Program), l.Period, l.Beneficiary, int32(l.Kind), l.Attempt, l.Paid().ReleasedBy, l.Paid().ReleaseReason,
		l.Paid().ReleaseTime.UnixMicro(), l.Paid().ReissueAttempt)
	if err != nil {
		return fmt.Errorf("release line: %w", err)
	}
	return nil
}

// ApplyResults records each result once by its id and applies it to its line when the line is on a
// handed-off roll of the result's month, has the result's amount and is not as far yet (payroll.Advances);
// a result recorded before is a duplicate and changes nothing. On PostgreSQL a page takes a few statements
// over unnest'ed arrays; on SQLite prepared statements run per result (in-process, no round trips). Either
// way the results are written in key order (result ids, then lines): a bank's return file comes in the
// roll's order (by village), scattered over the keys, and in key order a page touches each database page
// of the indexes once, in order, which keeps the commit (every page touched is written to the WAL) small.
func (s *Store) ApplyResults(ctx context.Context, results []payroll.Result) ([]payroll.ResultOutcome, error) {
	out := make([]payroll.ResultOutcome, len(results))
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		fresh, err := s.recordResults(ctx, results)
		if err != nil {
			return err
		}
		handedOff, err := s.handedOff(ctx, results)
		if err != nil {
			return err
		}
		var todo []int
		for i := range results {
			r := &results[i]
			switch {
			case !fresh[i]:
				out[i] = payroll.ResultDuplicate
			case !r.Valid():
				out[i] = payroll.ResultInvalid
			case !handedOff[rollKey{r.Line.Program, r.RollMonth}]:
				out[i] = payroll.ResultUnknownLine
			default:
				todo = append(todo, i)
			}
		}
		applied, err := s.applyResults(ctx, results, todo)
		if err != nil {
			return err
		}
		for _, i := range todo {
			if applied[i] {
				out[i] = payroll.ResultApplied
				continue
			}
			if out[i], err = s.classify(ctx, &results[i]); err != nil {
				return err
			}
		}
		// Outcomes other than applied are rare: one statement each.
		for i := range results {
			if fresh[i] && out[i] != payroll.ResultApplied {
				if _, err := s.db.Exec(ctx, `UPDATE payroll_results SET outcome = $2 WHERE result_id = $1`,
					results[i].ResultID, out[i].String()); err != nil {
					return fmt.Errorf("record result outcome: %w", err)
				}
			}
		}
		return nil
	})
	return out, err
}

type rollKey struct {
	program payroll.Program
	month   string
}

// handedOff tells which of the results' rolls are handed off: a page's results name few rolls (usually
// one), so this is a statement or two per page rather than a check per line.
func (s *Store) handedOff(ctx context.Context, rs []payroll.Result) (map[rollKey]bool, error) {
	out := map[rollKey]bool{}
	for i := range rs {
		k := rollKey{rs[i].Line.Program, rs[i].RollMonth}
		if _, seen := out[k]; seen {
			continue
		}
		var state int32
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT state FROM payroll_rolls WHERE program = $1 AND month = $2`,
			int32(k.program), k.month).Scan(&state)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("rolls of results: %w", err)
		}
		out[k] = state == int32(payroll.RollHandedOff)
	}
	return out, nil
}

// recordResults inserts the results (outcome "applied", corrected afterwards for the few that are not)
// and reports which were new.
func (s *Store) recordResults(ctx context.Context, rs []payroll.Result) ([]bool, error) {
	fresh := make([]bool, len(rs))
	now := s.now().UnixMicro()
	if s.db.Dialect == sqldb.Postgres {
		n := len(rs)
		ids, ben, per, det := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		prog, kind, att, st := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		for i := range rs {
			r := &rs[i]
			ids[i], ben[i], per[i], det[i] = r.ResultID, r.Line.Beneficiary, r.Line.Period, r.Detail
			prog[i], kind[i], att[i], st[i] = int32(r.Line.Program), int32(r.Line.Kind), r.Line.Attempt, int32(r.State)
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `INSERT INTO payroll_results (result_id, program, beneficiary, period,
				kind, attempt, state, outcome, detail, received_us)
			SELECT i, p, b, pe, k, a, s, 'applied', d, $9 FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[],
				$6::int[], $7::int[], $8::text[]) AS x (i, p, b, pe, k, a, s, d) ORDER BY i COLLATE "C"
			ON CONFLICT (result_id) DO NOTHING RETURNING result_id`, ids, prog, ben, per, kind, att, st, det, now)
		got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
			var id string
			return id, r.Scan(&id)
		})
		if err != nil {
			return nil, fmt.Errorf("record results: %w", err)
		}
		seen := make(map[string]bool, len(got))
		for _, id := range got {
			seen[id] = true
		}
		for i := range rs {
			// A result id twice in one page: the first is the new one.
			if seen[rs[i].ResultID] {
				fresh[i], seen[rs[i].ResultID] = true, false
			}
		}
		return fresh, nil
	}
	st, err := s.db.Prepare(ctx, `INSERT INTO payroll_results (result_id, program, beneficiary, period, kind, attempt,
		state, outcome, detail, received_us) VALUES ($1, $2, $3, $4, $5, $6, $7, 'applied', $8, $9)
		ON CONFLICT (result_id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rowCtx := context.WithoutCancel(ctx)
	// In result id order: the index's pages are visited in order rather than all over it for every page.
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(rs[a].ResultID, rs[b].ResultID) })
	for _, i := range order {
		r := &rs[i]
		res, err := st.ExecContext(rowCtx, r.ResultID, int32(r.Line.Program), r.Line.Beneficiary, r.Line.Period,
			int32(r.Line.Kind), r.Line.Attempt, int32(r.State), r.Detail, now)
		if err != nil {
			return nil, fmt.Errorf("record result %s: %w", r.ResultID, err)
		}
		n, _ := res.RowsAffected()
		fresh[i] = n == 1
	}
	return fresh, nil
}

// upsertPayment moves a line's payment forward only: a sent line may become paid or failed, a final one
// never changes.
const upsertPayment = `ON CONFLICT (program, period, beneficiary, kind, attempt) DO UPDATE SET
	payment_state = excluded.payment_state, failure_reason = excluded.failure_reason, result_id = excluded.result_id,
	result_us = excluded.result_us
	WHERE payroll_line_payments.payment_state = 2 AND excluded.payment_state > 2`

// applyResults applies the results at todo (of handed-off rolls) to their lines, moving a line forward to
// a result's state when it has the result's amount, and reports which did.
func (s *Store) applyResults(ctx context.Context, rs []payroll.Result, todo []int) (map[int]bool, error) {
	applied := make(map[int]bool, len(todo))
	if s.db.Dialect == sqldb.Postgres {
		// One statement per batch in which no line appears twice (a sent and a paid of one line in one
		// page are applied in page order).
		for len(todo) > 0 {
			var batch []int
			keys := map[payroll.LineKey]bool{}
			rest := todo[:0:0]
			for _, i := range todo {
				if keys[rs[i].Line] {
					rest = append(rest, i)
					continue
				}
				keys[rs[i].Line] = true
				batch = append(batch, i)
			}
			if err := s.applyBatchPostgres(ctx, rs, batch, applied); err != nil {
				return nil, err
			}
			todo = rest
		}
		return applied, nil
	}
	st, err := s.db.Prepare(ctx, `INSERT INTO payroll_line_payments (program, beneficiary, period, kind, attempt,
			payment_state, failure_reason, result_id, result_us)
		SELECT program, beneficiary, period, kind, attempt, $7, $9, $10, $11 FROM payroll_lines
		WHERE program = $1 AND period = $2 AND beneficiary = $3 AND kind = $4 AND attempt = $5 AND roll_month = $6
			AND amount_fen = $8
		`+upsertPayment)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rowCtx := context.WithoutCancel(ctx)
	// In the lines' key order (a line's results in page order): the lines' and payments' pages are
	// visited in order.
	todo = slices.Clone(todo)
	slices.SortStableFunc(todo, func(a, b int) int { return compareLineKeys(rs[a].Line, rs[b].Line) })
	for _, i := range todo {
		r := &rs[i]
		res, err := st.ExecContext(rowCtx, int32(r.Line.Program), r.Line.Period, r.Line.Beneficiary, int32(r.Line.Kind),
			r.Line.Attempt, r.RollMonth, int32(r.State), r.AmountFen, int32(r.FailureReason), r.ResultID, r.Time.UnixMicro())
		if err != nil {
			return nil, fmt.Errorf("apply result %s: %w", r.ResultID, err)
		}
		n, _ := res.RowsAffected()
		applied[i] = n == 1
	}
	return applied, nil
}

func (s *Store) applyBatchPostgres(ctx context.Context, rs []payroll.Result, batch []int, applied map[int]bool) error {
	n := len(batch)
	ids, ben, per, month := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prog, kind, att, st, fr := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	amt, at := make([]int64, n), make([]int64, n)
	for j, i := range batch {
		r := &rs[i]
		ids[j], ben[j], per[j], month[j] = r.ResultID, r.Line.Beneficiary, r.Line.Period, r.RollMonth
		prog[j], kind[j], att[j], st[j], fr[j] = int32(r.Line.Program), int32(r.Line.Kind), r.Line.Attempt, int32(r.State), int32(r.FailureReason)
		amt[j], at[j] = r.AmountFen, r.Time.UnixMicro()
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `INSERT INTO payroll_line_payments (program, beneficiary, period, kind,
			attempt, payment_state, failure_reason, result_id, result_us)
		SELECT l.program, l.beneficiary, l.period, l.kind, l.attempt, x.s, x.f, x.i, x.t
		FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::int[], $9::int[],
			$10::bigint[], $11::bigint[]) AS x (i, p, b, pe, k, a, m, s, f, amt, t)
		JOIN payroll_lines l ON l.program = x.p AND l.period = x.pe AND l.beneficiary = x.b AND l.kind = x.k
			AND l.attempt = x.a AND l.roll_month = x.m AND l.amount_fen = x.amt
		ORDER BY l.program, l.period, l.beneficiary, l.kind, l.attempt
		`+upsertPayment+` RETURNING result_id`, ids, prog, ben, per, kind, att, month, st, fr, amt, at)
	got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("apply results: %w", err)
	}
	done := make(map[string]bool, len(got))
	for _, id := range got {
		done[id] = true
	}
	for _, i := range batch {
		applied[i] = done[rs[i].ResultID]
	}
	return nil
}

// classify says why a result was not applied.
func (s *Store) classify(ctx context.Context, r *payroll.Result) (payroll.ResultOutcome, error) {
	var state payroll.PaymentState
	var amount int64
	var rollState int32
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(p.payment_state, 1), l.amount_fen, COALESCE(r.state, 0)
		FROM payroll_lines l LEFT JOIN payroll_rolls r ON r.program = l.program AND r.month = l.roll_month
		LEFT JOIN payroll_line_payments p ON p.program = l.program AND p.period = l.period
			AND p.beneficiary = l.beneficiary AND p.kind = l.kind AND p.attempt = l.attempt
		WHERE l.program = $1 AND l.period = $2 AND l.beneficiary = $3 AND l.kind = $4 AND l.attempt = $5
			AND l.roll_month = $6`, int32(r.Line.Program), r.Line.Period, r.Line.Beneficiary, int32(r.Line.Kind),
		r.Line.Attempt, r.RollMonth).Scan(&state, &amount, &rollState)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return payroll.ResultUnknownLine, nil
	case err != nil:
		return 0, fmt.Errorf("classify result %s: %w", r.ResultID, err)
	case rollState != int32(payroll.RollHandedOff):
		return payroll.ResultUnknownLine, nil
	case amount != r.AmountFen:
		return payroll.ResultAmountMismatch, nil
	}
	return payroll.ResultStale, nil
}

// compareLineKeys orders line keys as the lines' primary key does (program, period, beneficiary, kind,
// attempt).
func compareLineKeys(a, b payroll.LineKey) int {
	return cmp.Or(cmp.Compare(a.Program, b.Program), strings.Compare(a.Period, b.Period),
		strings.Compare(a.Beneficiary, b.Beneficiary), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Attempt, b.Attempt))
}
