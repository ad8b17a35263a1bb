package app

import (
	"context"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment/internal/api"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/proto"
)

// RollElection is the etcd election whose leader computes 人社's rolls on the compute day.
var RollElection = payrollsvc.ElectionName(Name)

// RollConfig is what the employment service tells the payroll engine: the programs 人社 pays (公益岗 wages
// paid in arrears; the workshop reward and the employment subsidies join here) and its compute day.
func RollConfig() payroll.Config {
	return payroll.Config{Service: Name, Programs: payroll.ProgramsOf(payroll.DepartmentHumanResources),
		ComputeDayParam: "employment.roll.compute_day", InArrears: []payroll.Program{payroll.ProgramWelfarePostWage}}
}

// postsArea serves 公益岗 (WelfarePostService): posts, assignments on the workflow engine with their public
// notices (PublicNoticeService, the objections received online and their triage), attendance; and 人社's
// PaymentRollService on the platform's payroll with its scheduled computation and the follower of funds'
// payment results. The register's deaths and moves reach 公益岗 through Posts (a
// domain.PostsRegisterFollower), which the register's follower calls.
func postsArea(w *wiring) ([]func(context.Context) error, error) {
	engine := workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID, Policy: w.p.Policy})
	posts, err := domain.NewPosts(w.st, domain.LedgerPostFacts{Store: w.st}, engine, w.p.Policy, newID, w.now)
	if err != nil {
		return nil, err
	}
	names := payrollsvc.RegisterNames{Households: identificationv1.NewHouseholdServiceClient(w.register)}
	posts.PublishNotices(names)
	w.posts = posts
	employmentv1.RegisterWelfarePostServiceServer(w.p.Server.GRPC(), api.NewWelfarePosts(posts))
	in := intake.New(intake.Config{DB: w.st.DB(), Engine: engine, Sealer: w.p.PII, Policy: w.p.Policy,
		Collection: "postObjections", Now: w.now})
	posts.HandleObjections(in)
	commonv1.RegisterPublicNoticeServiceServer(w.p.Server.GRPC(), intake.NewPublicNotices(engine, in))
	employmentv1.RegisterEmploymentObjectionTriageServiceServer(w.p.Server.GRPC(), api.NewObjectionTriage(intake.NewTriage(in)))
	// 办理: the inbox (registered once, by aidArea) lists these cases too: api.InboxSteps names their steps.

	logger := w.p.Logger.With("area", "paymentRolls")
	r := payroll.NewRolls(RollConfig(), w.st, election.Locks{Client: w.p.Etcd}, w.p.Policy, w.now)
	r.AuditScheduled(func(ctx context.Context, resource string, records int) error {
		return w.p.Audit.Write(ctx, audit.Background(Name, "schedule/paymentRolls", resource, records, w.now()))
	})
	err = w.p.Server.LockBefore(employmentv1.EmploymentPaymentRollService_ComputeRoll_FullMethodName, server.LockRule{
		Key: func(req proto.Message) (string, bool) {
			c, ok := req.(*employmentv1.ComputeRollRequest)
			return r.LockName(payroll.Program(c.GetProgram()), c.GetMonth()), ok
		},
		Busy: payroll.ErrRollBusy,
	})
	if err != nil {
		return nil, err
	}
	employmentv1.RegisterEmploymentPaymentRollServiceServer(w.p.Server.GRPC(), api.NewPaymentRolls(r, names))
	elector := election.New(w.p.Etcd, RollElection, election.Options{Logger: logger})
	job := &payrollsvc.Schedule{Rolls: r, Elector: elector, PolicyChanged: w.p.Policy.Changed, Logger: logger}
	funds, err := w.p.Dial(payroll.FundsService)
	if err != nil {
		return nil, err
	}
	results := payrollsvc.NewResultsFollower(w.st.DB(), commonv1.NewChangeFeedServiceClient(funds), r,
		outbox.SubscribeOptions{Logger: logger, Audit: w.p.Audit, Service: Name, Now: w.now, MaxBackoff: 2 * time.Minute})
	return []func(context.Context) error{elector.Run, job.Run, results.Run}, nil
}
