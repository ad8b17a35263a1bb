package pii

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // business dates are in Asia/Shanghai; do not depend on the host's zoneinfo
	"unicode/utf8"
)

// Errors of [ParseIDNumber]. They are returned wrapped with a detail (test with errors.Is); neither the
// sentinel nor the detail ever contains the number or any of its digits.
var (
	ErrIDLength      = errors.New("身份证号 must have 18 characters")
	ErrIDCharacters  = errors.New("身份证号 must be 17 digits followed by a digit or X")
	ErrIDRegion      = errors.New("身份证号 has an invalid region code")
	ErrIDBirthDate   = errors.New("身份证号 has an impossible birth date")
	ErrIDFutureBirth = errors.New("身份证号 has a birth date in the future")
	ErrIDCheckDigit  = errors.New("身份证号 check character does not match")
)

// IDNumberLength is the length of a 身份证号.
const IDNumberLength = 18

// shanghai is the zone of business dates (DESIGN.md, "Time").
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil { // cannot happen with time/tzdata linked in
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}()

// earliestBirth is the earliest birth date accepted: 1900-01-01.
var earliestBirth = civilDate{1900, 1, 1}

// IDNumber is what a valid 身份证号 says about its holder.
type IDNumber struct {
	// Region is the 6-digit administrative region code of the first registration.
	Region string
	// Birth is the birth date, at midnight in Asia/Shanghai.
	Birth time.Time
	// Male is true when the sequence number (the 17th character) is odd.
	Male bool
}

// NormalizeIDNumber returns the canonical form of a 身份证号 as stored and hashed: surrounding white
// space removed, full-width digits and Ｘ (as typed with Chinese input methods) turned into ASCII, and a
// lower-case check character x upper-cased. It does not validate.
func NormalizeIDNumber(s string) string {
	s = toASCIIDigits(strings.TrimSpace(s))
	if len(s) == IDNumberLength && s[IDNumberLength-1] == 'x' {
		return s[:IDNumberLength-1] + "X"
	}
	return s
}

// toASCIIDigits turns full-width digits and Ｘ/ｘ into their ASCII forms.
func toASCIIDigits(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == 'Ｘ':
			return 'X'
		case r == 'ｘ':
			return 'x'
		}
		return r
	}, s)
}

// idWeights are the ISO 7064 MOD 11-2 weights of the first 17 characters (2^(18-i) mod 11).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// IDCheckChar returns the check character ('0'–'9' or 'X') of the first 17 characters of a 身份证号,
// or 0 when first17 is not exactly 17 ASCII digits.
func IDCheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseIDNumber checks a 身份证号 (GB 11643) and returns what it says. The number is normalised first
// (see [NormalizeIDNumber]), so a lower-case x and full-width characters are accepted. today is the date the birth date must not be
// after; it is read in Asia/Shanghai. The checks run in this order, and the first failure is returned:
// length, characters, region, birth date (a real calendar date, not before 1900-01-01), birth not after
// today, check character.
func ParseIDNumber(s string, today time.Time) (IDNumber, error) {
	s = NormalizeIDNumber(s)
	if n := utf8.RuneCountInString(s); n != IDNumberLength {
		return IDNumber{}, fmt.Errorf("%w: got %d", ErrIDLength, n)
	}
	if len(s) != IDNumberLength {
		return IDNumber{}, fmt.Errorf("%w: it contains characters other than digits and X", ErrIDCharacters)
	}
	for i := 0; i < IDNumberLength-1; i++ {
		if s[i] < '0' || s[i] > '9' {
			return IDNumber{}, fmt.Errorf("%w: character %d is not a digit", ErrIDCharacters, i+1)
		}
	}
	if last := s[IDNumberLength-1]; (last < '0' || last > '9') && last != 'X' {
		return IDNumber{}, fmt.Errorf("%w: character 18 is neither a digit nor X", ErrIDCharacters)
	}
	if s[0] == '0' {
		return IDNumber{}, fmt.Errorf("%w: the region code (characters 1-6) cannot start with 0", ErrIDRegion)
	}
	birth := civilDate{atoi(s[6:10]), atoi(s[10:12]), atoi(s[12:14])}
	if err := birth.check(); err != nil {
		return IDNumber{}, err
	}
	if birth.before(earliestBirth) {
		return IDNumber{}, fmt.Errorf("%w: the birth date (characters 7-14) is before 1900-01-01", ErrIDBirthDate)
	}
	ty, tm, td := today.In(shanghai).Date()
	if (civilDate{ty, int(tm), td}).before(birth) {
		return IDNumber{}, fmt.Errorf("%w: the birth date (characters 7-14) is after %04d-%02d-%02d", ErrIDFutureBirth, ty, tm, td)
	}
	if IDCheckChar(s[:17]) != s[17] {
		return IDNumber{}, fmt.Errorf("%w: character 18 is not the ISO 7064 MOD 11-2 check character of the first 17", ErrIDCheckDigit)
	}
	return IDNumber{
		Region: s[:6],
		Birth:  time.Date(birth.y, time.Month(birth.m), birth.d, 0, 0, 0, 0, shanghai),
		Male:   (s[16]-'0')%2 == 1,
	}, nil
}

// ValidIDNumber reports whether s is a valid 身份证号 on the given day.
func ValidIDNumber(s string, today time.Time) bool {
	_, err := ParseIDNumber(s, today)
	return err == nil
}

// civilDate is a proleptic Gregorian calendar date.
type civilDate struct{ y, m, d int }

func (c civilDate) before(o civilDate) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

// check says whether c is a real date; the error names positions in a 身份证号, never values.
func (c civilDate) check() error {
	if c.m < 1 || c.m > 12 {
		return fmt.Errorf("%w: the month (characters 11-12) is not 01-12", ErrIDBirthDate)
	}
	if c.d < 1 || c.d > daysIn(c.y, c.m) {
		return fmt.Errorf("%w: the day (characters 13-14) does not exist in that month", ErrIDBirthDate)
	}
	return nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// atoi converts a string of ASCII digits (already checked) to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
