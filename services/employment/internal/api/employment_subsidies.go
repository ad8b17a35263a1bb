package api

import (
	"context"
	"strings"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// EmploymentSubsidies serves fupin.employment.v1.EmploymentSubsidyService: applications for the transport
// subsidy, the employer retention subsidy and the training allowance (人社).
type EmploymentSubsidies struct {
	employmentv1.UnimplementedEmploymentSubsidyServiceServer
	subsidies *domain.EmploymentSubsidies
}

var _ employmentv1.EmploymentSubsidyServiceServer = (*EmploymentSubsidies)(nil)

// NewEmploymentSubsidies returns the employment-subsidy handlers.
func NewEmploymentSubsidies(subsidies *domain.EmploymentSubsidies) *EmploymentSubsidies {
	return &EmploymentSubsidies{subsidies: subsidies}
}

// EmploymentSubsidyFilterNames are how ListEmploymentSubsidies filters write states and outcomes and name
// the subject; the app gives them to the workflow engine.
var EmploymentSubsidyFilterNames = struct {
	States, Outcomes map[string]int32
	Subject          string
}{employmentv1.EmploymentSubsidyState_value, employmentv1.EmploymentSubsidyOutcome_value, "person"}

var subsidyKinds = map[employmentv1.EmploymentSubsidyKind]string{
	employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRANSPORT:          domain.SubsidyKindTransport,
	employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_EMPLOYER_RETENTION: domain.SubsidyKindRetention,
	employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRAINING_ALLOWANCE: domain.SubsidyKindTraining,
}

func toSubsidyKind(kind string) employmentv1.EmploymentSubsidyKind {
	for k, v := range subsidyKinds {
		if v == kind {
			return k
		}
	}
	return employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_UNSPECIFIED
}

func employmentSubsidyID(name string) string { return strings.TrimPrefix(name, "employmentSubsidies/") }

func (h *EmploymentSubsidies) CreateEmploymentSubsidy(ctx context.Context, req *employmentv1.CreateEmploymentSubsidyRequest) (*employmentv1.EmploymentSubsidy, error) {
	t := req.GetTraining()
	a := domain.SubsidyApplication{PersonID: req.GetPersonId(), EmployerCode: req.GetEmployer().GetCreditCode(),
		EmployerName: req.GetEmployer().GetDisplayName(), Course: t.GetCourse(), Provider: t.GetProvider(),
		StartDate: t.GetStartDate(), EndDate: t.GetEndDate(), DaysAttended: int(t.GetDaysAttended())}
	s, err := h.subsidies.Apply(ctx, workCaller(ctx), subsidyKinds[req.GetKind()], a, workflow.StepMeta{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Attachments: req.GetAttachments()})
	if err != nil {
		return nil, err
	}
	return toEmploymentSubsidy(s)
}

func (h *EmploymentSubsidies) GetEmploymentSubsidy(ctx context.Context, req *employmentv1.GetEmploymentSubsidyRequest) (*employmentv1.EmploymentSubsidy, error) {
	s, err := h.subsidies.Get(ctx, workCaller(ctx), employmentSubsidyID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toEmploymentSubsidy(s)
}

func (h *EmploymentSubsidies) ListEmploymentSubsidies(ctx context.Context, req *employmentv1.ListEmploymentSubsidiesRequest) (*employmentv1.ListEmploymentSubsidiesResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "es1")
	if err != nil {
		return nil, err
	}
	ss, next, err := h.subsidies.List(ctx, workCaller(ctx), req.GetFilter(), after, workPageSize(req.GetPageSize(), 50, 500))
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListEmploymentSubsidiesResponse{NextPageToken: pagetoken.Encode("es1", next)}
	for _, s := range ss {
		ps, err := toEmploymentSubsidy(s)
		if err != nil {
			return nil, err
		}
		resp.EmploymentSubsidies = append(resp.EmploymentSubsidies, ps)
	}
	return resp, nil
}

func (h *EmploymentSubsidies) CheckEmploymentSubsidy(ctx context.Context, req *employmentv1.CheckEmploymentSubsidyRequest) (*employmentv1.EmploymentSubsidy, error) {
	s, err := h.subsidies.Check(ctx, workCaller(ctx), employmentSubsidyID(req.GetName()), workflow.StepMeta{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}, req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toEmploymentSubsidy(s)
}

func (h *EmploymentSubsidies) ReviewEmploymentSubsidy(ctx context.Context, req *employmentv1.ReviewEmploymentSubsidyRequest) (*employmentv1.EmploymentSubsidy, error) {
	s, err := h.subsidies.Review(ctx, workCaller(ctx), employmentSubsidyID(req.GetName()), workflow.StepMeta{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}, req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toEmploymentSubsidy(s)
}

func (h *EmploymentSubsidies) WithdrawEmploymentSubsidy(ctx context.Context, req *employmentv1.WithdrawEmploymentSubsidyRequest) (*employmentv1.EmploymentSubsidy, error) {
	s, err := h.subsidies.Withdraw(ctx, workCaller(ctx), employmentSubsidyID(req.GetName()), workflow.StepMeta{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toEmploymentSubsidy(s)
}

func toEmploymentSubsidy(s *domain.EmploymentSubsidy) (*employmentv1.EmploymentSubsidy, error) {
	k, a := s.Case, s.Application
	out := &employmentv1.EmploymentSubsidy{Name: domain.EmploymentSubsidySource(k.ID), Kind: toSubsidyKind(k.Kind),
		PersonId: a.PersonID, Household: "households/" + a.HouseholdID, RegionCode: k.RegionCode, Year: a.Year,
		State: employmentv1.EmploymentSubsidyState(k.State), NextStep: k.Next, Etag: k.Etag(),
		CreateTime: timestamppb.New(k.CreateTime), UpdateTime: timestamppb.New(k.UpdateTime)}
	if a.EmployerCode != "" {
		out.Employer = &employmentv1.Employer{CreditCode: a.EmployerCode, DisplayName: a.EmployerName}
	}
	if a.Course != "" {
		out.Training = &employmentv1.TrainingCourse{Course: a.Course, Provider: a.Provider, StartDate: a.StartDate,
			EndDate: a.EndDate, DaysAttended: int32(a.DaysAttended)}
	}
	if len(k.Steps) > 0 {
		out.ApplicationDate = k.Steps[0].OccurredAt
	}
	if k.Decision != nil {
		out.Outcome = employmentv1.EmploymentSubsidyOutcome(k.Decision.Outcome)
	}
	if e := s.Entitlement; e != nil {
		out.AmountFen, out.PaidMonth = e.AmountFen, e.FromMonth
	}
	for i := range k.Steps {
		st, err := toSubsidyStep(&k.Steps[i])
		if err != nil {
			return nil, err
		}
		out.Steps = append(out.Steps, st)
	}
	return out, nil
}

func toSubsidyStep(s *workflow.Step) (*employmentv1.EmploymentSubsidyStep, error) {
	out := &employmentv1.EmploymentSubsidyStep{Seq: int32(s.Seq), Step: s.Name, Actor: s.Actor, OccurredAt: s.OccurredAt,
		RecordedAt: timestamppb.New(s.RecordedAt), BackdateReason: s.BackdateReason, Note: s.Note, Attachments: s.Attachments}
	if s.Name != domain.SubsidyStepTownshipCheck && s.Name != domain.SubsidyStepCountyReview {
		return out, nil
	}
	var r domain.SubsidyReview
	if err := s.Bind(&r); err != nil {
		return nil, err
	}
	e := r.Eligibility
	out.Approved = r.Approved
	pvs, err := toPolicyValues(e.Policy)
	if err != nil {
		return nil, err
	}
	out.Eligibility = &employmentv1.EmploymentSubsidyEligibility{Eligible: e.Eligible, Unmet: e.Unmet, Summary: e.Summary,
		Inputs: e.Inputs, Months: int32(e.Months), Band: employmentv1.TransportBand(e.Band), AmountFen: e.AmountFen,
		Date: e.Date, PolicyDate: e.PolicyDate, PolicyValues: pvs}
	return out, nil
}
