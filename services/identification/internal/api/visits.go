package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/pagetoken"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Visits serves fupin.identification.v1.VisitService.
type Visits struct {
	identificationv1.UnimplementedVisitServiceServer
	visits *domain.Visits
	now    func() time.Time
}

var _ identificationv1.VisitServiceServer = (*Visits)(nil)

// NewVisits returns the helper and visit handlers; now is the clock (for Helper.current).
func NewVisits(visits *domain.Visits, now func() time.Time) *Visits {
	return &Visits{visits: visits, now: now}
}

// Page sizes of the visits area.
const (
	defaultVisitsPage = 50
	maxHelpersPage    = 200
	maxVisitsPage     = 500
	maxOverduePage    = 1000
)

func pageSize(n int32, max int) int {
	if n <= 0 {
		return defaultVisitsPage
	}
	return min(int(n), max)
}

func (s *Visits) CreateHelper(ctx context.Context, req *identificationv1.CreateHelperRequest) (*identificationv1.Helper, error) {
	c, ac := caller(ctx)
	in := req.GetHelper()
	h, err := s.visits.CreateHelper(ctx, c, householdID(req.GetParent()), domain.Helper{
		FullName: in.GetFullName(), Phone: in.GetPhone(), WorkUnit: in.GetWorkUnit(), Primary: in.GetPrimary(),
		StartDate: in.GetStartDate(), EndDate: in.GetEndDate(), BackdateReason: in.GetBackdateReason(),
	})
	if err != nil {
		return nil, err
	}
	return s.helper(h, ac.PlainText)
}

