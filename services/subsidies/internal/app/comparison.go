package app

import (
	"context"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/register"
)

// comparisonArea serves the 两线合一 comparison: 民政's 低保 list against the register, streamed from the
// identification service's export. It has no background jobs: runs are started by 民政 (RunComparison).
func comparisonArea(w *wiring) ([]func(context.Context) error, error) {
	cs := domain.NewComparisons(w.st, register.NewExport(w.register, w.p.Logger), w.p.Policy, w.now, newID)
	subsidiesv1.RegisterComparisonServiceServer(w.p.Server.GRPC(), api.NewComparisons(cs))
	return nil, nil
}
