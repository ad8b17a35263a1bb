// Package api adapts the identification service's use cases to its gRPC contract: each handler reads
// the caller, converts the request, calls the domain and converts the answer back. Validation of field
// shapes happens before (protovalidate in the platform chain); rules live in the domain.
package api

import (
	"context"
	"strings"
	"time"

	"fupin.dev/services/platform/pagetoken"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
)

// Households serves fupin.identification.v1.HouseholdService.
type Households struct {
	identificationv1.UnimplementedHouseholdServiceServer
	svc *domain.Service
	now func() time.Time
}

var _ identificationv1.HouseholdServiceServer = (*Households)(nil)

// NewHouseholds returns the household handlers; now is the clock the masked view takes its year from.
func NewHouseholds(svc *domain.Service, now func() time.Time) *Households {
	return &Households{svc: svc, now: now}
}

// caller is the domain's view of who calls: an actor for trails and a region scope.
func caller(ctx context.Context) (domain.Caller, *auth.Caller) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return domain.Caller{Actor: "anonymous", Scope: auth.NoRegion}, &auth.Caller{}
	}
	return domain.Caller{Actor: c.Actor(), Scope: c.Scope()}, c
}

// respond converts a household for this caller.
func (s *Households) respond(ctx context.Context, h *domain.Household) (*identificationv1.Household, error) {
	_, c := caller(ctx)
	return s.convert(h, c, viewOf(c, s.now()))
}

// convert converts a household as v allows: plain 身份证号 are opened only for callers allowed them.
func (s *Households) convert(h *domain.Household, c *auth.Caller, v view) (*identificationv1.Household, error) {
	if c.PlainText {
		if err := s.svc.Reveal(h); err != nil {
			return nil, err
		}
	}
	return toHousehold(h, v), nil
}

