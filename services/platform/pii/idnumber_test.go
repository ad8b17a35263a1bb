package pii

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// today is the injected "today" of the tests: 2025-06-15 in Asia/Shanghai.
var today = time.Date(2025, 6, 15, 10, 0, 0, 0, shanghai)

// makeID builds a valid 身份证号 from its parts, computing the check character.
func makeID(region, birth, seq string) string {
	first17 := region + birth + seq
	return first17 + string(IDCheckChar(first17))
}

// xID finds a valid number ending in X.
func xID(t testing.TB) string {
	t.Helper()
	for seq := 0; seq < 1000; seq++ {
		id := makeID("420621", "19800101", fmt.Sprintf("%03d", seq))
		if id[17] == 'X' {
			return id
		}
	}
	t.Fatal("no sequence gives an X check character")
	return ""
}

// wrongCheck returns id with a check character that is not the right one.
func wrongCheck(id string) string {
	c := byte('0')
	if id[17] == '0' {
		c = '1'
	}
	return id[:17] + string(c)
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    byte
	}{
		// Published GB 11643 example number.
		{name: "standard example", first17: "11010519491231002", want: 'X'},
		{name: "another known number", first17: "44052418800101001", want: '4'},
		{name: "too short", first17: "1101051949123100", want: 0},
		{name: "too long", first17: "110105194912310021", want: 0},
		{name: "not digits", first17: "1101051949123100A", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IDCheckChar(tt.first17); got != tt.want {
				t.Errorf("IDCheckChar(%q) = %q, want %q", tt.first17, got, tt.want)
			}
		})
	}
}

func TestParseIDNumberValid(t *testing.T) {
	x := xID(t)
	tests := []struct {
		name      string
		in        string
		wantBirth string
		wantMale  bool
	}{
		{name: "male, odd sequence", in: makeID("420621", "19800101", "123"), wantBirth: "1980-01-01", wantMale: true},
		{name: "female, even sequence", in: makeID("420621", "19921231", "124"), wantBirth: "1992-12-31", wantMale: false},
		{name: "X check character", in: x, wantBirth: "1980-01-01", wantMale: x[16]%2 == 1},
		{name: "lower-case x accepted", in: strings.ToLower(x), wantBirth: "1980-01-01", wantMale: x[16]%2 == 1},
		{name: "surrounding spaces trimmed", in: " " + x + "\t", wantBirth: "1980-01-01", wantMale: x[16]%2 == 1},
		{name: "leap day in a leap year", in: makeID("420621", "20000229", "001"), wantBirth: "2000-02-29", wantMale: true},
		{name: "born today", in: makeID("990001", "20250615", "002"), wantBirth: "2025-06-15", wantMale: false},
		{name: "born 1900-01-01", in: makeID("110105", "19000101", "003"), wantBirth: "1900-01-01", wantMale: true},
		{name: "published example", in: "11010519491231002X", wantBirth: "1949-12-31", wantMale: false},
		{name: "full-width characters", in: "１１０１０５１９４９１２３１００２Ｘ", wantBirth: "1949-12-31", wantMale: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDNumber(tt.in, today)
			if err != nil {
				t.Fatalf("ParseIDNumber: %v", err)
			}
			if got.Region != NormalizeIDNumber(tt.in)[:6] {
				t.Errorf("Region = %q", got.Region)
			}
			if b := got.Birth.Format(time.DateOnly); b != tt.wantBirth {
				t.Errorf("Birth = %s, want %s", b, tt.wantBirth)
			}
			if got.Birth.Location() != shanghai || got.Birth.Hour() != 0 {
				t.Errorf("Birth = %v, want midnight in Asia/Shanghai", got.Birth)
			}
			if got.Male != tt.wantMale {
				t.Errorf("Male = %v, want %v", got.Male, tt.wantMale)
			}
			if !ValidIDNumber(tt.in, today) {
				t.Error("ValidIDNumber = false")
			}
		})
	}
}

