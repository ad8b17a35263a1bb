package pii

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors of [NormalizeName]. Like the 身份证号 errors they never contain the name: they say which rule the
// name breaks (and where), so they can be logged and returned to the caller as they are.
var (
	ErrNameNoLetter = errors.New("a name must contain at least one letter")
	ErrNameControl  = errors.New("a name must not contain control or format characters (Unicode Cc, Cf)")
	ErrNameLength   = errors.New("a name is too long")
	ErrNameEncoding = errors.New("a name must be valid UTF-8")
)

// MaxNameLength is the longest person name accepted, in characters after normalisation: the contracts'
// max_len of every name field.
const MaxNameLength = 50

// NormalizeName checks a person's name (姓名) and returns it as it is stored and compared: in Unicode NFC
// (a name typed with a decomposed accent and one typed precomposed are the same name), without surrounding
// white space (including the ideographic space U+3000). It refuses control characters (Cc: a line break, a
// bell) and format characters (Cf: the right-to-left override U+202E that makes a name print backwards,
// zero-width spaces and joiners that make two names look alike), names without a single letter (a lone
// zero-width space passed "required"), and names longer than MaxNameLength characters. Every service uses
// it for every field that names a person (household members, helpers …); punctuation inside a name is
// kept: 阿依古丽·买买提, 欧阳娜娜, Anna-Lena O'Brien.
func NormalizeName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrNameEncoding
	}
	s = strings.TrimFunc(norm.NFC.String(s), unicode.IsSpace)
	letters, n := 0, 0
	for _, r := range s {
		n++
		switch {
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			return "", fmt.Errorf("%w: character %d is U+%04X", ErrNameControl, n, r)
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters == 0 {
		return "", ErrNameNoLetter
	}
	if n > MaxNameLength {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrNameLength, n, MaxNameLength)
	}
	return s, nil
}
