package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/workflow"
)

// 公益性岗位: posts per village, the assignment of a person to a post (a case on the platform's workflow
// engine, posted publicly in the village before it starts), the month's attendance and the pay it
// earns, which the roll pays (program welfare-post-wage, an entitlement per approved month).
//
// Decisions taken here (docs/ARCHITECTURE.md, "Employment: 公益岗"):
//   - Terms run in whole months (from the 1st of a month to the last day of a month, at most
//     max_term_months): pay is monthly, and a renewal (续聘) then follows its term without a month paid
//     twice. A renewal is a new assignment naming the one it renews, checked and posted again.
//   - A post is in one village and its holder lives there: a move of the holder's household to another
//     village ends the assignment on the move's date (the post falls vacant; the register reported it, so
//     the vacancy is never late); the holder may be nominated for a post of the new village. Records stay
//     where they were worked.
//   - A death ends the assignment on its date; pay stops from the next month, and a month after it that an
//     approved roll paid becomes a 追回 line (the month's entitlement is ended).
//   - A vacancy (空岗) reported later than the policy's days loses the whole month's pay of the month it
//     fell vacant; reported in time, that month is paid by its attendance. Months after it are never due.

// Kinds of post (岗位类型). Numbers equal fupin.employment.v1.PostKind.
type PostKind int32

// Post kinds.
const (
	PostKindUnspecified PostKind = iota
	PostKindRural                // 乡村公益岗 (保洁, 护路, 护林, 水管, 治安, 养老服务 …)
	PostKindSolar                // 光伏公益岗: funded by the village's solar income
	PostKindOther                // 其他公益岗
)

// Label is the kind's Chinese name.
func (k PostKind) Label() string {
	switch k {
	case PostKindRural:
		return "乡村公益岗"
	case PostKindSolar:
		return "光伏公益岗"
	case PostKindOther:
		return "公益岗"
	}
	return ""
}

// PostFunding is where a post's pay comes from (资金来源). Numbers equal fupin.employment.v1.PostFunding.
type PostFunding int32

// Funding sources.
const (
	PostFundingUnspecified PostFunding = iota
	PostFundingLinkage                 // 衔接推进乡村振兴补助资金
	PostFundingSolarIncome             // 村级光伏电站收益
	PostFundingEmployment              // 就业补助资金
	PostFundingOther                   // 其他
)

// PostState is whether a post takes holders. Numbers equal fupin.employment.v1.PostState.
type PostState int32

// Post states.
const (
	PostStateUnspecified PostState = iota
	PostOpen                       // 在设
	PostClosed                     // 已撤销
)

// PublicWelfarePost is one post (公益性岗位) of a village.
type PublicWelfarePost struct {
	ID string
	// RegionCode is the village (12 digits).
	RegionCode string
	Kind       PostKind
	Title      string // e.g. 村道保洁员
	Duties     string
	// MonthlyFen is the full month's pay; MinDays the days to attend for it (both from policy's pay table
	// when the post is created without them).
	MonthlyFen int64
	MinDays    int
	// TermMonths is the term an assignment to the post gets when its end is not given (≤ the maximum).
	TermMonths int
	Funding    PostFunding
	// FundingNote names the source: the budget document (文号) or the solar station.
	FundingNote string
	State       PostState
	// PolicyHash is the hash of the pay table the defaults came from.
	PolicyHash string
	CreateTime time.Time
	UpdateTime time.Time
}

// Name is the post's resource name.
func (p *PublicWelfarePost) Name() string { return "welfarePosts/" + p.ID }

// AssignmentState is where an assignment stands. Numbers equal fupin.employment.v1.AssignmentState.
type AssignmentState int32

// Assignment states.
const (
	AssignmentStateUnspecified AssignmentState = iota
	AssignmentNominated                        // 拟聘: the case runs (review, 公示, appointment)
	AssignmentActive                           // 在岗
	AssignmentEnded                            // 离岗: term over, vacancy, death or move
	AssignmentNotAppointed                     // 未聘用: refused or withdrawn before it started
)

// AssignmentEndReason is why an assignment ended. Numbers equal fupin.employment.v1.AssignmentEndReason.
type AssignmentEndReason int32

// End reasons.
const (
	AssignmentEndUnspecified AssignmentEndReason = iota
	AssignmentEndTerm                            // 聘期届满
	AssignmentEndFoundWork                       // 另有稳定就业
	AssignmentEndResigned                        // 主动辞岗
	AssignmentEndDismissed                       // 违规辞退 (顶岗、替岗、岗在人不在 …)
	AssignmentEndUnfit                           // 身体或能力不再适岗
	AssignmentEndDied                            // 死亡 (from the register)
	AssignmentEndMoved                           // 迁出本村 (from the register)
	AssignmentEndOther                           // 其他
)

// Label is the reason's Chinese name.
func (r AssignmentEndReason) Label() string {
	return [...]string{"", "聘期届满", "另有稳定就业", "主动辞岗", "违规辞退", "不再适岗", "死亡", "迁出本村", "其他"}[max(0, min(int(r), 8))]
}

// PostAssignment is a person's assignment to a post (聘用), for a term.
type PostAssignment struct {
	ID          string
	PostID      string
	PersonID    string
	HouseholdID string
	// RegionCode is the post's village.
	RegionCode string
	// CaseID is the workflow case of the nomination, review, 公示 and appointment.
	CaseID string
	// StartDate and EndDate are the term (whole months).
	StartDate, EndDate string
	// RenewsID is the assignment this one renews (续聘), "" for a first term.
	RenewsID string
	// HomeBound is the nomination's statement that the person cannot leave home for work (无法离乡), with
	// why (HomeBoundNote: cares for a sick or old member, children …); the review verifies it. It lets an
	// able labourer hold a post (the labour rule).
	HomeBound     bool
	HomeBoundNote string
	State         AssignmentState
	Insurance     *PostInsurance
	// EndedOn is the last day on the post when it ended before its term (vacancy, death, move).
	EndedOn   string
	EndReason AssignmentEndReason
	EndNote   string
	// VacancyReportedOn and VacancyLate record the vacancy report (空岗报告) and whether it was late;
	// ForfeitFrom is the first month whose pay is not due.
	VacancyReportedOn string
	VacancyLate       bool
	ForfeitFrom       string
	// Checks are the holder's rules as last checked (review and appointment): the month, the violations
	// found (none when eligible) and the policy hashes used.
	CheckedMonth string
	CheckHashes  []string
	CreateTime   time.Time
	UpdateTime   time.Time
	Version      int64
}

// Name is the assignment's resource name.
func (a *PostAssignment) Name() string { return "welfarePostAssignments/" + a.ID }

// Source is what the assignment's entitlements name as their decision.
func (a *PostAssignment) Source() string { return a.Name() }

// StateOn is the state as of date: an active assignment whose term has passed reads as ended (聘期届满),
// worked out on every read, so no job has to flip it.
func (a *PostAssignment) StateOn(date string) (AssignmentState, AssignmentEndReason) {
	if a.State == AssignmentActive && a.EndDate < date {
		return AssignmentEnded, AssignmentEndTerm
	}
	return a.State, a.EndReason
}

