package api

import (
	"context"
	"fmt"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Cases serves fupin.identification.v1.CaseService: identification and exit cases.
type Cases struct {
	identificationv1.UnimplementedCaseServiceServer
	cases *domain.Cases
}

var _ identificationv1.CaseServiceServer = (*Cases)(nil)

// NewCases returns the case handlers.
func NewCases(cases *domain.Cases) *Cases { return &Cases{cases: cases} }

// CaseFilterNames are how ListCases filters write case states and outcomes and name the subject; the
// workflow engine compiles filters with them.
var CaseFilterNames = struct {
	States, Outcomes map[string]int32
	Subject          string
}{identificationv1.CaseState_value, identificationv1.CaseOutcome_value, domain.CaseSubjectField}

func caseID(name string) string { return strings.TrimPrefix(name, "cases/") }

func (s *Cases) CreateCase(ctx context.Context, req *identificationv1.CreateCaseRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	hid := householdID(req.GetHousehold())
	applicant := ""
	if req.GetApplicant() != "" {
		ah, pid, err := memberName(req.GetApplicant(), "applicant")
		if err != nil {
			return nil, err
		}
		if ah != hid {
			return nil, apperr.Invalid(domain.ReasonInvalidField, "applicant", "must be a member of the household")
		}
		applicant = pid
	}
	k, err := s.cases.OpenCase(ctx, c, domain.NewCaseInput{Kind: req.GetKind(), HouseholdID: hid, Year: int(req.GetYear()),
		ApplicantPersonID: applicant, Meta: domain.StepMeta{OccurredAt: req.GetOccurredAt(),
			BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Attachments: req.GetAttachments()}})
	return respondCase(k, err)
}

func (s *Cases) GetCase(ctx context.Context, req *identificationv1.GetCaseRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	return respondCase(s.cases.GetCase(ctx, c, caseID(req.GetName())))
}

// Page sizes for ListCases.
const (
	defaultCasePageSize = 50
	maxCasePageSize     = 500
)

func (s *Cases) ListCases(ctx context.Context, req *identificationv1.ListCasesRequest) (*identificationv1.ListCasesResponse, error) {
	c, _ := caller(ctx)
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultCasePageSize
	}
	ks, next, err := s.cases.ListCases(ctx, c, req.GetFilter(), after, min(size, maxCasePageSize))
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListCasesResponse{NextPageToken: encodePageToken(next)}
	for _, k := range ks {
		out, err := toCase(k)
		if err != nil {
			return nil, err
		}
		resp.Cases = append(resp.Cases, out)
	}
	return resp, nil
}

func (s *Cases) RecordSurvey(ctx context.Context, req *identificationv1.RecordSurveyRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	sv := domain.Survey{Team: req.GetTeam()}
	if h := req.GetHouseholdSurvey(); h != nil {
		sv.Household = fromHouseholdSurvey(h)
	}
	if e := req.GetExitSurvey(); e != nil {
		sv.Exit = fromExitSurvey(e)
	}
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	return respondCase(s.cases.RecordSurvey(ctx, c, caseID(req.GetName()), m, sv))
}

func (s *Cases) RecordVillageReview(ctx context.Context, req *identificationv1.RecordVillageReviewRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	v := domain.ReviewVotes{Registered: int(req.GetRegisteredRepresentatives()), Present: int(req.GetPresent()), VotesFor: int(req.GetVotesFor())}
	return respondCase(s.cases.RecordVillageReview(ctx, c, caseID(req.GetName()), m, v))
}

func (s *Cases) StartPosting(ctx context.Context, req *identificationv1.StartPostingRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	return respondCase(s.cases.StartPosting(ctx, c, caseID(req.GetName()), m))
}

func (s *Cases) FileObjection(ctx context.Context, req *identificationv1.FileObjectionRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	o := workflow.ObjectionInput{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(),
		Objector: req.GetObjector(), Content: req.GetContent(), Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	return respondCase(s.cases.FileObjection(ctx, c, caseID(req.GetName()), o))
}

func (s *Cases) CompletePosting(ctx context.Context, req *identificationv1.CompletePostingRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()}
	return respondCase(s.cases.CompletePosting(ctx, c, caseID(req.GetName()), m))
}

