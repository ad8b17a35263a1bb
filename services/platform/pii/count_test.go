package pii

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// observe is what a caller without plain access learns of a person from ViewPerson (and the sex shown
// beside it).
func observe(id string, d Disclosure, today time.Time) Observed {
	p, err := ParseIDNumber(id, today)
	if err != nil {
		panic(err)
	}
	v := ViewPerson(id, p.Birth.Format(time.DateOnly), d, today)
	sex := SexFemale
	if p.Male {
		sex = SexMale
	}
	return Observed{IDNumbers: []string{v.IDNumber}, BirthDate: v.BirthDate, BirthYear: v.BirthYear,
		YearWithheld: v.BirthYear == 0 && v.BirthDate == "", Sex: sex}
}

func TestCountCandidates(t *testing.T) {
	id := makeID("990001", "19650304", "001")
	county := PublicFacts{Regions: []string{"990001"}, Today: today}
	tests := []struct {
		name     string
		observed Observed
		facts    PublicFacts
		min, max int
	}{
		{name: "the plain number is one", observed: Observed{IDNumbers: []string{id}}, facts: county, min: 1, max: 1},
		{name: "the former view: last four and the birth date (the issue: rebuilt exactly)",
			observed: Observed{IDNumbers: []string{"9900**********" + id[14:]}, BirthDate: "1965-03-04", Sex: SexMale},
			facts:    county, min: 1, max: 1},
		{name: "the masked view", observed: observe(id, DiscloseMasked, today), facts: county, min: 3285, max: 3660},
		{name: "the masked view, two region codes in the county", observed: observe(id, DiscloseMasked, today),
			facts: PublicFacts{Regions: []string{"990001", "990002", "420621"}, Today: today}, min: 2 * 3285, max: 2 * 3660},
		{name: "a region code outside the facts", observed: observe(id, DiscloseMasked, today),
			facts: PublicFacts{Regions: []string{"420621"}, Today: today}, min: 0, max: 0},
		{name: "what a service gets: the birth date beside the mask", observed: observe(id, DiscloseService, today),
			facts: county, min: 9, max: 10},
		{name: "the year and an age on 30 June cut the year", observed: Observed{IDNumbers: []string{MaskIDNumber(id)},
			BirthYear: 1965, Ages: []AgeOn{{Date: "2025-06-30", Age: 60}}}, facts: county, min: 181 * 9, max: 181 * 10},
		{name: "two responses that disagree leave nothing", observed: Observed{IDNumbers: []string{MaskIDNumber(id), "9900************99"}},
			facts: county, min: 0, max: 0},
		{name: "a masked number and a masked certificate number agree", observed: Observed{
			IDNumbers: []string{MaskIDNumber(id), MaskCertificateNumber(id + "41")[:18]}, BirthYear: 1965}, facts: county, min: 3285, max: 3660},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CountCandidates(tt.observed, tt.facts)
			if err != nil {
				t.Fatal(err)
			}
			if got < tt.min || got > tt.max {
				t.Errorf("CountCandidates = %d, want %d–%d", got, tt.min, tt.max)
			}
		})
	}
}

// TestCountCandidatesAgreesWithBruteForce checks the counter against trying every number of one region
// and two years with ParseIDNumber.
func TestCountCandidatesAgreesWithBruteForce(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, shanghai) // 2024 is a leap year; 2025 has begun
	observations := []Observed{
		{IDNumbers: []string{"9900************3X"}, BirthYear: 2024},
		{IDNumbers: []string{"9900************45"}, YearWithheld: true, Sex: SexFemale},
		{IDNumbers: []string{"9900**********1**7"}, BirthYear: 2025, Ages: []AgeOn{{Date: "2025-02-28", Age: 0}}},
	}
	for i, o := range observations {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want := 0
			for day := time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai); !day.After(now); day = day.AddDate(0, 0, 1) {
				for seq := 0; seq < 1000; seq++ {
					first17 := fmt.Sprintf("990001%s%03d", day.Format("20060102"), seq)
					n := first17 + string(IDCheckChar(first17))
					if matches(n, o, now) {
						want++
					}
				}
			}
			got, err := CountCandidates(o, PublicFacts{Regions: []string{"990001"}, Today: now})
			if err != nil || got != want {
				t.Errorf("CountCandidates = %d, %v; brute force %d", got, err, want)
			}
		})
	}
}

