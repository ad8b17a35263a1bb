package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fupin.dev/services/platform/pagetoken"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Comparisons serves fupin.subsidies.v1.ComparisonService.
type Comparisons struct {
	subsidiesv1.UnimplementedComparisonServiceServer
	cs *domain.Comparisons
}

var _ subsidiesv1.ComparisonServiceServer = (*Comparisons)(nil)

// NewComparisons returns the comparison handlers.
func NewComparisons(cs *domain.Comparisons) *Comparisons { return &Comparisons{cs: cs} }

// comparisonCaller is the domain's view of the caller: actor and region scope.
func comparisonCaller(ctx context.Context) workflow.Caller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return workflow.Caller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return workflow.Caller{Actor: c.Actor(), Scope: c.Scope()}
}

func comparisonID(name string) string { return strings.TrimPrefix(name, "comparisons/") }

func (s *Comparisons) RunComparison(ctx context.Context, req *subsidiesv1.RunComparisonRequest) (*subsidiesv1.Comparison, error) {
	c, err := s.cs.Run(ctx, comparisonCaller(ctx), req.GetMonth())
	if err != nil {
		return nil, err
	}
	return toComparison(c), nil
}

func (s *Comparisons) GetComparison(ctx context.Context, req *subsidiesv1.GetComparisonRequest) (*subsidiesv1.Comparison, error) {
	c, err := s.cs.Get(ctx, comparisonCaller(ctx), comparisonID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toComparison(c), nil
}

// Page sizes of the comparison lists.
const (
	defaultComparisonPage = 50
	maxComparisonPage     = 500
	defaultMismatchPage   = 100
	maxMismatchPage       = 1000
)

func (s *Comparisons) ListComparisons(ctx context.Context, req *subsidiesv1.ListComparisonsRequest) (*subsidiesv1.ListComparisonsResponse, error) {
	after, err := pagetoken.After(req.GetPageToken(), "c1")
	if err != nil {
		return nil, err
	}
	limit := comparisonPageSize(req.GetPageSize(), defaultComparisonPage, maxComparisonPage)
	cs, err := s.cs.List(ctx, comparisonCaller(ctx), after, limit+1)
	if err != nil {
		return nil, err
	}
	out := &subsidiesv1.ListComparisonsResponse{}
	if len(cs) > limit {
		cs = cs[:limit]
		out.NextPageToken = pagetoken.Encode("c1", cs[limit-1].ID)
	}
	for _, c := range cs {
		out.Comparisons = append(out.Comparisons, toComparison(c))
	}
	return out, nil
}

func (s *Comparisons) ListMismatches(ctx context.Context, req *subsidiesv1.ListMismatchesRequest) (*subsidiesv1.ListMismatchesResponse, error) {
	id := comparisonID(req.GetParent())
	// The token names its run, so a token of one run's list is refused by another's.
	tok, err := pagetoken.After(req.GetPageToken(), "m1:"+id)
	if err != nil {
		return nil, err
	}
	after := 0
	if tok != "" {
		if after, err = strconv.Atoi(tok); err != nil {
			return nil, pagetoken.Invalid()
		}
	}
	limit := comparisonPageSize(req.GetPageSize(), defaultMismatchPage, maxMismatchPage)
	ms, err := s.cs.Mismatches(ctx, comparisonCaller(ctx), id, req.GetFilter(), after, limit+1)
	if err != nil {
		return nil, err
	}
	out := &subsidiesv1.ListMismatchesResponse{}
	if len(ms) > limit {
		ms = ms[:limit]
		out.NextPageToken = pagetoken.Encode("m1:"+id, strconv.Itoa(ms[limit-1].Seq))
	}
	out.Mismatches = make([]*subsidiesv1.Mismatch, len(ms))
	for i, m := range ms {
		out.Mismatches[i] = toMismatch(req.GetParent(), m)
	}
	return out, nil
}

func toComparison(c *domain.Comparison) *subsidiesv1.Comparison {
	return &subsidiesv1.Comparison{Name: "comparisons/" + c.ID, Month: c.Month, RegionCode: c.RegionCode,
		RegisterHouseholds: c.RegisterHouseholds, RegisterPersons: c.RegisterPersons, RegisteredHouseholds: c.Registered,
		DibaoHouseholds: c.DibaoHouseholds, RegisteredCovered: c.RegisteredCovered, RegisteredNotCovered: c.RegisteredNotCovered,
		DibaoNotRegistered: c.DibaoNotRegistered, PolicyHash: c.PolicyHash, Actor: c.Actor,
		CreateTime: timestamppb.New(c.CreateTime), DurationMs: c.Duration.Milliseconds()}
}

func toMismatch(parent string, m domain.Mismatch) *subsidiesv1.Mismatch {
	return &subsidiesv1.Mismatch{Name: fmt.Sprintf("%s/mismatches/%d", parent, m.Seq), Kind: subsidiesv1.MismatchKind(m.Kind),
		Reason: subsidiesv1.MismatchReason(m.Reason), Household: "households/" + m.HouseholdID, RegionCode: m.RegionCode,
		RegistryStatus:   identificationv1.RegistryStatus(m.Registry),
		MonitoringType:   identificationv1.MonitoringType(m.MonitoringType),
		MonitoringStatus: identificationv1.MonitoringStatus(m.MonitoringStatus), RegisterSize: int32(m.RegisterSize),
		DibaoSource: m.DibaoSource, Covered: int32(m.Covered)}
}

func comparisonPageSize(n int32, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(int(n), most)
}
