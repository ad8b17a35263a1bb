package app

import (
	"context"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
)

// decisionsArea serves the decisions' snapshot to the departments that follow them (人社, 乡村振兴局); the
// decisions' changes are published on the service's change feed by the store, in each decision's
// transaction.
func decisionsArea(w *wiring) ([]func(context.Context) error, error) {
	// The decisions' payloads carry persons' blind indexes, which only services receive: a county
	// administrator or an auditor reading the feed sees each change without its payload.
	w.p.Feed.ServicesOnly(domain.DecisionTopics...)
	subsidiesv1.RegisterDecisionExportServiceServer(w.p.Server.GRPC(),
		api.NewDecisionExport(domain.NewDecisionExport(w.st, w.now), w.p.Audit, w.now))
	return nil, nil
}
