package pii

import (
	"fmt"
	"time"
)

// Sex is what a response says of a person's sex, for [CountCandidates].
type Sex int

// The sexes a response may show.
const (
	SexUnknown Sex = iota
	SexMale
	SexFemale
)

// Observed is everything the responses a caller received say about one person's 身份证号: what an
// attacker would combine. Fields left zero say nothing.
type Observed struct {
	// IDNumbers are the number as each response showed it: plain, or masked with '*' where hidden (a
	// certificate number contributes its first 18 characters). Every shown character must agree.
	IDNumbers []string
	// BirthDate (YYYY-MM-DD) when some response showed it.
	BirthDate string
	// BirthYear when some response showed it.
	BirthYear int
	// YearWithheld is set when a masked view withheld the year (birth_year 0): per [ViewPerson], the
	// person was born on or after 1 January of the year before Today's.
	YearWithheld bool
	// Sex when shown.
	Sex Sex
	// Ages are ages on dates that some response showed.
	Ages []AgeOn
}

// AgeOn is an age in whole years on a business date (YYYY-MM-DD), with the birthday counted on its day
// (a person born on 29 February is a year older from 1 March in other years).
type AgeOn struct {
	Date string
	Age  int
}

// PublicFacts are what anyone may know besides the responses: the 6-digit region codes that persons of the
// county carry in their numbers (the county's own codes, present and past), and the date of the count (no
// one is born after it, or before 1900).
type PublicFacts struct {
	Regions []string
	Today   time.Time
}

// CountCandidates counts, by enumerating them, the valid 身份证号 consistent with everything observed and
// with the public facts: a region code of the county matching the characters shown, a real birth date
// from 1900-01-01 to Today matching the date, year, withheld year and ages shown, a sequence number
// matching the characters and the sex shown, and the ISO 7064 MOD 11-2 check character. It is the
// measure of a masked view: the rule is at least 1,000 for every person (docs/MASKING.md). The count is
// exact; it enumerates dates and regions and counts sequence numbers per check residue.
func CountCandidates(o Observed, f PublicFacts) (int, error) {
	var shown [IDNumberLength]byte // 0 where no response shows the character
	for _, s := range o.IDNumbers {
		s = NormalizeIDNumber(s)
		if len(s) != IDNumberLength {
			return 0, fmt.Errorf("count candidates: a shown number has %d bytes, not 18", len(s))
		}
		for i := 0; i < IDNumberLength; i++ {
			c := s[i]
			if c == '*' {
				continue
			}
			if shown[i] != 0 && shown[i] != c {
				return 0, nil // two responses disagree: no number fits both
			}
			shown[i] = c
		}
	}
	// Sequence numbers (characters 15–17) per residue of their weighted sum: how many fit what is shown
	// and the sex, and of those how many give each check character.
	var seqs [11][11]int // [residue of the first 14 characters][check index] → sequence numbers fitting
	for seq := 0; seq < 1000; seq++ {
		d := [3]byte{byte('0' + seq/100), byte('0' + seq/10%10), byte('0' + seq%10)}
		if !fits(shown[14:17], d[:]) {
			continue
		}
		if male := (seq%10)%2 == 1; (o.Sex == SexMale && !male) || (o.Sex == SexFemale && male) {
			continue
		}
		part := int(d[0]-'0')*idWeights[14] + int(d[1]-'0')*idWeights[15] + int(d[2]-'0')*idWeights[16]
		for r := 0; r < 11; r++ {
			seqs[r][(r+part)%11]++
		}
	}
	perResidue := [11]int{} // sequence numbers that give the shown check character (any when hidden)
	for r := 0; r < 11; r++ {
		for c := 0; c < 11; c++ {
			if shown[17] == 0 || idCheckChars[c] == shown[17] {
				perResidue[r] += seqs[r][c]
			}
		}
	}
	first, last, err := dateRange(o, f.Today)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, region := range f.Regions {
		if len(region) != 6 || !fits(shown[:6], []byte(region)) {
			continue
		}
		regionSum := weighted(region, 0)
		for day := first; !last.before(day); day = day.next() {
			var date [8]byte
			day.digits(&date)
			if !fits(shown[6:14], date[:]) || !agesFit(o.Ages, day) {
				continue
			}
			total += perResidue[(regionSum+weighted(string(date[:]), 6))%11]
		}
	}
	return total, nil
}

// dateRange is the first and last birth date the observation allows.
func dateRange(o Observed, today time.Time) (civilDate, civilDate, error) {
	ty, tm, td := today.In(shanghai).Date()
	first, last := earliestBirth, civilDate{ty, int(tm), td}
	if o.YearWithheld {
		first = latest(first, civilDate{ty - WithheldYears + 1, 1, 1})
	}
	if o.BirthYear > 0 {
		first, last = latest(first, civilDate{o.BirthYear, 1, 1}), earliest(last, civilDate{o.BirthYear, 12, 31})
	}
	if o.BirthDate != "" {
		d, err := time.Parse(time.DateOnly, o.BirthDate)
		if err != nil {
			return first, last, fmt.Errorf("count candidates: birth date: %w", err)
		}
		c := civilDate{d.Year(), int(d.Month()), d.Day()}
		first, last = latest(first, c), earliest(last, c)
	}
	return first, last, nil
}

// agesFit reports whether a person born on day has every observed age.
func agesFit(ages []AgeOn, day civilDate) bool {
	for _, a := range ages {
		on, err := time.Parse(time.DateOnly, a.Date)
		if err != nil {
			return false
		}
		age := on.Year() - day.y
		if (civilDate{day.y, int(on.Month()), on.Day()}).before(day) {
			age--
		}
		if age != a.Age {
			return false
		}
	}
	return true
}

// fits reports whether candidate characters agree with those shown (0: not shown).
func fits(shown, candidate []byte) bool {
	for i, c := range shown {
		if c != 0 && c != candidate[i] {
			return false
		}
	}
	return true
}

// weighted is the ISO 7064 weighted sum of digits s placed from position at.
func weighted(s string, at int) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i]-'0') * idWeights[at+i]
	}
	return sum
}

// next is the day after c.
func (c civilDate) next() civilDate {
	switch {
	case c.d < daysIn(c.y, c.m):
		return civilDate{c.y, c.m, c.d + 1}
	case c.m < 12:
		return civilDate{c.y, c.m + 1, 1}
	}
	return civilDate{c.y + 1, 1, 1}
}

// digits writes c as YYYYMMDD.
func (c civilDate) digits(b *[8]byte) {
	for i, v := range [8]int{c.y / 1000, c.y / 100 % 10, c.y / 10 % 10, c.y % 10, c.m / 10, c.m % 10, c.d / 10, c.d % 10} {
		b[i] = byte('0' + v)
	}
}

func latest(a, b civilDate) civilDate {
	if a.before(b) {
		return b
	}
	return a
}

func earliest(a, b civilDate) civilDate {
	if a.before(b) {
		return a
	}
	return b
}