// LastMonth is the last month the holder was on the post (the term's, or the early end's).
func (a *PostAssignment) LastMonth() string {
	if a.EndedOn != "" {
		return payroll.MonthOf(a.EndedOn)
	}
	return payroll.MonthOf(a.EndDate)
}

// AttendanceState is where a month's attendance stands. Numbers equal fupin.employment.v1.AttendanceState.
type AttendanceState int32

// Attendance states.
const (
	AttendanceStateUnspecified AttendanceState = iota
	AttendanceRecorded                         // 已填报 (the village), may be corrected
	AttendanceApproved                         // 已审核: the pay is fixed and granted
)

// PostAttendance is one month's attendance (考勤) of an assignment and the pay it earns.
type PostAttendance struct {
	AssignmentID string
	Month        string
	Days         int
	Grade        PostGrade
	Note         string
	State        AttendanceState
	RecordedBy   string
	RecordTime   time.Time
	// Set on approval: the pay, the entitlement granted (none for 0), the pay table's hash.
	PayFen        int64
	EntitlementID string
	PolicyHash    string
	// Explanation says how the pay came out (days short, grade, a forfeit).
	Explanation string
	ApprovedBy  string
	ApproveTime time.Time
	// Denormalised from the assignment, for the village's lists.
	PersonID   string
	RegionCode string
}

// PostQuery selects posts: in a region prefix (village, township, county), after an id.
type PostQuery struct {
	RegionPrefix string
	State        PostState
	After        string
	Limit        int
}

// AssignmentQuery selects assignments.
type AssignmentQuery struct {
	RegionPrefix string
	PostID       string
	PersonID     string
	State        AssignmentState
	After        string
	Limit        int
}

// PostStore keeps posts, assignments and attendance, and the entitlements the roll pays. Methods run in
// the transaction carried by ctx.
type PostStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	payroll.EntitlementStore

	CreatePost(ctx context.Context, p *PublicWelfarePost) error
	GetPost(ctx context.Context, id string) (*PublicWelfarePost, error)
	// LockPost returns the post locked until the transaction ends (its holders are checked under it).
	LockPost(ctx context.Context, id string) (*PublicWelfarePost, error)
	SavePost(ctx context.Context, p *PublicWelfarePost) error
	ListPosts(ctx context.Context, q PostQuery) ([]*PublicWelfarePost, error)

	// LockHolder serialises the assignments of one person until the transaction ends (one post per
	// person is checked under it).
	LockHolder(ctx context.Context, personID string) error
	CreateAssignment(ctx context.Context, a *PostAssignment) error
	GetAssignment(ctx context.Context, id string) (*PostAssignment, error)
	AssignmentByCase(ctx context.Context, caseID string) (*PostAssignment, error)
	SaveAssignment(ctx context.Context, a *PostAssignment) error
	ListAssignments(ctx context.Context, q AssignmentQuery) ([]*PostAssignment, error)
	// HolderAssignments returns the person's assignments nominated or active (any term).
	HolderAssignments(ctx context.Context, personID string) ([]*PostAssignment, error)
	// PostAssignments returns the post's assignments nominated or active (any term).
	PostAssignments(ctx context.Context, postID string) ([]*PostAssignment, error)
	// HouseholdAssignments returns the assignments nominated or active of the household's members.
	HouseholdAssignments(ctx context.Context, householdID string) ([]*PostAssignment, error)

	// AssignmentsByIDs returns the assignments with these ids, by id.
	AssignmentsByIDs(ctx context.Context, ids []string) (map[string]*PostAssignment, error)
	// GrantEntitlements inserts many entitlements at once (a sheet's).
	GrantEntitlements(ctx context.Context, es []*payroll.Entitlement) error
	// ApproveAttendances replaces recorded months of month by their approval, all or none.
	ApproveAttendances(ctx context.Context, month string, ats []*PostAttendance) error
	GetAttendance(ctx context.Context, assignmentID, month string) (*PostAttendance, error)
	PutAttendance(ctx context.Context, a *PostAttendance) error
	// ListAttendance returns the attendance of month in a region prefix, by village and assignment.
	ListAttendance(ctx context.Context, regionPrefix, month string) ([]*PostAttendance, error)
}

// ErrPostNotFound and the others are the not-found answers of the area.
var (
	ErrPostNotFound       = apperr.NotFound("welfare post")
	ErrAssignmentNotFound = apperr.NotFound("welfare post assignment")
	ErrAttendanceNotFound = apperr.NotFound("attendance")
)

// Steps of an assignment case (kind KindPostAssignment): the village nominates (村推荐/个人申报), the
// township or 人社 reviews eligibility (资格审核), the village posts it (公示), 人社 appoints (聘用).
const (
	KindPostAssignment        = "welfare_post_assignment"
	PostStepNomination        = "nomination"
	PostStepReview            = "review"
	PostStepPosting           = "posting"
	PostStepAppointment       = "appointment"
	PostOffice                = "县人力资源和社会保障局"
	postAssignmentNoticeTitle = "公益性岗位拟聘人员公示"
)

// Posts are the 公益岗 use cases.
type Posts struct {
	store  PostStore
	ledger PostLedger
	engine *workflow.Engine
	policy PostPolicy
	newID  func() string
	now    func() time.Time
	// names gives the nominee's name for the public notice (the register's; nil: the ledger's, if any).
	names payroll.RollNames
}

// PublishNotices makes the assignments' notices read the nominee's name from the register through names
// (the identification service, on behalf of the officer who starts the posting).
func (p *Posts) PublishNotices(names payroll.RollNames) { p.names = names }

// NewPosts declares the assignment case on engine and returns the use cases.
func NewPosts(store PostStore, ledger PostLedger, engine *workflow.Engine, pol PostPolicy, newID func() string,
	now func() time.Time) (*Posts, error) {
	p := &Posts{store: store, ledger: ledger, engine: engine, policy: pol, newID: newID, now: now}
	err := engine.Register(workflow.Definition{Kind: KindPostAssignment, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: PostStepNomination},
		{Name: PostStepReview, Guard: p.guard},
		{Name: PostStepPosting, Posting: &workflow.PostingRule{MinDaysParameter: ParamPostPostingDays,
			ReopenAt: PostStepReview, Notice: p.notice}},
		{Name: PostStepAppointment, Guard: p.guard},
	}})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Today is the business date now, by the use cases' clock.
func (p *Posts) Today() string { return bizdate.Today(p.now()) }

// PostStepCheckView is what a review or an appointment step recorded about the holder's rules.
type PostStepCheckView struct {
	Approved     bool
	Month        string
	Unmet        []string
	PolicyHashes []string
}

