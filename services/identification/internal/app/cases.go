package app

import (
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"

	"fupin.dev/services/identification/internal/api"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/workflow"
)

// newCases builds the identification and exit cases on a workflow engine over the service's database, with
// List filters written as the CaseService contract writes states, outcomes and the household. income may
// be nil: decisions then use the per-capita income the case's survey recorded.
func newCases(p *boot.Process, st *store.Store, now func() time.Time, income domain.PerCapitaIncome) (*domain.Cases, *workflow.Engine, error) {
	engine := workflow.New(p.DB, workflow.Options{Now: now, NewID: newID, Policy: p.Policy,
		StateNames: api.CaseFilterNames.States, OutcomeNames: api.CaseFilterNames.Outcomes, SubjectField: api.CaseFilterNames.Subject})
	cases, err := domain.NewCases(st, engine, p.Policy, income, now)
	return cases, engine, err
}

// registerNotices serves the public notices (公示) of every posting this service runs and the triage of
// the objections received online against them (platform/intake).
func registerNotices(p *boot.Process, engine *workflow.Engine, cases *domain.Cases, monitoring *domain.Monitoring, now func() time.Time) {
	in := intake.New(intake.Config{DB: p.DB, Engine: engine, Sealer: p.PII, Policy: p.Policy, Collection: "receivedObjections", Now: now})
	domain.HandleObjections(in, cases, monitoring)
	commonv1.RegisterPublicNoticeServiceServer(p.Server.GRPC(), intake.NewPublicNotices(engine, in))
	identificationv1.RegisterObjectionTriageServiceServer(p.Server.GRPC(), api.NewObjectionTriage(intake.NewTriage(in)))
	identificationv1.RegisterInboxServiceServer(p.Server.GRPC(), api.NewInbox(workflow.NewInbox(engine, api.InboxSteps(), server.MayCall)))
}
