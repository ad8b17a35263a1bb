package workflow

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
)

// Public notices (公示). A posting whose rule has a Notice func is public: when it starts, the engine asks
// the service what the notice shows and keeps it (fupin_notices, platform migration 00008) beside the
// posting, in the step's transaction, under a random id that names neither the case nor the household.
// The notice follows its posting (in progress, completed, interrupted) and its case's region. Anyone may
// read notices through platform/intake's public methods; nothing else about the case is public.

// ParamNoticeHotline is the policy parameter holding the supervision hotline a notice shows (12317).
const ParamNoticeHotline = "platform.notices.hotline"

// NoticeFunc says what the public notice of a posting shows, from the case as it stands when the posting
// starts (in the step's transaction).
type NoticeFunc func(ctx context.Context, c *Case) (NoticeFacts, error)

// NoticeFacts are what a service puts on a notice. Nothing else is ever public: no 身份证号, phone, address,
// health condition or income figure belongs in any of them.
type NoticeFacts struct {
	// Title is the notice's heading, e.g. 贫困户识别公示.
	Title string
	// SubjectName is the household head's or the person's name in plain text; the engine keeps only its
	// mask (pii.MaskName).
	SubjectName string
	// HouseholdSize is the number of members for a household subject; 0 for a person.
	HouseholdSize int
	// Proposal is the decision proposed, e.g. 拟识别为建档立卡贫困户.
	Proposal string
	// Office is the office that posts it, e.g. 县乡村振兴局.
	Office string
}

// Notice is a public notice as stored.
type Notice struct {
	ID            string
	CaseID        string
	PostingSeq    int
	Kind          string
	Title         string
	RegionCode    string
	SubjectName   string // masked
	HouseholdSize int
	Proposal      string
	Office        string
	Hotline       string
	StartedAt     string // business date posted; day 1 is the day after
	EndDate       string // StartedAt plus the minimum days: the last day of the period
	State         PostingState
	ClosedAt      string // business date completed or interrupted; "" while in progress
}

// DaysRemaining is how many days of the period are left on date (0 on and after EndDate).
func (n *Notice) DaysRemaining(date string) int {
	d, err := bizdate.DaysAfter(date, n.EndDate)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// NoticeQuery selects public notices.
type NoticeQuery struct {
	// RegionPrefix is a township's 9 digits or a village's 12.
	RegionPrefix string
	// State limits the list to one state; PostingUnspecified means in progress or closed on or after
	// ClosedSince.
	State       PostingState
	ClosedSince string
	// After is the cursor of the previous page (NoticeCursor of its last notice).
	After []string
	Limit int
}

// NoticeCursor is the position of a notice in the list's order (village, start date, id).
func (n *Notice) NoticeCursor() []string { return []string{n.RegionCode, n.StartedAt, n.ID} }

const noticeCols = `id, case_id, posting_seq, kind, title, region_code, subject_name, household_size, proposal, office,
	hotline, started_at, end_date, state, closed_at`

func scanNotice(r scanner) (*Notice, error) {
	var n Notice
	err := r.Scan(&n.ID, &n.CaseID, &n.PostingSeq, &n.Kind, &n.Title, &n.RegionCode, &n.SubjectName, &n.HouseholdSize,
		&n.Proposal, &n.Office, &n.Hotline, &n.StartedAt, &n.EndDate, &n.State, &n.ClosedAt)
	return &n, err
}

// Notices lists public notices by village, start date and id, and says whether more follow.
func (e *Engine) Notices(ctx context.Context, q NoticeQuery) ([]*Notice, bool, error) {
	// The prefix as a range keeps the query on the index (region_code, started_at, id).
	where := []string{"region_code >= $1", "region_code < $2"}
	args := []any{q.RegionPrefix, q.RegionPrefix + ":"}
	switch q.State {
	case PostingUnspecified:
		where = append(where, fmt.Sprintf("(closed_at = '' OR closed_at >= $%d)", len(args)+1))
		args = append(args, q.ClosedSince)
	default:
		where = append(where, fmt.Sprintf("state = $%d", len(args)+1))
		args = append(args, q.State)
	}
	if len(q.After) == 3 {
		n := len(args)
		where = append(where, fmt.Sprintf("(region_code > $%d OR (region_code = $%d AND (started_at > $%d OR (started_at = $%d AND id > $%d))))",
			n+1, n+1, n+2, n+2, n+3))
		args = append(args, q.After[0], q.After[1], q.After[2])
	}
	limit := max(q.Limit, 1)
	args = append(args, limit+1)
	rows, err := e.db.Q(ctx).QueryContext(ctx, `SELECT `+noticeCols+` FROM fupin_notices WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY region_code, started_at, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list notices: %w", err)
	}
	defer rows.Close()
	var out []*Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, false, fmt.Errorf("scan notice: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// GetNotice returns a notice by its id.
func (e *Engine) GetNotice(ctx context.Context, id string) (*Notice, error) {
	n, err := scanNotice(e.db.Q(ctx).QueryRowContext(ctx, `SELECT `+noticeCols+` FROM fupin_notices WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("notice")
	}
	if err != nil {
		return nil, fmt.Errorf("get notice: %w", err)
	}
	return n, nil
}

// publish writes the notice of posting p of case c, which has just started, in the step's transaction.
func (e *Engine) publish(ctx context.Context, rule *PostingRule, c *Case, p *Posting) error {
	facts, err := rule.Notice(ctx, c)
	if err != nil {
		return err
	}
	var hotline string
	if e.opts.Policy == nil {
		return errors.New("workflow: no policy source for the notice's hotline")
	}
	date, err := bizdate.Parse(p.StartedAt)
	if err != nil {
		return err
	}
	if _, err := e.opts.Policy.Decode(ParamNoticeHotline, c.RegionCode, date, &hotline); err != nil && !errors.Is(err, policy.ErrNotFound) {
		return err
	}
	if hotline == "" {
		hotline = "12317"
	}
	end := bizdate.Today(date.AddDate(0, 0, p.MinDays))
	_, err = e.db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_notices (`+noticeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '')`,
		NewNoticeID(), c.ID, p.Seq, c.Kind, facts.Title, c.RegionCode, pii.MaskName(facts.SubjectName), facts.HouseholdSize,
		facts.Proposal, facts.Office, hotline, p.StartedAt, end, PostingRunning)
	if err != nil {
		return fmt.Errorf("publish notice: %w", err)
	}
	return nil
}

// followNotices brings the notices of c's postings up to date after a change: a posting that ended closes
// its notice on the day it ended.
func (e *Engine) followNotices(ctx context.Context, c *Case) error {
	for _, p := range c.Postings {
		if p.State == PostingRunning {
			continue
		}
		_, err := e.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_notices SET state = $3, closed_at = $4
			WHERE case_id = $1 AND posting_seq = $2 AND state <> $3`, c.ID, p.Seq, p.State, p.EndedAt)
		if err != nil {
			return fmt.Errorf("close notice: %w", err)
		}
	}
	return nil
}

// noticeAlphabet is lower-case Crockford base32: no i, l, o or u, so an id read aloud or copied by hand
// survives.
const noticeAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewNoticeID returns a random notice id of 20 characters (100 bits): notices cannot be found by guessing.
func NewNoticeID() string { return RandomCode(noticeAlphabet, 20) }

// RandomCode returns n characters drawn at random from a 32-character alphabet (5 bits each): the ids the
// public sees (notice ids, objections' tracking numbers), which must not be guessable.
func RandomCode(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}

// Today is the business date on the engine's clock: the date notices are read on.
func (e *Engine) Today() string { return bizdate.Today(e.opts.Now()) }