// PostStepCheck reads the holder's check a review or appointment step kept; ok is false for other steps.
func PostStepCheck(s *workflow.Step) (PostStepCheckView, bool) {
	if s.Name != PostStepReview && s.Name != PostStepAppointment {
		return PostStepCheckView{}, false
	}
	var d postCaseData
	if err := s.Bind(&d); err != nil {
		return PostStepCheckView{}, false
	}
	v := PostStepCheckView{Approved: d.Approved != nil && *d.Approved, Month: d.CheckMonth, PolicyHashes: d.PolicyHashes}
	for _, x := range d.Violations {
		v.Unmet = append(v.Unmet, x.Type)
	}
	return v, true
}

// NewPost is a post to create.
type NewPost struct {
	RegionCode  string
	Kind        PostKind
	Title       string
	Duties      string
	MonthlyFen  int64 // 0: policy's
	MinDays     int   // 0: policy's
	TermMonths  int   // 0: the maximum
	Funding     PostFunding
	FundingNote string
}

// CreatePost creates a post in a village of the caller's scope.
func (p *Posts) CreatePost(ctx context.Context, by workflow.Caller, in NewPost) (*PublicWelfarePost, error) {
	var fs []apperr.FieldViolation
	bad := func(field, desc string) {
		fs = append(fs, apperr.FieldViolation{Field: field, Reason: ReasonPostFieldInvalid, Description: desc})
	}
	if len(in.RegionCode) != 12 || strings.Trim(in.RegionCode, "0123456789") != "" {
		bad("region_code", "must be a village's 12-digit code")
	}
	if in.Kind < PostKindRural || in.Kind > PostKindOther {
		bad("kind", "must be 乡村公益岗, 光伏公益岗 or 其他")
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || utf8.RuneCountInString(title) > 50 {
		bad("title", "required, at most 50 characters")
	}
	if utf8.RuneCountInString(in.Duties) > 500 {
		bad("duties", "at most 500 characters")
	}
	if in.MonthlyFen < 0 {
		bad("monthly_fen", "must not be negative")
	}
	if in.MinDays < 0 || in.MinDays > 28 {
		bad("min_days", "must be 0 (policy's) to 28")
	}
	if in.Funding < PostFundingLinkage || in.Funding > PostFundingOther {
		bad("funding", "must name where the pay comes from")
	}
	if in.Kind == PostKindSolar && in.Funding != PostFundingSolarIncome {
		bad("funding", "a 光伏公益岗 is paid from the village's solar income")
	}
	if utf8.RuneCountInString(in.FundingNote) > 200 {
		bad("funding_note", "at most 200 characters")
	}
	if len(fs) > 0 {
		return nil, apperr.InvalidFields(fs...)
	}
	if !strings.HasPrefix(in.RegionCode, by.Scope) {
		return nil, apperr.Denied(workflow.ReasonOutOfRegionScope, "the village is outside your region")
	}
	now := p.now()
	table, v, err := payTable(p.policy, in.RegionCode, now)
	if err != nil {
		return nil, err
	}
	maxTerm, _, err := policyInt(p.policy, ParamPostMaxTermMonths, in.RegionCode, now)
	if err != nil {
		return nil, err
	}
	if in.TermMonths < 0 || in.TermMonths > maxTerm {
		return nil, apperr.Invalid(ReasonPostTermTooLong, "term_months", fmt.Sprintf("must be 1 to %d (policy)", maxTerm))
	}
	post := &PublicWelfarePost{ID: p.newID(), RegionCode: in.RegionCode, Kind: in.Kind, Title: title,
		Duties: strings.TrimSpace(in.Duties), MonthlyFen: in.MonthlyFen, MinDays: in.MinDays, TermMonths: in.TermMonths,
		Funding: in.Funding, FundingNote: strings.TrimSpace(in.FundingNote), State: PostOpen, PolicyHash: v.Hash,
		CreateTime: now, UpdateTime: now}
	if post.MonthlyFen == 0 {
		post.MonthlyFen = table.MonthlyFen
	}
	if post.MinDays == 0 {
		post.MinDays = table.MinDays
	}
	if post.TermMonths == 0 {
		post.TermMonths = maxTerm
	}
	if err := p.store.CreatePost(ctx, post); err != nil {
		return nil, err
	}
	return post, nil
}

// GetPost returns a post in the caller's scope.
func (p *Posts) GetPost(ctx context.Context, by workflow.Caller, id string) (*PublicWelfarePost, error) {
	post, err := p.store.GetPost(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(post.RegionCode, by.Scope) {
		return nil, ErrPostNotFound
	}
	return post, nil
}

// ListPosts lists posts in the caller's scope (narrowed to region when given).
func (p *Posts) ListPosts(ctx context.Context, by workflow.Caller, q PostQuery) ([]*PublicWelfarePost, error) {
	prefix, err := scoped(by.Scope, q.RegionPrefix)
	if err != nil {
		return nil, err
	}
	q.RegionPrefix = prefix
	return p.store.ListPosts(ctx, q)
}

// ClosePost closes a post (岗位撤销): it takes no new holders; a holder on it stays until the term ends or
// a vacancy is reported.
func (p *Posts) ClosePost(ctx context.Context, by workflow.Caller, id string) (*PublicWelfarePost, error) {
	var out *PublicWelfarePost
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		post, err := p.store.LockPost(ctx, id)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(post.RegionCode, by.Scope) {
			return ErrPostNotFound
		}
		if post.State != PostClosed {
			post.State, post.UpdateTime = PostClosed, p.now()
			if err := p.store.SavePost(ctx, post); err != nil {
				return err
			}
		}
		out = post
		return nil
	})
	return out, err
}

// scoped narrows a requested region prefix to the caller's scope; a prefix outside it is refused.
func scoped(scope, requested string) (string, error) {
	switch {
	case requested == "" || strings.HasPrefix(scope, requested):
		return scope, nil
	case strings.HasPrefix(requested, scope):
		return requested, nil
	}
	return "", apperr.Denied(workflow.ReasonOutOfRegionScope, "the region is outside your region")
}

// Nomination is a person nominated for a post.
type Nomination struct {
	PostID   string
	PersonID string
	// StartDate is the 1st of the first month; EndDate the last day of the last month ("" for the
	// post's term).
	StartDate, EndDate string
	// RenewsID names the assignment this one renews (续聘).
	RenewsID string
	// HomeBound says the person cannot leave home for work (无法离乡); HomeBoundNote why.
	HomeBound     bool
	HomeBoundNote string
	Meta          workflow.StepMeta
}

// PostAssignmentCase is an assignment with its case.
type PostAssignmentCase struct {
	Assignment *PostAssignment
	Case       *workflow.Case
}