func (s *Cases) RecordTownshipReview(ctx context.Context, req *identificationv1.RecordTownshipReviewRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	return respondCase(s.cases.RecordTownshipReview(ctx, c, caseID(req.GetName()), m, req.GetApproved()))
}

func (s *Cases) DecideCase(ctx context.Context, req *identificationv1.DecideCaseRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	d := domain.DecideInput{Approve: req.GetOutcome() == identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED,
		OverrideJustification: req.GetOverrideJustification()}
	return respondCase(s.cases.Decide(ctx, c, caseID(req.GetName()), m, d))
}

func (s *Cases) WithdrawCase(ctx context.Context, req *identificationv1.WithdrawCaseRequest) (*identificationv1.Case, error) {
	c, _ := caller(ctx)
	m := domain.StepMeta{OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}
	return respondCase(s.cases.WithdrawCase(ctx, c, caseID(req.GetName()), m))
}

func respondCase(k *workflow.Case, err error) (*identificationv1.Case, error) {
	if err != nil {
		return nil, err
	}
	return toCase(k)
}

func fromHouseholdSurvey(h *identificationv1.HouseholdSurvey) *domain.HouseholdSurvey {
	out := &domain.HouseholdSurvey{
		HouseSafety: domain.HouseSafetyGrade(h.GetHouseSafetyGrade()), SafeDrinkingWater: h.GetSafeDrinkingWater(),
		Dropout: domain.SchoolDropout(h.GetSchoolDropout()), MajorIllness: h.GetMajorIllness(),
		ChronicDiseaseHeavyCosts: h.GetChronicDiseaseHeavyCosts(), Labour: domain.HouseholdLabour(h.GetHouseholdLabour()),
		Dibao: domain.DibaoClass(h.GetDibaoClass()), DispersedDestitute: h.GetDispersedDestituteSupport(),
		PoorDisabled: h.GetPoorDisabledHousehold(), ThreeGuaranteesUnsolved: h.GetThreeGuaranteesUnsolved(),
	}
	if h.PerCapitaIncomeFen != nil {
		v := h.GetPerCapitaIncomeFen()
		out.PerCapitaIncomeFen = &v
	}
	if x := h.GetExclusions(); x != nil {
		out.Exclusions = domain.ExclusionFacts{CommercialHousing: x.GetCommercialHousing(), Vehicle: x.GetVehicle(),
			VillageCommittee: x.GetVillageCommittee(), PublicPayroll: x.GetPublicPayroll(), Enterprise: x.GetEnterprise(),
			SeparatedResidence: x.GetSeparatedResidence(), OverseasStudyOrCommercialPension: x.GetOverseasStudyOrCommercialPension(),
			RefusesCorrection: x.GetRefusesCorrection()}
	}
	return out
}

func fromExitSurvey(e *identificationv1.ExitSurvey) *domain.ExitSurvey {
	out := &domain.ExitSurvey{FoodAndClothing: e.GetFoodAndClothing(), CompulsoryEducation: e.GetCompulsoryEducation(),
		BasicMedicalInsurance: e.GetBasicMedicalInsurance(), SafeHousing: e.GetSafeHousing(),
		SafeDrinkingWater: e.GetSafeDrinkingWater(), ConsentSigned: e.GetConsentSigned()}
	if e.PerCapitaIncomeFen != nil {
		v := e.GetPerCapitaIncomeFen()
		out.PerCapitaIncomeFen = &v
	}
	return out
}

