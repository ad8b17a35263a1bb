package app

import (
	"context"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/api"
	"fupin.dev/services/employment/internal/domain"
)

// ledgerArea serves the labour ledger (劳动力台账).
func ledgerArea(w *wiring) ([]func(context.Context) error, error) {
	employmentv1.RegisterLabourLedgerServiceServer(w.p.Server.GRPC(), api.NewLedger(domain.NewLedger(w.st, w.now)))
	return nil, nil
}

// factsArea serves 人社's facts about persons to the other departments' services.
func factsArea(w *wiring) ([]func(context.Context) error, error) {
	employmentv1.RegisterEmploymentFactsServiceServer(w.p.Server.GRPC(), api.NewFacts(domain.NewFacts(w.st)))
	return nil, nil
}
