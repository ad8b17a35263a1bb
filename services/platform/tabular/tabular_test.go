package tabular_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/tabular"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func readAll(t *testing.T, r tabular.Reader) []tabular.Row {
	t.Helper()
	rows, err := tabular.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCSVEncodings(t *testing.T) {
	text := "户编号,姓名,身份证号\r\nH-1,张三,42062119800101123X\r\nH-1,\"李,四\",011234567890123456\r\n"
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
	}{
		{"UTF-8", text},
		{"UTF-8 with a byte-order mark (Excel)", "\ufeff" + text},
		{"GB18030 (Chinese Excel's CSV)", gbk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tabular.NewCSVReader(strings.NewReader(tt.data), tabular.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			rows := readAll(t, r)
			if len(rows) != 3 || rows[2].Num != 3 || rows[0].Cells[0] != "户编号" || rows[1].Cells[2] != "42062119800101123X" ||
				rows[2].Cells[1] != "李,四" || rows[2].Cells[2] != "011234567890123456" {
				t.Errorf("rows %+v", rows)
			}
			// CSV cells are text: a CSV file cannot say otherwise.
			if rows[1].Types != nil || rows[1].Type(2) != tabular.CellText {
				t.Errorf("CSV types %v", rows[1].Types)
			}
		})
	}
}

func TestWriteAndReadBack(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger"+ext)
			w, err := tabular.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"户编号", "身份证号", "脱贫年度"}, {"9900010020030001", "99000119700101001X", "2019"},
				{"0012", "990001197001010028", ""}}
			for _, row := range want {
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := tabular.Open(path, tabular.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := readAll(t, r)
			if len(got) != len(want) {
				t.Fatalf("read back %+v", got)
			}
			for i := 1; i < len(want); i++ {
				cells := append(got[i].Cells, make([]string, len(want[i])-len(got[i].Cells))...) // XLSX drops trailing empty cells
				if strings.Join(cells, "|") != strings.Join(want[i], "|") {
					t.Errorf("row %d read back %q, want %q", i, cells, want[i])
				}
				for j := range got[i].Cells {
					if got[i].Type(j) != tabular.CellText {
						t.Errorf("row %d cell %d: type %v, written as text", i, j, got[i].Type(j))
					}
				}
			}
		})
	}
}

