package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/pagetoken"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Dibao serves fupin.subsidies.v1.DibaoService.
type Dibao struct {
	subsidiesv1.UnimplementedDibaoServiceServer
	dibao *domain.Dibao
	now   func() time.Time
}

var _ subsidiesv1.DibaoServiceServer = (*Dibao)(nil)

// NewDibao returns the 低保 handlers; now is the clock of the masked view's birth year.
func NewDibao(d *domain.Dibao, now func() time.Time) *Dibao { return &Dibao{dibao: d, now: now} }

// ReliefFilterNames are how List filters over 低保 and 特困 cases write states and outcomes (the contract's
// enum names) and the subject, for the workflow engine's options.
var ReliefFilterNames = struct {
	States, Outcomes map[string]int32
	Subject          string
}{subsidiesv1.ReliefCaseState_value, subsidiesv1.ReliefCaseOutcome_value, "household"}

// reliefCaller is the domain's view of who calls: actor for trails, region scope.
func reliefCaller(ctx context.Context) workflow.Caller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}
}

func reliefPageSize(n int32, def int) int {
	if n <= 0 {
		return def
	}
	return int(n)
}

func reliefMeta(d *subsidiesv1.ReliefStepDetails) domain.ReliefStepMeta {
	return domain.ReliefStepMeta{OccurredAt: d.GetOccurredAt(), BackdateReason: d.GetBackdateReason(), Note: d.GetNote(),
		Attachments: d.GetAttachments(), Etag: d.GetEtag()}
}

func trimName(name, prefix string) string { return strings.TrimPrefix(name, prefix) }

// personIDs turns member names into person ids, naming the field of the first that is not one.
func personIDs(field string, names []string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		_, p, ok := domain.ParsePersonName(n)
		if !ok {
			return nil, apperr.Invalid(workflow.ReasonInvalidField, fmt.Sprintf("%s[%d]", field, i), "must be households/{household}/members/{person}")
		}
		out[i] = p
	}
	return out, nil
}

func fromDibaoIncome(in *subsidiesv1.DibaoIncome) (items []domain.IncomeFigure, fromRegister bool) {
	if in.GetRegisterAssessment() {
		return nil, true
	}
	for _, it := range in.GetItems().GetItems() {
		items = append(items, domain.IncomeFigure{Description: it.GetDescription(), AmountFen: it.GetAmountFen(), Months: int(it.GetMonths())})
	}
	return items, false
}

