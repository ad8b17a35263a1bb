package synth

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/pii"
)

var testToday = time.Date(2025, 6, 15, 9, 0, 0, 0, shanghai)

func demoVillages(t testing.TB) []Region {
	t.Helper()
	regions, err := LoadRegions(demoCountyPath)
	if err != nil {
		t.Fatal(err)
	}
	return Villages(regions)
}

// ageOf returns a member's age today from the 身份证号.
func ageOf(t testing.TB, id pii.IDNumber) int {
	y, m, d := id.Birth.Date()
	return ageOn(y, int(m), d, testToday.Year(), int(testToday.Month()), testToday.Day())
}

// wantMale says which sex a relation implies; ok is false when it implies none.
func wantMale(rel string, headMale bool) (male, ok bool) {
	switch rel {
	case RelationSon:
		return true, true
	case RelationDaughter:
		return false, true
	case RelationSpouse:
		return !headMale, true
	}
	return false, false
}

// TestCounty checks 200,000 households (about 680,000 persons), as a county import would see them.
func TestCounty(t *testing.T) {
	const households = 200_000
	villages := demoVillages(t)
	inVillages := map[string]bool{}
	for _, v := range villages {
		inVillages[v.Code] = true
	}
	g := New(42, villages, testToday)

	ids := make(map[[18]byte]struct{}, households*4)
	numbers := make(map[string]struct{}, households)
	sizes := make([]int, MaxMembers+1)
	status := map[string]int{}
	monitoring := map[string]int{}
	cause := map[string]int{}
	var persons, under6, over70, over70Weak, poor, poorUnderLine int
	line := g.Line

	for n := 0; n < households; n++ {
		h := g.Next()
		if len(h.Members) < 1 || len(h.Members) > MaxMembers {
			t.Fatalf("household %s has %d members", h.Number, len(h.Members))
		}
		sizes[len(h.Members)]++
		status[h.Status]++
		monitoring[h.Monitoring]++
		cause[h.Cause]++
		if _, dup := numbers[h.Number]; dup {
			t.Fatalf("household number %s twice", h.Number)
		}
		numbers[h.Number] = struct{}{}
		if !inVillages[h.RegionCode] || !strings.HasPrefix(h.Number, h.RegionCode) || len(h.Number) < 16 {
			t.Fatalf("household %s in region %s", h.Number, h.RegionCode)
		}
		if h.Address == "" {
			t.Fatalf("household %s has no address", h.Number)
		}

		heads := 0
		var head pii.IDNumber
		var headAge int
		for i, m := range h.Members {
			persons++
			id, err := pii.ParseIDNumber(m.IDNumber, testToday)
			if err != nil {
				t.Fatalf("household %s member %d: %v", h.Number, i, err)
			}
			if id.Region != IDRegion {
				t.Fatalf("region of the 身份证号 = %s", id.Region)
			}
			key := [18]byte([]byte(m.IDNumber))
			if _, dup := ids[key]; dup {
				t.Fatalf("身份证号 %s twice", pii.MaskIDNumber(m.IDNumber))
			}
			ids[key] = struct{}{}
			age := ageOf(t, id)
			if m.Relation == RelationHead {
				heads++
				head, headAge = id, age
				if i != 0 {
					t.Fatalf("household %s: head is member %d", h.Number, i)
				}
				if age < 25 || age > 85 {
					t.Errorf("household %s: head aged %d", h.Number, age)
				}
			} else if want, ok := wantMale(m.Relation, head.Male); ok && id.Male != want {
				t.Fatalf("household %s: %s is male=%v, head male=%v", h.Number, m.Relation, id.Male, head.Male)
			}
			switch m.Relation {
			case RelationSon, RelationDaughter:
				if age > headAge-15 {
					t.Errorf("household %s: %s aged %d, head %d", h.Number, m.Relation, age, headAge)
				}
			case RelationGrandchild:
				if age > headAge-30 {
					t.Errorf("household %s: grandchild aged %d, head %d", h.Number, age, headAge)
				}
			case RelationParent:
				if age < headAge+15 {
					t.Errorf("household %s: parent aged %d, head %d", h.Number, age, headAge)
				}
			}
			if m.Name == "" || m.Ethnicity == "" || m.Education == "" || m.Health == "" || m.LabourAbility == "" {
				t.Fatalf("household %s: member %d incomplete: %+v", h.Number, i, m)
			}
			if age < 6 {
				under6++
				if m.Education != EducationPreschool || m.LabourAbility != LabourNone {
					t.Errorf("child aged %d: %s, %s", age, m.Education, m.LabourAbility)
				}
			}
			if age > 70 {
				over70++
				if m.LabourAbility == LabourLost || m.LabourAbility == LabourPartial {
					over70Weak++
				}
			}
		}
		for _, m := range h.Members {
			if m.Relation != RelationChildInLaw {
				continue
			}
			// A son's wife or a daughter's husband: the child they married lives here too.
			inLaw, _ := pii.ParseIDNumber(m.IDNumber, testToday)
			married := false
			for _, c := range h.Members {
				married = married || (inLaw.Male && c.Relation == RelationDaughter) || (!inLaw.Male && c.Relation == RelationSon)
			}
			if !married {
				t.Fatalf("household %s: child-in-law (male=%v) without a son or daughter to be married to", h.Number, inLaw.Male)
			}
		}
		if heads != 1 {
			t.Fatalf("household %s has %d heads", h.Number, heads)
		}

		inc := h.Income
		if inc.Wages < 0 || inc.Business < 0 || inc.Property < 0 || inc.Transfers < 0 || inc.Costs < 0 || inc.Costs > inc.Business {
			t.Fatalf("household %s: income %+v", h.Number, inc)
		}
		pc := h.PerCapitaNet()
		switch {
		case h.Status == StatusPoor || h.Status == StatusReturned:
			poor++
			if pc < line {
				poorUnderLine++
			}
			if h.Cause == "" {
				t.Errorf("poor household %s without a cause", h.Number)
			}
		case h.Monitoring == MonitoringUnstable || h.Monitoring == MonitoringMarginal:
			if pc < line || pc >= line*3/2 {
				t.Errorf("monitoring household %s: %d fen per capita", h.Number, pc)
			}
		case h.Status == StatusOrdinary && h.Monitoring == "":
			if pc < 2*line {
				t.Errorf("ordinary household %s: %d fen per capita", h.Number, pc)
			}
			if h.Cause != "" {
				t.Errorf("ordinary household %s with a cause", h.Number)
			}
		}
		if h.Status == StatusExited && (h.ExitYear < 2014 || h.ExitYear > 2020) {
			t.Errorf("exited household %s: exit year %d", h.Number, h.ExitYear)
		}
	}

	mean := float64(persons) / households
	t.Logf("%d persons, mean household size %.2f, sizes %v", persons, mean, sizes[1:])
	t.Logf("status %v; monitoring %v; causes %v", status, monitoring, cause)
	t.Run("mean size", func(t *testing.T) {
		if mean < 3.0 || mean > 3.8 {
			t.Errorf("mean household size %.2f, want 3.0-3.8", mean)
		}
	})
	t.Run("status mix", func(t *testing.T) {
		want := map[string][2]float64{
			StatusOrdinary: {0.86, 0.91}, StatusPoor: {0.02, 0.04}, StatusExited: {0.07, 0.09}, StatusReturned: {0.005, 0.015},
		}
		for s, r := range want {
			if share := float64(status[s]) / households; share < r[0] || share > r[1] {
				t.Errorf("%s: %.3f, want %.3f-%.3f", s, share, r[0], r[1])
			}
		}
	})
	t.Run("poor households mostly under the line", func(t *testing.T) {
		if share := float64(poorUnderLine) / float64(poor); share < 0.75 {
			t.Errorf("%.2f of poor households under the line", share)
		}
	})
	t.Run("over 70 mostly partial or lost labour", func(t *testing.T) {
		if under6 == 0 || over70 == 0 {
			t.Fatal("no young children or no old people")
		}
		if share := float64(over70Weak) / float64(over70); share < 0.8 {
			t.Errorf("%.2f of those over 70 partial or lost", share)
		}
	})
}

