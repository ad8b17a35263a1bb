package api

import (
	"context"
	"time"

	"fupin.dev/services/platform/pagetoken"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Destitute serves fupin.subsidies.v1.DestituteService.
type Destitute struct {
	subsidiesv1.UnimplementedDestituteServiceServer
	destitute *domain.Destitute
	now       func() time.Time
}

var _ subsidiesv1.DestituteServiceServer = (*Destitute)(nil)

// NewDestitute returns the 特困供养 handlers; now is the clock of the masked view's birth year.
func NewDestitute(d *domain.Destitute, now func() time.Time) *Destitute {
	return &Destitute{destitute: d, now: now}
}

func (s *Destitute) CreateDestituteCase(ctx context.Context, req *subsidiesv1.CreateDestituteCaseRequest) (*subsidiesv1.DestituteCase, error) {
	h, p, ok := domain.ParsePersonName(req.GetPerson())
	if !ok {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "person", "must be households/{household}/members/{person}")
	}
	k, err := s.destitute.OpenCase(ctx, reliefCaller(ctx), h, p, reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func (s *Destitute) GetDestituteCase(ctx context.Context, req *subsidiesv1.GetDestituteCaseRequest) (*subsidiesv1.DestituteCase, error) {
	k, err := s.destitute.GetCase(ctx, reliefCaller(ctx), trimName(req.GetName(), "destituteCases/"))
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func (s *Destitute) ListDestituteCases(ctx context.Context, req *subsidiesv1.ListDestituteCasesRequest) (*subsidiesv1.ListDestituteCasesResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "tk")
	if err != nil {
		return nil, err
	}
	ks, next, err := s.destitute.ListCases(ctx, reliefCaller(ctx), req.GetFilter(), after, reliefPageSize(req.GetPageSize(), 50))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListDestituteCasesResponse{NextPageToken: pagetoken.Encode("tk", next)}
	v := personViewOf(ctx, s.now)
	for _, k := range ks {
		pb, err := toDestituteCase(k, v)
		if err != nil {
			return nil, err
		}
		resp.DestituteCases = append(resp.DestituteCases, pb)
	}
	return resp, nil
}

func (s *Destitute) WithdrawDestituteCase(ctx context.Context, req *subsidiesv1.WithdrawDestituteCaseRequest) (*subsidiesv1.DestituteCase, error) {
	k, err := s.destitute.Withdraw(ctx, reliefCaller(ctx), trimName(req.GetName(), "destituteCases/"), reliefMeta(req.GetDetails()))
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func (s *Destitute) RecordDestituteSurvey(ctx context.Context, req *subsidiesv1.RecordDestituteSurveyRequest) (*subsidiesv1.DestituteCase, error) {
	k, err := s.destitute.RecordSurvey(ctx, reliefCaller(ctx), trimName(req.GetName(), "destituteCases/"), reliefMeta(req.GetDetails()),
		domain.DestituteSurvey{NoIncomeSource: req.GetNoIncomeSource(), NoAbleSupporter: req.GetNoAbleSupporter()})
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func (s *Destitute) RecordDestituteTownshipReview(ctx context.Context, req *subsidiesv1.RecordDestituteTownshipReviewRequest) (*subsidiesv1.DestituteCase, error) {
	k, err := s.destitute.RecordTownshipReview(ctx, reliefCaller(ctx), trimName(req.GetName(), "destituteCases/"),
		reliefMeta(req.GetDetails()), req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func (s *Destitute) DecideDestituteCase(ctx context.Context, req *subsidiesv1.DecideDestituteCaseRequest) (*subsidiesv1.DestituteCase, error) {
	k, err := s.destitute.Decide(ctx, reliefCaller(ctx), trimName(req.GetName(), "destituteCases/"), reliefMeta(req.GetDetails()),
		req.GetOutcome() == subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED)
	if err != nil {
		return nil, err
	}
	return toDestituteCase(k, personViewOf(ctx, s.now))
}

func toDestituteCase(k *domain.DestituteCase, v personView) (*subsidiesv1.DestituteCase, error) {
	out := &subsidiesv1.DestituteCase{Name: "destituteCases/" + k.ID, Household: "households/" + k.Application.HouseholdID,
		Person: domain.PersonName(k.Application.HouseholdID, k.Application.PersonID), RegionCode: k.RegionCode,
		Urban: k.Application.Urban, State: subsidiesv1.ReliefCaseState(k.State), NextStep: k.Next,
		Decision: toReliefDecision(k.Decision), Etag: k.Etag(), CreateTime: timestamppb.New(k.CreateTime),
		UpdateTime: timestamppb.New(k.UpdateTime)}
	var err error
	if out.Steps, err = toReliefSteps(k.Steps, v); err != nil {
		return nil, err
	}
	if e := k.Evaluation; e != nil {
		ev := &subsidiesv1.DestituteEvaluation{Eligible: e.Eligible, AmountFen: e.AmountFen, Inputs: pii.ViewInputs(e.Inputs, v.disclosure),
			EvaluationDate: e.Date}
		for _, u := range e.Unmet {
			ev.Unmet = append(ev.Unmet, &subsidiesv1.DestituteUnmet{Condition: subsidiesv1.DestituteCondition(u.Condition), Description: u.Description})
		}
		if ev.PolicyValues, err = toReliefPolicyValues(e.Policy); err != nil {
			return nil, err
		}
		out.Evaluation = ev
	}
	return out, nil
}

// TemporaryAssistance serves fupin.subsidies.v1.TemporaryAssistanceService.
type TemporaryAssistance struct {
	subsidiesv1.UnimplementedTemporaryAssistanceServiceServer
	assistance *domain.TemporaryAssistances
}

var _ subsidiesv1.TemporaryAssistanceServiceServer = (*TemporaryAssistance)(nil)

// NewTemporaryAssistance returns the 临时救助 handlers.
func NewTemporaryAssistance(a *domain.TemporaryAssistances) *TemporaryAssistance {
	return &TemporaryAssistance{assistance: a}
}

func (s *TemporaryAssistance) CreateTemporaryAssistance(ctx context.Context, req *subsidiesv1.CreateTemporaryAssistanceRequest) (*subsidiesv1.TemporaryAssistance, error) {
	in := req.GetTemporaryAssistance()
	a, err := s.assistance.Apply(ctx, reliefCaller(ctx), domain.TemporaryAssistance{HouseholdID: trimName(in.GetHousehold(), "households/"),
		Kind: domain.AssistanceKind(in.GetKind()), AmountFen: in.GetAmountFen(), Reason: in.GetReason(), ApplicationDate: in.GetApplicationDate()})
	if err != nil {
		return nil, err
	}
	return toTemporaryAssistance(a)
}

func (s *TemporaryAssistance) GetTemporaryAssistance(ctx context.Context, req *subsidiesv1.GetTemporaryAssistanceRequest) (*subsidiesv1.TemporaryAssistance, error) {
	a, err := s.assistance.Get(ctx, reliefCaller(ctx), trimName(req.GetName(), "temporaryAssistances/"))
	if err != nil {
		return nil, err
	}
	return toTemporaryAssistance(a)
}

func (s *TemporaryAssistance) ListTemporaryAssistances(ctx context.Context, req *subsidiesv1.ListTemporaryAssistancesRequest) (*subsidiesv1.ListTemporaryAssistancesResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "ta")
	if err != nil {
		return nil, err
	}
	as, next, err := s.assistance.List(ctx, reliefCaller(ctx), req.GetFilter(), after, reliefPageSize(req.GetPageSize(), 50))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListTemporaryAssistancesResponse{NextPageToken: pagetoken.Encode("ta", next)}
	for _, a := range as {
		pb, err := toTemporaryAssistance(a)
		if err != nil {
			return nil, err
		}
		resp.TemporaryAssistances = append(resp.TemporaryAssistances, pb)
	}
	return resp, nil
}

func (s *TemporaryAssistance) DecideTemporaryAssistance(ctx context.Context, req *subsidiesv1.DecideTemporaryAssistanceRequest) (*subsidiesv1.TemporaryAssistance, error) {
	a, err := s.assistance.Decide(ctx, reliefCaller(ctx), trimName(req.GetName(), "temporaryAssistances/"), domain.AssistanceDecision{
		Approve: req.GetApprove(), Date: req.GetDecisionDate(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toTemporaryAssistance(a)
}

func toTemporaryAssistance(a *domain.TemporaryAssistance) (*subsidiesv1.TemporaryAssistance, error) {
	pol, err := toReliefPolicyValues(a.Policy)
	if err != nil {
		return nil, err
	}
	return &subsidiesv1.TemporaryAssistance{Name: a.Name(), Household: "households/" + a.HouseholdID,
		Kind: subsidiesv1.TemporaryAssistanceKind(a.Kind), AmountFen: a.AmountFen, Reason: a.Reason, ApplicationDate: a.ApplicationDate,
		RegionCode: a.RegionCode, Urban: a.Urban, CapFen: a.CapFen, PolicyValues: pol, State: subsidiesv1.TemporaryAssistanceState(a.State),
		DecisionDate: a.DecisionDate, DecidedBy: a.DecidedBy, DecisionNote: a.DecisionNote, PaymentMonth: a.PaymentMonth,
		CreatedBy: a.CreatedBy, Etag: a.Etag(), CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime)}, nil
}
