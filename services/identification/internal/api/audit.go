package api

import (
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/audit"
)

// AuditRecords serves AuditService with the platform's read API over the audit log (audit.Reader), under
// this service's contract: auditors only.
type AuditRecords struct {
	*audit.Reader
	unimplementedAudit // one level down, so audit.Reader's method wins
}

type unimplementedAudit struct {
	identificationv1.UnimplementedAuditServiceServer
}

var _ identificationv1.AuditServiceServer = (*AuditRecords)(nil)

// NewAuditRecords returns the handlers.
func NewAuditRecords(r *audit.Reader) *AuditRecords { return &AuditRecords{Reader: r} }
