package api

import (
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// Inbox serves ReliefInboxService with the platform's inbox over the service's cases (workflow.Inbox),
// under this service's contract.
type Inbox struct {
	*workflow.Inbox
	unimplementedInbox // one level down, so workflow.Inbox's method wins
}

type unimplementedInbox struct {
	subsidiesv1.UnimplementedReliefInboxServiceServer
}

var _ subsidiesv1.ReliefInboxServiceServer = (*Inbox)(nil)

// NewInbox returns the handlers.
func NewInbox(in *workflow.Inbox) *Inbox { return &Inbox{Inbox: in} }

// InboxSteps are the steps the service's cases wait for and the RPCs that record them: 低保 cases
// (DibaoService, "dibaoCases/{id}"), 特困 cases (DestituteService, "destituteCases/{id}") and the 两项补贴
// applications (DisabilitySubsidyService, "disabilitySubsidies/{id}"). All live in the service's
// fupin_cases table, whichever engine declared them.
func InboxSteps() []workflow.Waiting {
	named := func(collection string) func(*workflow.Case) string {
		return func(c *workflow.Case) string { return collection + "/" + c.ID }
	}
	dibao, destitute, subsidy := named("dibaoCases"), named("destituteCases"), named("disabilitySubsidies")
	out := []workflow.Waiting{
		{Kind: domain.KindDibao, Step: domain.ReliefStepSurvey, Method: subsidiesv1.DibaoService_RecordDibaoSurvey_FullMethodName, Resource: dibao},
		{Kind: domain.KindDibao, Step: domain.ReliefStepVillageReview, Method: subsidiesv1.DibaoService_RecordDibaoVillageReview_FullMethodName, Resource: dibao},
		{Kind: domain.KindDibao, Step: domain.ReliefStepPosting, Method: subsidiesv1.DibaoService_StartDibaoPosting_FullMethodName, Resource: dibao},
		{Kind: domain.KindDibao, Step: domain.ReliefStepPosting, Posting: true, Method: subsidiesv1.DibaoService_CompleteDibaoPosting_FullMethodName, Resource: dibao},
		{Kind: domain.KindDibao, Step: domain.ReliefStepTownshipReview, Method: subsidiesv1.DibaoService_RecordDibaoTownshipReview_FullMethodName, Resource: dibao},
		{Kind: domain.KindDibao, Step: domain.ReliefStepCountyDecision, Method: subsidiesv1.DibaoService_DecideDibaoCase_FullMethodName, Resource: dibao},
		{Kind: domain.KindDestitute, Step: domain.ReliefStepSurvey, Method: subsidiesv1.DestituteService_RecordDestituteSurvey_FullMethodName, Resource: destitute},
		{Kind: domain.KindDestitute, Step: domain.ReliefStepTownshipReview, Method: subsidiesv1.DestituteService_RecordDestituteTownshipReview_FullMethodName, Resource: destitute},
		{Kind: domain.KindDestitute, Step: domain.ReliefStepCountyDecision, Method: subsidiesv1.DestituteService_DecideDestituteCase_FullMethodName, Resource: destitute},
	}
	for _, kind := range []string{domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyKindCare} {
		out = append(out,
			workflow.Waiting{Kind: kind, Step: domain.DisabilitySubsidyStepTownshipCheck, Method: subsidiesv1.DisabilitySubsidyService_CheckDisabilitySubsidy_FullMethodName, Resource: subsidy},
			workflow.Waiting{Kind: kind, Step: domain.DisabilitySubsidyStepCountyReview, Method: subsidiesv1.DisabilitySubsidyService_ReviewDisabilitySubsidy_FullMethodName, Resource: subsidy},
		)
	}
	return out
}
