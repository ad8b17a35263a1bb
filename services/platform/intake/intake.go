// Package intake receives objections (异议) to public notices (公示) online, for every service that posts:
// written once here, so identification's postings, 低保's and later the funds and industry notices use the
// same tracking numbers, triage states, limits and storage.
//
// An objection filed through the public page is stored as received (fupin_received_objections, platform
// migration 00008) with a tracking number (查询码) the objector can look its status up with; it does not stop
// the posting by itself. An officer of the owning service whose region scope covers the village triages it:
// accepted, it is filed as the case's objection through the service's own path (the AcceptFunc each posting
// kind registers), which interrupts the posting and sends the case back to verification, in the same
// transaction, with the trail naming the tracking number; dismissed, its reason is what the tracking page
// shows. The objector's name and phone are sealed with the personal-data key and shown masked to officials
// unless a plain-text grant of the triage method allows more.
//
// Limits: a human check the service signs (a small sum, valid 30 minutes, spent by the objection that
// passes it: Challenges), at most platform.intake.objections_per_notice_per_day objections to one notice a
// day (policy), and the gateway's per-client rate limits in front of all of it.
package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/workflow"
)

// Reasons of the intake: values of fupin.common.v1.ErrorReason (60–69).
const (
	ReasonChallengeFailed = "OBJECTION_CHALLENGE_FAILED"
	ReasonNoticeClosed    = "NOTICE_CLOSED"
	ReasonObjectionLimit  = "OBJECTION_LIMIT"
	ReasonAlreadyTriaged  = "OBJECTION_ALREADY_TRIAGED"
)

// ParamPerNoticePerDay is the policy parameter: how many objections one notice receives online a day.
const ParamPerNoticePerDay = "platform.intake.objections_per_notice_per_day"

// State is where a received objection stands; the numbers are fupin.common.v1.ReceivedObjectionState's.
type State int32

// States.
const (
	StateUnspecified State = iota
	StateReceived          // 已收到: waiting for triage
	StateAccepted          // 已受理: filed as the case's objection
	StateDismissed         // 不予受理: with a reason for the public
)

// AcceptFunc files an accepted objection as the objection of case caseID through the owning service's own
// path (which keeps that service's records, such as a monitoring clue's stage, in step with the case), in
// the transaction in ctx.
type AcceptFunc func(ctx context.Context, by workflow.Caller, caseID string, in workflow.ObjectionInput) error

// Kind is how the owning service handles the objections to one kind of posting.
type Kind struct {
	// Accept files an accepted objection.
	Accept AcceptFunc
	// CaseName is the case as the service names it to officials (cases/…, clues/…, dibaoCases/…).
	CaseName func(c *workflow.Case) string
}

// Sealer seals personal data and signs server-made tokens; *pii.Protector is one.
type Sealer interface {
	Seal(plaintext string) ([]byte, error)
	Open(sealed []byte) (string, error)
	Sign(msg []byte) []byte
}

