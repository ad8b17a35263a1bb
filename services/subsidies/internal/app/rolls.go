package app

import (
	"context"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/protobuf/proto"
)

// RollElection is the etcd election whose leader computes the rolls on the compute day.
var RollElection = payrollsvc.ElectionName(Name)

// FundsService is the name funds (财政) is dialed by: its change feed carries the payment results.
const FundsService = payroll.FundsService

// rollsArea is the payment roll area: PaymentRollService on the platform's payroll engine, the
// leader-elected job that computes each program's roll of the month from the compute day on, and the
// follower of funds' payment results. ComputeRoll's lock is taken by the platform before the request's
// transaction and released after its commit (server.LockBefore); the schedule takes the same lock itself.
func rollsArea(w *wiring) ([]func(context.Context) error, error) {
	logger := w.p.Logger.With("area", "paymentRolls")
	r := payroll.NewRolls(domain.RollConfig(Name), w.st, election.Locks{Client: w.p.Etcd}, w.p.Policy, w.now)
	r.AuditScheduled(func(ctx context.Context, resource string, records int) error {
		return w.p.Audit.Write(ctx, audit.Background(Name, "schedule/paymentRolls", resource, records, w.now()))
	})
	err := w.p.Server.LockBefore(subsidiesv1.PaymentRollService_ComputeRoll_FullMethodName, server.LockRule{
		Key: func(req proto.Message) (string, bool) {
			c, ok := req.(*subsidiesv1.ComputeRollRequest)
			return r.LockName(payroll.Program(c.GetProgram()), c.GetMonth()), ok
		},
		Busy: payroll.ErrRollBusy,
	})
	if err != nil {
		return nil, err
	}
	subsidiesv1.RegisterPaymentRollServiceServer(w.p.Server.GRPC(),
		api.NewPaymentRolls(r, payrollsvc.RegisterNames{Households: identificationv1.NewHouseholdServiceClient(w.register)}))
	elector := election.New(w.p.Etcd, RollElection, election.Options{Logger: logger})
	job := &payrollsvc.Schedule{Rolls: r, Elector: elector, PolicyChanged: w.p.Policy.Changed, Logger: logger}
	funds, err := w.p.Dial(FundsService)
	if err != nil {
		return nil, err
	}
	// What the results change is audited as the service's own mutation, one row per page. Until a funds
	// service is deployed the feed is unreachable: it is retried every 2 minutes at most (a warning each
	// time), results being a matter of hours.
	results := payrollsvc.NewResultsFollower(w.st.DB(), commonv1.NewChangeFeedServiceClient(funds), r,
		outbox.SubscribeOptions{Logger: logger, Audit: w.p.Audit, Service: Name, Now: w.now, MaxBackoff: 2 * time.Minute})
	return []func(context.Context) error{elector.Run, job.Run, results.Run}, nil
}