func toHouseholdSurvey(h *domain.HouseholdSurvey) *identificationv1.HouseholdSurvey {
	x := h.Exclusions
	return &identificationv1.HouseholdSurvey{
		PerCapitaIncomeFen: h.PerCapitaIncomeFen, HouseSafetyGrade: identificationv1.HouseSafetyGrade(h.HouseSafety),
		SafeDrinkingWater: h.SafeDrinkingWater, SchoolDropout: identificationv1.SchoolDropout(h.Dropout),
		MajorIllness: h.MajorIllness, ChronicDiseaseHeavyCosts: h.ChronicDiseaseHeavyCosts,
		HouseholdLabour: identificationv1.HouseholdLabour(h.Labour), DibaoClass: identificationv1.DibaoClass(h.Dibao),
		DispersedDestituteSupport: h.DispersedDestitute, PoorDisabledHousehold: h.PoorDisabled,
		ThreeGuaranteesUnsolved: h.ThreeGuaranteesUnsolved,
		Exclusions: &identificationv1.ExclusionFacts{CommercialHousing: x.CommercialHousing, Vehicle: x.Vehicle,
			VillageCommittee: x.VillageCommittee, PublicPayroll: x.PublicPayroll, Enterprise: x.Enterprise,
			SeparatedResidence: x.SeparatedResidence, OverseasStudyOrCommercialPension: x.OverseasStudyOrCommercialPension,
			RefusesCorrection: x.RefusesCorrection},
	}
}

func toExitSurvey(e *domain.ExitSurvey) *identificationv1.ExitSurvey {
	return &identificationv1.ExitSurvey{PerCapitaIncomeFen: e.PerCapitaIncomeFen, FoodAndClothing: e.FoodAndClothing,
		CompulsoryEducation: e.CompulsoryEducation, BasicMedicalInsurance: e.BasicMedicalInsurance, SafeHousing: e.SafeHousing,
		SafeDrinkingWater: e.SafeDrinkingWater, ConsentSigned: e.ConsentSigned}
}

// toCase converts a case and its trail for the wire, decoding each step's data by its step name.
func toCase(k *workflow.Case) (*identificationv1.Case, error) {
	app := domain.ApplicationOf(k)
	out := &identificationv1.Case{
		Name: k.Name(), Kind: k.Kind, Household: k.Subject, RegionCode: k.RegionCode, Year: int32(app.Year),
		State: identificationv1.CaseState(k.State), NextStep: k.Next, Round: int32(k.Round), Etag: k.Etag(),
		CreateTime: timestamppb.New(k.CreateTime), UpdateTime: timestamppb.New(k.UpdateTime),
	}
	for i := range k.Steps {
		st, err := toCaseStep(k, &k.Steps[i])
		if err != nil {
			return nil, err
		}
		out.Steps = append(out.Steps, st)
	}
	for i := range k.Postings {
		p, err := toCasePosting(&k.Postings[i])
		if err != nil {
			return nil, err
		}
		out.Postings = append(out.Postings, p)
	}
	if d := k.Decision; d != nil {
		out.Decision = &identificationv1.CaseDecision{Outcome: identificationv1.CaseOutcome(d.Outcome), Explanation: d.Explanation,
			Step: d.Step, Actor: d.Actor, DecidedAt: d.DecidedAt}
	}
	return out, nil
}

