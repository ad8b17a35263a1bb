package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// BenchmarkHouseholdSearch measures the 农户 page's searches (ListHouseholds with a filter, the first page
// of 50 with members, as the service runs it) on the synthetic county of BenchmarkStatistics, scoped to its
// largest township as its officer searches, on SQLite and PostgreSQL:
//
//	go test ./services/identification/internal/store -run '^$' -bench HouseholdSearch -benchtime 1x -timeout 2h
//
// One iteration runs 300 searches of each kind — a current member's full name, a name prefix of the
// surname and the first character of the given name ("王大*"), a surname alone ("王*", the largest
// result sets), a 户编号 — over names and numbers drawn at random from the township, and logs p50, p95
// and the slowest. The county is seeded once and kept (database fupin_bench_search_<n>).
func BenchmarkHouseholdSearch(b *testing.B) {
	n := sqldbtest.BenchHouseholds(b, 350_000)
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := benchDBNamed(b, d, n, "search")
			st := store.New(db, outbox.New(db, nil))
			ctx := b.Context()
			var township string
			var households int
			if err := db.Q(ctx).QueryRowContext(ctx, `SELECT substr(region_code, 1, 9), COUNT(*) FROM households
				GROUP BY substr(region_code, 1, 9) ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&township, &households); err != nil {
				b.Fatal(err)
			}
			var names, numbers []string
			rows, err := db.Q(ctx).QueryContext(ctx, `SELECT p.full_name, h.number FROM households h
				JOIN memberships m ON m.household_id = h.id AND m.state = 1 JOIN persons p ON p.id = m.person_id
				WHERE substr(h.region_code, 1, 9) = $1 AND m.seq = 1`, township)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var name, number string
				if err := rows.Scan(&name, &number); err != nil {
					b.Fatal(err)
				}
				names, numbers = append(names, name), append(numbers, number)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
			if len(names) == 0 {
				b.Fatal("no members in the largest township")
			}
			rnd := rand.New(rand.NewPCG(1, 2))
			pick := func(xs []string) string { return xs[rnd.IntN(len(xs))] }
			kinds := []struct {
				name string
				expr func() string
			}{
				{"member name", func() string { return fmt.Sprintf("member_name = %q", pick(names)) }},
				{"name prefix (2 characters)", func() string {
					return fmt.Sprintf("member_name:%q", string([]rune(pick(names))[:2])+"*")
				}},
				{"surname alone", func() string { return fmt.Sprintf("member_name:%q", string([]rune(pick(names))[:1])+"*") }},
				{"household number", func() string { return fmt.Sprintf("household_number = %q", pick(numbers)) }},
			}
			for b.Loop() {
				for _, k := range kinds {
					var took []time.Duration
					found := 0
					for range 300 {
						expr := k.expr()
						start := time.Now()
						hs, _, err := st.ListHouseholds(ctx, domain.ListQuery{Scope: township, Filter: expr, Limit: 50})
						took = append(took, time.Since(start))
						if err != nil {
							b.Fatalf("%s: %v", expr, err)
						}
						found += len(hs)
					}
					slices.Sort(took)
					b.Logf("%s, township %s (%d households of %d), %s: p50 %s p95 %s max %s; %.1f households a page on average",
						d, township, households, n, k.name, took[len(took)/2].Round(10*time.Microsecond),
						took[len(took)*95/100].Round(10*time.Microsecond), took[len(took)-1].Round(10*time.Microsecond),
						float64(found)/300)
				}
			}
			b.Logf("%s: load average while measuring (1, 5, 15 min): %s", d, loadAverage())
			if d == sqldb.SQLite {
				var plan []string
				rows, err := db.Q(ctx).QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM households WHERE substr(region_code, 1, 9) = $1 AND id > ''
					AND id IN (SELECT m.household_id FROM persons p JOIN memberships m ON m.person_id = p.id WHERE m.state = 1 AND p.full_name >= $2 AND p.full_name < $3) ORDER BY id LIMIT 51`,
					township, "王", "玌")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					var id, parent, unused int
					var detail string
					if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
						b.Fatal(err)
					}
					plan = append(plan, detail)
				}
				rows.Close()
				b.Logf("sqlite plan of a prefix search: %s", strings.Join(plan, "; "))
			}
		})
	}
}