// matches is the brute-force reading of an observation.
func matches(n string, o Observed, today time.Time) bool {
	p, err := ParseIDNumber(n, today)
	if err != nil {
		return false
	}
	for _, s := range o.IDNumbers {
		for i := range s {
			if s[i] != '*' && s[i] != n[i] {
				return false
			}
		}
	}
	if o.BirthYear > 0 && p.Birth.Year() != o.BirthYear {
		return false
	}
	if o.YearWithheld && p.Birth.Year() < today.Year()-1 {
		return false
	}
	if o.Sex == SexMale && !p.Male || o.Sex == SexFemale && p.Male {
		return false
	}
	for _, a := range o.Ages {
		on, _ := time.Parse(time.DateOnly, a.Date)
		age := on.Year() - p.Birth.Year()
		if on.Format("01-02") < p.Birth.Format("01-02") {
			age--
		}
		if age != a.Age {
			return false
		}
	}
	return true
}

// TestMaskedViewLeavesAThousand is the rule of docs/MASKING.md, enumerated: on days at the edges of the
// year (1 and 2 January, 28 and 29 February, 1 March of a leap year, 31 December), for every person born in
// the three years before (a baby born on 2 January among them), on 29 February, and in a sample of older
// years, with sequence numbers of both sexes, the masked view leaves at least 1,000 candidates with the
// county's region code known exactly.
func TestMaskedViewLeavesAThousand(t *testing.T) {
	todays := []time.Time{
		time.Date(2025, 1, 1, 0, 30, 0, 0, shanghai),
		time.Date(2025, 1, 2, 23, 0, 0, 0, shanghai),
		time.Date(2024, 2, 28, 12, 0, 0, 0, shanghai),
		time.Date(2024, 2, 29, 12, 0, 0, 0, shanghai),
		time.Date(2024, 3, 1, 12, 0, 0, 0, shanghai),
		time.Date(2025, 12, 31, 23, 59, 0, 0, shanghai),
	}
	var counts []int
	for _, now := range todays {
		facts := PublicFacts{Regions: []string{"990001"}, Today: now}
		var births []time.Time
		for d := time.Date(now.Year()-3, 1, 1, 0, 0, 0, 0, shanghai); !d.After(now); d = d.AddDate(0, 0, 1) {
			births = append(births, d)
		}
		for _, y := range []int{1900, 1904, 1950, 1965, 1988, 2000, 2012} {
			births = append(births, time.Date(y, 1, 1, 0, 0, 0, 0, shanghai), time.Date(y, 2, 28, 0, 0, 0, 0, shanghai),
				time.Date(y, 12, 31, 0, 0, 0, 0, shanghai))
			if daysIn(y, 2) == 29 {
				births = append(births, time.Date(y, 2, 29, 0, 0, 0, 0, shanghai))
			}
		}
		for _, b := range births {
			for _, seq := range []int{0, 1, 5, 8, 17, 42, 99, 100, 117, 996, 999} {
				first17 := fmt.Sprintf("990001%s%03d", b.Format("20060102"), seq)
				id := first17 + string(IDCheckChar(first17))
				n, err := CountCandidates(observe(id, DiscloseMasked, now), facts)
				if err != nil {
					t.Fatal(err)
				}
				if n < 1000 {
					t.Fatalf("today %s, %s: %d candidates", now.Format(time.DateOnly), MaskIDNumber(id)+" born "+b.Format(time.DateOnly), n)
				}
				counts = append(counts, n)
			}
		}
	}
	slices.Sort(counts)
	t.Logf("%d masked views: minimum %d, median %d, maximum %d candidates", len(counts), counts[0], counts[len(counts)/2], counts[len(counts)-1])
	if counts[0] < 3285 {
		t.Errorf("minimum %d, docs/MASKING.md says 3,285", counts[0])
	}
}

func TestCountCandidatesRefusesMalformedNumbers(t *testing.T) {
	_, err := CountCandidates(Observed{IDNumbers: []string{"9900****"}}, PublicFacts{Regions: []string{"990001"}, Today: today})
	if err == nil || strings.Contains(err.Error(), "9900") {
		t.Errorf("err = %v", err)
	}
}
