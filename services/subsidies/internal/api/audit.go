package api

import (
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
)

// AuditRecords serves ReliefAuditService with the platform's read API over the audit log (audit.Reader),
// under this service's contract: auditors only.
type AuditRecords struct {
	*audit.Reader
	unimplementedAudit // one level down, so audit.Reader's method wins
}

type unimplementedAudit struct {
	subsidiesv1.UnimplementedReliefAuditServiceServer
}

var _ subsidiesv1.ReliefAuditServiceServer = (*AuditRecords)(nil)

// NewAuditRecords returns the handlers.
func NewAuditRecords(r *audit.Reader) *AuditRecords { return &AuditRecords{Reader: r} }
