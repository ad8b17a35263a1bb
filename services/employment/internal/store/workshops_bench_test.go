package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// benchPolicy serves the default workshop policy.
type benchPolicy map[string]string

func (p benchPolicy) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	raw := p[parameter]
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw), Hash: parameter},
		json.Unmarshal([]byte(raw), into)
}

// BenchmarkWorkshopWorkers times a large workshop's page (ListWorkshopWorkers: every worker's stretch of
// insured months from the ledger's spells and the workshop's insurance) and the grant of every reward due,
// for a workshop of 500 workers registered two years ago, each with a 车间 spell and insured every month.
//
//	go test ./services/employment/internal/store -run '^$' -bench WorkshopWorkers -benchtime 20x
func BenchmarkWorkshopWorkers(b *testing.B) {
	const workers = 500
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := sqldbtest.Open(b, d)
			if err := migrations.Apply(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
			if err := store.Migrate(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
			s := store.New(db, outbox.New(db, nil))
			month := time.Now().Format("2006-01")
			from := payroll.AddMonths(month, -24)
			persons := make([]string, workers)
			for i := range persons {
				persons[i] = fmt.Sprintf("bench-%04d", i)
			}
			err := s.InTx(ctx, func(ctx context.Context) error {
				if err := db.InsertRows(ctx, "labourers", []string{"id", "id_index", "household_id", "region_code", "birth_month",
					"registry_status", "monitoring_status", "labour_ability", "state", "created_us", "updated_us"}, workers,
					func(i int) ([]any, error) {
						return []any{persons[i], fmt.Sprintf("%032d", i), "h-" + persons[i], "420602001002", "1985-01", 3, 0, 1, 1, 0, 0}, nil
					}); err != nil {
					return err
				}
				return db.InsertRows(ctx, "employment_spells", []string{"id", "person_id", "work_status", "mode", "employer", "place",
					"monthly_income_fen", "from_month", "to_month", "source", "created_us"}, workers,
					func(i int) ([]any, error) {
						return []any{"s-" + persons[i], persons[i], 1, 3, benchWorkshopCode, "", 250000, from, "", 2, 0}, nil
					})
			})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			ws := domain.NewWorkshops(s, s, benchPolicy{domain.ParamWorkshopMinPoorWorkers: "5", domain.ParamWorkshopRewardAfterMonths: "6",
				domain.ParamWorkshopRewardFen: "200000", domain.ParamWorkshopMinInsuranceFen: "1500"},
				func() string { n++; return fmt.Sprintf("bench-id-%08d", n) }, time.Now)
			county := workflow.Caller{Actor: "bench"}
			w, err := ws.Register(ctx, county, domain.NewWorkshop{Name: "大车间", CreditCode: benchWorkshopCode, RegionCode: "420602001002",
				Address: "一组", Kind: domain.WorkshopKindFactory, RegisteredOn: from + "-01"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ws.Recognise(ctx, county, w.ID, ""); err != nil {
				b.Fatal(err)
			}
			for _, first := range []string{from, payroll.AddMonths(from, 12)} {
				if _, err := ws.AddInsurance(ctx, county, w.ID, domain.NewInsurance{PolicyNumber: "P-" + first, Insurer: "人保",
					FromMonth: first, ToMonth: payroll.AddMonths(first, 11), PremiumFen: 1500, PersonIDs: persons}); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("ListWorkshopWorkers", func(b *testing.B) {
				var slowest time.Duration
				for b.Loop() {
					t0 := time.Now()
					wk, err := ws.Workers(ctx, county, w.ID, payroll.AddMonths(month, -1))
					if err != nil || len(wk.Candidates) != workers || !wk.Candidates[0].Due {
						b.Fatalf("%v %v", wk, err)
					}
					slowest = max(slowest, time.Since(t0))
				}
				b.ReportMetric(float64(slowest.Microseconds())/1000, "slowest-ms")
			})
			b.Run("GrantWorkshopRewards", func(b *testing.B) {
				t0 := time.Now()
				rs, err := ws.GrantRewards(ctx, county, w.ID, payroll.AddMonths(month, -1))
				if err != nil || len(rs) != workers {
					b.Fatalf("%d rewards, %v", len(rs), err)
				}
				took := time.Since(t0)
				for b.Loop() {
				}
				b.ReportMetric(float64(took.Microseconds())/1000, "grant-ms")
			})
		})
	}
}

const benchWorkshopCode = "91420602MA4KXY123R"
