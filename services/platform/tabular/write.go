package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

// Writer writes a file's rows.
type Writer interface {
	Write(cells []string) error
	Close() error
}

// MaxXLSXRows is the most rows a worksheet holds.
const MaxXLSXRows = excelize.TotalRows

// Create creates a file of the format its name says. CSV is written as UTF-8 with a byte-order
// mark, so Excel opens Chinese text correctly; XLSX as one worksheet with text cells (身份证号 stay text).
func Create(path string) (Writer, error) {
	switch FormatOf(path) {
	case CSV:
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		_, _ = bw.WriteString("\ufeff")
		return &csvWriter{f: f, bw: bw, w: csv.NewWriter(bw)}, nil
	case XLSX:
		return createXLSX(path)
	}
	return nil, fmt.Errorf("%s: want a .csv or .xlsx file", path)
}

type csvWriter struct {
	f  *os.File
	bw *bufio.Writer
	w  *csv.Writer
}

func (c *csvWriter) Write(cells []string) error { return c.w.Write(cells) }

func (c *csvWriter) Close() error {
	c.w.Flush()
	err := c.w.Error()
	if err == nil {
		err = c.bw.Flush()
	}
	return errors.Join(err, c.f.Close())
}

type xlsxWriter struct {
	path string
	f    *excelize.File
	sw   *excelize.StreamWriter
	text int // style: number format "@" (text), so cells typed in later stay text
	row  int
	buf  []any
}

func createXLSX(path string) (Writer, error) {
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxWriter{path: path, f: f, sw: sw, text: text}, nil
}

func (x *xlsxWriter) Write(cells []string) error {
	if x.row >= MaxXLSXRows {
		return fmt.Errorf("an XLSX worksheet holds at most %d rows: write CSV for a county this large", MaxXLSXRows)
	}
	x.row++
	x.buf = x.buf[:0]
	for _, c := range cells {
		x.buf = append(x.buf, excelize.Cell{StyleID: x.text, Value: c})
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.buf)
}

func (x *xlsxWriter) Close() error {
	err := x.sw.Flush()
	if err == nil {
		err = x.f.SaveAs(x.path)
	}
	return errors.Join(err, x.f.Close())
}