// Nominate opens an assignment case: the post must be open and in the caller's scope, the term whole
// months within the maximum, the person not holding another post in it nor the post another holder.
// The holder's rules are checked at the review and again at the appointment.
func (p *Posts) Nominate(ctx context.Context, by workflow.Caller, in Nomination) (*PostAssignmentCase, error) {
	if strings.TrimSpace(in.PersonID) == "" {
		return nil, apperr.Invalid(ReasonPostFieldInvalid, "person_id", "required")
	}
	var out *PostAssignmentCase
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		post, err := p.store.LockPost(ctx, in.PostID)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(post.RegionCode, by.Scope) {
			return ErrPostNotFound
		}
		if post.State != PostOpen {
			return apperr.Refused(ReasonPostClosed, apperr.Violation{Type: RulePostOpen, Subject: post.Name(),
				Description: "the post is closed (已撤销) and takes no holder"})
		}
		a := &PostAssignment{ID: p.newID(), PostID: post.ID, PersonID: in.PersonID, RegionCode: post.RegionCode,
			StartDate: in.StartDate, EndDate: in.EndDate, RenewsID: in.RenewsID, State: AssignmentNominated,
			HomeBound: in.HomeBound, HomeBoundNote: strings.TrimSpace(in.HomeBoundNote)}
		if a.HomeBound && a.HomeBoundNote == "" {
			return apperr.Invalid(ReasonPostFieldInvalid, "home_bound_note", "say why the person cannot leave home (无法离乡)")
		}
		if err := p.checkTerm(post, a); err != nil {
			return err
		}
		if err := p.store.LockHolder(ctx, a.PersonID); err != nil {
			return err
		}
		if a.RenewsID != "" {
			if err := p.checkRenewal(ctx, a); err != nil {
				return err
			}
		}
		if err := p.checkOnePost(ctx, post, a); err != nil {
			return err
		}
		facts, err := p.facts(ctx, a.PersonID, payroll.MonthOf(a.StartDate))
		if err != nil {
			return err
		}
		if !facts.Found {
			return apperr.Refused(ReasonPostHolderIneligible, CheckPostHolder(facts, PostHolderRules{}, "")...)
		}
		a.HouseholdID = facts.HouseholdID
		first, err := in.Meta.Input(PostStepNomination, postCaseData{AssignmentID: a.ID})
		if err != nil {
			return err
		}
		k, err := p.engine.Open(ctx, by, workflow.NewCase{Kind: KindPostAssignment, Subject: a.Name(),
			RegionCode: post.RegionCode, First: first})
		if err != nil {
			return err
		}
		now := p.now()
		a.CaseID, a.CreateTime, a.UpdateTime, a.Version = k.ID, now, now, 1
		if err := p.store.CreateAssignment(ctx, a); err != nil {
			return err
		}
		out = &PostAssignmentCase{Assignment: a, Case: k}
		return nil
	})
	return out, err
}

// postCaseData is what an assignment case's steps keep: the assignment, and at the review and the
// appointment the holder's check (month, rules not met, the policy hashes used).
type postCaseData struct {
	AssignmentID string             `json:"assignment_id,omitempty"`
	Approved     *bool              `json:"approved,omitempty"`
	CheckMonth   string             `json:"check_month,omitempty"`
	Violations   []apperr.Violation `json:"violations,omitempty"`
	PolicyHashes []string           `json:"policy_hashes,omitempty"`
	Facts        *postCheckedFacts  `json:"facts,omitempty"`
	Place        string             `json:"place,omitempty"`
	Ability      PostLabourAbility  `json:"labour_ability,omitempty"`
}

// postCheckedFacts are the facts a check read, kept in the step (no name, no number).
type postCheckedFacts struct {
	Age           int  `json:"age"`
	PovertyExited bool `json:"poverty_exited"`
	Monitored     bool `json:"monitored"`
	Dibao         bool `json:"dibao"`
	HomeBound     bool `json:"home_bound"`
}

// checkTerm fills the end from the post's term and checks whole months within the maximum.
func (p *Posts) checkTerm(post *PublicWelfarePost, a *PostAssignment) error {
	start, err := bizdate.Parse(a.StartDate)
	if err != nil {
		return apperr.Invalid(ReasonPostFieldInvalid, "start_date", err.Error())
	}
	if start.Day() != 1 {
		return apperr.Invalid(ReasonPostFieldInvalid, "start_date", "a term starts on the 1st of a month (pay is monthly)")
	}
	if a.EndDate == "" {
		a.EndDate, _ = TermEnd(a.StartDate, post.TermMonths)
	}
	maxTerm, _, err := policyInt(p.policy, ParamPostMaxTermMonths, post.RegionCode, start)
	if err != nil {
		return err
	}
	if err := CheckTerm(a.StartDate, a.EndDate, maxTerm); err != nil {
		return err
	}
	if end, _ := bizdate.Parse(a.EndDate); end.AddDate(0, 0, 1).Day() != 1 {
		return apperr.Invalid(ReasonPostFieldInvalid, "end_date", "a term ends on the last day of a month (pay is monthly)")
	}
	return nil
}

// checkRenewal: a renewal renews an assignment of the same person on the same post, appointed, and
// starts the day after its term.
func (p *Posts) checkRenewal(ctx context.Context, a *PostAssignment) error {
	prev, err := p.store.GetAssignment(ctx, a.RenewsID)
	if errors.Is(err, ErrAssignmentNotFound) {
		return apperr.Invalid(ReasonPostFieldInvalid, "renews", "no such assignment")
	}
	if err != nil {
		return err
	}
	next, _ := bizdate.Parse(prev.EndDate)
	want := bizdate.Today(next.AddDate(0, 0, 1))
	switch {
	case prev.PersonID != a.PersonID || prev.PostID != a.PostID:
		return apperr.Refused(ReasonRenewalInvalid, apperr.Violation{Type: RuleRenewalFollows, Subject: prev.Name(),
			Description: "a renewal (续聘) keeps the person and the post of the assignment it renews"})
	case prev.State != AssignmentActive || prev.EndedOn != "":
		return apperr.Refused(ReasonRenewalInvalid, apperr.Violation{Type: RuleRenewalFollows, Subject: prev.Name(),
			Description: "only an appointed assignment that runs to its term's end is renewed"})
	case a.StartDate != want:
		return apperr.Refused(ReasonRenewalInvalid, apperr.Violation{Type: RuleRenewalFollows, Subject: prev.Name(),
			Description: "a renewal starts the day after the term it renews: " + want})
	}
	return nil
}

// overlaps reports whether two terms share a day; a term ended early ends on its EndedOn.
func overlaps(a, b *PostAssignment) bool {
	endA, endB := a.EndDate, b.EndDate
	if a.EndedOn != "" {
		endA = a.EndedOn
	}
	if b.EndedOn != "" {
		endB = b.EndedOn
	}
	return a.StartDate <= endB && b.StartDate <= endA
}

