package api

import (
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/workflow"
)

// Inbox serves EmploymentInboxService with the platform's inbox over the service's cases (workflow.Inbox),
// under this service's contract.
type Inbox struct {
	*workflow.Inbox
	unimplementedInbox // one level down, so workflow.Inbox's method wins
}

type unimplementedInbox struct {
	employmentv1.UnimplementedEmploymentInboxServiceServer
}

var _ employmentv1.EmploymentInboxServiceServer = (*Inbox)(nil)

// NewInbox returns the handlers.
func NewInbox(in *workflow.Inbox) *Inbox { return &Inbox{Inbox: in} }

// InboxSteps are the steps the service's cases wait for and the RPCs that record them: 公益岗 assignments
// (WelfarePostService, "welfarePostAssignments/{id}", the case's subject) and the 就业援助 case's closing
// (EmploymentAidService, "aidCases/{id}"). Every area whose cases run on the engine adds its steps here; they
// all live in the service's fupin_cases table, whichever engine declared them.
func InboxSteps() []workflow.Waiting {
	named := func(collection string) func(*workflow.Case) string {
		return func(c *workflow.Case) string { return collection + "/" + c.ID }
	}
	subject := func(c *workflow.Case) string { return c.Subject }
	const k = domain.KindPostAssignment
	out := []workflow.Waiting{
		{Kind: domain.KindEmploymentAid, Step: domain.AidStepClosing, Method: employmentv1.EmploymentAidService_CloseAidCase_FullMethodName,
			Resource: named("aidCases")},
		{Kind: k, Step: domain.PostStepReview, Method: employmentv1.WelfarePostService_ReviewWelfarePostAssignment_FullMethodName, Resource: subject},
		{Kind: k, Step: domain.PostStepPosting, Method: employmentv1.WelfarePostService_StartWelfarePostAssignmentPosting_FullMethodName, Resource: subject},
		{Kind: k, Step: domain.PostStepPosting, Posting: true, Method: employmentv1.WelfarePostService_CompleteWelfarePostAssignmentPosting_FullMethodName, Resource: subject},
		{Kind: k, Step: domain.PostStepAppointment, Method: employmentv1.WelfarePostService_AppointWelfarePostAssignment_FullMethodName, Resource: subject},
	}
	// The employment subsidies: the township's check, then 人社's approval, of each kind.
	for _, kind := range domain.SubsidyKinds {
		out = append(out,
			workflow.Waiting{Kind: kind, Step: domain.SubsidyStepTownshipCheck,
				Method: employmentv1.EmploymentSubsidyService_CheckEmploymentSubsidy_FullMethodName, Resource: named("employmentSubsidies")},
			workflow.Waiting{Kind: kind, Step: domain.SubsidyStepCountyReview,
				Method: employmentv1.EmploymentSubsidyService_ReviewEmploymentSubsidy_FullMethodName, Resource: named("employmentSubsidies")})
	}
	return out
}
