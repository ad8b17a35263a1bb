package payroll

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSXContentType is the media type of an exported XLSX roll.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// rollExportHeader are the columns of an exported roll, in the users' terms. There is no 身份证号 column:
// persons appear by masked name and by identification's person id.
var rollExportHeader = []string{"序号", "项目", "发放月份", "行政区划代码", "户编号", "人员编号", "姓名",
	"发放类型", "所属月份", "金额(分)", "金额(元)", "依据", "待遇编号"}

// yuan writes fen as 元 with two decimals, from the integer (never through a float).
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

func rollExportRow(i int, l *ExportLine) []string {
	return []string{strconv.Itoa(i + 1), l.Program.label(), l.RollMonth, l.RegionCode, l.HouseholdID, l.PersonID,
		l.NameMasked, l.Kind.Label(), l.Period, strconv.FormatInt(l.AmountFen, 10), yuan(l.AmountFen), l.Reason,
		strings.Join(l.EntitlementIDs, ",")}
}

// RollCSV writes the lines as CSV in UTF-8 with a byte order mark, which Excel needs to read Chinese.
func RollCSV(lines []ExportLine) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	_ = w.Write(rollExportHeader)
	for i := range lines {
		_ = w.Write(rollExportRow(i, &lines[i]))
	}
	w.Flush()
	return b.Bytes()
}

// RollXLSX writes the lines as one sheet named for the roll, with the stream writer (constant memory per
// row), amounts in 分 as numbers so the sheet can sum them.
func RollXLSX(roll *Roll, lines []ExportLine) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := roll.Program.label() + roll.Month
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	row := make([]any, len(rollExportHeader))
	for i, h := range rollExportHeader {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return nil, err
	}
	for i := range lines {
		cells := rollExportRow(i, &lines[i])
		for j, c := range cells {
			row[j] = c
		}
		row[0], row[9] = i+1, lines[i].AmountFen
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return b.Bytes(), nil
}
