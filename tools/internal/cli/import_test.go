package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

	t.Run("a file without the 身份证号 column is refused whole", func(t *testing.T) {
		file := filepath.Join(dir, "bad.csv")
		_ = os.WriteFile(file, []byte("户编号,行政区划代码,姓名,与户主关系\nB-1,990001002003,张三,户主\n"), 0o600)
		out, err := run(t, "import", "households", file)
		if err == nil || !strings.Contains(err.Error(), "InvalidArgument") || !strings.Contains(err.Error(), "the header has no column 身份证号") {
			t.Errorf("%s %v", out, err)
		}
	})
}
