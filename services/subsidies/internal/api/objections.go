package api

import (
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/intake"
)

// ObjectionTriage serves ReliefObjectionTriageService with the platform's triage of objections received online
// (intake.Triage's methods), under this service's contract: its owner and access rules.
type ObjectionTriage struct {
	*intake.Triage
	unimplementedTriage // one level down, so intake.Triage's methods win
}

type unimplementedTriage struct {
	subsidiesv1.UnimplementedReliefObjectionTriageServiceServer
}

var _ subsidiesv1.ReliefObjectionTriageServiceServer = (*ObjectionTriage)(nil)

// NewObjectionTriage returns the handlers.
func NewObjectionTriage(t *intake.Triage) *ObjectionTriage { return &ObjectionTriage{Triage: t} }
