package payrollsvc

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/payroll"
	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RegisterNames reads the names on an exported roll (and on a public notice) from the identification service with
// BatchGetHouseholds, rollNamesBatch households a call, rollNameCalls calls at once, on behalf of the caller
// (who must see those households): a county roll of 60,000 households is 60 calls.
type RegisterNames struct {
	Households identificationv1.HouseholdServiceClient
}

const (
	// rollNamesBatch is how many households one register call reads (BatchGetHouseholds' limit).
	rollNamesBatch = 1000
	// rollNameCalls is how many register calls an export makes at once.
	rollNameCalls = 2
)

func (n RegisterNames) RollNames(ctx context.Context, ids []string) (map[string]payroll.HouseholdNames, error) {
	out := make(map[string]payroll.HouseholdNames, len(ids))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rollNameCalls)
	for chunk := range slices.Chunk(ids, rollNamesBatch) {
		g.Go(func() error {
			hs, err := n.batch(gctx, chunk)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, h := range hs {
				names := payroll.HouseholdNames{Members: map[string]string{}}
				for _, m := range h.GetMembers() {
					names.Members[m.GetPersonId()] = m.GetFullName()
					if m.GetRelationToHead() == identificationv1.Relation_RELATION_HEAD {
						names.Head = m.GetFullName()
					}
				}
				out[strings.TrimPrefix(h.GetName(), "households/")] = names
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// batch reads the households with these (distinct) ids. The register answers all or nothing, so a
// household it does not have or does not show the caller (NOT_FOUND, PERMISSION_DENIED
// OUT_OF_REGION_SCOPE, naming it) is left out and the others asked again: it is shown without a name
// rather than failing the whole export. A caller who may not read the register at all gets no names.
// An answer too large for one message, or a refusal that names no household, is split in halves.
func (n RegisterNames) batch(ctx context.Context, ids []string) ([]*identificationv1.Household, error) {
	for len(ids) > 0 {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = "households/" + id
		}
		resp, err := n.Households.BatchGetHouseholds(ctx, &identificationv1.BatchGetHouseholdsRequest{Names: names})
		if err == nil {
			return resp.GetHouseholds(), nil
		}
		st := status.Convert(err)
		info := errorInfo(st)
		switch st.Code() {
		case codes.NotFound, codes.PermissionDenied:
			if st.Code() == codes.PermissionDenied && info.GetReason() != "OUT_OF_REGION_SCOPE" {
				return nil, nil // the caller may not read households at all (as one refusal per household was)
			}
			if i := slices.Index(names, info.GetMetadata()["name"]); i >= 0 {
				ids = slices.Concat(ids[:i], ids[i+1:]) // a copy: ids may share the caller's array
				continue
			}
			if len(ids) == 1 {
				return nil, nil
			}
		case codes.ResourceExhausted:
			if len(ids) == 1 {
				return nil, registerUnavailable(err)
			}
		default:
			return nil, registerUnavailable(err)
		}
		half := len(ids) / 2
		first, err := n.batch(ctx, ids[:half])
		if err != nil {
			return nil, err
		}
		second, err := n.batch(ctx, ids[half:])
		if err != nil {
			return nil, err
		}
		return append(first, second...), nil
	}
	return nil, nil
}

// errorInfo is the ErrorInfo of a refusal, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func registerUnavailable(err error) error {
	return apperr.Unavailable("REGISTER_UNAVAILABLE", fmt.Sprintf("the register did not give household names: %v", err))
}

var _ payroll.RollNames = RegisterNames{}
