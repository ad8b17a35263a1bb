package subsidies_test

import (
	"testing"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies"
)

// TestBenchRollSmall runs the roll benchmark on a small county, so `fupin bench roll` keeps working and
// its counts stay right: every household paid in the first month, 10 % changed in the next.
func TestBenchRollSmall(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		res, err := subsidies.BenchRoll(t.Context(), subsidies.RollBenchOptions{DatabaseURL: sqldbtest.URL(t, d),
			Beneficiaries: 2000, ChangesPerMille: 100, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.First.Totals.Lines != 2000 || res.First.Totals.Regular != 2000 {
			t.Errorf("first month %+v", res.First.Totals)
		}
		next := res.Next.Totals
		// 100 late approvals: a back pay and a regular line each; up to 100 stops (drawn with
		// replacement): a recovery each and no regular line.
		if next.BackPay != 100 || next.Recovery == 0 || next.Recovery > 100 || next.Regular != 2000-next.Recovery+100 {
			t.Errorf("next month %+v", next)
		}
		if res.Recompute.Totals != next {
			t.Errorf("recomputed %+v, first computed %+v", res.Recompute.Totals, next)
		}
	})
}
