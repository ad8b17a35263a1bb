package api

import (
	"context"
	"strings"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// WelfarePosts serves fupin.employment.v1.WelfarePostService: 公益岗 posts, assignments and attendance.
type WelfarePosts struct {
	employmentv1.UnimplementedWelfarePostServiceServer
	posts *domain.Posts
}

var _ employmentv1.WelfarePostServiceServer = (*WelfarePosts)(nil)

// NewWelfarePosts returns the 公益岗 handlers.
func NewWelfarePosts(p *domain.Posts) *WelfarePosts { return &WelfarePosts{posts: p} }

// Page sizes of the 公益岗 lists.
const (
	postsDefaultPage = 100
	postsMaxPage     = 500
)

// postCaller is the caller as the workflow engine and the 公益岗 use cases see it.
func postCaller(ctx context.Context) workflow.Caller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}
}

func postsPage(n int32) int {
	if n <= 0 {
		return postsDefaultPage
	}
	return min(int(n), postsMaxPage)
}

func (s *WelfarePosts) CreateWelfarePost(ctx context.Context, req *employmentv1.CreateWelfarePostRequest) (*employmentv1.WelfarePost, error) {
	p := req.GetWelfarePost()
	out, err := s.posts.CreatePost(ctx, postCaller(ctx), domain.NewPost{RegionCode: p.GetRegionCode(), Kind: domain.PostKind(p.GetKind()),
		Title: p.GetTitle(), Duties: p.GetDuties(), MonthlyFen: p.GetMonthlyFen(), MinDays: int(p.GetMinDays()),
		TermMonths: int(p.GetTermMonths()), Funding: domain.PostFunding(p.GetFunding()), FundingNote: p.GetFundingNote()})
	if err != nil {
		return nil, err
	}
	return toWelfarePost(out), nil
}

func (s *WelfarePosts) GetWelfarePost(ctx context.Context, req *employmentv1.GetWelfarePostRequest) (*employmentv1.WelfarePost, error) {
	p, err := s.posts.GetPost(ctx, postCaller(ctx), strings.TrimPrefix(req.GetName(), "welfarePosts/"))
	if err != nil {
		return nil, err
	}
	return toWelfarePost(p), nil
}

func (s *WelfarePosts) ListWelfarePosts(ctx context.Context, req *employmentv1.ListWelfarePostsRequest) (*employmentv1.ListWelfarePostsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "wp1")
	if err != nil {
		return nil, err
	}
	size := postsPage(req.GetPageSize())
	ps, err := s.posts.ListPosts(ctx, postCaller(ctx), domain.PostQuery{RegionPrefix: req.GetRegionCode(),
		State: domain.PostState(req.GetState()), After: after, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWelfarePostsResponse{}
	if len(ps) > size {
		ps = ps[:size]
		resp.NextPageToken = pagetoken.Encode("wp1", ps[size-1].ID)
	}
	for _, p := range ps {
		resp.WelfarePosts = append(resp.WelfarePosts, toWelfarePost(p))
	}
	return resp, nil
}

func (s *WelfarePosts) CloseWelfarePost(ctx context.Context, req *employmentv1.CloseWelfarePostRequest) (*employmentv1.WelfarePost, error) {
	p, err := s.posts.ClosePost(ctx, postCaller(ctx), strings.TrimPrefix(req.GetName(), "welfarePosts/"))
	if err != nil {
		return nil, err
	}
	return toWelfarePost(p), nil
}

func (s *WelfarePosts) CreateWelfarePostAssignment(ctx context.Context, req *employmentv1.CreateWelfarePostAssignmentRequest) (*employmentv1.WelfarePostAssignment, error) {
	a := req.GetWelfarePostAssignment()
	c, err := s.posts.Nominate(ctx, postCaller(ctx), domain.Nomination{PostID: strings.TrimPrefix(a.GetPost(), "welfarePosts/"),
		PersonID: a.GetPersonId(), StartDate: a.GetStartDate(), EndDate: a.GetEndDate(),
		RenewsID: strings.TrimPrefix(a.GetRenews(), "welfarePostAssignments/"), HomeBound: a.GetHomeBound(),
		HomeBoundNote: a.GetHomeBoundNote(),
		Meta:          workflow.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote()}})
	if err != nil {
		return nil, err
	}
	return toAssignment(s.posts.Today(), c), nil
}

