package app

import (
	"context"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/api"
	"fupin.dev/services/employment/internal/domain"
)

// ledgerArea serves the labour ledger (劳动力台账).
func ledgerArea(w *wiring) ([]func(context.Context) error, error) {
	records := domain.NewRecords(w.st, w.now, newID)
	records.OnSpellsChanged(w.evaluateAid)
	employmentv1.RegisterLabourLedgerServiceServer(w.p.Server.GRPC(),
		api.NewLedger(domain.NewLedger(w.st, w.now)).WithRecords(records))
	return nil, nil
}

// factsArea serves 人社's facts about persons to the other departments' services.
func factsArea(w *wiring) ([]func(context.Context) error, error) {
	employmentv1.RegisterEmploymentFactsServiceServer(w.p.Server.GRPC(), api.NewFacts(domain.NewFacts(w.st)))
	return nil, nil
}

// importArea takes 人社's quarterly labour file.
func importArea(w *wiring) ([]func(context.Context) error, error) {
	importer := domain.NewLabourImporter(w.st, w.p.PII.BlindIndex, w.now)
	importer.OnApplied(w.passAid)
	employmentv1.RegisterLabourImportServiceServer(w.p.Server.GRPC(),
		api.NewLabourImports(importer, w.p.Audit, w.now))
	return nil, nil
}
