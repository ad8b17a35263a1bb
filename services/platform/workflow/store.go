package workflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
)

const caseCols = `id, kind, subject, region_code, state, next_step, round, outcome, decided_at, decided_seq,
	explanation, version, created_us, updated_us`

type scanner interface{ Scan(dest ...any) error }

// loaded is a case as read, with the seq of its deciding step so that step gets the decision.
type loaded struct {
	*Case
	decidedSeq int
}

func scanCase(r scanner) (loaded, error) {
	var c Case
	var outcome Outcome
	var decidedAt, explanation string
	var decidedSeq int
	var created, updated int64
	err := r.Scan(&c.ID, &c.Kind, &c.Subject, &c.RegionCode, &c.State, &c.Next, &c.Round, &outcome, &decidedAt,
		&decidedSeq, &explanation, &c.Version, &created, &updated)
	if err != nil {
		return loaded{}, err
	}
	if outcome != OutcomeNone {
		c.Decision = &Decision{Outcome: outcome, Explanation: explanation, DecidedAt: decidedAt}
	}
	c.CreateTime, c.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return loaded{Case: &c, decidedSeq: decidedSeq}, nil
}

// load reads a case with its trail; forUpdate locks the row on PostgreSQL (SQLite's single writer
// already serializes the transaction).
func (e *Engine) load(ctx context.Context, id string, forUpdate bool) (*Case, error) {
	q := e.db.Q(ctx)
	lock := ""
	if forUpdate && e.db.Dialect == sqldb.Postgres && sqldb.InTransaction(ctx) {
		lock = " FOR UPDATE"
	}
	l, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM fupin_cases WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("case")
	}
	if err != nil {
		return nil, fmt.Errorf("load case: %w", err)
	}
	if err := e.loadTrails(ctx, []loaded{l}); err != nil {
		return nil, err
	}
	return l.Case, nil
}