// checkOnePost refuses a second post of the person (一人一岗) and a second holder of the post in any day
// of the term.
func (p *Posts) checkOnePost(ctx context.Context, post *PublicWelfarePost, a *PostAssignment) error {
	mine, err := p.store.HolderAssignments(ctx, a.PersonID)
	if err != nil {
		return err
	}
	for _, o := range mine {
		if o.ID != a.ID && overlaps(o, a) {
			return apperr.Refused(ReasonPersonHoldsPost, apperr.Violation{Type: RuleOnePostPerPerson, Subject: "persons/" + a.PersonID,
				Description: fmt.Sprintf("the person already holds or is nominated for a post from %s to %s (%s): one post per person", o.StartDate, o.EndDate, o.Name())})
		}
	}
	held, err := p.store.PostAssignments(ctx, post.ID)
	if err != nil {
		return err
	}
	for _, o := range held {
		if o.ID != a.ID && o.PersonID != a.PersonID && overlaps(o, a) {
			return apperr.Refused(ReasonPostOccupied, apperr.Violation{Type: RuleOneHolderPerPost, Subject: post.Name(),
				Description: fmt.Sprintf("the post has a holder (or a nominee) from %s to %s: report the vacancy first", o.StartDate, o.EndDate)})
		}
	}
	return nil
}

// facts asks the ledger, turning its failure into UNAVAILABLE.
func (p *Posts) facts(ctx context.Context, personID, month string) (PostHolderFacts, error) {
	f, err := p.ledger.PostHolderFacts(ctx, personID, month)
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return f, err
		}
		return f, fmt.Errorf("%w: %v", errLedgerUnavailable, err)
	}
	f.PersonID = personID
	return f, nil
}

var errLedgerUnavailable = apperr.Unavailable(ReasonPostLedgerUnavailable, "the labour ledger could not be read; retry")

// check applies the holder's rules for the assignment's first month (the month the step dates from when
// later, for a renewal's review in its own term) and returns the step data.
func (p *Posts) check(ctx context.Context, a *PostAssignment) (postCaseData, []apperr.Violation, error) {
	month := payroll.MonthOf(a.StartDate)
	facts, err := p.facts(ctx, a.PersonID, month)
	if err != nil {
		return postCaseData{}, nil, err
	}
	rules, err := holderRules(p.policy, a.RegionCode, monthStart(month))
	if err != nil {
		return postCaseData{}, nil, err
	}
	facts.HomeBound = facts.HomeBound || a.HomeBound
	vs := CheckPostHolder(facts, rules, month)
	if facts.Found && facts.RegionCode != a.RegionCode {
		vs = append(vs, apperr.Violation{Type: RuleHolderDiedOrMoved, Subject: "persons/" + a.PersonID,
			Description: "the person's household is not in the post's village: a village post is held by its residents"})
	}
	age := AgeInMonth(facts.BirthMonth, month)
	d := postCaseData{AssignmentID: a.ID, CheckMonth: month, Violations: vs, PolicyHashes: rules.Hashes, Ability: facts.Ability,
		Place: facts.Place.label(), Facts: &postCheckedFacts{Age: age, PovertyExited: facts.PovertyExited,
			Monitored: facts.Monitored, Dibao: facts.Dibao, HomeBound: facts.HomeBound}}
	return d, vs, nil
}

// guard is the review's and the appointment's rule: the holder's rules hold for the first month, and
// the person holds no other post then. An approval with a rule not met is refused (naming each rule);
// a refusal is recorded and ends the case.
func (p *Posts) guard(ctx context.Context, c *workflow.Case, s *workflow.Step) error {
	a, err := p.store.AssignmentByCase(ctx, c.ID)
	if err != nil {
		return err
	}
	var in postCaseData
	if err := s.Bind(&in); err != nil {
		return err
	}
	approved := in.Approved == nil || *in.Approved
	d, vs, err := p.check(ctx, a)
	if err != nil {
		return err
	}
	d.Approved = &approved
	if err := s.SetData(d); err != nil {
		return err
	}
	if !approved {
		if s.Name == PostStepReview {
			s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: strings.TrimSpace(s.Note)}
		}
		return nil
	}
	if len(vs) > 0 {
		return apperr.Refused(ReasonPostHolderIneligible, vs...)
	}
	post, err := p.store.LockPost(ctx, a.PostID)
	if err != nil {
		return err
	}
	if err := p.store.LockHolder(ctx, a.PersonID); err != nil {
		return err
	}
	if err := p.checkOnePost(ctx, post, a); err != nil {
		return err
	}
	if s.Name == PostStepAppointment {
		// Posted before it starts: the 公示 completed on or before the day before the term.
		if pst := c.CurrentPosting(); pst == nil || pst.State != workflow.PostingCompleted || pst.EndedAt >= a.StartDate {
			return apperr.Refused(ReasonAssignmentStartsEarly, apperr.Violation{Type: RulePostedBeforeStart, Subject: a.Name(),
				Description: "the 公示 must complete before the term starts (" + a.StartDate + "): nominate again with a later start"})
		}
	}
	return nil
}

// notice is what the assignment's 公示 shows: the nominee's name (masked by the engine), the post.
func (p *Posts) notice(ctx context.Context, c *workflow.Case) (workflow.NoticeFacts, error) {
	a, err := p.store.AssignmentByCase(ctx, c.ID)
	if err != nil {
		return workflow.NoticeFacts{}, err
	}
	post, err := p.store.GetPost(ctx, a.PostID)
	if err != nil {
		return workflow.NoticeFacts{}, err
	}
	f := workflow.NoticeFacts{Title: postAssignmentNoticeTitle, Office: PostOffice,
		Proposal: fmt.Sprintf("拟聘用为%s（%s），聘期 %s 至 %s", post.Kind.Label(), post.Title, a.StartDate, a.EndDate)}
	if a.RenewsID != "" {
		f.Proposal = strings.Replace(f.Proposal, "拟聘用", "拟续聘", 1)
	}
	if p.names != nil {
		names, err := p.names.RollNames(ctx, []string{a.HouseholdID})
		if err != nil {
			return f, err
		}
		f.SubjectName = names[a.HouseholdID].Members[a.PersonID]
		return f, nil
	}
	facts, err := p.facts(ctx, a.PersonID, payroll.MonthOf(a.StartDate))
	if err != nil {
		return f, err
	}
	f.SubjectName = facts.Name
	return f, nil
}

// Review records the eligibility review (资格审核); approved false refuses the nomination (the note says
// why).
func (p *Posts) Review(ctx context.Context, by workflow.Caller, id string, approved bool, m workflow.StepMeta) (*PostAssignmentCase, error) {
	in, err := m.Input(PostStepReview, postCaseData{Approved: &approved})
	if err != nil {
		return nil, err
	}
	if !approved && strings.TrimSpace(m.Note) == "" {
		return nil, apperr.Invalid(ReasonPostFieldInvalid, "note", "a refusal says why")
	}
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.Record(ctx, by, a.CaseID, in)
	})
}

// StartPosting posts the nomination in the village (公示); the notice is public at /gongshi.
func (p *Posts) StartPosting(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta) (*PostAssignmentCase, error) {
	in, err := m.Input(PostStepPosting, nil)
	if err != nil {
		return nil, err
	}
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.StartPosting(ctx, by, a.CaseID, in)
	})
}

// CompletePosting ends the 公示 after its minimum days without objection.
func (p *Posts) CompletePosting(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta) (*PostAssignmentCase, error) {
	in, err := m.Input(PostStepPosting, nil)
	if err != nil {
		return nil, err
	}
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.CompletePosting(ctx, by, a.CaseID, in)
	})
}

