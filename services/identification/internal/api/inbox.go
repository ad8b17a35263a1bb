package api

import (
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/workflow"
)

// Inbox serves InboxService with the platform's inbox over the service's cases (workflow.Inbox), under
// this service's contract.
type Inbox struct {
	*workflow.Inbox
	unimplementedInbox // one level down, so workflow.Inbox's method wins
}

type unimplementedInbox struct {
	identificationv1.UnimplementedInboxServiceServer
}

var _ identificationv1.InboxServiceServer = (*Inbox)(nil)

// NewInbox returns the handlers.
func NewInbox(in *workflow.Inbox) *Inbox { return &Inbox{Inbox: in} }

// InboxSteps are the steps the register's cases wait for and the RPCs that record them: identification
// and exit cases (CaseService, on "cases/{id}"), monitoring clues and risk removals (MonitoringService,
// on the clue and on "households/{id}/riskRemovals/{id}").
func InboxSteps() []workflow.Waiting {
	caseName := func(c *workflow.Case) string { return "cases/" + c.ID }
	var out []workflow.Waiting
	for _, kind := range []string{domain.KindIdentification, domain.KindExit} {
		out = append(out,
			workflow.Waiting{Kind: kind, Step: domain.StepSurvey, Method: identificationv1.CaseService_RecordSurvey_FullMethodName, Resource: caseName},
			workflow.Waiting{Kind: kind, Step: domain.StepVillageReview, Method: identificationv1.CaseService_RecordVillageReview_FullMethodName, Resource: caseName},
			workflow.Waiting{Kind: kind, Step: domain.StepPosting, Method: identificationv1.CaseService_StartPosting_FullMethodName, Resource: caseName},
			workflow.Waiting{Kind: kind, Step: domain.StepPosting, Posting: true, Method: identificationv1.CaseService_CompletePosting_FullMethodName, Resource: caseName},
			workflow.Waiting{Kind: kind, Step: domain.StepTownshipReview, Method: identificationv1.CaseService_RecordTownshipReview_FullMethodName, Resource: caseName},
			workflow.Waiting{Kind: kind, Step: domain.StepCountyDecision, Method: identificationv1.CaseService_DecideCase_FullMethodName, Resource: caseName},
		)
	}
	clue := func(c *workflow.Case) string { return c.Subject }
	removal := func(c *workflow.Case) string { return c.Subject + "/riskRemovals/" + c.ID }
	const ms = "/fupin.identification.v1.MonitoringService/"
	for _, m := range []struct {
		kind, noun string
		name       func(*workflow.Case) string
	}{{domain.KindMonitoringClue, "Clue", clue}, {domain.KindRiskRemoval, "RiskRemoval", removal}} {
		out = append(out,
			workflow.Waiting{Kind: m.kind, Step: domain.MonitoringStepVerification, Method: ms + "Verify" + m.noun, Resource: m.name},
			workflow.Waiting{Kind: m.kind, Step: domain.MonitoringStepPosting, Method: ms + "Publicize" + m.noun, Resource: m.name},
			workflow.Waiting{Kind: m.kind, Step: domain.MonitoringStepPosting, Posting: true, Method: ms + "Decide" + m.noun, Resource: m.name},
			workflow.Waiting{Kind: m.kind, Step: domain.MonitoringStepDecision, Method: ms + "Decide" + m.noun, Resource: m.name},
		)
	}
	return out
}
