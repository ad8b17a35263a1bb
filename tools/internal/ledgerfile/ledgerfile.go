// Package ledgerfile reads and writes household ledger files (户籍台账, the layout of
// fupin.dev/services/identification/ledger) as CSV or XLSX, one row at a time, so a county's ledger of a
// million rows never sits in memory whole.
//
// Cells are text. A CSV cell is taken as written (a 身份证号 keeps its 18 characters and its X); an XLSX
// cell is read as stored, never formatted as a number: text cells come back exactly, and a 身份证号 that
// was stored as a number comes back as that number (4.20621198001011E+17), which the import recognises and
// reports. CSV files may be UTF-8 (with or without a byte-order mark, as Excel writes it) or GB18030/GBK
// (as Chinese Excel saves "CSV"); the encoding is detected from the file's start.
package ledgerfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Format is a file format.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// FormatOf returns the format a file name says, or "" when it says none.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		return CSV
	case ".xlsx", ".xlsm":
		return XLSX
	}
	return ""
}

// Reader reads a ledger's rows in order.
type Reader interface {
	// Next returns the next row and its number in the file (1 for the first row, as spreadsheets number
	// them), or io.EOF after the last.
	Next() (row int64, cells []string, err error)
	Close() error
}

// Open opens a ledger file for reading. sheet names the XLSX worksheet ("" = the first).
func Open(path, sheet string) (Reader, error) {
	switch FormatOf(path) {
	case CSV:
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, err := NewCSVReader(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		return &closingReader{Reader: r, close: f.Close}, nil
	case XLSX:
		return openXLSX(path, sheet)
	}
	return nil, fmt.Errorf("%s: want a .csv or .xlsx file", path)
}

type closingReader struct {
	Reader
	close func() error
}

func (c *closingReader) Close() error { return errors.Join(c.Reader.Close(), c.close()) }

// csvReader reads CSV records; the row number is the record number, as a spreadsheet shows it.
type csvReader struct {
	r   *csv.Reader
	row int64
}

// NewCSVReader reads CSV from r, detecting UTF-8 (byte-order mark dropped) or GB18030.
func NewCSVReader(r io.Reader) (Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case !validUTF8Prefix(head):
		in = simplifiedchinese.GB18030.NewDecoder().Reader(br)
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return &csvReader{r: cr}, nil
}

// validUTF8Prefix reports whether b is UTF-8 up to its last complete line (a character may be cut at the
// end of the buffer).
func validUTF8Prefix(b []byte) bool {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 && len(b) == 64<<10 {
		b = b[:i]
	}
	return utf8.Valid(b)
}

func (c *csvReader) Next() (int64, []string, error) {
	rec, err := c.r.Read()
	if err != nil {
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return 0, nil, fmt.Errorf("CSV line %d: %w", perr.Line, perr.Err)
		}
		return 0, nil, err
	}
	c.row++
	return c.row, rec, nil
}

func (c *csvReader) Close() error { return nil }

// xlsxReader streams one worksheet with excelize's row iterator.
type xlsxReader struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int64
}

func openXLSX(path, sheet string) (Reader, error) {
	// Raw values: cells as stored, not as displayed (a number format never reshapes a code).
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	if sheet == "" {
		sheet = f.GetSheetName(0)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: sheet %q: %w", path, sheet, err)
	}
	return &xlsxReader{f: f, rows: rows}, nil
}

func (x *xlsxReader) Next() (int64, []string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	return x.row, cells, err
}

func (x *xlsxReader) Close() error { return errors.Join(x.rows.Close(), x.f.Close()) }

// Writer writes a ledger's rows.
type Writer interface {
	Write(cells []string) error
	Close() error
}

// MaxXLSXRows is the most rows a worksheet holds.
const MaxXLSXRows = excelize.TotalRows

// Create creates a ledger file of the format its name says. CSV is written as UTF-8 with a byte-order
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
