package intake

import (
	"context"
	"strconv"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// RecentDays is how long an ended posting stays on the public list.
const RecentDays = 30

// PublicNotices serves fupin.common.v1.PublicNoticeService for one service: its notices and the objection
// form, to anyone. Its answers hold only the fields a notice shows (see workflow.NoticeFacts).
type PublicNotices struct {
	commonv1.UnimplementedPublicNoticeServiceServer
	engine *workflow.Engine
	intake *Intake
}

var _ commonv1.PublicNoticeServiceServer = (*PublicNotices)(nil)

// NewPublicNotices returns the public face of a service's notices.
func NewPublicNotices(engine *workflow.Engine, in *Intake) *PublicNotices {
	return &PublicNotices{engine: engine, intake: in}
}

const (
	defaultNoticePage = 500
	noticeTokenKind   = "notices"
)

// ListNotices lists the notices of a township or village.
func (p *PublicNotices) ListNotices(ctx context.Context, req *commonv1.ListNoticesRequest) (*commonv1.ListNoticesResponse, error) {
	after, err := pagetoken.Decode(req.GetPageToken(), noticeTokenKind, 3)
	if err != nil {
		return nil, err
	}
	today := p.engine.Today()
	t, _ := bizdate.Parse(today)
	q := workflow.NoticeQuery{RegionPrefix: req.GetRegionCode(), State: workflow.PostingState(req.GetState()),
		ClosedSince: bizdate.Today(t.AddDate(0, 0, -RecentDays)), After: after, Limit: int(req.GetPageSize())}
	if q.Limit == 0 {
		q.Limit = defaultNoticePage
	}
	ns, more, err := p.engine.Notices(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &commonv1.ListNoticesResponse{Notices: make([]*commonv1.Notice, 0, len(ns))}
	for _, n := range ns {
		out.Notices = append(out.Notices, noticeToPB(n, today))
	}
	if more {
		out.NextPageToken = pagetoken.Encode(noticeTokenKind, ns[len(ns)-1].NoticeCursor()...)
	}
	return out, nil
}

// GetNotice returns one notice in progress or ended in the last RecentDays days.
func (p *PublicNotices) GetNotice(ctx context.Context, req *commonv1.GetNoticeRequest) (*commonv1.Notice, error) {
	n, err := p.notice(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	return noticeToPB(n, p.engine.Today()), nil
}

// notice reads a notice the public may still see.
func (p *PublicNotices) notice(ctx context.Context, name string) (*workflow.Notice, error) {
	n, err := p.engine.GetNotice(ctx, strings.TrimPrefix(name, "notices/"))
	if err != nil {
		return nil, err
	}
	if n.ClosedAt != "" {
		if t, _ := bizdate.Parse(p.engine.Today()); n.ClosedAt < bizdate.Today(t.AddDate(0, 0, -RecentDays)) {
			return nil, apperr.NotFound("notice")
		}
	}
	return n, nil
}

// GetObjectionChallenge returns a human check for the objection form of a notice in progress.
func (p *PublicNotices) GetObjectionChallenge(ctx context.Context, req *commonv1.GetObjectionChallengeRequest) (*commonv1.ObjectionChallenge, error) {
	n, err := p.notice(ctx, req.GetNotice())
	if err != nil {
		return nil, err
	}
	if n.State != workflow.PostingRunning {
		return nil, noticeClosed(n)
	}
	c := p.intake.NewChallenge(n.ID)
	return &commonv1.ObjectionChallenge{Question: c.Question, Token: c.Token, ExpireTime: timestamppb.New(c.Expires)}, nil
}

// SubmitObjection receives an objection (the platform runs it in a transaction with its audit row).
func (p *PublicNotices) SubmitObjection(ctx context.Context, req *commonv1.SubmitObjectionRequest) (*commonv1.ObjectionReceipt, error) {
	r, err := p.intake.Submit(ctx, Submission{NoticeID: strings.TrimPrefix(req.GetNotice(), "notices/"), ObjectorName: req.GetObjectorName(),
		Phone: req.GetPhone(), Content: req.GetContent(), ChallengeToken: req.GetChallengeToken(), ChallengeAnswer: req.GetChallengeAnswer()})
	if err != nil {
		return nil, err
	}
	return &commonv1.ObjectionReceipt{TrackingNumber: FormatTrackingNumber(r.ID), ReceivedDate: r.ReceivedOn}, nil
}

// GetObjectionStatus tells an objection's status and nothing else.
func (p *PublicNotices) GetObjectionStatus(ctx context.Context, req *commonv1.GetObjectionStatusRequest) (*commonv1.ObjectionStatus, error) {
	r, err := p.intake.Status(ctx, req.GetTrackingNumber())
	if err != nil {
		return nil, err
	}
	return &commonv1.ObjectionStatus{TrackingNumber: FormatTrackingNumber(r.ID), State: commonv1.ReceivedObjectionState(r.State),
		ReceivedDate: r.ReceivedOn, TriagedDate: r.TriagedOn, DismissReason: r.Reason, NoticeTitle: r.NoticeTitle}, nil
}

func noticeToPB(n *workflow.Notice, today string) *commonv1.Notice {
	out := &commonv1.Notice{Name: "notices/" + n.ID, Kind: n.Kind, Title: n.Title, RegionCode: n.RegionCode, SubjectName: n.SubjectName,
		HouseholdSize: int32(n.HouseholdSize), Proposal: n.Proposal, StartDate: n.StartedAt, EndDate: n.EndDate,
		EndedDate: n.ClosedAt, Office: n.Office, Hotline: n.Hotline}
	switch n.State {
	case workflow.PostingRunning:
		out.State, out.DaysRemaining = commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS, int32(n.DaysRemaining(today))
	case workflow.PostingCompleted:
		out.State = commonv1.NoticeState_NOTICE_STATE_COMPLETED
	default:
		out.State = commonv1.NoticeState_NOTICE_STATE_INTERRUPTED
	}
	return out
}

// Triage implements the triage methods every posting service declares in its own contract (identification's
// and subsidies' ReliefObjectionTriageService, each with its owner's access rule): the services' handlers call it.
type Triage struct {
	intake *Intake
}

// NewTriage returns the triage handlers of an intake.
func NewTriage(in *Intake) *Triage { return &Triage{intake: in} }

const (
	defaultTriagePage = 50
	triageTokenKind   = "receivedObjections"
)

// caller is the person triaging, as the engine and the intake see them.
func caller(ctx context.Context) (workflow.Caller, *auth.Caller) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}, &auth.Caller{}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}, c
}

