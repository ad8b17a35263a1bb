package store_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

// BenchmarkExportDecisions times one whole ExportDecisions read (the store's part: one snapshot, keyset
// pages of coverages with their members, certificates) over a county's decisions: 20,000 低保 coverages of 3
// members and 5,000 certificates, roughly what the 350,000-household demo county's 民政 and 残联 hold.
//
//	go test ./services/subsidies/internal/store -run '^$' -bench ExportDecisions -benchtime 3x
func BenchmarkExportDecisions(b *testing.B) {
	const coverages, certificates = 20_000, 5_000
	b.Logf("%d CPU cores, GOMAXPROCS %d", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s, _, db := feedStore(b, d)
			ctx := context.Background()
			start := time.Now()
			err := db.InTx(ctx, func(ctx context.Context) error {
				for i := range coverages {
					c := coverage(fmt.Sprintf("c%06d", i), fmt.Sprintf("h%06d", i), fmt.Sprintf("9900010%02d%03d", i%20+1, i%300+1), "2026-09-05")
					c.Members = append(c.Members, domain.CoverageMember{CoveredMember: domain.CoveredMember{PersonID: c.HouseholdID + "-c",
						IDIndex: "idx-" + c.HouseholdID + "-c", BirthDate: "2010-01-01"}, FromMonth: "2026-01"})
					if err := s.CreateDibaoCoverage(ctx, c); err != nil {
						return err
					}
				}
				for i := range certificates {
					if err := s.CreateCertificate(ctx, &domain.Certificate{ID: fmt.Sprintf("k%06d", i), NumberCipher: []byte{1},
						NumberMasked: "m", IDIndex: fmt.Sprintf("idx-k%06d", i), PersonID: fmt.Sprintf("p%06d", i), HouseholdID: "h",
						RegionCode: "990001001001", Category: 4, Grade: 1 + i%4, Status: domain.CertificateValid, IssueDate: "2025-01-02",
						StatusDate: "2025-01-02", Version: 1, CreateTime: storeTime, UpdateTime: storeTime}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: seeded %d coverages and %d certificates (each with its change) in %s", d, coverages, certificates,
				time.Since(start).Round(time.Millisecond))
			q := domain.DecisionExportQuery{Kinds: []domain.DecisionKind{domain.DecisionDibaoCoverage, domain.DecisionDestituteSupport,
				domain.DecisionCertificate}, BatchSize: domain.DefaultDecisionBatch}
			for b.Loop() {
				t0 := time.Now()
				n := 0
				if err := s.ExportDecisions(ctx, q, func(_ int64, batch domain.DecisionBatch) error {
					n += batch.Len()
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: exported %d decisions in %s", d, n, time.Since(t0).Round(time.Millisecond))
			}
		})
	}
}
