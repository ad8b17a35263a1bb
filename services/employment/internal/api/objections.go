package api

import (
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/platform/intake"
)

// ObjectionTriage serves EmploymentObjectionTriageService with the platform's triage of objections received
// online (intake.Triage's methods), under this service's contract: its owner and access rules.
type ObjectionTriage struct {
	*intake.Triage
	unimplementedTriage // one level down, so intake.Triage's methods win
}

type unimplementedTriage struct {
	employmentv1.UnimplementedEmploymentObjectionTriageServiceServer
}

var _ employmentv1.EmploymentObjectionTriageServiceServer = (*ObjectionTriage)(nil)

// NewObjectionTriage returns the handlers.
func NewObjectionTriage(t *intake.Triage) *ObjectionTriage { return &ObjectionTriage{Triage: t} }
