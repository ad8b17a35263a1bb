package app

import (
	"context"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/subsidies/internal/api"
)

// auditArea serves the auditors' read API over the service's audit log (审计).
func auditArea(w *wiring) ([]func(context.Context) error, error) {
	subsidiesv1.RegisterReliefAuditServiceServer(w.p.Server.GRPC(), api.NewAuditRecords(audit.NewReader(w.p.DB)))
	return nil, nil
}