// FileObjection records an objection to the 公示: the case goes back to the review.
func (p *Posts) FileObjection(ctx context.Context, by workflow.Caller, id string, o workflow.ObjectionInput) (*PostAssignmentCase, error) {
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.FileObjection(ctx, by, a.CaseID, o)
	})
}

// Appoint records 人社's decision (聘用). Approval needs the rules to hold again and the 公示 to have ended
// before the term starts; the assignment becomes active. A refusal ends it not appointed.
func (p *Posts) Appoint(ctx context.Context, by workflow.Caller, id string, approved bool, m workflow.StepMeta) (*PostAssignmentCase, error) {
	in, err := m.Decision(PostStepAppointment, approved, postCaseData{Approved: &approved})
	if err != nil {
		return nil, err
	}
	in.Decision.Explanation = strings.TrimSpace(m.Note)
	if !approved && in.Decision.Explanation == "" {
		return nil, apperr.Invalid(ReasonPostFieldInvalid, "note", "a refusal says why")
	}
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.Record(ctx, by, a.CaseID, in)
	})
}

// Withdraw ends the nomination before a decision (撤回); the note says why.
func (p *Posts) Withdraw(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta) (*PostAssignmentCase, error) {
	in, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return p.step(ctx, by, id, func(ctx context.Context, a *PostAssignment) (*workflow.Case, error) {
		return p.engine.Withdraw(ctx, by, a.CaseID, in)
	})
}

// step runs one engine call on an assignment's case and follows its outcome onto the assignment.
func (p *Posts) step(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context, a *PostAssignment) (*workflow.Case, error)) (*PostAssignmentCase, error) {
	var out *PostAssignmentCase
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		a, err := p.assignment(ctx, by, id)
		if err != nil {
			return err
		}
		k, err := fn(ctx, a)
		if err != nil {
			return err
		}
		if k.Decision != nil && a.State == AssignmentNominated {
			a.State = AssignmentNotAppointed
			if k.Decision.Outcome == workflow.OutcomeApproved {
				a.State = AssignmentActive
			}
			if err := p.save(ctx, a); err != nil {
				return err
			}
		}
		out = &PostAssignmentCase{Assignment: a, Case: k}
		return nil
	})
	return out, err
}

// assignment returns an assignment in the caller's scope.
func (p *Posts) assignment(ctx context.Context, by workflow.Caller, id string) (*PostAssignment, error) {
	a, err := p.store.GetAssignment(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.RegionCode, by.Scope) {
		return nil, ErrAssignmentNotFound
	}
	return a, nil
}

func (p *Posts) save(ctx context.Context, a *PostAssignment) error {
	a.UpdateTime = p.now()
	a.Version++
	return p.store.SaveAssignment(ctx, a)
}

// GetAssignment returns an assignment with its case.
func (p *Posts) GetAssignment(ctx context.Context, by workflow.Caller, id string) (*PostAssignmentCase, error) {
	a, err := p.assignment(ctx, by, id)
	if err != nil {
		return nil, err
	}
	k, err := p.engine.Get(ctx, by, a.CaseID)
	if err != nil {
		return nil, err
	}
	return &PostAssignmentCase{Assignment: a, Case: k}, nil
}

// ListAssignments lists assignments in the caller's scope.
func (p *Posts) ListAssignments(ctx context.Context, by workflow.Caller, q AssignmentQuery) ([]*PostAssignment, error) {
	prefix, err := scoped(by.Scope, q.RegionPrefix)
	if err != nil {
		return nil, err
	}
	q.RegionPrefix = prefix
	return p.store.ListAssignments(ctx, q)
}

// RecordInsurance records the accident insurance bought for the holder (人身意外伤害保险): no month is
// paid without insurance in force in it.
func (p *Posts) RecordInsurance(ctx context.Context, by workflow.Caller, id string, ins PostInsurance) (*PostAssignment, error) {
	ins.Insurer, ins.PolicyNumber = strings.TrimSpace(ins.Insurer), strings.TrimSpace(ins.PolicyNumber)
	if err := CheckInsurance(ins); err != nil {
		return nil, err
	}
	var out *PostAssignment
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		a, err := p.assignment(ctx, by, id)
		if err != nil {
			return err
		}
		if a.State != AssignmentNominated && a.State != AssignmentActive {
			return notActive(a)
		}
		a.Insurance = &ins
		out = a
		return p.save(ctx, a)
	})
	return out, err
}

func notActive(a *PostAssignment) error {
	return apperr.Refused(ReasonAssignmentNotActive, apperr.Violation{Type: RuleAssignmentActive, Subject: a.Name(),
		Description: "the assignment is not (or no longer) on the post"})
}

// RecordAttendance records (or corrects, until approved) a month's attendance of an active assignment.
func (p *Posts) RecordAttendance(ctx context.Context, by workflow.Caller, id, month string, days int, grade PostGrade, note string) (*PostAttendance, error) {
	if err := CheckAttendanceInput(month, days, grade); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(note) > 500 {
		return nil, apperr.Invalid(ReasonAttendanceInvalid, "note", "at most 500 characters")
	}
	var out *PostAttendance
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		a, err := p.assignment(ctx, by, id)
		if err != nil {
			return err
		}
		if err := p.inTerm(a, month); err != nil {
			return err
		}
		cur, err := p.store.GetAttendance(ctx, a.ID, month)
		if err != nil && !errors.Is(err, ErrAttendanceNotFound) {
			return err
		}
		if cur != nil && cur.State == AttendanceApproved {
			return apperr.Refused(ReasonAttendanceApproved, apperr.Violation{Type: RuleAttendanceOnce, Subject: a.Name() + "/attendance/" + month,
				Description: "the month's attendance is approved and paid from; it no longer changes"})
		}
		at := &PostAttendance{AssignmentID: a.ID, Month: month, Days: days, Grade: grade, Note: strings.TrimSpace(note),
			State: AttendanceRecorded, RecordedBy: by.Actor, RecordTime: p.now(), PersonID: a.PersonID, RegionCode: a.RegionCode}
		out = at
		return p.store.PutAttendance(ctx, at)
	})
	return out, err
}

// inTerm refuses a month outside the assignment's time on the post, or not yet begun.
func (p *Posts) inTerm(a *PostAssignment, month string) error {
	if a.State != AssignmentActive && a.State != AssignmentEnded {
		return notActive(a)
	}
	today := bizdate.Today(p.now())
	if month < payroll.MonthOf(a.StartDate) || month > a.LastMonth() || month > payroll.MonthOf(today) {
		return apperr.Refused(ReasonAttendanceOutsideTerm, apperr.Violation{Type: RuleAttendanceInTerm, Subject: a.Name(),
			Description: fmt.Sprintf("%s is not a month on the post (%s to %s) up to this month", month,
				payroll.MonthOf(a.StartDate), a.LastMonth())})
	}
	return nil
}