func (s *Households) CreateHousehold(ctx context.Context, req *identificationv1.CreateHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	in := req.GetHousehold()
	h, err := s.svc.CreateHousehold(ctx, c, domain.NewHousehold{
		RegionCode: in.GetRegionCode(), Address: in.GetAddress(), Number: in.GetHouseholdNumber(),
		Registry: domain.RegistryStatus(in.GetRegistryStatus()), Members: fromMembers(in.GetMembers()),
		RegistrationDate: in.GetRegistrationDate(), RegistrationReason: in.GetRegistrationBackdateReason(),
	})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) GetHousehold(ctx context.Context, req *identificationv1.GetHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.GetHousehold(ctx, c, householdID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

// BatchGetHouseholds reads several households at once (AIP-231): all of them, in the order asked, or a
// refusal naming the first the caller may not have.
func (s *Households) BatchGetHouseholds(ctx context.Context, req *identificationv1.BatchGetHouseholdsRequest) (*identificationv1.BatchGetHouseholdsResponse, error) {
	c, ac := caller(ctx)
	ids := make([]string, len(req.GetNames()))
	for i, name := range req.GetNames() {
		ids[i] = householdID(name)
	}
	hs, err := s.svc.BatchGetHouseholds(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.BatchGetHouseholdsResponse{Households: make([]*identificationv1.Household, 0, len(hs))}
	v := viewOf(ac, s.now())
	for _, h := range hs {
		out, err := s.convert(h, ac, v)
		if err != nil {
			return nil, err
		}
		resp.Households = append(resp.Households, out)
	}
	return resp, nil
}

// Page sizes for ListHouseholds.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

func (s *Households) ListHouseholds(ctx context.Context, req *identificationv1.ListHouseholdsRequest) (*identificationv1.ListHouseholdsResponse, error) {
	c, ac := caller(ctx)
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	hs, next, err := s.svc.ListHouseholds(ctx, c, req.GetFilter(), after, min(size, maxPageSize))
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListHouseholdsResponse{NextPageToken: encodePageToken(next)}
	v := viewOf(ac, s.now())
	for _, h := range hs {
		out, err := s.convert(h, ac, v)
		if err != nil {
			return nil, err
		}
		resp.Households = append(resp.Households, out)
	}
	return resp, nil
}

func (s *Households) LookupHousehold(ctx context.Context, req *identificationv1.LookupHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.LookupHousehold(ctx, c, req.GetIdNumber())
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) UpdateHousehold(ctx context.Context, req *identificationv1.UpdateHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	in := req.GetHousehold()
	h, err := s.svc.UpdateHousehold(ctx, c, householdID(in.GetName()), in.GetEtag(), req.GetUpdateMask().GetPaths(),
		domain.HouseholdPatch{Address: in.GetAddress(), Number: in.GetHouseholdNumber()})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) AddMember(ctx context.Context, req *identificationv1.AddMemberRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.AddMember(ctx, c, householdID(req.GetParent()), req.GetEtag(), fromMember(req.GetMember()))
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) UpdateMember(ctx context.Context, req *identificationv1.UpdateMemberRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	hid, pid, err := memberName(req.GetMember().GetName(), "member.name")
	if err != nil {
		return nil, err
	}
	m := req.GetMember()
	h, err := s.svc.UpdateMember(ctx, c, hid, pid, req.GetEtag(), req.GetUpdateMask().GetPaths(), domain.MemberPatch{
		FullName: m.GetFullName(), Ethnicity: m.GetEthnicity(), Education: domain.Education(m.GetEducation()),
		Health: domain.Health(m.GetHealth()), LabourAbility: domain.LabourAbility(m.GetLabourAbility()),
		Relation: domain.Relation(m.GetRelationToHead()),
	})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) RecordDeath(ctx context.Context, req *identificationv1.RecordDeathRequest) (*identificationv1.Household, error) {
	return s.depart(ctx, req.GetName(), req.GetEtag(), req.GetNewHead(), domain.Departure{
		Date: req.GetDateOfDeath(), State: domain.MemberDeceased, Reason: "死亡"})
}

func (s *Households) RecordMoveOut(ctx context.Context, req *identificationv1.RecordMoveOutRequest) (*identificationv1.Household, error) {
	reason := "迁出"
	if req.GetDestination() != "" {
		reason += ": " + req.GetDestination()
	}
	return s.depart(ctx, req.GetName(), req.GetEtag(), req.GetNewHead(), domain.Departure{
		Date: req.GetEffectiveDate(), State: domain.MemberMovedOut, Reason: reason})
}

func (s *Households) depart(ctx context.Context, name, etag, newHead string, d domain.Departure) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	hid, pid, err := memberName(name, "name")
	if err != nil {
		return nil, err
	}
	d.PersonID = pid
	if newHead != "" {
		nh, npid, err := memberName(newHead, "new_head")
		if err != nil {
			return nil, err
		}
		if nh != hid {
			return nil, apperr.Invalid(domain.ReasonInvalidField, "new_head", "must be a member of the same household")
		}
		d.NewHead = npid
	}
	h, err := s.svc.RecordDeparture(ctx, c, hid, etag, d)
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) MoveHousehold(ctx context.Context, req *identificationv1.MoveHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.MoveHousehold(ctx, c, householdID(req.GetName()), req.GetEtag(), req.GetRegionCode(), req.GetAddress(), req.GetEffectiveDate())
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) SetRegistryStatus(ctx context.Context, req *identificationv1.SetRegistryStatusRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.SetRegistryStatus(ctx, c, householdID(req.GetName()), req.GetEtag(),
		domain.RegistryStatus(req.GetRegistryStatus()), req.GetEffectiveDate(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func (s *Households) ArchiveHousehold(ctx context.Context, req *identificationv1.ArchiveHouseholdRequest) (*identificationv1.Household, error) {
	c, _ := caller(ctx)
	h, err := s.svc.ArchiveHousehold(ctx, c, householdID(req.GetName()), req.GetEtag(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, h)
}

func householdID(name string) string { return strings.TrimPrefix(name, "households/") }

func memberName(name, field string) (string, string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "households" || parts[2] != "members" || parts[1] == "" || parts[3] == "" {
		return "", "", apperr.Invalid(domain.ReasonInvalidField, field, "must be households/{household}/members/{person}")
	}
	return parts[1], parts[3], nil
}

// encodePageToken is the token of an id-ordered list after the given id ("" on the last page).
func encodePageToken(after string) string {
	if after == "" {
		return ""
	}
	return pagetoken.Encode("h1", after)
}

func decodePageToken(tok string) (string, error) {
	parts, err := pagetoken.Decode(tok, "h1", 1)
	if err != nil || parts == nil {
		return "", err
	}
	return parts[0], nil
}
