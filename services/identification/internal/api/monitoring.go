package api

import (
	"context"
	"sort"
	"strings"
	"time"

	"fupin.dev/services/platform/pagetoken"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/tabular"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Monitoring serves fupin.identification.v1.MonitoringService.
type Monitoring struct {
	identificationv1.UnimplementedMonitoringServiceServer
	svc *domain.Monitoring
	now func() time.Time
}

var _ identificationv1.MonitoringServiceServer = (*Monitoring)(nil)

// NewMonitoring returns the monitoring handlers; now is the clock that says which clues are overdue.
func NewMonitoring(svc *domain.Monitoring, now func() time.Time) *Monitoring {
	return &Monitoring{svc: svc, now: now}
}

func commonDepartment(d domain.Department) commonv1.Department { return commonv1.Department(d) }

func fromClue(c *identificationv1.Clue) domain.NewClue {
	return domain.NewClue{
		HouseholdID: strings.TrimPrefix(c.GetHousehold(), "households/"), Source: domain.ClueSource(c.GetSource()),
		Department: domain.Department(c.GetDepartment()), Kind: domain.ClueKind(c.GetKind()), Facts: c.GetFacts(),
		AroseDate: c.GetAroseDate(), Reference: c.GetExternalReference(),
	}
}

// toClue converts a clue for the wire; today says whether it is overdue.
func toClue(c *domain.Clue, today string) *identificationv1.Clue {
	out := &identificationv1.Clue{
		Name: c.Name(), Household: "households/" + c.HouseholdID, RegionCode: c.RegionCode,
		Source: identificationv1.ClueSource(c.Source), Department: commonDepartment(c.Department),
		Kind: identificationv1.ClueKind(c.Kind), Facts: c.Facts, AroseDate: c.AroseDate, ExternalReference: c.Reference,
		Stage: identificationv1.MonitoringStage(c.Stage), DeadlineDate: c.DeadlineDate, Overdue: c.OverdueOn(today),
		DecidedDate: c.DecidedDate, DecidedOnTime: c.DecidedOnTime(),
		MonitoringType: identificationv1.MonitoringType(c.MonitoringType), CreatedBy: c.CreatedBy,
		CreateTime: timestamppb.New(c.CreateTime), UpdateTime: timestamppb.New(c.UpdateTime), Etag: c.Etag(),
	}
	if f := c.Screening; f != nil {
		out.Screening = &identificationv1.ScreeningFacts{ScreeningRun: "screeningRuns/" + f.Run, NetFen: f.NetFen,
			Members: int32(f.Members), ThresholdFen: f.ThresholdFen, RigidSpendingFen: f.RigidFen, LastYearNetFen: f.LastYearNetFen}
		if f.Members > 0 {
			out.Screening.PerCapitaFen = domain.FloorDiv(f.NetFen, int64(f.Members))
		}
	}
	return out
}

func (s *Monitoring) today() string { return bizdate.Today(s.now()) }

func (s *Monitoring) CreateClue(ctx context.Context, req *identificationv1.CreateClueRequest) (*identificationv1.Clue, error) {
	in := fromClue(req.GetClue())
	in.IDNumber = req.GetIdNumber()
	c, _, err := s.svc.CreateClue(ctx, reporter(ctx), in)
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, c)
}

func (s *Monitoring) ImportClues(ctx context.Context, req *identificationv1.ImportCluesRequest) (*identificationv1.ImportCluesResponse, error) {
	rows := make([]domain.ClueRow, len(req.GetRows()))
	for i, r := range req.GetRows() {
		rows[i] = domain.ClueRow{Row: int(r.GetRow()), NewClue: fromClue(r.GetClue()), IDCellType: tabular.CellType(r.GetIdNumberCellType())}
		rows[i].IDNumber = r.GetIdNumber()
	}
	results, err := s.svc.ImportClues(ctx, reporter(ctx), rows)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ImportCluesResponse{}
	for _, r := range results {
		out := &identificationv1.ClueImportResult{Row: int32(r.Row), Outcome: identificationv1.ClueImportOutcome(r.Outcome),
			Field: r.Field, Reason: r.Reason, Description: r.Description}
		if r.ClueID != "" {
			out.Clue = "clues/" + r.ClueID
		}
		switch r.Outcome {
		case domain.ImportCreated:
			resp.Created++
		case domain.ImportExisting:
			resp.Existing++
		default:
			resp.Failed++
		}
		resp.Results = append(resp.Results, out)
	}
	return resp, nil
}

