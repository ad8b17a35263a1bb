package pii

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestViewPerson(t *testing.T) {
	id := makeID("420621", "19750310", "231")
	baby := makeID("420621", "20250102", "232")
	lastYear := makeID("420621", "20241231", "233")
	twoYears := makeID("420621", "20231231", "234")
	today := time.Date(2025, 1, 5, 9, 0, 0, 0, shanghai)
	tests := []struct {
		name  string
		id    string
		birth string
		d     Disclosure
		want  PersonView
	}{
		{name: "plain access sees everything", id: id, birth: "1975-03-10", d: DisclosePlain,
			want: PersonView{IDNumber: id, BirthDate: "1975-03-10", BirthYear: 1975}},
		{name: "a service gets the mask and the birth date", id: id, birth: "1975-03-10", d: DiscloseService,
			want: PersonView{IDNumber: "4206************" + id[16:], BirthDate: "1975-03-10", BirthYear: 1975}},
		{name: "masked: the year instead of the date", id: id, birth: "1975-03-10", d: DiscloseMasked,
			want: PersonView{IDNumber: "4206************" + id[16:], BirthYear: 1975}},
		{name: "masked from a stored mask of the former form", id: "4206**********2314", birth: "1975-03-10", d: DiscloseMasked,
			want: PersonView{IDNumber: "4206************14", BirthYear: 1975}},
		{name: "masked: a baby born this year has no year", id: baby, birth: "2025-01-02", d: DiscloseMasked,
			want: PersonView{IDNumber: MaskIDNumber(baby)}},
		{name: "masked: born last year, no year either", id: lastYear, birth: "2024-12-31", d: DiscloseMasked,
			want: PersonView{IDNumber: MaskIDNumber(lastYear)}},
		{name: "masked: born two years ago, the year is shown", id: twoYears, birth: "2023-12-31", d: DiscloseMasked,
			want: PersonView{IDNumber: MaskIDNumber(twoYears), BirthYear: 2023}},
		{name: "a service sees a baby's date", id: baby, birth: "2025-01-02", d: DiscloseService,
			want: PersonView{IDNumber: MaskIDNumber(baby), BirthDate: "2025-01-02", BirthYear: 2025}},
		{name: "no birth date known", id: id, d: DiscloseMasked, want: PersonView{IDNumber: "4206************" + id[16:]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ViewPerson(tt.id, tt.birth, tt.d, today); got != tt.want {
				t.Errorf("ViewPerson = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestViewPersonUsesTheBusinessYear(t *testing.T) {
	// 31 December 2026 17:00 UTC is already 1 January 2027 in Shanghai: 2025 is then two years back.
	at := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
	if got := ViewPerson("", "2025-06-01", DiscloseMasked, at).BirthYear; got != 2025 {
		t.Errorf("birth year = %d, want 2025", got)
	}
	if got := ViewPerson("", "2025-06-01", DiscloseMasked, at.Add(-2*time.Hour)).BirthYear; got != 0 {
		t.Errorf("birth year on 31 December 2026 = %d, want withheld", got)
	}
}

func TestViewRecord(t *testing.T) {
	const doc = `{"household_id":"h1","person_id":"p1","id_index":"abc","birth_date":"1950-02-28","urban":false,
		"covered":[{"person_id":"p2","birth_date":"2025-01-02","id_index":"def"}],
		"evaluation":{"inputs":{"age":"74","no_income_source":"true"},"unmet":[]}}`
	today := time.Date(2025, 1, 5, 9, 0, 0, 0, shanghai)
	tests := []struct {
		name string
		d    Disclosure
		want string
	}{
		{name: "masked", d: DiscloseMasked, want: `{"household_id":"h1","person_id":"p1","birth_year":1950,"urban":false,
			"covered":[{"person_id":"p2","birth_year":0}],
			"evaluation":{"inputs":{"no_income_source":"true"},"unmet":[]}}`},
		{name: "service", d: DiscloseService, want: doc},
		{name: "plain", d: DisclosePlain, want: `{"household_id":"h1","person_id":"p1","birth_date":"1950-02-28","urban":false,
			"covered":[{"person_id":"p2","birth_date":"2025-01-02"}],
			"evaluation":{"inputs":{"age":"74","no_income_source":"true"},"unmet":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want any
			if err := json.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatal(err)
			}
			ViewRecord(got, tt.d, today)
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			// Numbers compare as JSON numbers (float64) on both sides.
			b, _ := json.Marshal(got)
			_ = json.Unmarshal(b, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ViewRecord = %s", b)
			}
		})
	}
}

func TestViewInputs(t *testing.T) {
	in := map[string]string{"age": "74", "certificate": "none valid on 2025-01-05"}
	if got := ViewInputs(in, DiscloseMasked); len(got) != 1 || got["certificate"] == "" || len(in) != 2 {
		t.Errorf("masked: %v (input now %v)", got, in)
	}
	if got := ViewInputs(in, DisclosePlain); got["age"] != "74" {
		t.Errorf("plain: %v", got)
	}
}
