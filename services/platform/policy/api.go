package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"google.golang.org/protobuf/types/known/structpb"
)

// API serves fupin.common.v1.PolicyService from a live Store; every service registers it.
type API struct {
	commonv1.UnimplementedPolicyServiceServer
	store *Store
	now   func() time.Time
}

var _ commonv1.PolicyServiceServer = (*API)(nil)

// NewAPI serves lookups from store; now is the clock for requests without a date.
func NewAPI(store *Store, now func() time.Time) *API { return &API{store: store, now: now} }

// GetPolicyValue returns the value in force for a region and date.
func (a *API) GetPolicyValue(_ context.Context, req *commonv1.GetPolicyValueRequest) (*commonv1.PolicyValue, error) {
	date := a.now()
	if req.GetDate() != "" {
		d, err := bizdate.Parse(req.GetDate())
		if err != nil {
			return nil, apperr.Invalid("INVALID_FIELD", "date", err.Error())
		}
		date = d
	}
	v, err := a.store.Lookup(req.GetParameter(), req.GetRegionCode(), date)
	if errors.Is(err, ErrNotFound) {
		return nil, apperr.NotFound("policy parameter " + req.GetParameter() + " for this region and date")
	}
	if err != nil {
		return nil, err
	}
	return ToProto(v)
}

// ToProto converts a value as a decision keeps it (with its hash) to its API form, for every service that
// shows which policy values a decision used.
func ToProto(v Value) (*commonv1.PolicyValue, error) {
	pv := &commonv1.PolicyValue{Parameter: v.Parameter, Region: v.Region, EffectiveDate: v.Effective, Hash: v.Hash}
	if len(v.Raw) > 0 {
		pv.Value = &structpb.Value{}
		if err := pv.Value.UnmarshalJSON(v.Raw); err != nil {
			return nil, fmt.Errorf("policy value %s: %w", v.Parameter, err)
		}
	}
	return pv, nil
}