// loadTrails fills the steps, postings and objections of several cases, one query each.
func (e *Engine) loadTrails(ctx context.Context, cs []loaded) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[string]loaded, len(cs))
	args := make([]any, len(cs))
	for i, c := range cs {
		byID[c.ID] = c
		args[i] = c.ID
	}
	in := `(` + sqldb.Placeholders(1, len(args)) + `)`
	q := e.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT case_id, seq, step, round, actor, occurred_at, recorded_us, backdate_reason,
		note, attachments, data FROM fupin_case_steps WHERE case_id IN `+in+` ORDER BY case_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("load case steps: %w", err)
	}
	for rows.Next() {
		var id, attachments, data string
		var s Step
		var rec int64
		if err := rows.Scan(&id, &s.Seq, &s.Name, &s.Round, &s.Actor, &s.OccurredAt, &rec, &s.BackdateReason, &s.Note,
			&attachments, &data); err != nil {
			rows.Close()
			return fmt.Errorf("scan case step: %w", err)
		}
		s.RecordedAt = time.UnixMicro(rec)
		if s.Attachments, err = decodeList(attachments); err != nil {
			rows.Close()
			return err
		}
		if data != "" {
			s.Data = json.RawMessage(data)
		}
		c := byID[id]
		if c.decidedSeq == s.Seq && c.Decision != nil {
			c.Decision.Step, c.Decision.Actor = s.Name, s.Actor
			d := *c.Decision
			s.Decision = &d
		}
		c.Steps = append(c.Steps, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT case_id, seq, step, start_seq, started_at, min_days, policy_parameter,
		policy_region, policy_effective, policy_value, policy_hash, state, ended_at, ended_by, ended_note, end_reason, ended_us
		FROM fupin_postings WHERE case_id IN `+in+` ORDER BY case_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("load postings: %w", err)
	}
	for rows.Next() {
		var id, raw string
		var p Posting
		var ended int64
		if err := rows.Scan(&id, &p.Seq, &p.Step, &p.StartSeq, &p.StartedAt, &p.MinDays, &p.Policy.Parameter,
			&p.Policy.Region, &p.Policy.Effective, &raw, &p.Policy.Hash, &p.State, &p.EndedAt, &p.EndedBy, &p.EndedNote,
			&p.EndReason, &ended); err != nil {
			rows.Close()
			return fmt.Errorf("scan posting: %w", err)
		}
		p.Policy.Raw = json.RawMessage(raw)
		if ended != 0 {
			p.EndRecord = time.UnixMicro(ended)
		}
		byID[id].Postings = append(byID[id].Postings, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT case_id, seq, posting_seq, filed_at, objector, content, attachments,
		recorded_by, recorded_us, backdate_reason, resolved_by FROM fupin_objections WHERE case_id IN `+in+` ORDER BY case_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("load objections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, attachments string
		var o Objection
		var rec int64
		if err := rows.Scan(&id, &o.Seq, &o.PostingSeq, &o.FiledAt, &o.Objector, &o.Content, &attachments, &o.RecordedBy,
			&rec, &o.BackdateReason, &o.ResolvedBy); err != nil {
			return fmt.Errorf("scan objection: %w", err)
		}
		o.RecordedAt = time.UnixMicro(rec)
		if o.Attachments, err = decodeList(attachments); err != nil {
			return err
		}
		c := byID[id]
		for i := range c.Postings {
			if c.Postings[i].Seq == o.PostingSeq {
				c.Postings[i].Objections = append(c.Postings[i].Objections, o)
			}
		}
	}
	return rows.Err()
}

// save writes a case after a change: the case row (optimistically, on its version), the steps added,
// and its postings and objections (few per case, so all are upserted).
func (e *Engine) save(ctx context.Context, def *Definition, c *Case, before snapshot, insert bool) error {
	q := e.db.Q(ctx)
	var open any // NULL unless the kind allows one open case per subject and this one is open
	if def.OnePerSubject && c.State != StateClosed {
		open = c.Subject
	}
	outcome, decidedAt, explanation, decidedSeq := OutcomeNone, "", "", 0
	if d := c.Decision; d != nil {
		outcome, decidedAt, explanation = d.Outcome, d.DecidedAt, d.Explanation
		for _, s := range c.Steps {
			if s.Decision != nil {
				decidedSeq = s.Seq
			}
		}
	}
	c.Version = before.version + 1
	if insert {
		_, err := q.ExecContext(ctx, `INSERT INTO fupin_cases (`+caseCols+`, open_subject)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			c.ID, c.Kind, c.Subject, c.RegionCode, c.State, c.Next, c.Round, outcome, decidedAt, decidedSeq, explanation,
			c.Version, c.CreateTime.UnixMicro(), c.UpdateTime.UnixMicro(), open)
		if sqldb.IsUniqueViolation(err) {
			return alreadyOpen(c.Kind, c.Subject, "")
		}
		if err != nil {
			return fmt.Errorf("insert case: %w", err)
		}
	} else {
		res, err := q.ExecContext(ctx, `UPDATE fupin_cases SET state = $3, next_step = $4, round = $5, outcome = $6,
			decided_at = $7, decided_seq = $8, explanation = $9, version = $10, updated_us = $11, open_subject = $12
			WHERE id = $1 AND version = $2`,
			c.ID, before.version, c.State, c.Next, c.Round, outcome, decidedAt, decidedSeq, explanation, c.Version,
			c.UpdateTime.UnixMicro(), open)
		if err != nil {
			return fmt.Errorf("update case: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
	}
	for _, s := range c.Steps[before.steps:] {
		data := "{}"
		if len(s.Data) > 0 {
			data = string(s.Data)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO fupin_case_steps (case_id, seq, step, round, actor, occurred_at,
			recorded_us, backdate_reason, note, attachments, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.ID, s.Seq, s.Name, s.Round, s.Actor, s.OccurredAt, s.RecordedAt.UnixMicro(), s.BackdateReason, s.Note,
			encodeList(s.Attachments), data)
		if err != nil {
			return fmt.Errorf("insert case step: %w", err)
		}
	}
	for _, p := range c.Postings {
		var ended int64
		if !p.EndRecord.IsZero() {
			ended = p.EndRecord.UnixMicro()
		}
		raw := string(p.Policy.Raw)
		_, err := q.ExecContext(ctx, `INSERT INTO fupin_postings (case_id, seq, step, start_seq, started_at, min_days,
			policy_parameter, policy_region, policy_effective, policy_value, policy_hash, state, ended_at, ended_by,
			ended_note, end_reason, ended_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			ON CONFLICT (case_id, seq) DO UPDATE SET state = excluded.state, ended_at = excluded.ended_at,
			ended_by = excluded.ended_by, ended_note = excluded.ended_note, end_reason = excluded.end_reason,
			ended_us = excluded.ended_us`,
			c.ID, p.Seq, p.Step, p.StartSeq, p.StartedAt, p.MinDays, p.Policy.Parameter, p.Policy.Region, p.Policy.Effective,
			raw, p.Policy.Hash, p.State, p.EndedAt, p.EndedBy, p.EndedNote, p.EndReason, ended)
		if err != nil {
			return fmt.Errorf("save posting: %w", err)
		}
		for _, o := range p.Objections {
			_, err := q.ExecContext(ctx, `INSERT INTO fupin_objections (case_id, seq, posting_seq, filed_at, objector,
				content, attachments, recorded_by, recorded_us, backdate_reason, resolved_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (case_id, seq) DO UPDATE SET resolved_by = excluded.resolved_by`,
				c.ID, o.Seq, o.PostingSeq, o.FiledAt, o.Objector, o.Content, encodeList(o.Attachments), o.RecordedBy,
				o.RecordedAt.UnixMicro(), o.BackdateReason, o.ResolvedBy)
			if err != nil {
				return fmt.Errorf("save objection: %w", err)
			}
		}
	}
	return e.followNotices(ctx, c)
}

// openCaseOf returns the id of the subject's open case of the kind, or "".
func (e *Engine) openCaseOf(ctx context.Context, kind, subject string) (string, error) {
	var id string
	err := e.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM fupin_cases WHERE kind = $1 AND open_subject = $2`, kind, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find open case: %w", err)
	}
	return id, nil
}

// OpenCase returns the open case of a kind about a subject, if any (for a kind with OnePerSubject).
func (e *Engine) OpenCase(ctx context.Context, by Caller, kind, subject string) (*Case, bool, error) {
	id, err := e.openCaseOf(ctx, kind, subject)
	if err != nil || id == "" {
		return nil, false, err
	}
	c, err := e.Get(ctx, by, id)
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

var digits = regexp.MustCompile(`^[0-9]{1,12}$`)

func (e *Engine) filterFields() filter.Fields {
	return filter.Fields{
		"kind":              {Column: "kind", Type: filter.String},
		"state":             {Column: "state", Type: filter.Enum, Values: e.opts.StateNames},
		"outcome":           {Column: "outcome", Type: filter.Enum, Values: e.opts.OutcomeNames},
		"region_code":       {Column: "region_code", Type: filter.String, Pattern: digits.MatchString},
		e.opts.SubjectField: {Column: "subject", Type: filter.String},
		"next_step":         {Column: "next_step", Type: filter.String},
	}
}

// List returns a page of the cases in the caller's scope, in id order, with their trails, and the id to
// continue after ("" on the last page).
func (e *Engine) List(ctx context.Context, by Caller, lq ListQuery) ([]*Case, string, error) {
	where := []string{"substr(region_code, 1, " + fmt.Sprint(len(by.Scope)) + ") = $1", "id > $2"}
	args := []any{by.Scope, lq.After}
	kinds := lq.Kinds
	if len(kinds) == 0 {
		for k := range e.defs {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return nil, "", nil
	}
	where = append(where, "kind IN ("+sqldb.Placeholders(len(args)+1, len(kinds))+")")
	for _, k := range kinds {
		args = append(args, k)
	}
	cond, fargs, err := e.filterFields().Compile(lq.Filter, len(args)+1)
	if err != nil {
		return nil, "", err
	}
	if cond != "" {
		where = append(where, cond)
		args = append(args, fargs...)
	}
	limit := max(lq.Limit, 1)
	args = append(args, limit+1)
	rows, err := e.db.Q(ctx).QueryContext(ctx, `SELECT `+caseCols+` FROM fupin_cases WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	var ls []loaded
	for rows.Next() {
		l, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("scan case: %w", err)
		}
		ls = append(ls, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(ls) > limit {
		ls = ls[:limit]
		next = ls[len(ls)-1].ID
	}
	if err := e.loadTrails(ctx, ls); err != nil {
		return nil, "", err
	}
	out := make([]*Case, len(ls))
	for i, l := range ls {
		out[i] = l.Case
	}
	return out, next, nil
}

func encodeList(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

func decodeList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var xs []string
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return xs, nil
}
