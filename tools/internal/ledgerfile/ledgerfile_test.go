package ledgerfile_test

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"fupin.dev/tools/internal/ledgerfile"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// readAll reads every row of a ledger file.
func readAll(t *testing.T, r ledgerfile.Reader) ([]int64, [][]string) {
	t.Helper()
	var nums []int64
	var rows [][]string
	for {
		n, cells, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nums, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, n)
		rows = append(rows, cells)
	}
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
			r, err := ledgerfile.NewCSVReader(strings.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			nums, rows := readAll(t, r)
			if len(rows) != 3 || nums[2] != 3 || rows[0][0] != "户编号" || rows[1][2] != "42062119800101123X" ||
				rows[2][1] != "李,四" || rows[2][2] != "011234567890123456" {
				t.Errorf("rows %q %v", rows, nums)
			}
		})
	}
}

func TestWriteAndReadBack(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger"+ext)
			w, err := ledgerfile.Create(path)
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
			r, err := ledgerfile.Open(path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, got := readAll(t, r)
			for i := range got {
				got[i] = append(got[i], make([]string, len(want[i])-len(got[i]))...) // XLSX drops trailing empty cells
			}
			if len(got) != len(want) || strings.Join(got[1], "|") != strings.Join(want[1], "|") || strings.Join(got[2], "|") != strings.Join(want[2], "|") {
				t.Errorf("read back %q, want %q", got, want)
			}
		})
	}
}

// A spreadsheet made in Excel: 身份证号 typed as text, some in cells whose number format would show a
// number; codes with leading zeros; a 身份证号 typed as a number (its last digits are lost).
func TestXLSXCellsAreReadAsStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "台账.xlsx")
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	number, err := f.NewStyle(&excelize.Style{NumFmt: 1}) // "0"
	if err != nil {
		t.Fatal(err)
	}
	scientific, err := f.NewStyle(&excelize.Style{NumFmt: 11}) // "0.00E+00"
	if err != nil {
		t.Fatal(err)
	}
	set := func(cell, value string, style int) {
		if err := f.SetCellStr(sheet, cell, value); err != nil {
			t.Fatal(err)
		}
		if style != 0 {
			if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
				t.Fatal(err)
			}
		}
	}
	set("A1", "户编号", 0)
	set("B1", "身份证号", 0)
	set("A2", "0012", number)
	set("B2", "420621198001011234", number)
	set("A3", "0013", 0)
	set("B3", "42062119800101123X", scientific)
	set("A4", "0014", 0)
	// Excel keeps a typed-in number as a double: 18 digits become 4.2062119800101101E+17.
	if err := f.SetCellDefault(sheet, "B4", "4.2062119800101101E+17"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(sheet, "B4", "B4", number); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r, err := ledgerfile.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nums, rows := readAll(t, r)
	if len(rows) != 4 || nums[3] != 4 {
		t.Fatalf("rows %q", rows)
	}
	if rows[1][0] != "0012" || rows[1][1] != "420621198001011234" || rows[2][1] != "42062119800101123X" {
		t.Errorf("text cells changed: %q", rows[1:3])
	}
	// The number comes back as stored, not formatted by the cell's "0" format into a plausible-looking
	// but wrong 18-digit number; the import recognises it and asks for the column to be text.
	if got := rows[3][1]; got != "4.2062119800101101E+17" {
		t.Errorf("a number-typed 身份证号 read as %q; want the stored 4.2062119800101101E+17", got)
	}
}

func TestXLSXRowNumbersKeepGaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gaps.xlsx")
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	_ = f.SetCellStr(sheet, "A1", "标题")
	_ = f.SetCellStr(sheet, "A3", "户编号")
	_ = f.SetCellStr(sheet, "A7", "H-1")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := ledgerfile.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nums, rows := readAll(t, r)
	var got []int64
	for i, row := range rows {
		if len(row) > 0 {
			got = append(got, nums[i])
		}
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 7 {
		t.Errorf("rows with cells are numbered %v; want 1, 3, 7 as the spreadsheet shows", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := ledgerfile.Open("ledger.xls", ""); err == nil {
		t.Error("an .xls file was accepted")
	}
	if _, err := ledgerfile.Create(filepath.Join(t.TempDir(), "x.ods")); err == nil {
		t.Error("an .ods file was accepted")
	}
}