func (s *Monitoring) GetClue(ctx context.Context, req *identificationv1.GetClueRequest) (*identificationv1.Clue, error) {
	c, _ := caller(ctx)
	clue, err := s.svc.GetClue(ctx, c, strings.TrimPrefix(req.GetName(), "clues/"))
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, clue)
}

func (s *Monitoring) ListClues(ctx context.Context, req *identificationv1.ListCluesRequest) (*identificationv1.ListCluesResponse, error) {
	c, _ := caller(ctx)
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	cs, next, err := s.svc.ListClues(ctx, c, req.GetFilter(), after, size)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListCluesResponse{NextPageToken: encodePageToken(next)}
	today := s.today()
	for _, clue := range cs {
		resp.Clues = append(resp.Clues, toClue(clue, today))
	}
	return resp, nil
}

func (s *Monitoring) ListOverdueClues(ctx context.Context, req *identificationv1.ListOverdueCluesRequest) (*identificationv1.ListOverdueCluesResponse, error) {
	c, _ := caller(ctx)
	after, err := decodeOverdueToken(req.GetPageToken(), req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = 100
	}
	cs, more, total, err := s.svc.ListOverdue(ctx, c, req.GetAsOfDate(), after, size)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListOverdueCluesResponse{TotalSize: int32(min(total, 1<<31-1))}
	asOf := req.GetAsOfDate()
	if asOf == "" {
		asOf = s.today()
	}
	for _, clue := range cs {
		resp.Clues = append(resp.Clues, toClue(clue, asOf))
	}
	if more {
		last := cs[len(cs)-1]
		resp.NextPageToken = encodeOverdueToken(req.GetAsOfDate(), domain.OverdueCursor{Deadline: last.DeadlineDate, ID: last.ID})
	}
	return resp, nil
}

// Overdue page tokens carry the cursor and the as_of_date they were issued for.
func encodeOverdueToken(asOf string, c domain.OverdueCursor) string {
	return pagetoken.Encode("o1", asOf, c.Deadline, c.ID)
}

func decodeOverdueToken(tok, asOf string) (domain.OverdueCursor, error) {
	parts, err := pagetoken.Decode(tok, "o1", 3)
	if err != nil || parts == nil {
		return domain.OverdueCursor{}, err
	}
	if parts[0] != asOf {
		return domain.OverdueCursor{}, apperr.Invalid(domain.ReasonInvalidField, "page_token", "was issued for another as_of_date")
	}
	return domain.OverdueCursor{Deadline: parts[1], ID: parts[2]}, nil
}

func (s *Monitoring) RunScreening(ctx context.Context, _ *identificationv1.RunScreeningRequest) (*identificationv1.ScreeningRun, error) {
	c, _ := caller(ctx)
	r, err := s.svc.RunScreening(ctx, c)
	if err != nil {
		return nil, err
	}
	return &identificationv1.ScreeningRun{Name: "screeningRuns/" + r.ID, AsOfDate: r.AsOf, Households: r.Households,
		IncomeClues: r.IncomeClues, SpendingClues: r.SpendingClues, PolicyHashes: r.PolicyHashes, Actor: r.Actor,
		StartTime: timestamppb.New(r.StartTime), DurationMs: r.Duration.Milliseconds()}, nil
}

// clue converts a clue with its decision's trail.
func (s *Monitoring) clue(_ context.Context, c *domain.Clue) (*identificationv1.Clue, error) {
	out := toClue(c, s.today())
	if c.Case != nil {
		out.Steps = monitoringSteps(c.Case)
		out.EarliestDecisionDate = domain.EarliestDecision(c.Case)
		if p := c.Case.CurrentPosting(); p != nil && p.State != workflow.PostingInterrupted {
			out.PostingStartDate = p.StartedAt
		}
	}
	return out, nil
}

