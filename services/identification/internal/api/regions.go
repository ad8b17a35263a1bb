package api

import (
	"context"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
)

// Regions serves fupin.identification.v1.RegionService.
type Regions struct {
	identificationv1.UnimplementedRegionServiceServer
	svc *domain.Service
}

var _ identificationv1.RegionServiceServer = (*Regions)(nil)

// NewRegions returns the region handlers.
func NewRegions(svc *domain.Service) *Regions { return &Regions{svc: svc} }

func (s *Regions) GetRegion(ctx context.Context, req *identificationv1.GetRegionRequest) (*identificationv1.Region, error) {
	r, err := s.svc.Region(ctx, strings.TrimPrefix(req.GetName(), "regions/"))
	if err != nil {
		return nil, err
	}
	return toRegion(r), nil
}

func (s *Regions) ListRegions(ctx context.Context, req *identificationv1.ListRegionsRequest) (*identificationv1.ListRegionsResponse, error) {
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = 100
	}
	rs, err := s.svc.ListRegions(ctx, req.GetParentCode(), after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListRegionsResponse{}
	if len(rs) > size {
		rs = rs[:size]
		resp.NextPageToken = encodePageToken(rs[len(rs)-1].Code)
	}
	for _, r := range rs {
		resp.Regions = append(resp.Regions, toRegion(r))
	}
	return resp, nil
}
