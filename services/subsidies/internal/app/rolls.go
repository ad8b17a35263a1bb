package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
		api.NewPaymentRolls(r, registerRollNames{households: identificationv1.NewHouseholdServiceClient(w.register)}))
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

// registerRollNames reads the names on an exported roll from the identification service with
// BatchGetHouseholds, rollNamesBatch households a call, rollNameCalls calls at once, on behalf of the caller
// (who must see those households): a county roll of 60,000 households is 60 calls.
type registerRollNames struct {
	households identificationv1.HouseholdServiceClient
}

const (
	// rollNamesBatch is how many households one register call reads (BatchGetHouseholds' limit).
	rollNamesBatch = 1000
	// rollNameCalls is how many register calls an export makes at once.
	rollNameCalls = 2
)

func (n registerRollNames) RollNames(ctx context.Context, ids []string) (map[string]domain.HouseholdNames, error) {
	out := make(map[string]domain.HouseholdNames, len(ids))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rollNameCalls)
	for chunk := range slices.Chunk(ids, rollNamesBatch) {
		g.Go(func() error {
			hs, err := n.batch(gctx, chunk)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, h := range hs {
				names := domain.HouseholdNames{Members: map[string]string{}}
				for _, m := range h.GetMembers() {
					names.Members[m.GetPersonId()] = m.GetFullName()
					if m.GetRelationToHead() == identificationv1.Relation_RELATION_HEAD {
						names.Head = m.GetFullName()
					}
				}
				out[strings.TrimPrefix(h.GetName(), "households/")] = names
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// batch reads the households with these (distinct) ids. The register answers all or nothing, so a
// household it does not have or does not show the caller (NOT_FOUND, PERMISSION_DENIED
// OUT_OF_REGION_SCOPE, naming it) is left out and the others asked again: it is shown without a name
// rather than failing the whole export. A caller who may not read the register at all gets no names.
// An answer too large for one message, or a refusal that names no household, is split in halves.
func (n registerRollNames) batch(ctx context.Context, ids []string) ([]*identificationv1.Household, error) {
	for len(ids) > 0 {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = "households/" + id
		}
		resp, err := n.households.BatchGetHouseholds(ctx, &identificationv1.BatchGetHouseholdsRequest{Names: names})
		if err == nil {
			return resp.GetHouseholds(), nil
		}
		st := status.Convert(err)
		info := errorInfo(st)
		switch st.Code() {
		case codes.NotFound, codes.PermissionDenied:
			if st.Code() == codes.PermissionDenied && info.GetReason() != "OUT_OF_REGION_SCOPE" {
				return nil, nil // the caller may not read households at all (as one refusal per household was)
			}
			if i := slices.Index(names, info.GetMetadata()["name"]); i >= 0 {
				ids = slices.Concat(ids[:i], ids[i+1:]) // a copy: ids may share the caller's array
				continue
			}
			if len(ids) == 1 {
				return nil, nil
			}
		case codes.ResourceExhausted:
			if len(ids) == 1 {
				return nil, registerUnavailable(err)
			}
		default:
			return nil, registerUnavailable(err)
		}
		half := len(ids) / 2
		first, err := n.batch(ctx, ids[:half])
		if err != nil {
			return nil, err
		}
		second, err := n.batch(ctx, ids[half:])
		if err != nil {
			return nil, err
		}
		return append(first, second...), nil
	}
	return nil, nil
}

// errorInfo is the ErrorInfo of a refusal, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func registerUnavailable(err error) error {
	return apperr.Unavailable("REGISTER_UNAVAILABLE", fmt.Sprintf("the register did not give household names: %v", err))
}

var _ domain.RollNames = registerRollNames{}