func (s *Visits) ListHelpers(ctx context.Context, req *identificationv1.ListHelpersRequest) (*identificationv1.ListHelpersResponse, error) {
	c, ac := caller(ctx)
	offset, err := decodeOffset(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	hs, err := s.visits.ListHelpers(ctx, c, householdID(req.GetParent()))
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListHelpersResponse{}
	size := pageSize(req.GetPageSize(), maxHelpersPage)
	hs = hs[min(offset, len(hs)):]
	if len(hs) > size {
		hs = hs[:size]
		resp.NextPageToken = encodeOffset(offset + size)
	}
	for _, h := range hs {
		out, err := s.helper(h, ac.PlainText)
		if err != nil {
			return nil, err
		}
		resp.Helpers = append(resp.Helpers, out)
	}
	return resp, nil
}

func (s *Visits) EndHelper(ctx context.Context, req *identificationv1.EndHelperRequest) (*identificationv1.Helper, error) {
	c, ac := caller(ctx)
	hid, id, err := helperName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	h, err := s.visits.EndHelper(ctx, c, hid, id, req.GetEndDate(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return s.helper(h, ac.PlainText)
}

func (s *Visits) CreateVisit(ctx context.Context, req *identificationv1.CreateVisitRequest) (*identificationv1.Visit, error) {
	c, _ := caller(ctx)
	hid := householdID(req.GetParent())
	in := req.GetVisit()
	helperHousehold, helperID, err := helperName(in.GetHelper(), "visit.helper")
	if err != nil {
		return nil, err
	}
	if helperHousehold != hid {
		return nil, apperr.Invalid(domain.ReasonHelperNotAssigned, "visit.helper", "must be a helper of the same household")
	}
	v, err := s.visits.CreateVisit(ctx, c, hid, domain.Visit{
		HelperID: helperID, Date: in.GetVisitDate(), Kind: domain.VisitKind(in.GetKind()), Notes: in.GetNotes(),
		Findings: in.GetFindings(), BackdateReason: in.GetBackdateReason(),
	})
	if err != nil {
		return nil, err
	}
	return toVisit(v), nil
}

func (s *Visits) ListVisits(ctx context.Context, req *identificationv1.ListVisitsRequest) (*identificationv1.ListVisitsResponse, error) {
	c, _ := caller(ctx)
	after, err := decodeVisitCursor(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := pageSize(req.GetPageSize(), maxVisitsPage)
	vs, err := s.visits.ListVisits(ctx, c, householdID(req.GetParent()), after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListVisitsResponse{}
	if len(vs) > size {
		vs = vs[:size]
		last := vs[len(vs)-1]
		resp.NextPageToken = encodeVisitCursor(domain.VisitCursor{Date: last.Date, ID: last.ID})
	}
	for _, v := range vs {
		resp.Visits = append(resp.Visits, toVisit(v))
	}
	return resp, nil
}

func (s *Visits) ListOverdueVisits(ctx context.Context, req *identificationv1.ListOverdueVisitsRequest) (*identificationv1.ListOverdueVisitsResponse, error) {
	c, _ := caller(ctx)
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	o, err := s.visits.ListOverdue(ctx, c, req.GetRegionCode(), req.GetAsOfDate(), after, pageSize(req.GetPageSize(), maxOverduePage))
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListOverdueVisitsResponse{AsOfDate: o.Date, NextPageToken: encodePageToken(o.Next),
		TotalSize: int32(min(o.Total, 1<<31-1))}
	for _, h := range o.Households {
		out := &identificationv1.OverdueVisit{Household: "households/" + h.HouseholdID, RegionCode: h.RegionCode,
			HouseholdNumber: h.Number, LastVisitDate: h.LastVisit, ReferenceDate: h.Reference, DaysSince: int32(h.DaysSince)}
		if h.Helper != nil {
			out.Helper, out.HelperName = "households/"+h.HouseholdID+"/helpers/"+h.Helper.ID, h.Helper.FullName
		}
		resp.Households = append(resp.Households, out)
	}
	if resp.Policies, err = toPolicyValues(o.Policies); err != nil {
		return nil, err
	}
	return resp, nil
}

// helper converts an assignment for the wire: the phone masked unless plain is set.
func (s *Visits) helper(h *domain.Helper, plain bool) (*identificationv1.Helper, error) {
	phone := h.PhoneMasked
	if plain {
		if err := s.visits.RevealPhone(h); err != nil {
			return nil, err
		}
		phone = h.Phone
	}
	out := &identificationv1.Helper{
		Name: "households/" + h.HouseholdID + "/helpers/" + h.ID, FullName: h.FullName, Phone: phone,
		WorkUnit: h.WorkUnit, Primary: h.Primary, StartDate: h.StartDate, EndDate: h.EndDate,
		BackdateReason: h.BackdateReason, EndReason: h.EndReason, Current: h.ActiveOn(bizdate.Today(s.now())),
		Creator: h.Actor, CreateTime: timestamppb.New(h.RecordTime), Ender: h.EndActor,
	}
	if !h.EndTime.IsZero() {
		out.EndTime = timestamppb.New(h.EndTime)
	}
	return out, nil
}

func toVisit(v *domain.Visit) *identificationv1.Visit {
	return &identificationv1.Visit{
		Name: "households/" + v.HouseholdID + "/visits/" + v.ID, Helper: "households/" + v.HouseholdID + "/helpers/" + v.HelperID,
		HelperName: v.HelperName, VisitDate: v.Date, Kind: identificationv1.VisitKind(v.Kind), Notes: v.Notes,
		Findings: v.Findings, BackdateReason: v.BackdateReason, Recorder: v.Actor, RecordTime: timestamppb.New(v.RecordTime),
	}
}

func toPolicyValues(vs []policy.Value) ([]*commonv1.PolicyValue, error) {
	out := make([]*commonv1.PolicyValue, 0, len(vs))
	for _, v := range vs {
		var value structpb.Value
		if err := value.UnmarshalJSON(v.Raw); err != nil {
			return nil, err
		}
		out = append(out, &commonv1.PolicyValue{Parameter: v.Parameter, Region: v.Region, EffectiveDate: v.Effective,
			Value: &value, Hash: v.Hash})
	}
	return out, nil
}

// helperName splits "households/{household}/helpers/{helper}".
func helperName(name, field string) (string, string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "households" || parts[2] != "helpers" || parts[1] == "" || parts[3] == "" {
		return "", "", apperr.Invalid(domain.ReasonInvalidField, field, "must be households/{household}/helpers/{helper}")
	}
	return parts[1], parts[3], nil
}

// Page tokens of the visits area: opaque to callers, each with its own prefix.
func encodeOffset(n int) string { return pagetoken.Encode("o1", strconv.Itoa(n)) }

func decodeOffset(tok string) (int, error) {
	parts, err := pagetoken.Decode(tok, "o1", 1)
	if err != nil || parts == nil {
		return 0, err
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 {
		return 0, pagetoken.Invalid()
	}
	return n, nil
}

func encodeVisitCursor(c domain.VisitCursor) string { return pagetoken.Encode("v1", c.Date, c.ID) }

func decodeVisitCursor(tok string) (domain.VisitCursor, error) {
	parts, err := pagetoken.Decode(tok, "v1", 2)
	if err != nil || parts == nil {
		return domain.VisitCursor{}, err
	}
	if _, err := bizdate.Parse(parts[0]); err != nil || parts[1] == "" {
		return domain.VisitCursor{}, pagetoken.Invalid()
	}
	return domain.VisitCursor{Date: parts[0], ID: parts[1]}, nil
}