func TestParseIDNumberInvalid(t *testing.T) {
	good := makeID("420621", "19800101", "123")
	tests := []struct {
		name  string
		in    string
		today time.Time
		want  error
	}{
		{name: "empty", in: "", want: ErrIDLength},
		{name: "17 characters", in: good[:17], want: ErrIDLength},
		{name: "19 characters", in: good + "1", want: ErrIDLength},
		{name: "18 bytes of Chinese", in: "甲乙丙丁戊己", want: ErrIDLength},
		{name: "18 characters, one of them Chinese", in: "42062119800101123号", want: ErrIDCharacters},
		{name: "letter in body", in: "4206A1198001011235", want: ErrIDCharacters},
		{name: "space in body", in: "420621 98001011235", want: ErrIDCharacters},
		{name: "X not last", in: "42062119800101X235", want: ErrIDCharacters},
		{name: "letter as check character", in: good[:17] + "A", want: ErrIDCharacters},
		{name: "region starting with 0", in: makeID("020621", "19800101", "123"), want: ErrIDRegion},
		{name: "month 13", in: makeID("420621", "19801301", "123"), want: ErrIDBirthDate},
		{name: "month 00", in: makeID("420621", "19800001", "123"), want: ErrIDBirthDate},
		{name: "day 00", in: makeID("420621", "19800100", "123"), want: ErrIDBirthDate},
		{name: "April 31", in: makeID("420621", "19800431", "123"), want: ErrIDBirthDate},
		{name: "February 30", in: makeID("420621", "19800230", "123"), want: ErrIDBirthDate},
		{name: "February 29 in a non-leap year", in: makeID("420621", "19810229", "123"), want: ErrIDBirthDate},
		{name: "February 29 in 1900 (not a leap year)", in: makeID("420621", "19000229", "123"), want: ErrIDBirthDate},
		{name: "before 1900", in: makeID("420621", "18991231", "123"), want: ErrIDBirthDate},
		{name: "born tomorrow", in: makeID("420621", "20250616", "123"), want: ErrIDFutureBirth},
		{name: "future year", in: makeID("420621", "20300101", "123"), want: ErrIDFutureBirth},
		{name: "future relative to an earlier today", in: makeID("420621", "20200101", "123"), today: time.Date(2019, 12, 31, 0, 0, 0, 0, shanghai), want: ErrIDFutureBirth},
		// 2025-06-14T20:00Z is already 2025-06-15 in Shanghai: a birth on the 15th is not in the future
		// there, but one on the 16th is.
		{name: "today is read in Shanghai", in: makeID("420621", "20250616", "123"), today: time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC), want: ErrIDFutureBirth},
		{name: "wrong check digit", in: wrongCheck(good), want: ErrIDCheckDigit},
		{name: "X where a digit belongs", in: good[:17] + "X", want: ErrIDCheckDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day := today
			if !tt.today.IsZero() {
				day = tt.today
			}
			_, err := ParseIDNumber(tt.in, day)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseIDNumber error = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrIDLength, ErrIDCharacters, ErrIDRegion, ErrIDBirthDate, ErrIDFutureBirth, ErrIDCheckDigit} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
			assertNoDigitsOf(t, err.Error(), tt.in)
		})
	}
}

func TestParseIDNumberTodayInShanghai(t *testing.T) {
	id := makeID("420621", "20250615", "123")
	// 2025-06-14T20:00Z is 2025-06-15T04:00 in Shanghai.
	if _, err := ParseIDNumber(id, time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("born on the Shanghai date of today: %v", err)
	}
}

// assertNoDigitsOf fails when msg contains the number or any 5 consecutive characters of it (the
// messages hold at most 4 digits in a row, in dates such as 1900-01-01).
func assertNoDigitsOf(t *testing.T, msg, number string) {
	t.Helper()
	number = strings.TrimSpace(number)
	for i := 0; i+5 <= len(number); i++ {
		if part := number[i : i+5]; strings.Contains(msg, part) {
			t.Errorf("error message %q contains %q from the number", msg, part)
		}
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "lower-case x", in: "11010519491231002x", want: "11010519491231002X"},
		{name: "already normal", in: "11010519491231002X", want: "11010519491231002X"},
		{name: "spaces", in: "  11010519491231002x\n", want: "11010519491231002X"},
		{name: "x elsewhere untouched", in: "x", want: "x"},
		{name: "full-width digits and x", in: "１１０１０５１９４９１２３１００２ｘ", want: "11010519491231002X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeIDNumber(tt.in); got != tt.want {
				t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "", "1", "420621198002301235", "99000120250615002",
		"身份证号码号", "0000000000000000000", "42062119800101123\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseIDNumber(s, today)
		if err != nil {
			if MaskIDNumber(s) == "" && strings.TrimSpace(s) != "" {
				t.Errorf("MaskIDNumber(%q) is empty", s)
			}
			return
		}
		n := NormalizeIDNumber(s)
		if IDCheckChar(n[:17]) != n[17] {
			t.Errorf("accepted %q with a wrong check character", s)
		}
		if id.Birth.After(today) {
			t.Errorf("accepted %q born after today", s)
		}
		if id.Male != ((n[16]-'0')%2 == 1) {
			t.Errorf("sex of %q", s)
		}
	})
}
