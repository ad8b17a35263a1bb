package payrollsvc_test

import (
	"testing"

	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// TestResultsFollowedFromFundsFeed runs the results benchmark small: a handed-off roll, funds' feed served
// over gRPC with a result per line (10 % failed), the follower applying them page by page until every
// line is paid or failed as funds said (BenchResults checks the counts in the database).
func TestResultsFollowedFromFundsFeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		res, err := payrollsvc.BenchResults(t.Context(), payrollsvc.ResultsBenchOptions{PayerURL: sqldbtest.URL(t, d),
			FundsURL: sqldbtest.URL(t, d), Lines: 3000, FailedPerMille: 100, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 3000 || res.Failed == 0 || res.Failed > 600 {
			t.Errorf("applied %d, failed %d", res.Applied, res.Failed)
		}
	})
}
