package api

import (
	"context"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Trail serves fupin.identification.v1.TrailService.
type Trail struct {
	identificationv1.UnimplementedTrailServiceServer
	trail *domain.Trail
}

var _ identificationv1.TrailServiceServer = (*Trail)(nil)

// NewTrail returns the trail handler.
func NewTrail(trail *domain.Trail) *Trail { return &Trail{trail: trail} }

func (s *Trail) GetHouseholdTrail(ctx context.Context, req *identificationv1.GetHouseholdTrailRequest) (*identificationv1.HouseholdTrail, error) {
	c, _ := caller(ctx)
	id := strings.TrimSuffix(householdID(req.GetName()), "/trail")
	events, err := s.trail.Events(ctx, c, id)
	if err != nil {
		return nil, err
	}
	out := &identificationv1.HouseholdTrail{Name: "households/" + id + "/trail"}
	for _, e := range events {
		ev := &identificationv1.TrailEvent{Date: e.Date, Source: e.Source, Kind: e.Kind, Actor: e.Actor,
			Summary: e.Summary, Reason: e.Reason, Resource: e.Resource}
		if !e.RecordTime.IsZero() {
			ev.RecordTime = timestamppb.New(e.RecordTime)
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}
