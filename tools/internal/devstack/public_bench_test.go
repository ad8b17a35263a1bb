package devstack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fupin.dev/gateway"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/tools/internal/devstack"
)

// BenchmarkPublicTownshipPage measures the public page of one township (GET /gongshi/r/{township}) through the
// whole path: HTTP to the gateway, ListNotices over gRPC on identification and subsidies in parallel, the
// merge and the HTML of every notice. The township holds 500 postings in progress, 2,000 that ended long ago,
// and the rest of the county 20,000 more: the notices table of a county of about 230,000 people after years
// of postings (the list reads that table alone: the township's 30,000 households are never read). It prints
// the p50, p95 and p99 of the server's time and the page's size; docs/BENCHMARKS.md records them.
//
//	go test -run '^$' -bench PublicTownshipPage -benchtime 200x ./tools/internal/devstack/
func BenchmarkPublicTownshipPage(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := b.TempDir()
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: dir, DeployDir: "../../../deploy", FastEtcd: true,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		GatewayLimits: gateway.Limits{Public: gateway.PublicLimits{ReadsPerMinute: 1 << 20}}})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		_ = stack.Wait()
	})
	const township = "990001002"
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "identification.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	today, _ := bizdate.Parse(bizdate.Today(time.Now()))
	day := func(n int) string { return bizdate.Today(today.AddDate(0, 0, -n)) }
	villages := []string{"001", "002", "003", "004", "005"}
	err = db.InTx(ctx, func(ctx context.Context) error {
		n := 0
		add := func(region string, started string, state workflow.PostingState, closed string) error {
			n++
			id := fmt.Sprintf("bench-%06d", n)
			now := time.Now().UnixMicro()
			if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_cases (id, kind, subject, region_code, state, round, version,
				created_us, updated_us) VALUES ($1, 'identification', $2, $3, 2, 1, 1, $4, $4)`, id, "households/"+id, region, now); err != nil {
				return err
			}
			_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_notices (id, case_id, posting_seq, kind, title, region_code, subject_name,
				household_size, proposal, office, hotline, started_at, end_date, state, closed_at)
				VALUES ($1, $2, 1, 'identification', '建档立卡贫困户识别公示', $3, '王*山', 3, '拟识别为建档立卡贫困户', '县乡村振兴局', '12317', $4, $5, $6, $7)`,
				workflow.NewNoticeID(), id, region, started, started, state, closed)
			return err
		}
		for i := range 500 {
			if err := add(township+villages[i%5], day(i%7), workflow.PostingRunning, ""); err != nil {
				return err
			}
		}
		for i := range 2000 {
			if err := add(township+villages[i%5], day(60+i%700), workflow.PostingCompleted, day(50+i%700)); err != nil {
				return err
			}
		}
		for i := range 20000 {
			if err := add(fmt.Sprintf("990001%03d%03d", 3+i%9, 1+i%5), day(i%700), workflow.PostingCompleted, day(i%700)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	url := stack.GatewayURL + "/gongshi/r/" + township
	get := func() (time.Duration, int) {
		start := time.Now()
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%d: %s", resp.StatusCode, body)
		}
		return time.Since(start), len(body)
	}
	for range 10 { // warm the connections and caches
		get()
	}
	var times []time.Duration
	size := 0
	b.ResetTimer()
	for b.Loop() {
		d, n := get()
		times = append(times, d)
		size = n
	}
	b.StopTimer()
	slices.Sort(times)
	q := func(p float64) time.Duration { return times[min(len(times)-1, int(p*float64(len(times))))] }
	b.ReportMetric(float64(q(0.95).Microseconds())/1000, "p95-ms")
	b.Logf("township page with 500 notices in progress: %d requests, p50 %s, p95 %s, p99 %s, %d KiB of HTML",
		len(times), q(0.50).Round(time.Millisecond/10), q(0.95).Round(time.Millisecond/10), q(0.99).Round(time.Millisecond/10), size>>10)
}