func (s *Dibao) CreateDibaoCase(ctx context.Context, req *subsidiesv1.CreateDibaoCaseRequest) (*subsidiesv1.DibaoCase, error) {
	personID := ""
	if req.GetPerson() != "" {
		h, p, _ := domain.ParsePersonName(req.GetPerson())
		if h != trimName(req.GetHousehold(), "households/") {
			return nil, apperr.Invalid(workflow.ReasonInvalidField, "person", "must be a member of the household")
		}
		personID = p
	}
	k, err := s.dibao.OpenCase(ctx, reliefCaller(ctx), trimName(req.GetHousehold(), "households/"), personID, reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) GetDibaoCase(ctx context.Context, req *subsidiesv1.GetDibaoCaseRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.GetCase(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) ListDibaoCases(ctx context.Context, req *subsidiesv1.ListDibaoCasesRequest) (*subsidiesv1.ListDibaoCasesResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "dc")
	if err != nil {
		return nil, err
	}
	ks, next, err := s.dibao.ListCases(ctx, reliefCaller(ctx), req.GetFilter(), after, reliefPageSize(req.GetPageSize(), 50))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListDibaoCasesResponse{NextPageToken: pagetoken.Encode("dc", next)}
	v := personViewOf(ctx, s.now)
	for _, k := range ks {
		pb, err := toDibaoCase(k, v)
		if err != nil {
			return nil, err
		}
		resp.DibaoCases = append(resp.DibaoCases, pb)
	}
	return resp, nil
}

func (s *Dibao) RecordDibaoSurvey(ctx context.Context, req *subsidiesv1.RecordDibaoSurveyRequest) (*subsidiesv1.DibaoCase, error) {
	covered, err := personIDs("covered_persons", req.GetCoveredPersons())
	if err != nil {
		return nil, err
	}
	items, fromRegister := fromDibaoIncome(req.GetIncome())
	k, err := s.dibao.RecordSurvey(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()),
		domain.DibaoSurveyInput{Team: req.GetTeam(), Income: items, FromRegister: fromRegister, CoveredPersonIDs: covered,
			IrregularIncome: req.GetIrregularIncome(), Employed: req.GetEmployed()})
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) RecordDibaoVillageReview(ctx context.Context, req *subsidiesv1.RecordDibaoVillageReviewRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.RecordVillageReview(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()),
		int(req.GetRegisteredRepresentatives()), int(req.GetPresent()), int(req.GetVotesFor()))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) StartDibaoPosting(ctx context.Context, req *subsidiesv1.StartDibaoPostingRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.StartPosting(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) FileDibaoObjection(ctx context.Context, req *subsidiesv1.FileDibaoObjectionRequest) (*subsidiesv1.DibaoCase, error) {
	d := req.GetDetails()
	k, err := s.dibao.FileObjection(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), workflow.ObjectionInput{
		OccurredAt: d.GetOccurredAt(), BackdateReason: d.GetBackdateReason(), Objector: req.GetObjector(), Content: req.GetContent(),
		Attachments: d.GetAttachments(), Etag: d.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) CompleteDibaoPosting(ctx context.Context, req *subsidiesv1.CompleteDibaoPostingRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.CompletePosting(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) RecordDibaoTownshipReview(ctx context.Context, req *subsidiesv1.RecordDibaoTownshipReviewRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.RecordTownshipReview(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()), req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) DecideDibaoCase(ctx context.Context, req *subsidiesv1.DecideDibaoCaseRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.Decide(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()),
		req.GetOutcome() == subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED)
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) WithdrawDibaoCase(ctx context.Context, req *subsidiesv1.WithdrawDibaoCaseRequest) (*subsidiesv1.DibaoCase, error) {
	k, err := s.dibao.Withdraw(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCases/"), reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDibaoCase(k, personViewOf(ctx, s.now))
}

func (s *Dibao) GetDibaoCoverage(ctx context.Context, req *subsidiesv1.GetDibaoCoverageRequest) (*subsidiesv1.DibaoCoverage, error) {
	c, reviews, err := s.dibao.GetCoverage(ctx, reliefCaller(ctx), trimName(req.GetName(), "dibaoCoverages/"))
	if err != nil {
		return nil, err
	}
	return toDibaoCoverage(c, reviews)
}

func (s *Dibao) ListOverdueDibaoReviews(ctx context.Context, req *subsidiesv1.ListOverdueDibaoReviewsRequest) (*subsidiesv1.ListOverdueDibaoReviewsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "dr")
	if err != nil {
		return nil, err
	}
	cs, next, err := s.dibao.ListOverdueReviews(ctx, reliefCaller(ctx), req.GetAsOfDate(), after, reliefPageSize(req.GetPageSize(), 100))
	if err != nil {
		return nil, err
	}
	total, err := s.dibao.CountOverdueReviews(ctx, reliefCaller(ctx), req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListOverdueDibaoReviewsResponse{NextPageToken: pagetoken.Encode("dr", next), TotalSize: int32(min(total, 1<<31-1))}
	for _, c := range cs {
		pb, err := toDibaoCoverage(c, nil)
		if err != nil {
			return nil, err
		}
		resp.DibaoCoverages = append(resp.DibaoCoverages, pb)
	}
	return resp, nil
}

func (s *Dibao) RecordDibaoReview(ctx context.Context, req *subsidiesv1.RecordDibaoReviewRequest) (*subsidiesv1.DibaoReview, error) {
	items, fromRegister := fromDibaoIncome(req.GetIncome())
	r, c, err := s.dibao.RecordReview(ctx, reliefCaller(ctx), trimName(req.GetParent(), "dibaoCoverages/"), domain.ReviewInput{
		Income: items, FromRegister: fromRegister, Irregular: req.GetIrregularIncome(), RaisedByWork: req.GetIncomeRaisedByWork(),
		Date: req.GetReviewDate(), Note: req.GetNote()})
	if err != nil {
		return nil, err
	}
	return toDibaoReview(c.HouseholdID, r)
}

func (s *Dibao) ListEligibilityChecks(ctx context.Context, req *subsidiesv1.ListEligibilityChecksRequest) (*subsidiesv1.ListEligibilityChecksResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "ec")
	if err != nil {
		return nil, err
	}
	cs, next, err := s.dibao.ListChecks(ctx, reliefCaller(ctx), domain.CheckState(req.GetState()), after, reliefPageSize(req.GetPageSize(), 100))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListEligibilityChecksResponse{NextPageToken: pagetoken.Encode("ec", next)}
	for _, c := range cs {
		resp.EligibilityChecks = append(resp.EligibilityChecks, toEligibilityCheck(c))
	}
	return resp, nil
}

func (s *Dibao) CloseEligibilityCheck(ctx context.Context, req *subsidiesv1.CloseEligibilityCheckRequest) (*subsidiesv1.EligibilityCheck, error) {
	c, err := s.dibao.CloseCheck(ctx, reliefCaller(ctx), trimName(req.GetName(), "eligibilityChecks/"),
		domain.CheckOutcome(req.GetOutcome()), req.GetNote())
	if err != nil {
		return nil, err
	}
	return toEligibilityCheck(c), nil
}

// Conversions.

func toDibaoCase(k *domain.DibaoCase, v personView) (*subsidiesv1.DibaoCase, error) {
	out := &subsidiesv1.DibaoCase{Name: "dibaoCases/" + k.ID, Household: "households/" + k.Application.HouseholdID,
		RegionCode: k.RegionCode, Urban: k.Application.Urban, State: subsidiesv1.ReliefCaseState(k.State), NextStep: k.Next,
		Round: int32(k.Round), Etag: k.Etag(), CreateTime: timestamppb.New(k.CreateTime), UpdateTime: timestamppb.New(k.UpdateTime)}
	if k.Application.PersonID != "" {
		out.Person = domain.PersonName(k.Application.HouseholdID, k.Application.PersonID)
	}
	if k.CoverageID != "" {
		out.Coverage = "dibaoCoverages/" + k.CoverageID
	}
	var err error
	if out.Steps, err = toReliefSteps(k.Steps, v); err != nil {
		return nil, err
	}
	out.Postings = toReliefPostings(k.Postings)
	out.Decision = toReliefDecision(k.Decision)
	if k.Amount != nil {
		if out.Amount, err = toDibaoAmount(k.Application.HouseholdID, k.Amount); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// toReliefSteps converts a case's steps; the facts their data keep of persons (an applicant's birth date,
// the members an amount covered) as v allows.
func toReliefSteps(steps []workflow.Step, v personView) ([]*subsidiesv1.ReliefCaseStep, error) {
	out := make([]*subsidiesv1.ReliefCaseStep, len(steps))
	for i, s := range steps {
		ps := &subsidiesv1.ReliefCaseStep{Seq: int32(s.Seq), Step: s.Name, Round: int32(s.Round), Actor: s.Actor,
			OccurredAt: s.OccurredAt, RecordedAt: timestamppb.New(s.RecordedAt), BackdateReason: s.BackdateReason, Note: s.Note,
			Attachments: s.Attachments}
		if len(s.Data) > 0 && string(s.Data) != "null" {
			var err error
			if ps.Data, err = v.record(s.Data); err != nil {
				return nil, fmt.Errorf("step %d: %w", s.Seq, err)
			}
		}
		out[i] = ps
	}
	return out, nil
}

func toReliefPostings(ps []workflow.Posting) []*subsidiesv1.ReliefPosting {
	out := make([]*subsidiesv1.ReliefPosting, len(ps))
	for i, p := range ps {
		pp := &subsidiesv1.ReliefPosting{Seq: int32(p.Seq), StartedAt: p.StartedAt, MinDays: int32(p.MinDays),
			State: subsidiesv1.ReliefPostingState(p.State), EndedAt: p.EndedAt, PolicyHash: p.Policy.Hash}
		if t, err := bizdate.Parse(p.StartedAt); err == nil {
			pp.CompleteOnOrAfter = t.AddDate(0, 0, p.MinDays).Format(bizdate.Layout)
		}
		for _, o := range p.Objections {
			pp.Objections = append(pp.Objections, &subsidiesv1.ReliefObjection{Seq: int32(o.Seq), OccurredAt: o.FiledAt,
				Objector: o.Objector, Content: o.Content, RecordedBy: o.RecordedBy, ResolvedByStep: int32(o.ResolvedBy)})
		}
		out[i] = pp
	}
	return out
}

func toReliefDecision(d *workflow.Decision) *subsidiesv1.ReliefDecision {
	if d == nil {
		return nil
	}
	return &subsidiesv1.ReliefDecision{Outcome: subsidiesv1.ReliefCaseOutcome(d.Outcome), Explanation: d.Explanation, Step: d.Step,
		Actor: d.Actor, DecidedAt: d.DecidedAt}
}

func toReliefPolicyValues(vs []policy.Value) ([]*commonv1.PolicyValue, error) {
	out := make([]*commonv1.PolicyValue, len(vs))
	for i, v := range vs {
		pv := &commonv1.PolicyValue{Parameter: v.Parameter, Region: v.Region, EffectiveDate: v.Effective, Hash: v.Hash}
		if len(v.Raw) > 0 {
			pv.Value = &structpb.Value{}
			if err := pv.Value.UnmarshalJSON(v.Raw); err != nil {
				return nil, fmt.Errorf("policy value %s: %w", v.Parameter, err)
			}
		}
		out[i] = pv
	}
	return out, nil
}

func toDibaoAmount(householdID string, a *domain.DibaoAmount) (*subsidiesv1.DibaoAmount, error) {
	pol, err := toReliefPolicyValues(a.Policy)
	if err != nil {
		return nil, err
	}
	out := &subsidiesv1.DibaoAmount{AmountFen: a.AmountFen, Rule: subsidiesv1.DibaoRule(a.Rule), StandardFen: a.StandardFen,
		PerCapitaIncomeFen: a.PerCapitaFen, Covered: int32(a.Covered), HouseholdSize: int32(a.HouseholdSize), BaseFen: a.BaseFen,
		Summary: a.Summary, Inputs: a.Inputs, PolicyDate: a.PolicyDate, PolicyValues: pol}
	for _, s := range a.Supplements {
		out.Supplements = append(out.Supplements, &subsidiesv1.DibaoSupplement{Person: domain.PersonName(householdID, s.PersonID),
			Category: subsidiesv1.DibaoSupplementCategory(s.Category), AmountFen: s.AmountFen})
	}
	return out, nil
}

func toDibaoCoverage(c *domain.DibaoCoverage, reviews []*domain.DibaoReview) (*subsidiesv1.DibaoCoverage, error) {
	out := &subsidiesv1.DibaoCoverage{Name: c.Name(), DibaoCase: "dibaoCases/" + c.ID, Household: "households/" + c.HouseholdID,
		RegionCode: c.RegionCode, Urban: c.Urban, State: subsidiesv1.DibaoCoverageState(c.State), AmountFen: c.AmountFen,
		Covered: int32(len(c.Current())), FromMonth: c.FromMonth, FrequentReview: c.FrequentReview, NextReviewDate: c.NextReviewDate,
		TaperLastMonth: c.TaperLastMonth, EndMonth: c.EndMonth, EndReason: c.EndReason, CreateTime: timestamppb.New(c.CreateTime),
		UpdateTime: timestamppb.New(c.UpdateTime)}
	if c.PersonID != "" {
		out.Person = domain.PersonName(c.HouseholdID, c.PersonID)
	}
	for _, m := range c.Members {
		out.Members = append(out.Members, &subsidiesv1.DibaoCoveredMember{Person: domain.PersonName(c.HouseholdID, m.PersonID),
			FromMonth: m.FromMonth, ToMonth: m.ToMonth, EndReason: m.EndReason})
	}
	for _, r := range reviews {
		pb, err := toDibaoReview(c.HouseholdID, r)
		if err != nil {
			return nil, err
		}
		out.Reviews = append(out.Reviews, pb)
	}
	return out, nil
}

func toDibaoReview(householdID string, r *domain.DibaoReview) (*subsidiesv1.DibaoReview, error) {
	computed, err := toDibaoAmount(householdID, &r.Computed)
	if err != nil {
		return nil, err
	}
	return &subsidiesv1.DibaoReview{Name: "dibaoCoverages/" + r.CoverageID + "/reviews/" + r.ID, ReviewDate: r.ReviewDate,
		Outcome: subsidiesv1.DibaoReviewOutcome(r.Outcome), AmountBeforeFen: r.AmountBefore, AmountAfterFen: r.AmountAfter,
		EffectiveMonth: r.EffectiveMonth, Computed: computed, Actor: r.Actor, Note: r.Note, CreateTime: timestamppb.New(r.CreateTime)}, nil
}

func toEligibilityCheck(c *domain.EligibilityCheck) *subsidiesv1.EligibilityCheck {
	out := &subsidiesv1.EligibilityCheck{Name: c.Name(), Household: "households/" + c.HouseholdID, RegionCode: c.RegionCode,
		Reason: subsidiesv1.EligibilityCheckReason(c.Reason), SourceSequence: c.SourceSequence, EffectiveDate: c.EffectiveDate,
		State: subsidiesv1.EligibilityCheckState(c.State), Outcome: subsidiesv1.EligibilityCheckOutcome(c.Outcome), Note: c.Note,
		ClosedBy: c.ClosedBy, CreateTime: timestamppb.New(c.CreateTime)}
	if !c.CloseTime.IsZero() {
		out.CloseTime = timestamppb.New(c.CloseTime)
	}
	return out
}