// Config is what an intake needs.
type Config struct {
	DB     *sqldb.DB
	Engine *workflow.Engine
	Sealer Sealer
	Policy workflow.Policy
	// Collection is the resource collection the service names received objections in
	// (receivedObjections, reliefObjections): "{collection}/{tracking number}".
	Collection string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Intake is one service's objections received online.
type Intake struct {
	cfg   Config
	kinds map[string]Kind
}

// New returns an intake; Handle each kind of posting the service publishes.
func New(cfg Config) *Intake {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Intake{cfg: cfg, kinds: map[string]Kind{}}
}

// Handle registers how objections to postings of a case kind are accepted.
func (in *Intake) Handle(kind string, k Kind) { in.kinds[kind] = k }

// Received is an objection received online.
type Received struct {
	ID          string // tracking number, 16 characters
	NoticeID    string
	CaseID      string
	CaseName    string
	Kind        string
	RegionCode  string
	NameMasked  string
	NameCipher  []byte
	PhoneMasked string
	PhoneCipher []byte
	Content     string
	State       State
	ReceivedAt  time.Time
	ReceivedOn  string // business date
	TriagedBy   string
	TriagedAt   time.Time
	TriagedOn   string
	Reason      string // why dismissed
	// SubjectName is the notice's (masked), filled by reads for officials.
	SubjectName string
	// NoticeTitle is the notice's title.
	NoticeTitle string
}

// Name is the objection's resource name in the service's collection.
func (in *Intake) Name(r *Received) string { return in.cfg.Collection + "/" + r.ID }

// Submission is an objection sent through the public page.
type Submission struct {
	NoticeID        string
	ObjectorName    string
	Phone           string
	Content         string
	ChallengeToken  string
	ChallengeAnswer string
}

// Submit receives an objection to a notice in progress, after its human check, and returns it with its
// tracking number. It writes in the transaction in ctx.
func (in *Intake) Submit(ctx context.Context, s Submission) (*Received, error) {
	n, err := in.cfg.Engine.GetNotice(ctx, s.NoticeID)
	if err != nil {
		return nil, err
	}
	if n.State != workflow.PostingRunning {
		return nil, noticeClosed(n)
	}
	now := in.cfg.Now()
	nonce, err := in.verify(s.ChallengeToken, s.ChallengeAnswer, n.ID, now)
	if err != nil {
		return nil, err
	}
	r := &Received{ID: newTrackingNumber(), NoticeID: n.ID, CaseID: n.CaseID, Kind: n.Kind, RegionCode: n.RegionCode,
		Content: strings.TrimSpace(s.Content), State: StateReceived, ReceivedAt: now, ReceivedOn: bizdate.Today(now)}
	if r.Content == "" {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "content", "say what the objection is")
	}
	if name := strings.TrimSpace(s.ObjectorName); name != "" {
		name, err := pii.NormalizeName(name)
		if err != nil {
			return nil, apperr.Invalid("PERSON_NAME_INVALID", "objector_name", err.Error())
		}
		if r.NameCipher, err = in.cfg.Sealer.Seal(name); err != nil {
			return nil, err
		}
		r.NameMasked = pii.MaskName(name)
	}
	if strings.TrimSpace(s.Phone) != "" {
		phone, ok := pii.NormalizePhone(s.Phone)
		if !ok {
			return nil, apperr.Invalid(workflow.ReasonInvalidField, "phone", "must be a mobile number (11 digits) or a landline with its area code (0713-1234567)")
		}
		if r.PhoneCipher, err = in.cfg.Sealer.Seal(phone); err != nil {
			return nil, err
		}
		r.PhoneMasked = pii.MaskPhone(phone)
	}
	if err := in.underLimit(ctx, n, r.ReceivedOn, now); err != nil {
		return nil, err
	}
	c, err := in.cfg.Engine.Get(ctx, workflow.Caller{}, n.CaseID)
	if err != nil {
		return nil, err
	}
	r.CaseName = "cases/" + c.ID
	if k, ok := in.kinds[n.Kind]; ok && k.CaseName != nil {
		r.CaseName = k.CaseName(c)
	}
	_, err = in.cfg.DB.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_received_objections (id, notice_id, case_id, case_name, kind,
		region_code, name_cipher, name_masked, phone_cipher, phone_masked, content, state, received_us, received_date, challenge)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.NoticeID, r.CaseID, r.CaseName, r.Kind, r.RegionCode, nullBytes(r.NameCipher), r.NameMasked, nullBytes(r.PhoneCipher),
		r.PhoneMasked, r.Content, r.State, now.UnixMicro(), r.ReceivedOn, nonce)
	if sqldb.IsUniqueViolation(err) {
		return nil, challengeFailed("challenge_token", "this check was already used for an objection: ask for a new one")
	}
	if err != nil {
		return nil, fmt.Errorf("receive objection: %w", err)
	}
	return r, nil
}

