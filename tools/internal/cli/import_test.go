package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fupin.dev/services/identification/ledger"
	"fupin.dev/services/platform/pii"
	"fupin.dev/tools/internal/devstack"
	"github.com/xuri/excelize/v2"
)

// TestSeedAndImport runs the commands as a county would: `fupin seed` writes ledgers, `fupin import
// households` streams them to a running county (in-process here, reached through etcd as from outside).
func TestSeedAndImport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	data := t.TempDir()
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: data, DeployDir: "../../../deploy", FastEtcd: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := stack.Wait(); err != nil {
			t.Errorf("stack stopped with %v", err)
		}
	})
	dir := t.TempDir()
	run := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		var out, errs bytes.Buffer
		if args[0] == "import" {
			args = append(args, "--etcd", strings.Join(stack.EtcdEndpoints, ","), "--data", data)
		}
		err := Main(t.Context(), args, &out, &errs)
		return out.String() + errs.String(), err
	}

	t.Run("seed writes the layout", func(t *testing.T) {
		out, err := run(t, "seed", "--households", "300", "--deploy", "../../../deploy", "--out", filepath.Join(dir, "county.csv"))
		if err != nil || !strings.Contains(out, "wrote 300 households") {
			t.Fatalf("%s %v", out, err)
		}
		f, err := os.Open(filepath.Join(dir, "county.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		header, err := r.Read()
		if err != nil || strings.TrimPrefix(header[0], "\ufeff") != "户编号" || header[4] != "身份证号" {
			t.Errorf("header %q, %v", header, err)
		}
		row, _ := r.Read()
		if !pii.ValidIDNumber(row[4], time.Now()) || row[5] != "户主" || row[10] == "" {
			t.Errorf("first row %q", row)
		}
		out, err = run(t, "seed", "--households", "50", "--xlsx", "--merged", "--deploy", "../../../deploy", "--out", filepath.Join(dir, "county.xlsx"))
		if err != nil {
			t.Fatalf("%s %v", out, err)
		}
	})

	t.Run("a dry run writes nothing, the import writes everything, a rerun nothing twice", func(t *testing.T) {
		file := filepath.Join(dir, "county.csv")
		out, err := run(t, "import", "households", file, "--dry-run")
		if err != nil || !strings.Contains(out, "dry run: would import 300 households") {
			t.Fatalf("%s %v", out, err)
		}
		report := filepath.Join(dir, "report.csv")
		out, err = run(t, "import", "households", file, "--batch", "40", "--report", report)
		if err != nil || !strings.Contains(out, "imported 300 households") || !strings.Contains(out, "import record: imports/") {
			t.Fatalf("%s %v", out, err)
		}
		out, err = run(t, "import", "households", "--report", report, file) // flags before and after the file
		if err != nil || !strings.Contains(out, "already imported 300") {
			t.Fatalf("%s %v", out, err)
		}
		b, _ := os.ReadFile(report)
		if lines := strings.Count(string(b), "\n"); lines != 301 || !strings.Contains(string(b), "已导入(跳过)") {
			t.Errorf("report of %d lines:\n%.300s", lines, b)
		}
	})

	t.Run("XLSX: merged cells, 身份证号 as text and a 身份证号 typed as a number", func(t *testing.T) {
		file := filepath.Join(dir, "county.xlsx")
		// The same seed as the CSV: read from XLSX with merged cells, the 50 households must be exactly
		// those the CSV imported.
		out, err := run(t, "import", "households", file)
		if err != nil || !strings.Contains(out, "already imported 50, conflicts 0, not imported 0") {
			t.Fatalf("%s %v", out, err)
		}
		// Add a household whose head's 身份证号 was typed as a number (Excel keeps a double).
		f, err := excelize.OpenFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		rows, _ := f.GetRows(sheet)
		next := len(rows) + 1
		cell := func(col int) string { c, _ := excelize.CoordinatesToCellName(col, next); return c }
		for i, v := range []string{"X-1", "990001002003", "一组", "周一"} {
			_ = f.SetCellStr(sheet, cell(i+1), v)
		}
		_ = f.SetCellDefault(sheet, cell(5), "9.9000119700101101E+17")
		_ = f.SetCellStr(sheet, cell(6), "户主")
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err = run(t, "import", "households", file)
		if err == nil || !strings.Contains(out, "身份证号 (户编号 X-1): not imported, ID_NUMBER_INVALID: the 身份证号 was stored as a number") ||
			!strings.Contains(out, "already imported 50, conflicts 0, not imported 1") {
			t.Errorf("%s %v", out, err)
		}
	})

	t.Run("a stream killed half way: the command says how far it got, a rerun resumes", func(t *testing.T) {
		file := filepath.Join(dir, "cut.csv")
		var b strings.Builder
		b.WriteString(strings.Join(ledger.Header(), ",") + "\n")
		for i := range 60 {
			first17 := fmt.Sprintf("990001198001%02d%03d", i%28+1, 500+i)
			fmt.Fprintf(&b, "CUT-%02d,990001002003,一组%d号,赵%d,%s,户主,汉族,小学,健康,普通劳动力,一般户,\n", i, i, i, first17+string(pii.IDCheckChar(first17)))
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		// A proxy in front of the service that cuts every connection once a few batches are done, as a lost
		// network would; later connections pass.
		proxy := cutProxy(t, stack.Services["identification"], 400)
		var out, errs bytes.Buffer
		err := Main(t.Context(), []string{"import", "households", file, "--addr", proxy, "--data", data, "--batch", "5",
			"--rows-per-message", "4"}, &out, &errs)
		if err == nil || !strings.Contains(out.String(), "the import stopped (imports/") ||
			!strings.Contains(out.String(), "run the same command again to resume") {
			t.Fatalf("%v\n%s", err, out.String())
		}
		t.Logf("the command printed:\n%s", out.String())
		written := regexp.MustCompile(`: (\d+) households written`).FindStringSubmatch(out.String())
		if written == nil {
			t.Fatalf("no count of households written:\n%s", out.String())
		}
		rerun, err := run(t, "import", "households", file)
		want := fmt.Sprintf("already imported %s,", written[1])
		if err != nil || !strings.Contains(rerun, want) || !strings.Contains(rerun, "households 60:") {
			t.Errorf("rerun after %s written: %v\n%s", written[1], err, rerun)
		}
	})

	t.Run("a file beyond the reader's limits is refused before anything is sent", func(t *testing.T) {
		out, err := run(t, "import", "households", filepath.Join(dir, "county.csv"), "--max-rows", "100")
		if err == nil || !strings.Contains(err.Error(), "the file is too large: it has more than 100 rows") ||
			!strings.Contains(err.Error(), "--max-rows") {
			t.Errorf("%v\n%s", err, out)
		}
	})

	t.Run("--bulk: refused when the register holds 10 % of the file, else one transaction", func(t *testing.T) {
		out, err := run(t, "import", "households", filepath.Join(dir, "county.csv"), "--bulk")
		if err == nil || !strings.Contains(err.Error(), "FailedPrecondition") || !strings.Contains(err.Error(), "10 %") {
			t.Fatalf("a bulk load of households the register holds: %s %v", out, err)
		}
		// A county ten times the size of what the register holds: the households the register already has
		// are reported as the ordinary path reports them, the rest written in one transaction.
		big := filepath.Join(dir, "big.csv")
		if out, err := run(t, "seed", "--households", "6000", "--seed", "7", "--deploy", "../../../deploy", "--out", big); err != nil {
			t.Fatalf("%s %v", out, err)
		}
		// (The command fails when any household was not imported: this county's numbers and persons
		// partly collide with the first one's.)
		out, _ = run(t, "import", "households", big, "--bulk")
		if !strings.Contains(out, "households 6000: imported") || !strings.Contains(out, "conflicts 300") ||
			!strings.Contains(out, "IMPORT_HOUSEHOLD_CONFLICT") || strings.Contains(out, "imported 0 households") {
			t.Fatalf("%s", out)
		}
		out, _ = run(t, "import", "households", big)
		if !strings.Contains(out, "imported 0 households") || strings.Contains(out, "already imported 0,") {
			t.Errorf("the ordinary path after the bulk load: %s", out)
		}
	})

	t.Run("a file without the 身份证号 column is refused whole", func(t *testing.T) {
		file := filepath.Join(dir, "bad.csv")
		_ = os.WriteFile(file, []byte("户编号,行政区划代码,姓名,与户主关系\nB-1,990001002003,张三,户主\n"), 0o600)
		out, err := run(t, "import", "households", file)
		if err == nil || !strings.Contains(err.Error(), "InvalidArgument") || !strings.Contains(err.Error(), "the header has no column 身份证号") {
			t.Errorf("%s %v", out, err)
		}
	})
}

// cutProxy forwards connections to addr and cuts all of them once more than after bytes came back from the
// service (its answers: a batch done is one); connections made after that pass untouched.
func cutProxy(t *testing.T, addr string, after int64) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var received int64
	cut := false
	var open []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			watched := !cut
			if watched {
				open = append(open, c, up)
			}
			mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := up.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
						mu.Lock()
						if received += int64(n); watched && !cut && received > after {
							cut = true
							for _, o := range open {
								o.Close()
							}
						}
						mu.Unlock()
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}