// saveXLSX builds a worksheet with excelize (as Excel would store it) and saves it.
func saveXLSX(t *testing.T, build func(f *excelize.File, sheet string)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "台账.xlsx")
	f := excelize.NewFile()
	build(f, f.GetSheetName(0))
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// A spreadsheet made in Excel: 身份证号 typed as text (some in cells whose number format would show a
// number), typed as numbers of 15 and 18 digits, plain and in E-notation, a formula and a boolean. Every
// cell comes back as stored, with its stored type.
func TestXLSXCellTypes(t *testing.T) {
	path := saveXLSX(t, func(f *excelize.File, sheet string) {
		number, _ := f.NewStyle(&excelize.Style{NumFmt: 1})      // "0"
		scientific, _ := f.NewStyle(&excelize.Style{NumFmt: 11}) // "0.00E+00"
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.SetSheetRow(sheet, "A1", &[]string{"户编号", "身份证号"}))
		must(f.SetCellStr(sheet, "A2", "0012"))
		must(f.SetCellStyle(sheet, "A2", "A2", number))
		must(f.SetCellStr(sheet, "B2", "420621198001011234"))
		must(f.SetCellStyle(sheet, "B2", "B2", number))
		must(f.SetCellStr(sheet, "B3", "42062119800101123X"))
		must(f.SetCellStyle(sheet, "B3", "B3", scientific))
		// Excel keeps what was typed into a General cell as a double: an 18-digit number keeps 15
		// significant digits and is stored as <v>990009196508148000</v>, which reads as 18 digits.
		must(f.SetCellInt(sheet, "B4", 990009196508148000))
		must(f.SetCellDefault(sheet, "B5", "9.9000919650814803E+17")) // the same, in E-notation
		must(f.SetCellInt(sheet, "B6", 990009650814800))              // a 15-digit number (an old 身份证号)
		must(f.SetCellDefault(sheet, "B7", "9.90009650814800E+14"))
		must(f.SetCellFormula(sheet, "B8", `"99000919650814"&"8000"`))
		must(f.SetCellBool(sheet, "B9", true))
		must(f.SetCellStyle(sheet, "B4", "B4", number))
	})
	r, err := tabular.Open(path, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := readAll(t, r)
	type cell struct {
		value string
		typ   tabular.CellType
	}
	want := []cell{
		{"420621198001011234", tabular.CellText},
		{"42062119800101123X", tabular.CellText},
		{"990009196508148000", tabular.CellNumber},
		{"9.9000919650814803E+17", tabular.CellNumber},
		{"990009650814800", tabular.CellNumber},
		{"9.90009650814800E+14", tabular.CellNumber},
		{"", tabular.CellOther},
		{"1", tabular.CellOther},
	}
	if len(rows) != 1+len(want) {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if rows[1].Cells[0] != "0012" || rows[1].Type(0) != tabular.CellText {
		t.Errorf("a text code in a number-formatted cell: %q %v", rows[1].Cells[0], rows[1].Type(0))
	}
	for i, w := range want {
		row := rows[i+1]
		if row.Num != int64(i+2) || len(row.Cells) < 2 || row.Cells[1] != w.value || row.Type(1) != w.typ {
			t.Errorf("row %d: %+v; want %q stored as %v", i+2, row, w.value, w.typ)
		}
	}
}

func TestXLSXRowNumbersKeepGaps(t *testing.T) {
	path := saveXLSX(t, func(f *excelize.File, sheet string) {
		_ = f.SetCellStr(sheet, "A1", "标题")
		_ = f.SetCellStr(sheet, "A3", "户编号")
		_ = f.SetCellStr(sheet, "A7", "H-1")
		_ = f.SetCellInt(sheet, "C7", 12)
	})
	r, err := tabular.Open(path, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []int64
	for _, row := range readAll(t, r) {
		if len(row.Cells) > 0 {
			got = append(got, row.Num)
		}
		if row.Num == 7 && (row.Type(0) != tabular.CellText || row.Type(1) != tabular.CellText || row.Type(2) != tabular.CellNumber) {
			t.Errorf("row 7 types %v", row.Types)
		}
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 7 {
		t.Errorf("rows with cells are numbered %v; want 1, 3, 7 as the spreadsheet shows", got)
	}
}

func TestOpenBytes(t *testing.T) {
	path := saveXLSX(t, func(f *excelize.File, sheet string) {
		_ = f.SetCellStr(sheet, "A1", "身份证号")
		_ = f.SetCellInt(sheet, "A2", 990009196508148000)
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tabular.OpenBytes(b, tabular.XLSX, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := readAll(t, r)
	if len(rows) != 2 || rows[1].Type(0) != tabular.CellNumber {
		t.Errorf("%+v", rows)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := tabular.Open("ledger.xls", tabular.Options{}); err == nil {
		t.Error("an .xls file was accepted")
	}
	if _, err := tabular.Create(filepath.Join(t.TempDir(), "x.ods")); err == nil {
		t.Error("an .ods file was accepted")
	}
}

// TestLimits: each limit refuses a file with ErrTooLarge naming it, after the rows within it.
func TestLimits(t *testing.T) {
	csvRows := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "H-%d,张三\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name   string
		data   string
		limits tabular.Limits
		rows   int // rows read before the refusal
		limit  string
	}{
		{"rows", csvRows(11), tabular.Limits{MaxRows: 10}, 10, "MaxRows"},
		{"rows at the limit", csvRows(10), tabular.Limits{MaxRows: 10}, 10, ""},
		{"a long cell", "a,b\nc," + strings.Repeat("长", 101) + "\n", tabular.Limits{MaxCellChars: 100}, 1, "MaxCellChars"},
		{"a cell at the limit", "a,b\nc," + strings.Repeat("长", 100) + "\n", tabular.Limits{MaxCellChars: 100}, 2, ""},
		{"a quote left open", "a,b\nc,\"" + strings.Repeat("x", 1<<20) + "\n", tabular.Limits{MaxRowBytes: 64 << 10, MaxCellChars: 10 << 20}, 1, "MaxRowBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tabular.NewCSVReader(strings.NewReader(tt.data), tt.limits)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := tabular.ReadAll(r)
			var le *tabular.LimitError
			switch {
			case tt.limit == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.limit != "" && (!errors.Is(err, tabular.ErrTooLarge) || !errors.As(err, &le) || le.Limit != tt.limit):
				t.Errorf("error %v; want %s", err, tt.limit)
			case len(rows) != tt.rows:
				t.Errorf("%d rows before the refusal; want %d", len(rows), tt.rows)
			}
		})
	}
	t.Run("XLSX rows", func(t *testing.T) {
		path := saveXLSX(t, func(f *excelize.File, sheet string) {
			for i := 1; i <= 11; i++ {
				_ = f.SetCellStr(sheet, fmt.Sprintf("A%d", i), "x")
			}
		})
		r, err := tabular.Open(path, tabular.Options{Limits: tabular.Limits{MaxRows: 10}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rows, err := tabular.ReadAll(r)
		if !errors.Is(err, tabular.ErrTooLarge) || len(rows) != 10 {
			t.Errorf("%d rows, %v", len(rows), err)
		}
	})
}

// bomb writes an XLSX whose worksheet inflates to sheetBytes (a repeated row) from a file of a few MB:
// the deflate stream is one compressed MiB of rows repeated (each chunk flushed, so the chunks join into
// one valid stream). declared is the worksheet's size as the zip states it (a liar states less).
func bomb(t *testing.T, sheetBytes, declared int64) string {
	t.Helper()
	const chunk = 1 << 20
	row := `<row><c t="inlineStr"><is><t>990001199001011234</t></is></c></row>`
	plain := bytes.Repeat([]byte(row), chunk/len(row)+1)[:chunk]
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	_, _ = fw.Write(plain)
	_ = fw.Flush()
	compressed := bytes.Clone(z.Bytes())
	head := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	tail := []byte(`</sheetData></worksheet>`)

	// Start from a real workbook, then replace its worksheet.
	src := saveXLSX(t, func(f *excelize.File, sheet string) { _ = f.SetCellStr(sheet, "A1", "户编号") })
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := filepath.Join(t.TempDir(), "bomb.xlsx")
	of, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(of)
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		n := (sheetBytes - int64(len(head)+len(tail))) / chunk
		var body bytes.Buffer
		fw, _ := flate.NewWriter(&body, flate.BestCompression)
		_, _ = fw.Write(head)
		_ = fw.Flush()
		crc := crc32.Update(0, crc32.IEEETable, head)
		for range n {
			body.Write(compressed)
			crc = crc32.Update(crc, crc32.IEEETable, plain)
		}
		fw.Reset(&body)
		_, _ = fw.Write(tail)
		_ = fw.Close()
		crc = crc32.Update(crc, crc32.IEEETable, tail)
		size := int64(len(head)+len(tail)) + n*chunk
		if declared == 0 {
			declared = size
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(body.Len()), UncompressedSize64: uint64(declared)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := of.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestZipBomb: a small XLSX whose worksheet inflates to 1 GiB is refused at once, without unpacking it,
// and so is one whose zip lies about the worksheet's size; memory stays bounded in both.
func TestZipBomb(t *testing.T) {
	tests := []struct {
		name     string
		declared int64
	}{
		{"honest sizes", 0},
		{"the zip states 64 KiB", 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := bomb(t, 1<<30, tt.declared)
			info, _ := os.Stat(path)
			if info.Size() > 4<<20 {
				t.Fatalf("the bomb has %d bytes; want a small file", info.Size())
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			var err error
			r, err := tabular.Open(path, tabular.Options{})
			if err == nil {
				_, err = tabular.ReadAll(r)
				r.Close()
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("the bomb was read")
			}
			if tt.declared == 0 && !errors.Is(err, tabular.ErrTooLarge) {
				t.Errorf("error %v; want ErrTooLarge", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("reading the bomb allocated %d MiB", alloc>>20)
			}
			if took > 5*time.Second {
				t.Errorf("refused after %v", took)
			}
			t.Logf("%s: %d KiB file refused in %v (%d KiB allocated): %v", tt.name, info.Size()>>10, took.Round(time.Millisecond),
				(after.TotalAlloc-before.TotalAlloc)>>10, err)
		})
	}
}