// ApproveAttendance approves a month's attendance and grants its pay: the pay table of the post's village
// on the month's first day, the post's monthly pay and minimum days. It needs accident insurance in force
// in the month and the holder not working away (县外/省外) in it (岗在人不在); a month forfeited by a late
// vacancy report is approved at 0. The pay is an entitlement of that one month, which the month's roll
// pays (or a later roll as 补发).
func (p *Posts) ApproveAttendance(ctx context.Context, by workflow.Caller, id, month string) (*PostAttendance, error) {
	var out *PostAttendance
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		a, err := p.assignment(ctx, by, id)
		if err != nil {
			return err
		}
		at, err := p.store.GetAttendance(ctx, a.ID, month)
		if err != nil {
			return err
		}
		out = at
		return p.approve(ctx, by, a, at, &approveCache{})
	})
	return out, err
}

// ApproveAttendanceSheet approves every attendance recorded (not yet approved) for month under a region
// (a village's or a township's sheet, 月度考勤表) in one transaction: one refusal refuses the sheet, naming
// the assignment, and nothing is approved. It returns the approved months.
func (p *Posts) ApproveAttendanceSheet(ctx context.Context, by workflow.Caller, region, month string) ([]*PostAttendance, error) {
	if _, err := payroll.ParseMonth(month); err != nil {
		return nil, apperr.Invalid(ReasonAttendanceInvalid, "month", "must be YYYY-MM")
	}
	prefix, err := scoped(by.Scope, region)
	if err != nil {
		return nil, err
	}
	var out []*PostAttendance
	err = p.store.InTx(ctx, func(ctx context.Context) error {
		sheet, err := p.store.ListAttendance(ctx, prefix, month)
		if err != nil {
			return err
		}
		var ids []string
		for _, at := range sheet {
			if at.State == AttendanceRecorded {
				ids = append(ids, at.AssignmentID)
			}
		}
		as, err := p.store.AssignmentsByIDs(ctx, ids)
		if err != nil {
			return err
		}
		// The sheet's writes are batched: its entitlements and its approved months at once.
		cache := &approveCache{batch: true}
		for _, at := range sheet {
			if at.State != AttendanceRecorded {
				continue
			}
			a := as[at.AssignmentID]
			if a == nil {
				return ErrAssignmentNotFound
			}
			if err := p.approve(ctx, by, a, at, cache); err != nil {
				return err
			}
			out = append(out, at)
		}
		if err := p.store.GrantEntitlements(ctx, cache.entitlements); err != nil {
			return err
		}
		return p.store.ApproveAttendances(ctx, month, out)
	})
	return out, err
}

// approveCache keeps what a sheet's approvals share: posts and pay tables by village.
type approveCache struct {
	posts  map[string]*PublicWelfarePost
	tables map[string]cachedTable
	// batch keeps the entitlements for the caller to write at once, and leaves the attendance to it.
	batch        bool
	entitlements []*payroll.Entitlement
}

type cachedTable struct {
	table PostPayTable
	hash  string
}

// approve checks and approves one month of an assignment, granting its entitlement.
func (p *Posts) approve(ctx context.Context, by workflow.Caller, a *PostAssignment, at *PostAttendance, cache *approveCache) error {
	month := at.Month
	if err := p.inTerm(a, month); err != nil {
		return err
	}
	subject := a.Name() + "/attendance/" + month
	if at.State == AttendanceApproved {
		return apperr.Refused(ReasonAttendanceApproved, apperr.Violation{Type: RuleAttendanceOnce, Subject: subject,
			Description: "the month's attendance is already approved"})
	}
	if !a.Insurance.Covers(month) {
		return apperr.Refused(ReasonAccidentInsuranceMissing, apperr.Violation{Type: RuleInsuranceBeforePay, Subject: a.Name(),
			Description: "no accident insurance (人身意外伤害保险) in force in " + month + ": record it before the month is paid"})
	}
	facts, err := p.facts(ctx, a.PersonID, month)
	if err != nil {
		return err
	}
	if facts.Place.Away() {
		return apperr.Refused(ReasonPostHolderIneligible, apperr.Violation{Type: RulePostNotWorkingAway, Subject: "persons/" + a.PersonID,
			Description: fmt.Sprintf("the ledger records %s in %s: 岗在人不在 is not paid; report the vacancy", facts.Place.label(), month)})
	}
	if cache.posts == nil {
		cache.posts, cache.tables = map[string]*PublicWelfarePost{}, map[string]cachedTable{}
	}
	post := cache.posts[a.PostID]
	if post == nil {
		if post, err = p.store.GetPost(ctx, a.PostID); err != nil {
			return err
		}
		cache.posts[a.PostID] = post
	}
	t, ok := cache.tables[a.RegionCode]
	if !ok {
		table, v, err := payTable(p.policy, a.RegionCode, monthStart(month))
		if err != nil {
			return err
		}
		t = cachedTable{table: table, hash: v.Hash}
		cache.tables[a.RegionCode] = t
	}
	pay := PostPay(t.table, post.MonthlyFen, post.MinDays, at.Days, at.Grade)
	at.Explanation = fmt.Sprintf("出勤 %d 天 (最低 %d 天), %s: %d 分", at.Days, post.MinDays, at.Grade.Label(), pay)
	if a.ForfeitFrom != "" && month >= a.ForfeitFrom {
		pay = 0
		at.Explanation += "; 空岗迟报, 当月工资不予发放"
	}
	now := p.now()
	at.State, at.PayFen, at.PolicyHash, at.ApprovedBy, at.ApproveTime = AttendanceApproved, pay, t.hash, by.Actor, now
	if pay > 0 {
		e := &payroll.Entitlement{ID: p.newID(), Program: payroll.ProgramWelfarePostWage, Beneficiary: "persons/" + a.PersonID,
			HouseholdID: a.HouseholdID, PersonID: a.PersonID, RegionCode: a.RegionCode, Source: a.Source(),
			FromMonth: month, ToMonth: month, AmountFen: pay, Covered: 1,
			Reason: fmt.Sprintf("公益岗 %s 出勤 %d 天 %s", post.Title, at.Days, at.Grade.Label()), CreateTime: now, UpdateTime: now}
		at.EntitlementID = e.ID
		if cache.batch {
			cache.entitlements = append(cache.entitlements, e)
		} else if err := p.store.GrantEntitlement(ctx, e); err != nil {
			return err
		}
	}
	if cache.batch {
		return nil
	}
	return p.store.PutAttendance(ctx, at)
}

// ListAttendance lists a month's attendance in the caller's scope (a village's sheet).
func (p *Posts) ListAttendance(ctx context.Context, by workflow.Caller, region, month string) ([]*PostAttendance, error) {
	if _, err := payroll.ParseMonth(month); err != nil {
		return nil, apperr.Invalid(ReasonAttendanceInvalid, "month", "must be YYYY-MM")
	}
	prefix, err := scoped(by.Scope, region)
	if err != nil {
		return nil, err
	}
	return p.store.ListAttendance(ctx, prefix, month)
}

