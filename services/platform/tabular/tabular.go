// Package tabular is the one reader of the spreadsheet files people hand to fupin — CSV and XLSX — used by
// every import: the `fupin` command, and services parsing an uploaded file's bytes themselves. It reads one
// row at a time (a county's ledger of a million rows never sits in memory whole), keeps each cell's stored
// type, and refuses a file beyond its limits before the file can exhaust memory.
//
// Cells are text as stored, never formatted: a CSV cell is taken as written (a 身份证号 keeps its 18
// characters and its X); an XLSX cell is its stored value (a number comes back as the number Excel kept,
// not as a number format would display it). Each XLSX cell also carries its stored type — text (shared or
// inline string), number, or other (formula, boolean, error, date) — read from the cell's `t` attribute,
// so an import can refuse an identity number that Excel turned into a number (which keeps 15 significant
// digits: an 18-digit 身份证号 typed into a General cell is silently changed). CSV cells are text.
//
// CSV files may be UTF-8 (with or without a byte-order mark, as Excel writes it) or GB18030/GBK (as
// Chinese Excel saves "CSV"); the encoding is detected from the file's start.
package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
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

// CellType is how a cell was stored. The values are those of fupin.common.v1.CellType, so a row's types
// travel over the API as they are.
type CellType int32

// Cell types.
const (
	// CellUnknown: not told (a client that does not say); read as text.
	CellUnknown CellType = 0
	// CellText: a string (CSV cells; XLSX shared and inline strings).
	CellText CellType = 1
	// CellNumber: a number (an XLSX cell without a type, or of type n).
	CellNumber CellType = 2
	// CellOther: a formula, a boolean, an error value or a date.
	CellOther CellType = 3
)

// IsText reports whether a cell of this type holds text as typed in.
func (t CellType) IsText() bool { return t == CellUnknown || t == CellText }

// Row is one row of a file.
type Row struct {
	// Num is the row's number in the file, 1 for the first row (as spreadsheets number them); an XLSX
	// file's empty rows are not returned but keep their numbers.
	Num int64
	// Cells are the row's cells as text, in column order (trailing empty cells may be missing).
	Cells []string
	// Types are the cells' stored types, Types[i] for Cells[i]; nil when every cell is text (CSV).
	Types []CellType
}

// Type returns the stored type of cell i (text for a CSV file or a cell beyond the row's end).
func (r Row) Type(i int) CellType {
	if i < len(r.Types) {
		return r.Types[i]
	}
	return CellText
}

// Reader reads a file's rows in order.
type Reader interface {
	// Next returns the next row, or io.EOF after the last. An error wrapping ErrTooLarge says the file
	// passes a limit; the rows returned before it were within the limits.
	Next() (Row, error)
	Close() error
}

// Limits bound what a reader takes. Zero fields take the defaults (DefaultLimits).
type Limits struct {
	// MaxRows is the most rows a file may have (counting every row up to the last one read).
	MaxRows int64
	// MaxCellChars is the longest cell, in characters.
	MaxCellChars int
	// MaxRowBytes bounds one CSV row's bytes (a quote left open makes the rest of a file one row).
	MaxRowBytes int
	// MaxUnzipBytes bounds what an XLSX file unzips to, all its parts together (excelize's
	// UnzipSizeLimit). It is checked against the sizes the zip declares before anything is unpacked (and
	// a part that unpacks beyond its declared size is an error), so a small file that inflates to
	// gigabytes is refused at once.
	MaxUnzipBytes int64
	// MaxXMLInMemoryBytes is the largest worksheet or shared-string part kept in memory (excelize's
	// UnzipXMLSizeLimit); larger ones are unpacked to a temporary file and read from there.
	MaxXMLInMemoryBytes int64
}

// Defaults of Limits, documented in docs/IMPORT.md. They admit the largest ledgers counties keep (the CSV
// ledger of a 600,000-household county has about two million rows; a full worksheet of 1,048,576 rows as
// Excel saves it unpacks to about 450 MiB) and bound memory: a row holds at most MaxRowBytes, an XLSX file
// unpacks to at most MaxUnzipBytes, of which at most MaxXMLInMemoryBytes per part stay in memory.
const (
	DefaultMaxRows             = 2_000_000
	DefaultMaxCellChars        = 4_000
	DefaultMaxRowBytes         = 256 << 10
	DefaultMaxUnzipBytes       = 512 << 20
	DefaultMaxXMLInMemoryBytes = 16 << 20
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{MaxRows: DefaultMaxRows, MaxCellChars: DefaultMaxCellChars, MaxRowBytes: DefaultMaxRowBytes,
		MaxUnzipBytes: DefaultMaxUnzipBytes, MaxXMLInMemoryBytes: DefaultMaxXMLInMemoryBytes}
}

