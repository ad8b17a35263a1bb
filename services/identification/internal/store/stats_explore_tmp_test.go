package store_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fupin.dev/services/platform/sqldb"
)

func TestExploreTmp(t *testing.T) {
	url := os.Getenv("EXPLORE_DB")
	if url == "" {
		t.Skip()
	}
	db, err := sqldb.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range strings.Split(os.Getenv("EXPLORE_Q"), ";;") {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		for i := 0; i < 2; i++ {
			start := time.Now()
			var r0, r1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			rows, err := db.Q(t.Context()).QueryContext(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
				if strings.HasPrefix(q, "EXPLAIN") && i == 0 {
					var a, b, c int
					var d string
					rows.Scan(&a, &b, &c, &d)
					t.Logf("plan %d %d %s", a, b, d)
				}
			}
			rows.Close()
			syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano())
			t.Logf("%4d rows wall %8s cpu %8s  %.70s", n, time.Since(start).Round(time.Millisecond), cpu.Round(time.Millisecond), strings.Join(strings.Fields(q), " "))
		}
	}
}
