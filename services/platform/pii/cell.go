package pii

import (
	"errors"
	"strings"
)

// ErrIDStoredAsNumber: a 身份证号 cell of a spreadsheet was stored as a number (or a formula), not as text.
// A spreadsheet keeps 15 significant digits of a number, so the 18-digit number typed in is already
// changed — and about 1 in 11 changed numbers still has a valid check character, as another person's
// number. Its text says what to do.
var ErrIDStoredAsNumber = errors.New("the 身份证号 was stored as a number, which keeps only 15 digits: " +
	"format the 身份证号 column as text (文本) and enter the numbers again")

// CheckIDNumberCell is the check every import applies to a 身份证号 read from a file, before it is parsed:
// the cell must have been stored as text (storedAsText: the file reader's cell type, see
// services/platform/tabular), and a text cell must not hold what a spreadsheet writes for a number in
// scientific notation (4.20621E+17, as Excel saves a number column to CSV).
func CheckIDNumberCell(cell string, storedAsText bool) error {
	if !storedAsText || scientificNumber(strings.TrimSpace(cell)) {
		return ErrIDStoredAsNumber
	}
	return nil
}

// scientificNumber reports whether s is a number in scientific notation (4.20621E+17).
func scientificNumber(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E+")
	if !ok || mant == "" || exp == "" {
		return false
	}
	return strings.Trim(mant, "0123456789.") == "" && strings.Trim(exp, "0123456789") == ""
}
