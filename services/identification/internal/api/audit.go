package api

import (
	"context"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/audit"
)

// AuditRecords serves AuditService with the platform's read API over the audit log (audit.Reader), under
// this service's contract: auditors only; and the register's lookup of a person by 身份证号 for it.
type AuditRecords struct {
	*audit.Reader
	svc                *domain.Service
	unimplementedAudit // one level down, so audit.Reader's method wins
}

type unimplementedAudit struct {
	identificationv1.UnimplementedAuditServiceServer
}

var _ identificationv1.AuditServiceServer = (*AuditRecords)(nil)

// NewAuditRecords returns the handlers.
func NewAuditRecords(r *audit.Reader, svc *domain.Service) *AuditRecords {
	return &AuditRecords{Reader: r, svc: svc}
}

// LookupAuditPerson finds the person id of a 身份证号.
func (s *AuditRecords) LookupAuditPerson(ctx context.Context, req *identificationv1.LookupAuditPersonRequest) (*identificationv1.AuditPerson, error) {
	c, _ := caller(ctx)
	id, err := s.svc.PersonOfIDNumber(ctx, c, req.GetIdNumber())
	if err != nil {
		return nil, err
	}
	return &identificationv1.AuditPerson{PersonId: id}, nil
}