// monitoringSteps is a case's trail as the API shows it: its steps, the objections to its postings and
// their completions, by date.
func monitoringSteps(cs *workflow.Case) []*identificationv1.MonitoringStep {
	var out []*identificationv1.MonitoringStep
	for i := range cs.Steps {
		st := &cs.Steps[i]
		d := domain.DecodeStepData(st)
		step := &identificationv1.MonitoringStep{OccurredDate: st.OccurredAt, Note: st.Note, Actor: st.Actor,
			RecordTime: timestamppb.New(st.RecordedAt), BackdateReason: st.BackdateReason,
			MonitoringType: identificationv1.MonitoringType(d.MonitoringType), Outcome: d.Outcome}
		switch {
		case st.Name == workflow.StepWithdrawal:
			step.Kind, step.Outcome = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_WITHDRAWAL, false
		case i == 0:
			step.Kind = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_INTAKE
		case st.Decision != nil && st.Name != "verification":
			step.Kind = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_DECISION
			step.Outcome = st.Decision.Outcome == workflow.OutcomeApproved
		case st.Name == "verification":
			step.Kind = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_VERIFICATION
		case st.Name == "posting":
			step.Kind = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_POSTING
			for _, p := range cs.Postings {
				if p.StartSeq == st.Seq {
					step.PostingDays, step.PolicyHash = int32(p.MinDays), p.Policy.Hash
				}
			}
		default:
			step.Kind = identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_DECISION
		}
		out = append(out, step)
	}
	for _, p := range cs.Postings {
		for _, o := range p.Objections {
			out = append(out, &identificationv1.MonitoringStep{Kind: identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_OBJECTION,
				OccurredDate: o.FiledAt, Note: o.Content, Actor: o.RecordedBy, RecordTime: timestamppb.New(o.RecordedAt),
				BackdateReason: o.BackdateReason})
		}
		if p.State == workflow.PostingCompleted {
			out = append(out, &identificationv1.MonitoringStep{Kind: identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_POSTING_COMPLETED,
				OccurredDate: p.EndedAt, Note: p.EndedNote, Actor: p.EndedBy, RecordTime: timestamppb.New(p.EndRecord),
				BackdateReason: p.EndReason, PostingDays: int32(p.MinDays), PolicyHash: p.Policy.Hash})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].GetOccurredDate() != out[j].GetOccurredDate() {
			return out[i].GetOccurredDate() < out[j].GetOccurredDate()
		}
		return out[i].GetRecordTime().AsTime().Before(out[j].GetRecordTime().AsTime())
	})
	return out
}

func fromVerification(v *identificationv1.MonitoringVerification) domain.MonitoringVerification {
	return domain.MonitoringVerification{OccurredDate: v.GetOccurredDate(), BackdateReason: v.GetBackdateReason(),
		Outcome: v.GetOutcome(), ProposedType: domain.MonitoringType(v.GetProposedType()), Findings: v.GetFindings()}
}

func clueID(name string) string { return strings.TrimPrefix(name, "clues/") }

func (s *Monitoring) VerifyClue(ctx context.Context, req *identificationv1.VerifyClueRequest) (*identificationv1.Clue, error) {
	c, _ := caller(ctx)
	clue, err := s.svc.VerifyClue(ctx, c, clueID(req.GetName()), req.GetEtag(), fromVerification(req.GetVerification()))
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, clue)
}

