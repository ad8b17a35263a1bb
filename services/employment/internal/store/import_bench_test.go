package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/tabular"
)

// benchID is the i-th synthetic 身份证号 of the benchmark county (demo county code 990001).
func benchID(i int) string {
	birth := time.Date(1966, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%16000).Format("20060102")
	first17 := "990001" + birth + fmt.Sprintf("%03d", i/16000%1000)
	return first17 + string(pii.IDCheckChar(first17))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkLabourImport imports a quarterly file of FUPIN_BENCH_LABOUR_ROWS rows (default 200,000; 95 %
// matched) into a ledger of FUPIN_BENCH_LABOURERS records (default 700,000: the working-age members and
// children of the 脱贫 and 监测 households of the seeded 350,000-household county), from the CSV's bytes to
// the commit: parse, blind index, match, stage, apply — what ImportLabourFile does after the upload. The
// ledger is kept between runs (sqldbtest.KeptURL); every iteration is a rerun of the same file, which
// rewrites every spell. docs/BENCHMARKS.md has the figures.
func BenchmarkLabourImport(b *testing.B) {
	labourers := envInt("FUPIN_BENCH_LABOURERS", 700_000)
	rows := envInt("FUPIN_BENCH_LABOUR_ROWS", 200_000)
	key := bytes.Repeat([]byte{7}, 32)
	prot, err := pii.NewProtector(key)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, sqldbtest.KeptURL(b, d, fmt.Sprintf("fupin_bench_labour_%d", labourers)))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			st := newStore(b, db)
			var have int
			if err := db.Q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM labourers`).Scan(&have); err != nil {
				b.Fatal(err)
			}
			if have < labourers {
				start := time.Now()
				now := time.Now()
				for from := have; from < labourers; from += 20_000 {
					var ls []*domain.Labourer
					for i := from; i < min(from+20_000, labourers); i++ {
						ls = append(ls, labourer(fmt.Sprintf("p-%07d", i), fmt.Sprintf("h-%07d", i/2),
							fmt.Sprintf("990001%03d%03d", 1+i%20, 1+i/20%10), prot.BlindIndex(benchID(i)), domain.LabourerActive, now))
					}
					if err := st.InTx(ctx, func(ctx context.Context) error { return st.SaveLabourers(ctx, ls) }); err != nil {
						b.Fatal(err)
					}
				}
				b.Logf("seeded %d labourers in %s", labourers-have, time.Since(start).Round(time.Second))
			}
			if err := st.AnalyzeLedger(ctx); err != nil {
				b.Fatal(err)
			}
			var file bytes.Buffer
			file.WriteString("姓名,身份证号,务工状况,就业方式,就业单位,务工地点,月收入（元）,起始年月,截止年月,就业意愿,培训意愿,失业登记,失业保险金月额（元）,参加职工养老保险,领取养老金\n")
			for r := range rows {
				i := r * (labourers / rows) // spread over the ledger
				if r%20 == 19 {
					i = labourers + r // 5 % not in the ledger
				}
				fmt.Fprintf(&file, "某某,%s,0%d,务工,某公司%d,44,%d.00,2025-0%d,2025-09,是,否,,,否,否\n", benchID(i), 1+r%5, r%97, 2000+r%3000, 1+r%6)
			}
			im := domain.NewLabourImporter(st, prot.BlindIndex, time.Now)
			b.ResetTimer()
			for b.Loop() {
				rd, err := tabular.OpenBytes(file.Bytes(), tabular.CSV, tabular.Options{})
				if err != nil {
					b.Fatal(err)
				}
				next := func() (domain.LabourRow, error) {
					row, err := rd.Next()
					if err != nil {
						if errors.Is(err, io.EOF) {
							return domain.LabourRow{}, io.EOF
						}
						return domain.LabourRow{}, err
					}
					return domain.LabourRow{Num: row.Num, Cells: row.Cells}, nil
				}
				start := time.Now()
				sum, _, err := im.Import(ctx, next, false, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(sum.Rows)/time.Since(start).Seconds(), "rows/s")
				if sum.Applied < int64(rows)*9/10 {
					b.Fatalf("applied %d of %d", sum.Applied, rows)
				}
			}
		})
	}
}
