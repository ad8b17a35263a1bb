package payrollsvc

import (
	"context"
	"log/slog"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/payroll"
)

// ScheduleEvery is how often the leader looks whether a roll is due. A roll is computed at most once a
// day by the schedule (payroll.Rolls.ScheduledMonth), so this only bounds how late in the compute day it
// starts; it is an operating setting, not a policy value.
const ScheduleEvery = 10 * time.Minute

// ElectionName is the etcd election whose leader computes a service's rolls: "<service>/paymentRolls".
func ElectionName(service string) string { return service + "/paymentRolls" }

// Schedule is the leader's job: from the compute day on, each program's roll of the month. Only the
// leader looks; every computation it starts still takes the roll's lock and is fenced in the database,
// so a leader that lost its lease unnoticed writes nothing over a newer computation.
type Schedule struct {
	Rolls   *payroll.Rolls
	Elector *election.Elector
	// PolicyChanged wakes the job when policy changes (a new compute day applies at once).
	PolicyChanged func() <-chan struct{}
	Logger        *slog.Logger
}

// Run checks when this replica becomes leader, when policy changes and every ScheduleEvery while it
// leads, until ctx ends. It never fails: a roll it cannot compute now (an earlier one awaits approval,
// etcd is away) is logged and tried again on the next round.
func (j *Schedule) Run(ctx context.Context) error {
	for {
		changed, policy := j.Elector.Changed(), j.PolicyChanged()
		if j.Elector.IsLeader() {
			j.round(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-policy:
		case <-time.After(ScheduleEvery):
		}
	}
}

func (j *Schedule) round(ctx context.Context) {
	for _, p := range j.Rolls.Config().Programs {
		if ctx.Err() != nil || !j.Elector.IsLeader() {
			return
		}
		month, due, err := j.Rolls.ScheduledMonth(ctx, p)
		if err == nil && due {
			var r *payroll.Roll
			r, err = j.Rolls.ComputeScheduled(ctx, p, month)
			if err == nil && r != nil {
				j.Logger.InfoContext(ctx, "roll computed", "roll", r.ID(), "lines", r.Totals.Lines, "token", r.FencingToken)
			}
		}
		if err != nil && ctx.Err() == nil {
			level := slog.LevelError
			if _, refused := apperr.As(err); refused {
				level = slog.LevelInfo // a rule says not now (an earlier roll awaits approval)
			}
			j.Logger.Log(ctx, level, "scheduled roll not computed", "program", p.String(), "month", month, "err", err)
		}
	}
}

var _ payroll.RollLocks = election.Locks{}