// Vacancy is a vacancy report (空岗报告).
type Vacancy struct {
	// VacatedOn is the holder's last day on the post.
	VacatedOn string
	Reason    AssignmentEndReason
	Note      string
}

// ReportVacancy ends an active assignment early (the holder found work, resigned, was dismissed …),
// reported today. Reported later than the policy's days, the vacancy's month is forfeited: its pay, if
// approved, is taken back (the entitlement ends, a paid month becomes a 追回 line). Months after the
// vacancy are never due. Deaths and moves come from the register (PersonDied, HouseholdMoved).
func (p *Posts) ReportVacancy(ctx context.Context, by workflow.Caller, id string, v Vacancy) (*PostAssignment, error) {
	switch v.Reason {
	case AssignmentEndFoundWork, AssignmentEndResigned, AssignmentEndDismissed, AssignmentEndUnfit, AssignmentEndOther:
	default:
		return nil, apperr.Invalid(ReasonVacancyInvalid, "reason", "must say why the post fell vacant (deaths and moves come from the register)")
	}
	if _, err := bizdate.Parse(v.VacatedOn); err != nil {
		return nil, apperr.Invalid(ReasonVacancyInvalid, "vacated_on", err.Error())
	}
	var out *PostAssignment
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		a, err := p.assignment(ctx, by, id)
		if err != nil {
			return err
		}
		if a.State != AssignmentActive || a.EndedOn != "" {
			return notActive(a)
		}
		if v.VacatedOn < a.StartDate || v.VacatedOn > a.EndDate {
			return apperr.Invalid(ReasonVacancyInvalid, "vacated_on", fmt.Sprintf("must be within the term, %s to %s", a.StartDate, a.EndDate))
		}
		today := bizdate.Today(p.now())
		days, _, err := policyInt(p.policy, ParamPostVacancyReportDays, a.RegionCode, p.now())
		if err != nil {
			return err
		}
		r, err := JudgeVacancy(v.VacatedOn, today, days)
		if err != nil {
			return err
		}
		a.VacancyReportedOn, a.VacancyLate = today, r.Late
		why := "空岗: " + v.Reason.Label()
		if r.Late {
			why = fmt.Sprintf("空岗迟报 (第 %d 天报告, 应在 %d 天内): %s月工资不予发放", r.Day, days, r.ForfeitFrom)
		}
		if err := p.end(ctx, a, v.VacatedOn, v.Reason, strings.TrimSpace(v.Note), r.ForfeitFrom, why); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// end ends an assignment on its last day and stops pay from forfeitFrom: each entitlement of a month from
// then on ends before its month, so the roll takes back what an approved roll paid for it.
func (p *Posts) end(ctx context.Context, a *PostAssignment, lastDay string, reason AssignmentEndReason, note, forfeitFrom, why string) error {
	a.State, a.EndedOn, a.EndReason, a.EndNote, a.ForfeitFrom = AssignmentEnded, lastDay, reason, note, forfeitFrom
	if err := p.stopPay(ctx, a, forfeitFrom, why); err != nil {
		return err
	}
	return p.save(ctx, a)
}

func (p *Posts) stopPay(ctx context.Context, a *PostAssignment, from, why string) error {
	ents, err := p.store.EntitlementsBySource(ctx, a.Source())
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.FromMonth >= from && (e.ToMonth == "" || e.ToMonth >= e.FromMonth) {
			if err := p.store.EndEntitlement(ctx, e.ID, payroll.AddMonths(e.FromMonth, -1), why, p.now()); err != nil {
				return err
			}
		}
	}
	return nil
}

// PostsRegisterFollower is how the register's changes reach 公益岗: the employment service's follower of
// identification's feed (emp-core's) calls it in the change's transaction, once per change (it must be
// idempotent: a change applied twice changes nothing more).
type PostsRegisterFollower interface {
	// PersonDied: the person died on date (the register's effective date).
	PersonDied(ctx context.Context, personID, date string) error
	// HouseholdMoved: the household moved to another village (regionCode) on date.
	HouseholdMoved(ctx context.Context, householdID, regionCode, date string) error
}

var _ PostsRegisterFollower = (*Posts)(nil)

// followerCaller is how the register's follower appears in the trail.
var followerCaller = workflow.Caller{Actor: "employment:register-follower"}

// PersonDied ends the person's active assignment on the date of death (pay stops from the next month;
// a later month an approved roll paid is taken back) and withdraws a nomination.
func (p *Posts) PersonDied(ctx context.Context, personID, date string) error {
	return p.store.InTx(ctx, func(ctx context.Context) error {
		as, err := p.store.HolderAssignments(ctx, personID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if err := p.leave(ctx, a, date, AssignmentEndDied, "持岗人死亡 "+date); err != nil {
				return err
			}
		}
		return nil
	})
}

// HouseholdMoved ends the members' assignments to posts of another village on the move's date (the post
// stays in its village; see the package's decisions) and withdraws their nominations there.
func (p *Posts) HouseholdMoved(ctx context.Context, householdID, regionCode, date string) error {
	return p.store.InTx(ctx, func(ctx context.Context) error {
		as, err := p.store.HouseholdAssignments(ctx, householdID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.RegionCode == regionCode {
				continue
			}
			if err := p.leave(ctx, a, date, AssignmentEndMoved, "持岗人迁出本村 "+date); err != nil {
				return err
			}
		}
		return nil
	})
}

// leave applies a register event on one assignment: a nomination is withdrawn, an active term ends on
// the date (when it had not ended before), pay stops from the month after.
func (p *Posts) leave(ctx context.Context, a *PostAssignment, date string, reason AssignmentEndReason, why string) error {
	switch {
	case a.State == AssignmentNominated:
		if _, err := p.engine.Withdraw(ctx, followerCaller, a.CaseID, workflow.StepInput{Note: why}); err != nil {
			return err
		}
		a.State = AssignmentNotAppointed
		return p.save(ctx, a)
	case a.State == AssignmentActive && a.EndedOn == "" && date <= a.EndDate:
		// Pay stops from the month after; a term that had not begun is never paid.
		forfeit := payroll.AddMonths(payroll.MonthOf(date), 1)
		if date < a.StartDate {
			forfeit = payroll.MonthOf(a.StartDate)
		}
		return p.end(ctx, a, date, reason, why, forfeit, why)
	case a.State == AssignmentActive && a.EndedOn == "" && date > a.EndDate:
		return nil // the term was over before
	}
	return nil
}

// HandleObjections registers how objections received online to an assignment's 公示 are accepted.
func (p *Posts) HandleObjections(in *intake.Intake) {
	in.Handle(KindPostAssignment, intake.Kind{
		Accept: func(ctx context.Context, by workflow.Caller, caseID string, o workflow.ObjectionInput) error {
			a, err := p.store.AssignmentByCase(ctx, caseID)
			if err != nil {
				return err
			}
			_, err = p.FileObjection(ctx, by, a.ID, o)
			return err
		},
		CaseName: func(c *workflow.Case) string { return c.Subject },
	})
}
