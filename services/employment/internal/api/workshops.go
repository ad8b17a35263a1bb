package api

import (
	"context"
	"strings"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Workshops serves fupin.employment.v1.WorkshopService: 就业帮扶车间, their insurance and rewards (人社).
type Workshops struct {
	employmentv1.UnimplementedWorkshopServiceServer
	workshops *domain.Workshops
}

var _ employmentv1.WorkshopServiceServer = (*Workshops)(nil)

// NewWorkshops returns the workshop handlers.
func NewWorkshops(workshops *domain.Workshops) *Workshops { return &Workshops{workshops: workshops} }

// workCaller is who calls, as the workshop and subsidy use cases see them.
func workCaller(ctx context.Context) workflow.Caller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}
}

// workPageSize applies a List's default and maximum.
func workPageSize(n int32, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(int(n), most)
}

func workshopID(name string) string { return strings.TrimPrefix(name, "workshops/") }

func (h *Workshops) CreateWorkshop(ctx context.Context, req *employmentv1.CreateWorkshopRequest) (*employmentv1.Workshop, error) {
	w := req.GetWorkshop()
	out, err := h.workshops.Register(ctx, workCaller(ctx), domain.NewWorkshop{Name: w.GetDisplayName(), CreditCode: w.GetCreditCode(),
		RegionCode: w.GetRegionCode(), Address: w.GetAddress(), Kind: domain.WorkshopKind(w.GetKind()), RegisteredOn: w.GetRegisteredOn()})
	if err != nil {
		return nil, err
	}
	return toWorkshop(out)
}

func (h *Workshops) GetWorkshop(ctx context.Context, req *employmentv1.GetWorkshopRequest) (*employmentv1.Workshop, error) {
	w, err := h.workshops.Get(ctx, workCaller(ctx), workshopID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toWorkshop(w)
}

func (h *Workshops) ListWorkshops(ctx context.Context, req *employmentv1.ListWorkshopsRequest) (*employmentv1.ListWorkshopsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "ws1")
	if err != nil {
		return nil, err
	}
	ws, next, err := h.workshops.List(ctx, workCaller(ctx), domain.WorkshopQuery{State: domain.WorkshopState(req.GetState()),
		After: after, Limit: workPageSize(req.GetPageSize(), 50, 500)})
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWorkshopsResponse{NextPageToken: pagetoken.Encode("ws1", next)}
	for _, w := range ws {
		pw, err := toWorkshop(w)
		if err != nil {
			return nil, err
		}
		resp.Workshops = append(resp.Workshops, pw)
	}
	return resp, nil
}

func (h *Workshops) RecogniseWorkshop(ctx context.Context, req *employmentv1.RecogniseWorkshopRequest) (*employmentv1.Workshop, error) {
	w, err := h.workshops.Recognise(ctx, workCaller(ctx), workshopID(req.GetName()), req.GetDate())
	if err != nil {
		return nil, err
	}
	return toWorkshop(w)
}

func (h *Workshops) CreateWorkshopInsurance(ctx context.Context, req *employmentv1.CreateWorkshopInsuranceRequest) (*employmentv1.WorkshopInsurance, error) {
	i := req.GetInsurance()
	out, err := h.workshops.AddInsurance(ctx, workCaller(ctx), workshopID(req.GetParent()), domain.NewInsurance{
		PolicyNumber: i.GetPolicyNumber(), Insurer: i.GetInsurer(), FromMonth: i.GetFromMonth(), ToMonth: i.GetToMonth(),
		PremiumFen: i.GetPremiumFen(), PersonIDs: i.GetPersonIds()})
	if err != nil {
		return nil, err
	}
	return toInsurance(out)
}

func (h *Workshops) ListWorkshopInsurances(ctx context.Context, req *employmentv1.ListWorkshopInsurancesRequest) (*employmentv1.ListWorkshopInsurancesResponse, error) {
	ins, err := h.workshops.Insurances(ctx, workCaller(ctx), workshopID(req.GetParent()))
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWorkshopInsurancesResponse{}
	for _, i := range ins {
		pi, err := toInsurance(i)
		if err != nil {
			return nil, err
		}
		resp.Insurances = append(resp.Insurances, pi)
	}
	return resp, nil
}

