package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// The wage roll for n posts (issue 14: 20,000 posts ≤ 2 s): n village posts with a holder each, insured,
// with the month's attendance recorded (days spread around the minimum), approved as one county-wide sheet
// (ApproveAttendanceSheet: the pay of each, an entitlement each, one transaction), then the month's roll
// computed. Seeding writes the tables directly (InsertRows); what is timed goes through the use cases.

type wageRollResult struct {
	approve, compute time.Duration
	approved         int
	totals           payroll.RollTotals
}

func benchWageRoll(tb testing.TB, d sqldb.Dialect, n int) wageRollResult {
	f := newPostsFixture(tb, d)
	ctx := tb.Context()
	const month = "2026-02"
	f.at("2026-03-03")
	now := f.now.UnixMicro()
	villages := 200
	region := func(i int) string { return fmt.Sprintf("990001%03d%03d", 1+i%villages/20, 1+i%20) }
	err := f.s.InTx(ctx, func(ctx context.Context) error {
		db := f.s.DB()
		if err := db.InsertRows(ctx, "welfare_posts", []string{"id", "region_code", "kind", "title", "duties", "monthly_fen",
			"min_days", "term_months", "funding", "funding_note", "state", "policy_hash", "created_us", "updated_us"}, n,
			func(i int) ([]any, error) {
				return []any{fmt.Sprintf("post%06d", i), region(i), 1, "村道保洁员", "", 30000, 3, 12, 1, "", 1, "h", now, now}, nil
			}); err != nil {
			return err
		}
		if err := db.InsertRows(ctx, "welfare_post_holders", []string{"person_id"}, n, func(i int) ([]any, error) {
			return []any{fmt.Sprintf("pb%06d", i)}, nil
		}); err != nil {
			return err
		}
		if err := db.InsertRows(ctx, "welfare_post_assignments", []string{"id", "post_id", "person_id", "household_id",
			"region_code", "case_id", "start_date", "end_date", "state", "insurer", "insurance_policy", "insured_from",
			"insured_to", "version", "created_us", "updated_us"}, n, func(i int) ([]any, error) {
			return []any{fmt.Sprintf("asg%06d", i), fmt.Sprintf("post%06d", i), fmt.Sprintf("pb%06d", i), fmt.Sprintf("hb%06d", i),
				region(i), fmt.Sprintf("case%06d", i), "2026-01-01", "2026-12-31", 2, "人保财险", fmt.Sprintf("PA%06d", i),
				"2026-01-01", "2026-12-31", 1, now, now}, nil
		}); err != nil {
			return err
		}
		return db.InsertRows(ctx, "welfare_post_attendance", []string{"assignment_id", "month", "days", "grade", "state",
			"recorded_by", "recorded_us", "person_id", "region_code"}, n, func(i int) ([]any, error) {
			return []any{fmt.Sprintf("asg%06d", i), month, i % 6, 2, 1, "village", now, fmt.Sprintf("pb%06d", i), region(i)}, nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("pb%06d", i)
		f.ledger.facts[id] = domain.PostHolderFacts{Found: true, PersonID: id, HouseholdID: fmt.Sprintf("hb%06d", i),
			RegionCode: region(i), BirthMonth: "1970-01", PovertyExited: true, Ability: domain.LabourAbilityPartial}
	}
	var r wageRollResult
	start := time.Now()
	approved, err := f.posts.ApproveAttendanceSheet(ctx, county, "", month)
	if err != nil {
		tb.Fatal(err)
	}
	r.approve, r.approved = time.Since(start), len(approved)
	start = time.Now()
	roll, err := f.rolls.Compute(ctx, hr, payroll.ProgramWelfarePostWage, month, 1)
	if err != nil {
		tb.Fatal(err)
	}
	r.compute, r.totals = time.Since(start), roll.Totals
	return r
}

// TestWageRollSmall keeps the benchmark's counts right: days i%6 give 0 (nothing, no line), 100, 200 and
// three times 300 元.
func TestWageRollSmall(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		r := benchWageRoll(t, d, 600)
		if r.approved != 600 || r.totals.Regular != 500 || r.totals.RegularFen != 100*(10000+20000+3*30000) {
			t.Errorf("approved %d, totals %+v", r.approved, r.totals)
		}
	})
}

// BenchmarkWageRoll: go test -run '^$' -bench WageRoll -benchtime 1x ./employment/internal/store/ (in services/).
func BenchmarkWageRoll(b *testing.B) {
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			for range b.N {
				r := benchWageRoll(b, d, 20000)
				b.ReportMetric(r.approve.Seconds(), "approve-s")
				b.ReportMetric(r.compute.Seconds(), "roll-s")
				b.ReportMetric(float64(r.totals.Lines), "lines")
			}
		})
	}
}
