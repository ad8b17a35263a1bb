package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
	"time"

	"fupin.dev/tools/internal/cli"
	"fupin.dev/tools/internal/devstack"
)

// BenchmarkLedgerUpload uploads a `fupin seed` county of 45,000 households (about 20 MiB of CSV) as the
// portal does, POST /v1/imports:upload through the gateway into identification's UploadLedger, as a dry run
// (every check, nothing written, so each round does the same work). It reports the throughput, the
// allocations of the whole process (client, gateway, service, etcd) and how much the live heap grew at most
// during an upload; docs/BENCHMARKS.md records them.
//
//	go test -run '^$' -bench LedgerUpload -benchtime 3x -benchmem ./tools/internal/devstack/
func BenchmarkLedgerUpload(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := b.TempDir()
	file := filepath.Join(dir, "county.csv")
	if err := cli.Main(ctx, []string{"seed", "--households", "45000", "--regions", "../../../deploy/regions/demo-county.json",
		"--out", file}, io.Discard, io.Discard); err != nil {
		cancel()
		b.Fatal(err)
	}
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: dir, DeployDir: "../../../deploy", FastEtcd: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		_ = stack.Wait()
	})
	token, err := stack.Token("bench", "rural_revitalization", "county_admin", "", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	base := live[0].Value.Uint64()
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				metrics.Read(s)
				peak = max(peak, s[0].Value.Uint64())
			}
		}
	}()
	b.SetBytes(info.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost,
			stack.GatewayURL+"/v1/imports:upload?file_name=county.csv&dry_run=true", f)
		if err != nil {
			b.Fatal(err)
		}
		req.ContentLength = info.Size()
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("HTTP %d %.300s", resp.StatusCode, body)
		}
	}
	b.StopTimer()
	close(stop)
	<-sampled
	if peak > base {
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-live-MiB")
	}
}