func (h *Workshops) ListWorkshopWorkers(ctx context.Context, req *employmentv1.ListWorkshopWorkersRequest) (*employmentv1.ListWorkshopWorkersResponse, error) {
	wk, err := h.workshops.Workers(ctx, workCaller(ctx), workshopID(req.GetParent()), req.GetMonth())
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWorkshopWorkersResponse{Month: wk.Month, RewardAfterMonths: int32(wk.After), RewardFen: wk.RewardFen}
	if resp.PolicyValues, err = toPolicyValues(wk.Policy); err != nil {
		return nil, err
	}
	for _, c := range wk.Candidates {
		resp.Workers = append(resp.Workers, &employmentv1.WorkshopWorker{PersonId: c.PersonID, Household: "households/" + c.HouseholdID,
			StableMonths: int32(c.StableMonths), StableFrom: c.StableFrom, StableTo: c.StableTo, PoorHousehold: c.Poor,
			Rewarded: c.Rewarded, Due: c.Due})
	}
	return resp, nil
}

func (h *Workshops) GrantWorkshopRewards(ctx context.Context, req *employmentv1.GrantWorkshopRewardsRequest) (*employmentv1.GrantWorkshopRewardsResponse, error) {
	rs, err := h.workshops.GrantRewards(ctx, workCaller(ctx), workshopID(req.GetParent()), req.GetMonth())
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.GrantWorkshopRewardsResponse{}
	resp.Rewards, err = toRewards(rs)
	return resp, err
}

func (h *Workshops) ListWorkshopRewards(ctx context.Context, req *employmentv1.ListWorkshopRewardsRequest) (*employmentv1.ListWorkshopRewardsResponse, error) {
	rs, err := h.workshops.Rewards(ctx, workCaller(ctx), workshopID(req.GetParent()))
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListWorkshopRewardsResponse{}
	resp.Rewards, err = toRewards(rs)
	return resp, err
}

func toPolicyValues(vs []policy.Value) ([]*commonv1.PolicyValue, error) {
	out := make([]*commonv1.PolicyValue, 0, len(vs))
	for _, v := range vs {
		pv, err := policy.ToProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

func toWorkshop(w *domain.Workshop) (*employmentv1.Workshop, error) {
	out := &employmentv1.Workshop{Name: w.ResourceName(), DisplayName: w.Name, CreditCode: w.CreditCode, RegionCode: w.RegionCode,
		Address: w.Address, Kind: employmentv1.WorkshopKind(w.Kind), State: employmentv1.WorkshopState(w.State),
		RegisteredOn: w.RegisteredOn, Etag: w.Etag(), CreateTime: timestamppb.New(w.CreateTime),
		UpdateTime: timestamppb.New(w.UpdateTime)}
	if r := w.Recognition; r != nil {
		pv, err := policy.ToProto(r.Policy)
		if err != nil {
			return nil, err
		}
		out.Recognition = &employmentv1.WorkshopRecognition{Month: r.Month, PoorWorkerIds: r.PoorWorkers, Workers: int32(r.Workers),
			MinPoorWorkers: int32(r.Min), Date: r.Date, PolicyValue: pv, RecordedBy: r.RecordedBy}
	}
	return out, nil
}

func toInsurance(i *domain.WorkshopInsurance) (*employmentv1.WorkshopInsurance, error) {
	pv, err := policy.ToProto(i.Policy)
	if err != nil {
		return nil, err
	}
	return &employmentv1.WorkshopInsurance{Name: "workshops/" + i.WorkshopID + "/insurances/" + i.ID, PolicyNumber: i.PolicyNumber,
		Insurer: i.Insurer, FromMonth: i.FromMonth, ToMonth: i.ToMonth, PremiumFen: i.PremiumFen, PersonIds: i.PersonIDs,
		PolicyValue: pv, RecordedBy: i.RecordedBy, CreateTime: timestamppb.New(i.CreateTime)}, nil
}

func toRewards(rs []*domain.WorkshopReward) ([]*employmentv1.WorkshopReward, error) {
	out := make([]*employmentv1.WorkshopReward, 0, len(rs))
	for _, r := range rs {
		pvs, err := toPolicyValues(r.Policy)
		if err != nil {
			return nil, err
		}
		out = append(out, &employmentv1.WorkshopReward{Name: "workshops/" + r.WorkshopID + "/rewards/" + r.ID, PersonId: r.PersonID,
			Household: "households/" + r.HouseholdID, Month: r.Month, StableFrom: r.StableFrom, StableTo: r.StableTo,
			AmountFen: r.AmountFen, EntitlementId: r.EntitlementID, PolicyValues: pvs, RecordedBy: r.RecordedBy,
			CreateTime: timestamppb.New(r.CreateTime)})
	}
	return out, nil
}
