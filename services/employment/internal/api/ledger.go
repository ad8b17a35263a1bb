package api

import (
	"context"
	"strings"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/pagetoken"
)

// Ledger serves fupin.employment.v1.LabourLedgerService: the labour ledger (劳动力台账).
type Ledger struct {
	employmentv1.UnimplementedLabourLedgerServiceServer
	ledger *domain.Ledger
}

var _ employmentv1.LabourLedgerServiceServer = (*Ledger)(nil)

// NewLedger returns the ledger's handlers.
func NewLedger(l *domain.Ledger) *Ledger { return &Ledger{ledger: l} }

// Page sizes of ListLabourers.
const (
	labourerDefaultPageSize = 50
	labourerMaxPageSize     = 1000
)

func (s *Ledger) GetLabourer(ctx context.Context, req *employmentv1.GetLabourerRequest) (*employmentv1.Labourer, error) {
	by, _ := caller(ctx)
	l, err := s.ledger.Get(ctx, by, strings.TrimPrefix(req.GetName(), "labourers/"))
	if err != nil {
		return nil, err
	}
	return toLabourer(l), nil
}

func (s *Ledger) ListLabourers(ctx context.Context, req *employmentv1.ListLabourersRequest) (*employmentv1.ListLabourersResponse, error) {
	by, _ := caller(ctx)
	after, err := pagetoken.After(req.GetPageToken(), "l1")
	if err != nil {
		return nil, err
	}
	ls, next, err := s.ledger.List(ctx, by, req.GetFilter(), after,
		pageSize(req.GetPageSize(), labourerDefaultPageSize, labourerMaxPageSize))
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListLabourersResponse{NextPageToken: pagetoken.Encode("l1", next)}
	for _, l := range ls {
		resp.Labourers = append(resp.Labourers, toLabourer(l))
	}
	return resp, nil
}
