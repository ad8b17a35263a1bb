package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// sniffBytes is how much of a CSV file's start decides its encoding.
const sniffBytes = 64 << 10

// csvReader reads CSV records; the row number is the record number, as a spreadsheet shows it.
type csvReader struct {
	r      *csv.Reader
	budget *budgetReader
	limits Limits
	row    int64
}

// NewCSVReader reads CSV from r, detecting UTF-8 (byte-order mark dropped) or GB18030.
func NewCSVReader(r io.Reader, limits Limits) (Reader, error) {
	limits = limits.orDefaults()
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
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
	// encoding/csv holds a whole record in memory and has no bound of its own: the budget ends a record
	// that passes MaxRowBytes (plus what csv reads ahead) with an error instead.
	budget := &budgetReader{r: in, max: int64(limits.MaxRowBytes) + csvReadAhead}
	budget.reset()
	cr := csv.NewReader(budget)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	return &csvReader{r: cr, budget: budget, limits: limits}, nil
}

// csvReadAhead is what encoding/csv's own buffer may read beyond the record it returns.
const csvReadAhead = 4096

// errRowTooLong ends a CSV record beyond the budget.
var errRowTooLong = errors.New("row too long")

// budgetReader fails once more than max bytes were read since the last reset.
type budgetReader struct {
	r    io.Reader
	max  int64
	left int64
}

func (b *budgetReader) reset() { b.left = b.max }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errRowTooLong
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// validUTF8Prefix reports whether b is UTF-8 up to its last complete line (a character may be cut at the
// end of the buffer).
func validUTF8Prefix(b []byte) bool {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 && len(b) == sniffBytes {
		b = b[:i]
	}
	return utf8.Valid(b)
}

func (c *csvReader) Next() (Row, error) {
	rec, err := c.r.Read()
	c.budget.reset()
	if err != nil {
		if errors.Is(err, errRowTooLong) {
			return Row{}, &LimitError{Limit: "MaxRowBytes", Value: int64(c.limits.MaxRowBytes), Row: c.row + 1}
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return Row{}, fmt.Errorf("CSV line %d: %w", perr.Line, perr.Err)
		}
		return Row{}, err
	}
	c.row++
	if err := rowLimits(c.limits, c.row, rec); err != nil {
		return Row{}, err
	}
	return Row{Num: c.row, Cells: rec}, nil
}

func (c *csvReader) Close() error { return nil }