func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxCellChars <= 0 {
		l.MaxCellChars = d.MaxCellChars
	}
	if l.MaxRowBytes <= 0 {
		l.MaxRowBytes = d.MaxRowBytes
	}
	if l.MaxUnzipBytes <= 0 {
		l.MaxUnzipBytes = d.MaxUnzipBytes
	}
	if l.MaxXMLInMemoryBytes <= 0 {
		l.MaxXMLInMemoryBytes = d.MaxXMLInMemoryBytes
	}
	l.MaxXMLInMemoryBytes = min(l.MaxXMLInMemoryBytes, l.MaxUnzipBytes)
	return l
}

// ErrTooLarge is wrapped by every refusal of a file beyond a limit (a *LimitError).
var ErrTooLarge = errors.New("the file is too large")

// LimitError says which limit a file passes.
type LimitError struct {
	// Limit names the Limits field: MaxRows, MaxCellChars, MaxRowBytes or MaxUnzipBytes.
	Limit string
	// Value is the limit's value.
	Value int64
	// Row is the row concerned (0: the whole file).
	Row int64
}

func (e *LimitError) Error() string {
	where := ""
	if e.Row > 0 {
		where = fmt.Sprintf(" at row %d", e.Row)
	}
	switch e.Limit {
	case "MaxRows":
		return fmt.Sprintf("%v: it has more than %d rows", ErrTooLarge, e.Value)
	case "MaxCellChars":
		return fmt.Sprintf("%v: a cell%s is longer than %d characters", ErrTooLarge, where, e.Value)
	case "MaxRowBytes":
		return fmt.Sprintf("%v: a row%s is longer than %d bytes (is a quote left open?)", ErrTooLarge, where, e.Value)
	case "MaxUnzipBytes":
		return fmt.Sprintf("%v: it unpacks to more than %d MiB", ErrTooLarge, e.Value>>20)
	}
	return fmt.Sprintf("%v: %s %d%s", ErrTooLarge, e.Limit, e.Value, where)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

// Options say how to read a file.
type Options struct {
	// Sheet names the XLSX worksheet to read ("" = the first).
	Sheet string
	// Limits bound what is read.
	Limits Limits
}

// Open opens a file for reading; its name's extension says the format (.csv/.txt, .xlsx/.xlsm).
func Open(path string, opts Options) (Reader, error) {
	switch FormatOf(path) {
	case CSV:
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, err := NewCSVReader(f, opts.Limits)
		if err != nil {
			f.Close()
			return nil, err
		}
		return &closingReader{Reader: r, close: f.Close}, nil
	case XLSX:
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		r, err := newXLSXReader(f, info.Size(), func(o excelize.Options) (*excelize.File, error) {
			return excelize.OpenFile(path, o)
		}, opts)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &closingReader{Reader: r, close: f.Close}, nil
	}
	return nil, fmt.Errorf("%s: want a .csv or .xlsx file", path)
}

// OpenBytes reads a file held in memory (an upload) of the given format.
func OpenBytes(data []byte, format Format, opts Options) (Reader, error) {
	switch format {
	case CSV:
		return NewCSVReader(bytes.NewReader(data), opts.Limits)
	case XLSX:
		return newXLSXReader(bytes.NewReader(data), int64(len(data)), func(o excelize.Options) (*excelize.File, error) {
			return excelize.OpenReader(bytes.NewReader(data), o)
		}, opts)
	}
	return nil, fmt.Errorf("format %q: want csv or xlsx", format)
}

type closingReader struct {
	Reader
	close func() error
}

func (c *closingReader) Close() error { return errors.Join(c.Reader.Close(), c.close()) }

// rowLimits checks the limits every format shares on a row about to be returned.
func rowLimits(l Limits, num int64, cells []string) error {
	if num > l.MaxRows {
		return &LimitError{Limit: "MaxRows", Value: l.MaxRows, Row: num}
	}
	for _, c := range cells {
		// Bytes first: a cell of at most MaxCellChars bytes has at most that many characters.
		if len(c) > l.MaxCellChars && utf8.RuneCountInString(c) > l.MaxCellChars {
			return &LimitError{Limit: "MaxCellChars", Value: int64(l.MaxCellChars), Row: num}
		}
	}
	return nil
}

// ReadAll reads every row of r; for tests and small files only.
func ReadAll(r Reader) ([]Row, error) {
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}