// underLimit refuses an objection beyond the notice's daily allowance.
func (in *Intake) underLimit(ctx context.Context, n *workflow.Notice, day string, now time.Time) error {
	limit := 20
	if in.cfg.Policy != nil {
		if _, err := in.cfg.Policy.Decode(ParamPerNoticePerDay, n.RegionCode, now, &limit); err != nil && !errors.Is(err, policy.ErrNotFound) {
			return err
		}
	}
	var count int
	err := in.cfg.DB.Q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM fupin_received_objections WHERE notice_id = $1 AND received_date = $2`,
		n.ID, day).Scan(&count)
	if err != nil {
		return fmt.Errorf("count objections: %w", err)
	}
	if count >= limit {
		return apperr.Exhausted(ReasonObjectionLimit, fmt.Sprintf("this notice has received %d objections online today, as many as a day takes; "+
			"call the hotline %s or try again tomorrow", count, n.Hotline))
	}
	return nil
}

func noticeClosed(n *workflow.Notice) error {
	return apperr.Refused(ReasonNoticeClosed, apperr.Violation{Type: "NOTICE_IN_PROGRESS", Subject: "notices/" + n.ID,
		Description: "the posting ended on " + n.ClosedAt + ": it takes no objection online"})
}

const receivedCols = `id, notice_id, case_id, case_name, kind, region_code, name_cipher, name_masked, phone_cipher, phone_masked,
	content, state, received_us, received_date, triaged_by, triaged_us, triaged_date, dismiss_reason`

type scanner interface{ Scan(dest ...any) error }

func scanReceived(row scanner) (*Received, error) {
	var r Received
	var received, triaged int64
	err := row.Scan(&r.ID, &r.NoticeID, &r.CaseID, &r.CaseName, &r.Kind, &r.RegionCode, &r.NameCipher, &r.NameMasked, &r.PhoneCipher,
		&r.PhoneMasked, &r.Content, &r.State, &received, &r.ReceivedOn, &r.TriagedBy, &triaged, &r.TriagedOn, &r.Reason)
	if err != nil {
		return nil, err
	}
	r.ReceivedAt = time.UnixMicro(received)
	if triaged != 0 {
		r.TriagedAt = time.UnixMicro(triaged)
	}
	return &r, nil
}

// Status returns an objection by its tracking number (any case, spaces and dashes), with its notice's title:
// what the public tracking page shows.
func (in *Intake) Status(ctx context.Context, tracking string) (*Received, error) {
	r, err := in.get(ctx, NormalizeTrackingNumber(tracking), false)
	if err != nil {
		return nil, err
	}
	n, err := in.cfg.Engine.GetNotice(ctx, r.NoticeID)
	if err != nil {
		return nil, err
	}
	r.NoticeTitle, r.SubjectName = n.Title, n.SubjectName
	return r, nil
}

// get reads one objection; forUpdate locks its row on PostgreSQL.
func (in *Intake) get(ctx context.Context, id string, forUpdate bool) (*Received, error) {
	lock := ""
	if forUpdate && in.cfg.DB.Dialect == sqldb.Postgres && sqldb.InTransaction(ctx) {
		lock = " FOR UPDATE"
	}
	r, err := scanReceived(in.cfg.DB.Q(ctx).QueryRowContext(ctx, `SELECT `+receivedCols+` FROM fupin_received_objections WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("objection")
	}
	if err != nil {
		return nil, fmt.Errorf("get objection: %w", err)
	}
	return r, nil
}

// ListQuery selects received objections for officials.
type ListQuery struct {
	State State // StateUnspecified: received
	// After is the last objection of the previous page (its receipt time and id).
	After *Received
	Limit int
}