func TestDeterministic(t *testing.T) {
	villages := demoVillages(t)
	a, b, c := New(7, villages, testToday), New(7, villages, testToday), New(8, villages, testToday)
	differs := false
	for i := 0; i < 2000; i++ {
		ha, hb, hc := a.Next(), b.Next(), c.Next()
		if !reflect.DeepEqual(ha, hb) {
			t.Fatalf("household %d differs for the same seed:\n%+v\n%+v", i, ha, hb)
		}
		differs = differs || !reflect.DeepEqual(ha, hc)
	}
	if !differs {
		t.Error("another seed gives the same households")
	}
}

// TestUniqueTwoMillion generates about two million persons and checks that no 身份证号 repeats.
func TestUniqueTwoMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two million persons")
	}
	g := New(1, demoVillages(t), testToday)
	ids := make(map[[18]byte]struct{}, 2_100_000)
	persons := 0
	for persons < 2_000_000 {
		for _, m := range g.Next().Members {
			key := [18]byte([]byte(m.IDNumber))
			if _, dup := ids[key]; dup {
				t.Fatalf("身份证号 twice after %d persons", persons)
			}
			ids[key] = struct{}{}
			persons++
		}
	}
}

// TestSequenceExhaustion fills every day of one age and sex and checks that numbers stay unique and valid.
func TestSequenceExhaustion(t *testing.T) {
	g := New(3, demoVillages(t), testToday)
	seen := map[string]bool{}
	days := g.hiDay[30] - g.hiDay[31]
	n := days*500 + 1000 // every man aged 30 there can be, and some
	other := 0
	for i := 0; i < n; i++ {
		s := g.idNumber(30, true)
		id, err := pii.ParseIDNumber(s, testToday)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatalf("number %d repeats", i)
		}
		seen[s] = true
		if !id.Male {
			t.Fatal("a woman's number for a man")
		}
		if ageOf(t, id) != 30 {
			other++
		}
	}
	if other != 1000 {
		t.Errorf("%d numbers outside age 30, want exactly the 1000 beyond capacity", other)
	}
}

func TestNewPanicsWithoutVillages(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	New(1, nil, testToday)
}

func TestCivilDays(t *testing.T) {
	for day := daysFromCivil(1899, 12, 1); day < daysFromCivil(2101, 1, 1); day++ {
		y, m, d := civilFromDays(day)
		want := time.Unix(int64(day)*86400, 0).UTC()
		if y != want.Year() || m != int(want.Month()) || d != want.Day() || daysFromCivil(y, m, d) != day {
			t.Fatalf("day %d: %04d-%02d-%02d, want %s", day, y, m, d, want.Format(time.DateOnly))
		}
	}
}

func BenchmarkNext(b *testing.B) {
	g := New(1, demoVillages(b), testToday)
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "households/s")
}
