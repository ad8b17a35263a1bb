package app

import (
	"context"
	"log/slog"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/api"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/workflow"
)

// AidElection is the election of the replica that runs the daily 零就业 pass.
const AidElection = Name + "/zeroEmployment"

// aidPassEvery is how often the leader looks whether today's pass has run.
const aidPassEvery = time.Hour

// aidArea serves the 零就业 list and the 就业援助 cases (EmploymentAidService) on the workflow engine, and
// runs the daily pass under an election.
func aidArea(w *wiring) ([]func(context.Context) error, error) {
	engine := workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID, Policy: w.p.Policy, SubjectField: "household"})
	aid, err := domain.NewAid(w.st, w.st, engine, w.p.Policy, newID, w.now)
	if err != nil {
		return nil, err
	}
	aid.AuditChanges(func(ctx context.Context, resource string, records int) error {
		return w.p.Audit.Write(ctx, audit.Background(Name, "evaluate/zeroEmployment", resource, records, w.now()))
	})
	w.aid, w.aidNow = aid, make(chan struct{}, 1)
	employmentv1.RegisterEmploymentAidServiceServer(w.p.Server.GRPC(), api.NewAid(aid, w.now))
	// 办理: the inbox reads the service's fupin_cases, so it lists every area's cases its steps name.
	employmentv1.RegisterEmploymentInboxServiceServer(w.p.Server.GRPC(), api.NewInbox(workflow.NewInbox(engine, api.InboxSteps(), server.MayCall)))
	logger := w.p.Logger.With("area", "zeroEmployment")
	elector := election.New(w.p.Etcd, AidElection, election.Options{Logger: logger})
	pass := &aidPass{aid: aid, elector: elector, now: w.now, logger: logger, asked: w.aidNow}
	return []func(context.Context) error{elector.Run, pass.Run}, nil
}

// evaluateAid applies the 零就业 rule to a household whose ledger records changed, in the change's
// transaction (the aid area is built after the ledger's, so w.aid is read when a change happens).
func (w *wiring) evaluateAid(ctx context.Context, householdID string) error {
	return w.evaluateAidAll(ctx, []string{householdID})
}

// evaluateAidAll is evaluateAid for several households at once.
func (w *wiring) evaluateAidAll(ctx context.Context, householdIDs []string) error {
	if w.aid == nil || len(householdIDs) == 0 {
		return nil
	}
	return w.aid.Evaluate(ctx, bizdate.Today(w.now()), householdIDs...)
}

// passAid asks the pass job for a pass of the county now, on this replica, after a quarterly file changed
// the ledger (an evaluation writes only differences and holds the households it writes, so it may run
// beside the leader's); it never blocks: a pass already asked for covers it.
func (w *wiring) passAid() {
	select {
	case w.aidNow <- struct{}{}:
	default:
	}
}

// aidPass runs Aid.Pass once a business day on the leader, and on any replica when asked (after an import).
// The day of the last pass is kept in memory: a new leader runs the day's pass again, which changes nothing
// (an evaluation writes only differences).
type aidPass struct {
	aid     *domain.Aid
	elector *election.Elector
	now     func() time.Time
	logger  *slog.Logger
	asked   <-chan struct{}
	done    string
}

// Run passes until ctx ends.
func (j *aidPass) Run(ctx context.Context) error {
	asked := false
	for {
		changed := j.elector.Changed()
		today := bizdate.Today(j.now())
		if asked || (j.elector.IsLeader() && today != j.done) {
			t0 := time.Now()
			n, err := j.aid.Pass(ctx, today, 1000)
			switch {
			case err != nil && ctx.Err() == nil:
				j.logger.ErrorContext(ctx, "zero-employment pass failed", "date", today, "evaluated", n, "err", err)
			case err == nil:
				if j.elector.IsLeader() {
					j.done = today
				}
				j.logger.InfoContext(ctx, "zero-employment pass", "date", today, "evaluated", n, "took", time.Since(t0))
			}
		}
		asked = false
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-j.asked:
			asked = true
		case <-time.After(aidPassEvery):
		}
	}
}