func toCaseStep(k *workflow.Case, s *workflow.Step) (*identificationv1.CaseStep, error) {
	out := &identificationv1.CaseStep{Seq: int32(s.Seq), Step: s.Name, Round: int32(s.Round), Actor: s.Actor,
		OccurredAt: s.OccurredAt, RecordedAt: timestamppb.New(s.RecordedAt), BackdateReason: s.BackdateReason, Note: s.Note,
		Attachments: s.Attachments}
	var uses []domain.PolicyUse
	switch s.Name {
	case domain.StepApplication:
		var a domain.Application
		if err := s.Bind(&a); err != nil {
			return nil, err
		}
		ca := &identificationv1.CaseApplication{Year: int32(a.Year), RegistryStatus: identificationv1.RegistryStatus(a.RegistryStatus),
			HouseholdSize: int32(a.HouseholdSize)}
		if a.ApplicantPersonID != "" {
			ca.Applicant = k.Subject + "/members/" + a.ApplicantPersonID
		}
		out.Data = &identificationv1.CaseStep_Application{Application: ca}
	case domain.StepSurvey:
		var sv domain.Survey
		if err := s.Bind(&sv); err != nil {
			return nil, err
		}
		out.SurveyTeam, uses = sv.Team, sv.Policy
		switch {
		case sv.Household != nil:
			out.Data = &identificationv1.CaseStep_HouseholdSurvey{HouseholdSurvey: toHouseholdSurvey(sv.Household)}
		case sv.Exit != nil:
			out.Data = &identificationv1.CaseStep_ExitSurvey{ExitSurvey: toExitSurvey(sv.Exit)}
		}
	case domain.StepVillageReview:
		var v domain.VillageReview
		if err := s.Bind(&v); err != nil {
			return nil, err
		}
		uses = v.Policy
		out.Data = &identificationv1.CaseStep_VillageReview{VillageReview: &identificationv1.VillageReview{
			RegisteredRepresentatives: int32(v.Registered), Present: int32(v.Present), VotesFor: int32(v.VotesFor),
			Population: v.Population, PopulationYear: int32(v.PopulationYear),
			RequiredRepresentatives: int32(v.RequiredRepresentatives), Passed: v.Passed}}
	case domain.StepTownshipReview:
		var t domain.TownshipReview
		if err := s.Bind(&t); err != nil {
			return nil, err
		}
		out.Data = &identificationv1.CaseStep_TownshipReview{TownshipReview: &identificationv1.TownshipReview{Approved: t.Approved}}
	case domain.StepCountyDecision:
		var d domain.CountyDecision
		if err := s.Bind(&d); err != nil {
			return nil, err
		}
		uses = d.Policy
		cd := &identificationv1.CountyDecision{Outcome: identificationv1.CaseOutcome_CASE_OUTCOME_REFUSED,
			OverrideJustification: d.OverrideJustification, Rule: identificationv1.InclusionRule(d.Rule), Exclusions: d.Exclusions,
			Summary: d.Summary, Inputs: d.Inputs, Year: int32(d.Year), PolicyDate: d.PolicyDate}
		if d.Approve {
			cd.Outcome = identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED
		}
		for _, u := range d.Unmet {
			cd.Unmet = append(cd.Unmet, identificationv1.ExitItem(u))
		}
		out.Data = &identificationv1.CaseStep_CountyDecision{CountyDecision: cd}
	}
	for _, u := range uses {
		ref, err := toPolicyRef(u.Parameter, u.Region, u.Effective, u.Value, u.Hash)
		if err != nil {
			return nil, err
		}
		out.PolicyValues = append(out.PolicyValues, ref)
	}
	return out, nil
}

func toPolicyRef(parameter, region, effective string, raw []byte, hash string) (*identificationv1.PolicyValueRef, error) {
	ref := &identificationv1.PolicyValueRef{Parameter: parameter, Region: region, EffectiveDate: effective, Hash: hash}
	if len(raw) > 0 {
		ref.Value = &structpb.Value{}
		if err := ref.Value.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("policy value %s: %w", parameter, err)
		}
	}
	return ref, nil
}

func toCasePosting(p *workflow.Posting) (*identificationv1.CasePosting, error) {
	ref, err := toPolicyRef(p.Policy.Parameter, p.Policy.Region, p.Policy.Effective, p.Policy.Raw, p.Policy.Hash)
	if err != nil {
		return nil, err
	}
	out := &identificationv1.CasePosting{Seq: int32(p.Seq), StartSeq: int32(p.StartSeq), StartedAt: p.StartedAt,
		MinDays: int32(p.MinDays), Policy: ref, State: identificationv1.CasePostingState(p.State), EndedAt: p.EndedAt,
		EndedBy: p.EndedBy, EndedNote: p.EndedNote, EndBackdateReason: p.EndReason}
	if start, err := bizdate.Parse(p.StartedAt); err == nil {
		out.CompleteOnOrAfter = bizdate.Today(start.AddDate(0, 0, p.MinDays))
	}
	for _, o := range p.Objections {
		out.Objections = append(out.Objections, &identificationv1.CaseObjection{Seq: int32(o.Seq), OccurredAt: o.FiledAt,
			Objector: o.Objector, Content: o.Content, Attachments: o.Attachments, RecordedBy: o.RecordedBy,
			RecordedAt: timestamppb.New(o.RecordedAt), BackdateReason: o.BackdateReason, ResolvedByStep: int32(o.ResolvedBy)})
	}
	return out, nil
}