// List returns a page of the objections in the caller's scope in one state, oldest first, whether more
// follow, and how many there are in all (the dashboard's count).
func (in *Intake) List(ctx context.Context, by workflow.Caller, q ListQuery) ([]*Received, bool, int, error) {
	if q.State == StateUnspecified {
		q.State = StateReceived
	}
	db := in.cfg.DB.Q(ctx)
	var total int
	scope := `state = $1 AND region_code >= $2 AND region_code < $3`

	err := db.QueryRowContext(ctx, `SELECT count(*) FROM fupin_received_objections WHERE `+scope, q.State, by.Scope, by.Scope+":").Scan(&total)
	if err != nil {
		return nil, false, 0, fmt.Errorf("count objections: %w", err)
	}
	limit := max(q.Limit, 1)
	after := ""
	args := []any{q.State, by.Scope, by.Scope + ":"}
	if q.After != nil {
		after = ` AND (received_us > $4 OR (received_us = $4 AND id > $5))`
		args = append(args, q.After.ReceivedAt.UnixMicro(), q.After.ID)
	}
	args = append(args, limit+1)
	rows, err := db.QueryContext(ctx, `SELECT `+receivedCols+` FROM fupin_received_objections WHERE `+scope+after+
		fmt.Sprintf(` ORDER BY received_us, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, false, 0, fmt.Errorf("list objections: %w", err)
	}
	out, err := sqldb.Collect(rows, nil, func(r *sql.Rows) (*Received, error) { return scanReceived(r) })
	if err != nil {
		return nil, false, 0, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	for _, r := range out {
		if n, err := in.cfg.Engine.GetNotice(ctx, r.NoticeID); err == nil {
			r.SubjectName, r.NoticeTitle = n.SubjectName, n.Title
		}
	}
	return out, more, total, nil
}

// Accept files a received objection as its case's objection, through the service's own path, and marks it
// accepted, in one transaction. The posting must still be the case's current one (in progress, or
// interrupted by an objection not yet settled by a new verification): the engine refuses otherwise.
func (in *Intake) Accept(ctx context.Context, by workflow.Caller, id, note string) (*Received, error) {
	return in.triage(ctx, by, id, func(ctx context.Context, r *Received, now time.Time) error {
		n, err := in.cfg.Engine.GetNotice(ctx, r.NoticeID)
		if err != nil {
			return err
		}
		c, err := in.cfg.Engine.Get(ctx, by, r.CaseID)
		if err != nil {
			return err
		}
		if p := c.CurrentPosting(); p == nil || p.Seq != n.PostingSeq {
			return noticeClosed(n)
		}
		k, ok := in.kinds[r.Kind]
		if !ok {
			return fmt.Errorf("intake: no handler for objections to %s postings", r.Kind)
		}
		o := workflow.ObjectionInput{OccurredAt: r.ReceivedOn, Objector: "网上异议 " + FormatTrackingNumber(r.ID), Content: r.Content}
		if today := bizdate.Today(now); r.ReceivedOn < today {
			o.BackdateReason = "received online on " + r.ReceivedOn + " (" + FormatTrackingNumber(r.ID) + "), accepted on " + today
		}
		if note = strings.TrimSpace(note); note != "" {
			o.Content += "\n受理意见: " + note
		}
		if err := k.Accept(ctx, by, r.CaseID, o); err != nil {
			return err
		}
		r.State = StateAccepted
		return nil
	})
}

// Dismiss marks a received objection dismissed with a reason for the public.
func (in *Intake) Dismiss(ctx context.Context, by workflow.Caller, id, reason string) (*Received, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "reason", "say why the objection is dismissed: the tracking page shows it")
	}
	return in.triage(ctx, by, id, func(ctx context.Context, r *Received, now time.Time) error {
		r.State, r.Reason = StateDismissed, reason
		return nil
	})
}

// triage loads a received objection in the caller's scope, lets fn decide it and saves it.
func (in *Intake) triage(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context, r *Received, now time.Time) error) (*Received, error) {
	var out *Received
	err := in.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		r, err := in.get(ctx, id, true)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(r.RegionCode, by.Scope) {
			return apperr.Denied(workflow.ReasonOutOfRegionScope, "the objection concerns a posting outside the caller's region scope")
		}
		if r.State != StateReceived {
			return apperr.Refused(ReasonAlreadyTriaged, apperr.Violation{Type: "OBJECTION_RECEIVED", Subject: in.Name(r),
				Description: fmt.Sprintf("the objection was already %s on %s by %s", stateWord(r.State), r.TriagedOn, r.TriagedBy)})
		}
		now := in.cfg.Now()
		if err := fn(ctx, r, now); err != nil {
			return err
		}
		r.TriagedBy, r.TriagedAt, r.TriagedOn = by.Actor, now, bizdate.Today(now)
		res, err := in.cfg.DB.Q(ctx).ExecContext(ctx, `UPDATE fupin_received_objections SET state = $2, triaged_by = $3, triaged_us = $4,
			triaged_date = $5, dismiss_reason = $6 WHERE id = $1 AND state = $7`,
			r.ID, r.State, r.TriagedBy, now.UnixMicro(), r.TriagedOn, r.Reason, StateReceived)
		if err != nil {
			return fmt.Errorf("triage objection: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		out = r
		return nil
	})
	return out, err
}

func stateWord(s State) string {
	switch s {
	case StateAccepted:
		return "accepted"
	case StateDismissed:
		return "dismissed"
	}
	return "received"
}

// Reveal opens the objector's name and phone, for a caller a plain-text grant allows.
func (in *Intake) Reveal(r *Received) (name, phone string, err error) {
	if len(r.NameCipher) > 0 {
		if name, err = in.cfg.Sealer.Open(r.NameCipher); err != nil {
			return "", "", fmt.Errorf("open objector name: %w", err)
		}
	}
	if len(r.PhoneCipher) > 0 {
		if phone, err = in.cfg.Sealer.Open(r.PhoneCipher); err != nil {
			return "", "", fmt.Errorf("open objector phone: %w", err)
		}
	}
	return name, phone, nil
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// trackingAlphabet is upper-case Crockford base32 (no I, L, O or U): a number read over the phone or
// copied from paper survives.
const trackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newTrackingNumber returns 16 random characters (80 bits): a number cannot be guessed, so the status of
// another person's objection cannot be looked up.
func newTrackingNumber() string { return workflow.RandomCode(trackingAlphabet, 16) }

// FormatTrackingNumber writes a tracking number in groups of four: K3M9-QX2H-T4PA-7WZB.
func FormatTrackingNumber(id string) string {
	if len(id) != 16 {
		return id
	}
	return id[:4] + "-" + id[4:8] + "-" + id[8:12] + "-" + id[12:]
}

// NormalizeTrackingNumber reads a tracking number as typed: case, spaces and dashes do not matter, and the
// letters Crockford base32 leaves out read as the digits they look like (O as 0, I and L as 1).
func NormalizeTrackingNumber(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-':
		case r == 'O':
			b.WriteByte('0')
		case r == 'I' || r == 'L':
			b.WriteByte('1')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
