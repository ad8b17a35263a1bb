package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Aid serves fupin.employment.v1.EmploymentAidService: the 零就业 list and the aid cases.
type Aid struct {
	employmentv1.UnimplementedEmploymentAidServiceServer
	aid *domain.Aid
	now func() time.Time
}

var _ employmentv1.EmploymentAidServiceServer = (*Aid)(nil)

// NewAid returns the aid handlers; now is the clock of "today" (evaluations, the overdue flag).
func NewAid(a *domain.Aid, now func() time.Time) *Aid { return &Aid{aid: a, now: now} }

// aidCaller is the workflow caller of a request: its actor and region scope.
func aidCaller(ctx context.Context) workflow.Caller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}
}

func aidPageSize(n int32) int {
	if n <= 0 {
		return 100
	}
	return int(n)
}

func (s *Aid) ListZeroEmploymentHouseholds(ctx context.Context, req *employmentv1.ListZeroEmploymentHouseholdsRequest) (*employmentv1.ListZeroEmploymentHouseholdsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "ze")
	if err != nil {
		return nil, err
	}
	by := aidCaller(ctx)
	limit := aidPageSize(req.GetPageSize())
	page, total, err := s.aid.ListZeroEmployment(ctx, domain.AidListQuery{Scope: by.Scope, RegionPrefix: req.GetRegionCode(),
		After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &employmentv1.ListZeroEmploymentHouseholdsResponse{TotalSize: int32(total)}
	for _, l := range page {
		z := &employmentv1.ZeroEmploymentHousehold{Household: "households/" + l.HouseholdID, RegionCode: l.RegionCode,
			ListedOn: l.ListedOn, Month: l.Finding.Month, AidCase: "aidCases/" + l.CaseID, AidCaseOpen: l.CaseOpen,
			AidCaseDueOn: l.CaseDueOn}
		for _, p := range l.Finding.Able {
			z.AbleMembers = append(z.AbleMembers, "labourers/"+p)
		}
		out.ZeroEmploymentHouseholds = append(out.ZeroEmploymentHouseholds, z)
	}
	if len(page) == limit {
		last := page[len(page)-1]
		out.NextPageToken = pagetoken.Encode("ze", last.RegionCode+"|"+last.HouseholdID)
	}
	return out, nil
}

func (s *Aid) EvaluateZeroEmployment(ctx context.Context, req *employmentv1.EvaluateZeroEmploymentRequest) (*employmentv1.EvaluateZeroEmploymentResponse, error) {
	today := bizdate.Today(s.now())
	if len(req.GetHouseholds()) == 0 {
		n, err := s.aid.Pass(ctx, today, 0)
		if err != nil {
			return nil, err
		}
		return &employmentv1.EvaluateZeroEmploymentResponse{Evaluated: int32(n)}, nil
	}
	ids := make([]string, len(req.GetHouseholds()))
	for i, h := range req.GetHouseholds() {
		ids[i] = strings.TrimPrefix(h, "households/")
	}
	if err := s.aid.Evaluate(ctx, today, ids...); err != nil {
		return nil, err
	}
	return &employmentv1.EvaluateZeroEmploymentResponse{Evaluated: int32(len(ids))}, nil
}

func (s *Aid) ListAidCases(ctx context.Context, req *employmentv1.ListAidCasesRequest) (*employmentv1.ListAidCasesResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "ac")
	if err != nil {
		return nil, err
	}
	by := aidCaller(ctx)
	limit := aidPageSize(req.GetPageSize())
	page, total, err := s.aid.ListCases(ctx, domain.AidListQuery{Scope: by.Scope, RegionPrefix: req.GetRegionCode(),
		OpenOnly: req.GetOpenOnly(), OverdueOn: req.GetOverdueOn(), After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &employmentv1.ListAidCasesResponse{TotalSize: int32(total)}
	today := bizdate.Today(s.now())
	for i := range page {
		c, err := toAidCase(&page[i], today)
		if err != nil {
			return nil, err
		}
		out.AidCases = append(out.AidCases, c)
	}
	if len(page) == limit {
		out.NextPageToken = pagetoken.Encode("ac", page[len(page)-1].ID)
	}
	return out, nil
}

func (s *Aid) GetAidCase(ctx context.Context, req *employmentv1.GetAidCaseRequest) (*employmentv1.AidCase, error) {
	c, err := s.aid.Get(ctx, aidCaller(ctx), strings.TrimPrefix(req.GetName(), "aidCases/"))
	if err != nil {
		return nil, err
	}
	return toAidCase(c, bizdate.Today(s.now()))
}

var aidOfferKinds = map[employmentv1.AidOfferKind]string{
	employmentv1.AidOfferKind_AID_OFFER_KIND_POST:     domain.AidOfferPost,
	employmentv1.AidOfferKind_AID_OFFER_KIND_TRAINING: domain.AidOfferTraining,
	employmentv1.AidOfferKind_AID_OFFER_KIND_JOB:      domain.AidOfferJob,
}

var aidResponses = map[employmentv1.AidOfferResponse]string{
	employmentv1.AidOfferResponse_AID_OFFER_RESPONSE_UNSPECIFIED: "",
	employmentv1.AidOfferResponse_AID_OFFER_RESPONSE_PENDING:     domain.AidResponsePending,
	employmentv1.AidOfferResponse_AID_OFFER_RESPONSE_ACCEPTED:    domain.AidResponseAccepted,
	employmentv1.AidOfferResponse_AID_OFFER_RESPONSE_DECLINED:    domain.AidResponseDeclined,
}

var aidCloseReasons = map[employmentv1.AidCloseReason]string{
	employmentv1.AidCloseReason_AID_CLOSE_REASON_OFFERS_DECLINED: domain.AidReasonOffersDeclined,
	employmentv1.AidCloseReason_AID_CLOSE_REASON_UNREACHABLE:     domain.AidReasonUnreachable,
	employmentv1.AidCloseReason_AID_CLOSE_REASON_OTHER:           domain.AidReasonOther,
	employmentv1.AidCloseReason_AID_CLOSE_REASON_NO_WORKING_AGE:  domain.AidReasonNoWorkingAge,
	employmentv1.AidCloseReason_AID_CLOSE_REASON_LEFT_LEDGER:     domain.AidReasonLeftLedger,
}

func reverse[K comparable, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	aidOfferKindPB   = reverse(aidOfferKinds)
	aidResponsePB    = reverse(aidResponses)
	aidCloseReasonPB = reverse(aidCloseReasons)
)

func (s *Aid) RecordAidOffer(ctx context.Context, req *employmentv1.RecordAidOfferRequest) (*employmentv1.AidCase, error) {
	o := req.GetOffer()
	in := domain.AidOfferInput{Kind: aidOfferKinds[o.GetKind()], PersonID: strings.TrimPrefix(o.GetMember(), "labourers/"),
		Description: o.GetDescription(), OccurredAt: o.GetOfferedOn(), BackdateReason: req.GetBackdateReason(),
		Response: aidResponses[o.GetResponse()]}
	c, err := s.aid.RecordOffer(ctx, aidCaller(ctx), strings.TrimPrefix(req.GetName(), "aidCases/"), in)
	if err != nil {
		return nil, err
	}
	return s.GetAidCase(ctx, &employmentv1.GetAidCaseRequest{Name: c.Name()})
}

func (s *Aid) CloseAidCase(ctx context.Context, req *employmentv1.CloseAidCaseRequest) (*employmentv1.AidCase, error) {
	in := domain.AidClosing{PersonID: strings.TrimPrefix(req.GetEmployedMember(), "labourers/"), OccurredAt: req.GetOccurredAt(),
		BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()}
	switch req.GetOutcome() {
	case employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED:
		in.Outcome = domain.AidOutcomeEmployed
	case employmentv1.AidOutcome_AID_OUTCOME_REASON:
		in.Outcome = domain.AidOutcomeReason
		in.Reason = aidCloseReasons[req.GetReason()]
	default:
		return nil, apperr.Invalid(domain.ReasonAidInvalidField, "outcome", "must be EMPLOYED or REASON")
	}
	c, err := s.aid.Close(ctx, aidCaller(ctx), strings.TrimPrefix(req.GetName(), "aidCases/"), in)
	if err != nil {
		return nil, err
	}
	return s.GetAidCase(ctx, &employmentv1.GetAidCaseRequest{Name: c.Name()})
}

// toAidCase converts a case; offers and steps when it was read whole (Get).
func toAidCase(c *domain.AidCase, today string) (*employmentv1.AidCase, error) {
	out := &employmentv1.AidCase{Name: c.Name(), Household: "households/" + c.HouseholdID, RegionCode: c.RegionCode,
		OpenedOn: c.OpenedOn, DueOn: c.DueOn, CloseWithinDays: int32(c.CloseWithinDays), PolicyHash: c.PolicyHash, Open: c.Open,
		Overdue: c.Open && domain.AidOverdue(c.DueOn, today), ClosedOn: c.ClosedOn, ClosingNote: c.ClosingNote,
		Reason: aidCloseReasonPB[c.Reason]}
	switch c.Outcome {
	case domain.AidOutcomeEmployed:
		out.Outcome = employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED
		out.EmployedMember = "labourers/" + c.EmployedPerson
	case domain.AidOutcomeReason:
		out.Outcome = employmentv1.AidOutcome_AID_OUTCOME_REASON
	}
	for _, o := range c.Offers {
		out.Offers = append(out.Offers, &employmentv1.AidOffer{Kind: aidOfferKindPB[o.Kind], Member: "labourers/" + o.PersonID,
			Description: o.Description, OfferedOn: o.OfferedOn, Response: aidResponsePB[o.Response], RecordedBy: o.RecordedBy,
			RecordedAt: timestamppb.New(o.RecordedAt)})
	}
	if c.Trail != nil {
		out.Etag = c.Trail.Etag()
		for _, st := range c.Trail.Steps {
			ps := &employmentv1.AidCaseStep{Seq: int32(st.Seq), Step: st.Name, Actor: st.Actor, OccurredAt: st.OccurredAt,
				RecordedAt: timestamppb.New(st.RecordedAt), BackdateReason: st.BackdateReason, Note: st.Note}
			if len(st.Data) > 0 && string(st.Data) != "null" {
				var doc map[string]any
				if err := json.Unmarshal(st.Data, &doc); err != nil {
					return nil, fmt.Errorf("aid case %s step %d: %w", c.ID, st.Seq, err)
				}
				d, err := structpb.NewStruct(doc)
				if err != nil {
					return nil, fmt.Errorf("aid case %s step %d: %w", c.ID, st.Seq, err)
				}
				ps.Data = d
			}
			out.Steps = append(out.Steps, ps)
		}
	}
	return out, nil
}
