package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams one worksheet. Values come from excelize's row iterator (raw values, never
// formatted). That iterator returns text only, and excelize's cell type API (GetCellType) loads the whole
// worksheet into memory; so the cells' types come from a second, lock-step pass over the same worksheet
// part that reads only the `<row>` and `<c r t>` elements and maps `t` to excelize's CellType.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	types  *typeScanner
	limits Limits
	row    int64
}

// newXLSXReader reads the zip in at; open opens it with excelize (from the file's path, or from memory).
func newXLSXReader(at io.ReaderAt, size int64, open func(excelize.Options) (*excelize.File, error), opts Options) (Reader, error) {
	limits := opts.Limits.orDefaults()
	zr, err := zip.NewReader(at, size)
	if err != nil {
		return nil, err
	}
	// The sizes the zip declares, checked before anything is unpacked (archive/zip refuses a part that
	// unpacks beyond its declared size), so a zip bomb is refused at once. excelize checks the same
	// limit as it opens the file; this check makes the refusal a LimitError.
	var unzipped uint64
	for _, f := range zr.File {
		unzipped += f.UncompressedSize64
		if unzipped > uint64(limits.MaxUnzipBytes) {
			return nil, &LimitError{Limit: "MaxUnzipBytes", Value: limits.MaxUnzipBytes}
		}
	}
	eopts := excelize.Options{RawCellValue: true, UnzipSizeLimit: limits.MaxUnzipBytes,
		UnzipXMLSizeLimit: limits.MaxXMLInMemoryBytes}
	f, err := open(eopts)
	if err != nil {
		return nil, err
	}
	sheet := opts.Sheet
	if sheet == "" {
		sheet = f.GetSheetName(0)
	}
	part, err := worksheetPart(zr, sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	types, err := newTypeScanner(part)
	if err != nil {
		rows.Close()
		f.Close()
		return nil, err
	}
	return &xlsxReader{f: f, rows: rows, types: types, limits: limits}, nil
}

func (x *xlsxReader) Next() (Row, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return Row{}, err
		}
		// excelize ends quietly where a worksheet's XML ends early (a part cut at the size the zip
		// states): the end counts only when the scanner, reading the part itself, ends there too.
		if err := x.types.end(); err != nil {
			return Row{}, err
		}
		return Row{}, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return Row{}, err
	}
	// excelize's iterator also stops at the rows a worksheet leaves out (they come back empty); the
	// scanner's row is used when its number is this row's.
	types, err := x.types.typesOf(x.row)
	if err != nil {
		return Row{}, fmt.Errorf("worksheet row %d: %w", x.row, err)
	}
	if err := rowLimits(x.limits, x.row, cells); err != nil {
		return Row{}, err
	}
	out := Row{Num: x.row, Cells: cells, Types: make([]CellType, len(cells))}
	for i := range out.Types {
		out.Types[i] = CellText
		if i < len(types) {
			out.Types[i] = types[i]
		}
	}
	return out, nil
}

func (x *xlsxReader) Close() error {
	return errors.Join(x.types.close(), x.rows.Close(), x.f.Close())
}

// cellType maps a cell's `t` attribute (through excelize's CellType) to how it was stored; a cell with a
// formula is CellOther whatever its result.
func cellType(t string, formula bool) CellType {
	if formula {
		return CellOther
	}
	switch excelizeTypes[t] {
	case excelize.CellTypeSharedString, excelize.CellTypeInlineString:
		return CellText
	case excelize.CellTypeNumber, excelize.CellTypeUnset:
		return CellNumber
	}
	return CellOther
}

// excelizeTypes are the values of the `t` attribute (ECMA-376 ST_CellType) as excelize's CellType.
var excelizeTypes = map[string]excelize.CellType{
	"": excelize.CellTypeUnset, "n": excelize.CellTypeNumber, "s": excelize.CellTypeSharedString,
	"inlineStr": excelize.CellTypeInlineString, "str": excelize.CellTypeFormula, "b": excelize.CellTypeBool,
	"e": excelize.CellTypeError, "d": excelize.CellTypeDate,
}

// typeScanner reads the types of a worksheet's cells, row by row, in step with excelize's iterator.
type typeScanner struct {
	rc  io.ReadCloser
	dec *xml.Decoder
	// pending is the next <row> read but not used yet (a row after a gap); last is the previous row's
	// number, which a row without an r attribute follows.
	pending *scannedRow
	last    int64
	done    bool
}

type scannedRow struct {
	num   int64
	types []CellType
}

func newTypeScanner(part *zip.File) (*typeScanner, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	return &typeScanner{rc: rc, dec: xml.NewDecoder(rc)}, nil
}

func (s *typeScanner) close() error { return s.rc.Close() }

