package payrollsvc

import (
	"context"
	"fmt"
	"log/slog"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
)

// ResultsPageSize is the page of funds' feed a follower reads, and ResultsPagesPerTx the pages it applies
// in one transaction while catching up: a bank return file brings tens of thousands of results at once,
// and a transaction's fixed costs (the rolls' check, the cursor, and above all the commit writing every
// database page the results touched, scattered over the lines' keys) are paid once per 10,000 results.
// A page of 5,000 results is about 1.5 MB on the wire, well inside gRPC's 4 MB message limit.
const (
	ResultsPageSize   = 5000
	ResultsPagesPerTx = 2
)

// ResultsSubscription names the cursor of funds' payment results in a paying service's database.
const ResultsSubscription = payroll.FundsService + "/payment.results"

// ResultsFollower applies funds' payment results to the service's lines. It follows one feed, the one
// the service reached as funds (FundsService through discovery): no method of any service takes results,
// so a result on another service's feed, or in a request, never reaches a line. A page of the feed is
// applied in the transaction that moves the cursor; every result once, by its result id.
type ResultsFollower struct {
	db    *sqldb.DB
	funds commonv1.ChangeFeedServiceClient
	rolls *payroll.Rolls
	opts  outbox.SubscribeOptions
	// Applied, when set, is told the outcome of every result of the service's programs (tests, metrics).
	Applied func(payroll.Result, payroll.ResultOutcome)
}

// NewResultsFollower follows funds (the feed of the service named FundsService) for rolls, in db.
func NewResultsFollower(db *sqldb.DB, funds commonv1.ChangeFeedServiceClient, rolls *payroll.Rolls,
	opts outbox.SubscribeOptions) *ResultsFollower {
	return &ResultsFollower{db: db, funds: funds, rolls: rolls, opts: opts}
}

// Run follows funds' feed until ctx ends.
func (f *ResultsFollower) Run(ctx context.Context) error {
	opts := f.opts
	opts.Page = f.ApplyPage
	if opts.PageSize == 0 {
		opts.PageSize = ResultsPageSize
	}
	if opts.PagesPerTx == 0 {
		opts.PagesPerTx = ResultsPagesPerTx
	}
	return outbox.Subscribe(ctx, f.db, f.funds, ResultsSubscription, []string{payroll.TopicPaymentResult}, nil, opts)
}

// ApplyPage applies a page of funds' changes in the transaction carried by ctx. A change that does not
// decode as a payment result is logged and skipped (funds' contract is broken; blocking every result
// behind it would stop all payments being marked); results of other services' programs are left to them.
func (f *ResultsFollower) ApplyPage(ctx context.Context, changes []*commonv1.Change) error {
	results := make([]payroll.Result, 0, len(changes))
	for _, c := range changes {
		if c.GetTopic() != payroll.TopicPaymentResult {
			continue
		}
		var m payrollv1.PaymentResult
		if err := c.GetPayload().UnmarshalTo(&m); err != nil {
			f.logger().WarnContext(ctx, "payment result not decoded; skipped", "sequence", c.GetSequence(), "err", err)
			continue
		}
		r, ok := Result(&m)
		if !ok {
			f.logger().WarnContext(ctx, "payment result names no program or roll; skipped", "sequence", c.GetSequence(),
				"result_id", m.GetResultId(), "program", m.GetProgramCode(), "roll", m.GetRoll())
			continue
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		return nil
	}
	outcomes, err := f.rolls.ApplyResults(ctx, results)
	if err != nil {
		return fmt.Errorf("payment results: %w", err)
	}
	if f.Applied != nil {
		j := 0
		for _, r := range results {
			if f.rolls.Pays(r.Line.Program) {
				f.Applied(r, outcomes[j])
				j++
			}
		}
	}
	return nil
}

func (f *ResultsFollower) logger() *slog.Logger {
	if f.opts.Logger != nil {
		return f.opts.Logger
	}
	return slog.Default()
}