func assignmentID(name string) string { return strings.TrimPrefix(name, "welfarePostAssignments/") }

func (s *WelfarePosts) GetWelfarePostAssignment(ctx context.Context, req *employmentv1.GetWelfarePostAssignmentRequest) (*employmentv1.WelfarePostAssignment, error) {
	c, err := s.posts.GetAssignment(ctx, postCaller(ctx), assignmentID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toAssignment(s.posts.Today(), c), nil
}

func (s *WelfarePosts) ListWelfarePostAssignments(ctx context.Context, req *employmentv1.ListWelfarePostAssignmentsRequest) (*employmentv1.ListWelfarePostAssignmentsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "wa1")
	if err != nil {
		return nil, err
	}
	size := postsPage(req.GetPageSize())
	as, err := s.posts.ListAssignments(ctx, postCaller(ctx), domain.AssignmentQuery{RegionPrefix: req.GetRegionCode(),
		PostID: strings.TrimPrefix(req.GetPost(), "welfarePosts/"), PersonID: req.GetPersonId(),
		State: domain.AssignmentState(req.GetState()), After: after, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWelfarePostAssignmentsResponse{}
	if len(as) > size {
		as = as[:size]
		resp.NextPageToken = pagetoken.Encode("wa1", as[size-1].ID)
	}
	for _, a := range as {
		resp.WelfarePostAssignments = append(resp.WelfarePostAssignments, toAssignment(s.posts.Today(), &domain.PostAssignmentCase{Assignment: a}))
	}
	return resp, nil
}

// stepRequest is what every step request of an assignment carries.
type stepRequest interface {
	GetName() string
	GetOccurredAt() string
	GetBackdateReason() string
	GetNote() string
	GetAttachments() []string
	GetEtag() string
}

func stepMeta(r stepRequest) workflow.StepMeta {
	return workflow.StepMeta{OccurredAt: r.GetOccurredAt(), BackdateReason: r.GetBackdateReason(), Note: r.GetNote(),
		Attachments: r.GetAttachments(), Etag: r.GetEtag()}
}

func (s *WelfarePosts) assignmentOut(c *domain.PostAssignmentCase, err error) (*employmentv1.WelfarePostAssignment, error) {
	if err != nil {
		return nil, err
	}
	return toAssignment(s.posts.Today(), c), nil
}

func (s *WelfarePosts) ReviewWelfarePostAssignment(ctx context.Context, req *employmentv1.ReviewWelfarePostAssignmentRequest) (*employmentv1.WelfarePostAssignment, error) {
	return s.assignmentOut(s.posts.Review(ctx, postCaller(ctx), assignmentID(req.GetName()), req.GetApproved(), stepMeta(req)))
}

func (s *WelfarePosts) StartWelfarePostAssignmentPosting(ctx context.Context, req *employmentv1.StartWelfarePostAssignmentPostingRequest) (*employmentv1.WelfarePostAssignment, error) {
	return s.assignmentOut(s.posts.StartPosting(ctx, postCaller(ctx), assignmentID(req.GetName()), stepMeta(req)))
}

func (s *WelfarePosts) CompleteWelfarePostAssignmentPosting(ctx context.Context, req *employmentv1.CompleteWelfarePostAssignmentPostingRequest) (*employmentv1.WelfarePostAssignment, error) {
	return s.assignmentOut(s.posts.CompletePosting(ctx, postCaller(ctx), assignmentID(req.GetName()), stepMeta(req)))
}

func (s *WelfarePosts) AppointWelfarePostAssignment(ctx context.Context, req *employmentv1.AppointWelfarePostAssignmentRequest) (*employmentv1.WelfarePostAssignment, error) {
	return s.assignmentOut(s.posts.Appoint(ctx, postCaller(ctx), assignmentID(req.GetName()), req.GetApproved(), stepMeta(req)))
}

func (s *WelfarePosts) WithdrawWelfarePostAssignment(ctx context.Context, req *employmentv1.WithdrawWelfarePostAssignmentRequest) (*employmentv1.WelfarePostAssignment, error) {
	return s.assignmentOut(s.posts.Withdraw(ctx, postCaller(ctx), assignmentID(req.GetName()), stepMeta(req)))
}

func (s *WelfarePosts) RecordWelfarePostInsurance(ctx context.Context, req *employmentv1.RecordWelfarePostInsuranceRequest) (*employmentv1.WelfarePostAssignment, error) {
	i := req.GetInsurance()
	a, err := s.posts.RecordInsurance(ctx, postCaller(ctx), assignmentID(req.GetName()), domain.PostInsurance{Insurer: i.GetInsurer(),
		PolicyNumber: i.GetPolicyNumber(), From: i.GetFromDate(), To: i.GetToDate()})
	if err != nil {
		return nil, err
	}
	return toAssignment(s.posts.Today(), &domain.PostAssignmentCase{Assignment: a}), nil
}

func (s *WelfarePosts) ReportWelfarePostVacancy(ctx context.Context, req *employmentv1.ReportWelfarePostVacancyRequest) (*employmentv1.WelfarePostAssignment, error) {
	a, err := s.posts.ReportVacancy(ctx, postCaller(ctx), assignmentID(req.GetName()), domain.Vacancy{VacatedOn: req.GetVacatedOn(),
		Reason: domain.AssignmentEndReason(req.GetReason()), Note: req.GetNote()})
	if err != nil {
		return nil, err
	}
	return toAssignment(s.posts.Today(), &domain.PostAssignmentCase{Assignment: a}), nil
}

func (s *WelfarePosts) RecordWelfarePostAttendance(ctx context.Context, req *employmentv1.RecordWelfarePostAttendanceRequest) (*employmentv1.WelfarePostAttendance, error) {
	a, err := s.posts.RecordAttendance(ctx, postCaller(ctx), assignmentID(req.GetParent()), req.GetMonth(), int(req.GetDays()),
		domain.PostGrade(req.GetGrade()), req.GetNote())
	if err != nil {
		return nil, err
	}
	return toAttendance(a), nil
}

func (s *WelfarePosts) ApproveWelfarePostAttendance(ctx context.Context, req *employmentv1.ApproveWelfarePostAttendanceRequest) (*employmentv1.WelfarePostAttendance, error) {
	id, month, _ := strings.Cut(assignmentID(req.GetName()), "/attendance/")
	a, err := s.posts.ApproveAttendance(ctx, postCaller(ctx), id, month)
	if err != nil {
		return nil, err
	}
	return toAttendance(a), nil
}

func (s *WelfarePosts) ListWelfarePostAttendance(ctx context.Context, req *employmentv1.ListWelfarePostAttendanceRequest) (*employmentv1.ListWelfarePostAttendanceResponse, error) {
	as, err := s.posts.ListAttendance(ctx, postCaller(ctx), req.GetRegionCode(), req.GetMonth())
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWelfarePostAttendanceResponse{}
	for _, a := range as {
		resp.Attendance = append(resp.Attendance, toAttendance(a))
	}
	return resp, nil
}

func toWelfarePost(p *domain.PublicWelfarePost) *employmentv1.WelfarePost {
	return &employmentv1.WelfarePost{Name: p.Name(), RegionCode: p.RegionCode, Kind: employmentv1.WelfarePostKind(p.Kind),
		Title: p.Title, Duties: p.Duties, MonthlyFen: p.MonthlyFen, MinDays: int32(p.MinDays), TermMonths: int32(p.TermMonths),
		Funding: employmentv1.WelfarePostFunding(p.Funding), FundingNote: p.FundingNote, State: employmentv1.WelfarePostState(p.State),
		PolicyHash: p.PolicyHash, CreateTime: timestamppb.New(p.CreateTime), UpdateTime: timestamppb.New(p.UpdateTime)}
}

func toAssignment(today string, c *domain.PostAssignmentCase) *employmentv1.WelfarePostAssignment {
	a := c.Assignment
	state, reason := a.StateOn(today)
	out := &employmentv1.WelfarePostAssignment{Name: a.Name(), Post: "welfarePosts/" + a.PostID, PersonId: a.PersonID,
		Household: "households/" + a.HouseholdID, RegionCode: a.RegionCode, StartDate: a.StartDate, EndDate: a.EndDate,
		HomeBound: a.HomeBound, HomeBoundNote: a.HomeBoundNote, State: employmentv1.WelfarePostAssignmentState(state),
		EndedOn: a.EndedOn, EndReason: employmentv1.WelfarePostEndReason(reason), EndNote: a.EndNote,
		VacancyReportedOn: a.VacancyReportedOn, VacancyLate: a.VacancyLate, ForfeitFrom: a.ForfeitFrom,
		CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime)}
	if a.RenewsID != "" {
		out.Renews = "welfarePostAssignments/" + a.RenewsID
	}
	if i := a.Insurance; i != nil {
		out.Insurance = &employmentv1.WelfarePostInsurance{Insurer: i.Insurer, PolicyNumber: i.PolicyNumber, FromDate: i.From, ToDate: i.To}
	}
	k := c.Case
	if k == nil {
		return out
	}
	out.NextStep, out.Etag = k.Next, k.Etag()
	for _, st := range k.Steps {
		ps := &employmentv1.WelfarePostCaseStep{Seq: int32(st.Seq), Step: st.Name, Actor: st.Actor, OccurredAt: st.OccurredAt,
			RecordedAt: timestamppb.New(st.RecordedAt), BackdateReason: st.BackdateReason, Note: st.Note, Attachments: st.Attachments}
		if check, ok := domain.PostStepCheck(&st); ok {
			ps.Approved, ps.CheckMonth, ps.Unmet, ps.PolicyHashes = check.Approved, check.Month, check.Unmet, check.PolicyHashes
		}
		out.Steps = append(out.Steps, ps)
	}
	for _, p := range k.Postings {
		out.Postings = append(out.Postings, &employmentv1.WelfarePostPosting{Seq: int32(p.Seq), StartedAt: p.StartedAt,
			MinDays: int32(p.MinDays), State: postingState(p.State), EndedAt: p.EndedAt})
	}
	return out
}

func postingState(s workflow.PostingState) string {
	switch s {
	case workflow.PostingRunning:
		return "in_progress"
	case workflow.PostingCompleted:
		return "completed"
	case workflow.PostingInterrupted:
		return "interrupted"
	}
	return ""
}

func toAttendance(a *domain.PostAttendance) *employmentv1.WelfarePostAttendance {
	out := &employmentv1.WelfarePostAttendance{Name: "welfarePostAssignments/" + a.AssignmentID + "/attendance/" + a.Month,
		Month: a.Month, Days: int32(a.Days), Grade: employmentv1.WelfarePostGrade(a.Grade), Note: a.Note,
		State: employmentv1.WelfarePostAttendanceState(a.State), PayFen: a.PayFen, Explanation: a.Explanation,
		PolicyHash: a.PolicyHash, PersonId: a.PersonID, RegionCode: a.RegionCode, RecordedBy: a.RecordedBy,
		RecordTime: timestamppb.New(a.RecordTime), ApprovedBy: a.ApprovedBy}
	if !a.ApproveTime.IsZero() {
		out.ApproveTime = timestamppb.New(a.ApproveTime)
	}
	return out
}

func (s *WelfarePosts) ApproveWelfarePostAttendanceSheet(ctx context.Context, req *employmentv1.ApproveWelfarePostAttendanceSheetRequest) (*employmentv1.ApproveWelfarePostAttendanceSheetResponse, error) {
	as, err := s.posts.ApproveAttendanceSheet(ctx, postCaller(ctx), req.GetRegionCode(), req.GetMonth())
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ApproveWelfarePostAttendanceSheetResponse{}
	for _, a := range as {
		resp.Attendance = append(resp.Attendance, toAttendance(a))
	}
	return resp, nil
}