// ListReceivedObjections lists objections in the caller's scope, with their count.
func (t *Triage) ListReceivedObjections(ctx context.Context, req *commonv1.ListReceivedObjectionsRequest) (*commonv1.ListReceivedObjectionsResponse, error) {
	parts, err := pagetoken.Decode(req.GetPageToken(), triageTokenKind, 2)
	if err != nil {
		return nil, err
	}
	var after *Received
	if len(parts) == 2 {
		us, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return nil, pagetoken.Invalid()
		}
		after = &Received{ReceivedAt: time.UnixMicro(us), ID: parts[1]}
	}
	by, c := caller(ctx)
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = defaultTriagePage
	}
	rs, more, total, err := t.intake.List(ctx, by, ListQuery{State: State(req.GetState()), After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &commonv1.ListReceivedObjectionsResponse{TotalSize: int32(total)}
	for _, r := range rs {
		pb, err := t.toPB(r, c)
		if err != nil {
			return nil, err
		}
		out.ReceivedObjections = append(out.ReceivedObjections, pb)
	}
	if more {
		last := rs[len(rs)-1]
		out.NextPageToken = pagetoken.Encode(triageTokenKind, strconv.FormatInt(last.ReceivedAt.UnixMicro(), 10), last.ID)
	}
	return out, nil
}

// AcceptReceivedObjection accepts an objection: it becomes the case's objection.
func (t *Triage) AcceptReceivedObjection(ctx context.Context, req *commonv1.AcceptReceivedObjectionRequest) (*commonv1.ReceivedObjection, error) {
	by, c := caller(ctx)
	r, err := t.intake.Accept(ctx, by, t.id(req.GetName()), req.GetNote())
	if err != nil {
		return nil, err
	}
	return t.toPB(r, c)
}

// DismissReceivedObjection dismisses an objection with a reason for the public.
func (t *Triage) DismissReceivedObjection(ctx context.Context, req *commonv1.DismissReceivedObjectionRequest) (*commonv1.ReceivedObjection, error) {
	by, c := caller(ctx)
	r, err := t.intake.Dismiss(ctx, by, t.id(req.GetName()), req.GetReason())
	if err != nil {
		return nil, err
	}
	return t.toPB(r, c)
}

// id reads the tracking number out of a name of this service's collection ("" for another collection,
// which then is not found).
func (t *Triage) id(name string) string {
	id, ok := strings.CutPrefix(name, t.intake.cfg.Collection+"/")
	if !ok {
		return ""
	}
	return id
}

// toPB converts an objection for an official: the objector's name and phone masked unless the caller's
// plain-text grant allows them.
func (t *Triage) toPB(r *Received, c *auth.Caller) (*commonv1.ReceivedObjection, error) {
	name, phone := r.NameMasked, r.PhoneMasked
	if c.PlainText {
		var err error
		if name, phone, err = t.intake.Reveal(r); err != nil {
			return nil, err
		}
	}
	out := &commonv1.ReceivedObjection{Name: t.intake.Name(r), Notice: "notices/" + r.NoticeID, Case: r.CaseName, Kind: r.Kind,
		SubjectName: r.SubjectName, RegionCode: r.RegionCode, ObjectorName: name, Phone: phone, Content: r.Content,
		State: commonv1.ReceivedObjectionState(r.State), ReceiveTime: timestamppb.New(r.ReceivedAt), TriagedBy: r.TriagedBy,
		DismissReason: r.Reason}
	if !r.TriagedAt.IsZero() {
		out.TriageTime = timestamppb.New(r.TriagedAt)
	}
	return out, nil
}
