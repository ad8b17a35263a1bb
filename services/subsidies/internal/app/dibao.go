package app

import (
	"context"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/register"
)

// dibaoArea serves 民政's area: 低保 cases, coverage, reviews and eligibility checks, 特困供养 and 临时救助.
// It has no background jobs: the register's changes reach it through the subscriber, which the follower
// returned by dibaoFollower is given to.
func dibaoArea(w *wiring) ([]func(context.Context) error, error) {
	dibao, destitute, engine, err := newRelief(w)
	if err != nil {
		return nil, err
	}
	reg := register.New(w.register)
	subsidiesv1.RegisterDibaoServiceServer(w.p.Server.GRPC(), api.NewDibao(dibao, w.now))
	// 低保 postings are public (公示): their notices and the objections received online.
	in := intake.New(intake.Config{DB: w.st.DB(), Engine: engine, Sealer: w.p.PII, Policy: w.p.Policy, Collection: "reliefObjections", Now: w.now})
	dibao.HandleObjections(in)
	commonv1.RegisterPublicNoticeServiceServer(w.p.Server.GRPC(), intake.NewPublicNotices(engine, in))
	subsidiesv1.RegisterReliefObjectionTriageServiceServer(w.p.Server.GRPC(), api.NewObjectionTriage(intake.NewTriage(in)))
	subsidiesv1.RegisterDestituteServiceServer(w.p.Server.GRPC(), api.NewDestitute(destitute, w.now))
	subsidiesv1.RegisterTemporaryAssistanceServiceServer(w.p.Server.GRPC(),
		api.NewTemporaryAssistance(domain.NewTemporaryAssistances(w.st, w.p.Policy, reg, newID, w.now)))
	// 办理: the inbox reads the service's fupin_cases, so it lists the 两项补贴 applications of the
	// certificates area's engine too.
	subsidiesv1.RegisterReliefInboxServiceServer(w.p.Server.GRPC(), api.NewInbox(workflow.NewInbox(engine, api.InboxSteps(), server.MayCall)))
	return nil, nil
}

// newRelief builds 低保 and 特困 cases on their own workflow engine over the service's database (engines
// keep nothing but their definitions, so several over one database agree), with List filters written as
// the contract writes states, outcomes and the subject. The register is read through identification's
// API, the certificates from this service's own register (残联's area).
func newRelief(w *wiring) (*domain.Dibao, *domain.Destitute, *workflow.Engine, error) {
	names := api.ReliefFilterNames
	engine := workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID, Policy: w.p.Policy,
		StateNames: names.States, OutcomeNames: names.Outcomes, SubjectField: names.Subject})
	reg := register.New(w.register)
	dibao, err := domain.NewDibao(w.st, w.st, engine, w.p.Policy, reg, w.st, newID, w.now)
	if err != nil {
		return nil, nil, nil, err
	}
	dibao.PublishNotices(payrollsvc.RegisterNames{Households: identificationv1.NewHouseholdServiceClient(w.register)})
	// 困难残疾人生活补贴 is for members of 低保 households: it stops when the household's 低保 does.
	disability, err := newDisabilitySubsidies(w)
	if err != nil {
		return nil, nil, nil, err
	}
	dibao.OnCoverageEnd(disability.StopLivingSubsidies)
	destitute, err := domain.NewDestitute(w.st, engine, w.p.Policy, reg, w.st, newID, w.now)
	if err != nil {
		return nil, nil, nil, err
	}
	return dibao, destitute, engine, nil
}

// dibaoFollower returns 低保's follower of the register's change feed, for the subscriber: covered members
// who die or move out reduce the household's 低保 (and stop their 特困供养), and a household newly confirmed
// as a monitoring object, or newly poor or returned, gets a 低保 eligibility check.
func dibaoFollower(w *wiring) (domain.Follower, error) {
	dibao, _, _, err := newRelief(w)
	if err != nil {
		return nil, err
	}
	return dibao.Follower(), nil
}