func (s *Monitoring) PublicizeClue(ctx context.Context, req *identificationv1.PublicizeClueRequest) (*identificationv1.Clue, error) {
	c, _ := caller(ctx)
	clue, err := s.svc.PublicizeClue(ctx, c, clueID(req.GetName()), domain.MonitoringStepInput{OccurredDate: req.GetStartDate(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, clue)
}

func (s *Monitoring) ObjectToClue(ctx context.Context, req *identificationv1.ObjectToClueRequest) (*identificationv1.Clue, error) {
	c, _ := caller(ctx)
	clue, err := s.svc.ObjectToClue(ctx, c, clueID(req.GetName()), domain.MonitoringStepInput{OccurredDate: req.GetOccurredDate(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, clue)
}

func (s *Monitoring) DecideClue(ctx context.Context, req *identificationv1.DecideClueRequest) (*identificationv1.Clue, error) {
	c, _ := caller(ctx)
	clue, err := s.svc.DecideClue(ctx, c, clueID(req.GetName()), req.GetConfirm(), domain.MonitoringType(req.GetMonitoringType()),
		domain.MonitoringStepInput{OccurredDate: req.GetOccurredDate(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
			Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return s.clue(ctx, clue)
}

// riskRemovalName splits "households/{h}/riskRemovals/{r}".
func riskRemovalName(name string) (string, string) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 {
		return "", ""
	}
	return parts[1], parts[3]
}

func toRiskRemoval(r *domain.RiskRemoval) *identificationv1.RiskRemoval {
	cs := r.Case
	out := &identificationv1.RiskRemoval{
		Name: "households/" + r.HouseholdID + "/riskRemovals/" + cs.ID, Household: "households/" + r.HouseholdID,
		RegionCode: cs.RegionCode, MonitoringType: identificationv1.MonitoringType(r.MonitoringType),
		Stage: identificationv1.MonitoringStage(r.Stage), EarliestDecisionDate: domain.EarliestDecision(cs),
		Steps: monitoringSteps(cs), CreateTime: timestamppb.New(cs.CreateTime), UpdateTime: timestamppb.New(cs.UpdateTime),
		Etag: cs.Etag(),
	}
	if len(cs.Steps) > 0 {
		out.CreatedBy = cs.Steps[0].Actor
	}
	if p := cs.CurrentPosting(); p != nil && p.State != workflow.PostingInterrupted {
		out.PostingStartDate = p.StartedAt
	}
	if cs.Decision != nil {
		out.DecidedDate = cs.Decision.DecidedAt
	}
	return out
}

func (s *Monitoring) CreateRiskRemoval(ctx context.Context, req *identificationv1.CreateRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	r, err := s.svc.StartRiskRemoval(ctx, c, householdID(req.GetParent()), fromVerification(req.GetVerification()))
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}

func (s *Monitoring) GetRiskRemoval(ctx context.Context, req *identificationv1.GetRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	h, id := riskRemovalName(req.GetName())
	r, err := s.svc.GetRiskRemoval(ctx, c, h, id)
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}

func (s *Monitoring) VerifyRiskRemoval(ctx context.Context, req *identificationv1.VerifyRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	h, id := riskRemovalName(req.GetName())
	r, err := s.svc.VerifyRiskRemoval(ctx, c, h, id, req.GetEtag(), fromVerification(req.GetVerification()))
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}

func (s *Monitoring) PublicizeRiskRemoval(ctx context.Context, req *identificationv1.PublicizeRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	h, id := riskRemovalName(req.GetName())
	r, err := s.svc.PublicizeRiskRemoval(ctx, c, h, id, domain.MonitoringStepInput{OccurredDate: req.GetStartDate(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}

func (s *Monitoring) ObjectToRiskRemoval(ctx context.Context, req *identificationv1.ObjectToRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	h, id := riskRemovalName(req.GetName())
	r, err := s.svc.ObjectToRiskRemoval(ctx, c, h, id, domain.MonitoringStepInput{OccurredDate: req.GetOccurredDate(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}

func (s *Monitoring) DecideRiskRemoval(ctx context.Context, req *identificationv1.DecideRiskRemovalRequest) (*identificationv1.RiskRemoval, error) {
	c, _ := caller(ctx)
	h, id := riskRemovalName(req.GetName())
	r, err := s.svc.DecideRiskRemoval(ctx, c, h, id, req.GetApprove(), domain.MonitoringStepInput{OccurredDate: req.GetOccurredDate(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toRiskRemoval(r), nil
}