// typesOf returns the types of row num's cells by column (0-based); nil for a row the worksheet leaves out.
func (s *typeScanner) typesOf(num int64) ([]CellType, error) {
	if s.pending == nil && !s.done {
		row, err := s.next()
		switch {
		case errors.Is(err, io.EOF):
			s.done = true
		case err != nil:
			return nil, err
		default:
			s.pending = row
		}
	}
	if s.pending == nil || s.pending.num != num {
		return nil, nil
	}
	types := s.pending.types
	s.pending = nil
	return types, nil
}

// end checks that the worksheet has no rows beyond those read and that its part reads to its end.
func (s *typeScanner) end() error {
	if s.pending != nil {
		return fmt.Errorf("%w: the worksheet has rows after row %d that could not be read", errDamaged, s.pending.num-1)
	}
	if s.done {
		return nil
	}
	row, err := s.next()
	switch {
	case errors.Is(err, io.EOF):
		s.done = true
		return nil
	case err != nil:
		return fmt.Errorf("%w: %v", errDamaged, err)
	}
	return fmt.Errorf("%w: the worksheet has rows after row %d that could not be read", errDamaged, row.num-1)
}

// errDamaged: the file cannot be read to its end (cut short, or a zip that states wrong sizes).
var errDamaged = errors.New("the file is damaged")

// next reads the next <row>.
func (s *typeScanner) next() (*scannedRow, error) {
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.EndElement:
			if el.Name.Local == "sheetData" {
				return nil, io.EOF
			}
		case xml.StartElement:
			if el.Name.Local != "row" {
				continue
			}
			num := s.last + 1
			if r := attr(el, "r"); r != "" {
				if _, err := fmt.Sscan(r, &num); err != nil {
					return nil, fmt.Errorf("row number %q", r)
				}
			}
			s.last = num
			types, err := s.cells()
			return &scannedRow{num: num, types: types}, err
		}
	}
}

// cells reads a row's cells up to its end.
func (s *typeScanner) cells() ([]CellType, error) {
	var types []CellType
	col := 0
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.EndElement:
			if el.Name.Local == "row" {
				return types, nil
			}
		case xml.StartElement:
			if el.Name.Local != "c" {
				continue
			}
			col++
			if r := attr(el, "r"); r != "" {
				c, _, err := excelize.CellNameToCoordinates(r)
				if err != nil {
					return nil, err
				}
				col = c
			}
			formula, value, err := s.content()
			if err != nil {
				return nil, err
			}
			for len(types) < col {
				types = append(types, CellText)
			}
			if formula || value {
				types[col-1] = cellType(attr(el, "t"), formula)
			}
		}
	}
}

// content reads a <c> element's content up to its end and reports whether it has a formula (<f>) and a
// value (<v> or <is>): a cell without either is empty, whatever its type says.
func (s *typeScanner) content() (formula, value bool, err error) {
	for depth := 1; depth > 0; {
		tok, err := s.dec.Token()
		if err != nil {
			return false, false, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			formula = formula || el.Name.Local == "f"
			value = value || el.Name.Local == "v" || el.Name.Local == "is"
		case xml.EndElement:
			depth--
		}
	}
	return formula, value, nil
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// worksheetPart finds the zip part of a worksheet by its name, as excelize does: the package's office
// document (the workbook), its sheet of that name, the workbook's relationship to the sheet's part.
func worksheetPart(zr *zip.Reader, sheet string) (*zip.File, error) {
	parts := map[string]*zip.File{}
	for _, f := range zr.File {
		parts[strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/")] = f
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	workbook := "xl/workbook.xml"
	if err := readXMLPart(parts, "_rels/.rels", &rels); err == nil {
		for _, r := range rels.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				workbook = strings.TrimPrefix(r.Target, "/")
			}
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXMLPart(parts, workbook, &wb); err != nil {
		return nil, err
	}
	rels.Rel = nil
	if err := readXMLPart(parts, path.Join(path.Dir(workbook), "_rels", path.Base(workbook)+".rels"), &rels); err != nil {
		return nil, err
	}
	for _, s := range wb.Sheets {
		if !strings.EqualFold(s.Name, sheet) {
			continue
		}
		for _, r := range rels.Rel {
			if r.ID != s.ID {
				continue
			}
			name := path.Join(path.Dir(workbook), r.Target)
			if strings.HasPrefix(r.Target, "/") {
				name = path.Clean(strings.TrimPrefix(r.Target, "/"))
			}
			if p, ok := parts[name]; ok {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("no worksheet %q", sheet)
}

// maxWorkbookPart bounds the small parts read whole to find a worksheet (workbook and relationships).
const maxWorkbookPart = 16 << 20

func readXMLPart(parts map[string]*zip.File, name string, into any) error {
	p, ok := parts[name]
	if !ok {
		return fmt.Errorf("not a workbook: no part %s", name)
	}
	if p.UncompressedSize64 > maxWorkbookPart {
		return fmt.Errorf("%w: part %s", ErrTooLarge, name)
	}
	rc, err := p.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxWorkbookPart))
	if err != nil {
		return err
	}
	return xml.NewDecoder(bytes.NewReader(b)).Decode(into)
}
