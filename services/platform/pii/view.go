package pii

import (
	"strconv"
	"time"
)

// Disclosure is how much of a person's identity a caller is shown. It is decided per call from the caller
// (see auth.Caller.Disclosure): the method's access rule and a stated purpose give plain access, fupin
// services get what their rules need, everyone else the masked view.
type Disclosure int

// The disclosures, from the least to the most.
const (
	// DiscloseMasked is for people without plain access: the masked number (MaskIDNumber), the birth year
	// (withheld for persons born in the current or the previous year) and the sex, never the birth date or
	// an age. Together with the public facts (the county's region codes, the check character) this leaves
	// at least 1,000 candidate numbers for every person; see [CountCandidates] and docs/MASKING.md.
	DiscloseMasked Disclosure = iota
	// DiscloseService is for other fupin services (role service): the masked number and the birth date,
	// because their rules compute ages (分类施保, 特困, 单人保). A service shows persons to its own callers
	// only through ViewPerson again, so the date never reaches a person without plain access.
	DiscloseService
	// DisclosePlain is for a caller with plain access: the number and the birth date.
	DisclosePlain
)

// ShowsBirthDate reports whether the disclosure includes the birth date, and with it ages.
func (d Disclosure) ShowsBirthDate() bool { return d >= DiscloseService }

// WithheldYears is how many calendar years, counting the current one, the masked view withholds the birth
// year of: a person born on 2 January of this year would otherwise be one of a few days' worth of numbers.
// Withholding the previous year too means that a withheld year says "born since 1 January of last year",
// at least 366 days, whatever today is; and a year, once shown, is a whole past year.
const WithheldYears = 2

// PersonView is what a caller is shown of a person's 身份证号 and of what the number encodes. The sex,
// which the last two characters of the masked number show anyway, is shown to everyone.
type PersonView struct {
	// IDNumber is the plain 身份证号 for DisclosePlain, else its mask ([MaskIDNumber]).
	IDNumber string
	// BirthDate (YYYY-MM-DD) for DiscloseService and DisclosePlain; empty in the masked view.
	BirthDate string
	// BirthYear is the year of birth; 0 when unknown, or in the masked view withheld (born on or after
	// 1 January of the year before today's).
	BirthYear int
}

// ViewPerson decides, once for every service, what a caller with disclosure d is shown of a person whose
// 身份证号 is idNumber (plain, or already masked when the service holds only the mask) and whose birth date
// is birthDate (YYYY-MM-DD, as the number encodes it); today is the business date of the response. Every
// response that carries a person's number, birth date, birth year or age goes through this function.
func ViewPerson(idNumber, birthDate string, d Disclosure, today time.Time) PersonView {
	v := PersonView{IDNumber: idNumber, BirthDate: birthDate, BirthYear: yearOf(birthDate)}
	if d == DisclosePlain {
		return v
	}
	v.IDNumber = MaskIDNumber(idNumber)
	if d == DiscloseService {
		return v
	}
	v.BirthDate = ""
	if v.BirthYear > today.In(shanghai).Year()-WithheldYears {
		v.BirthYear = 0
	}
	return v
}

// yearOf is the year of a YYYY-MM-DD date, or 0.
func yearOf(date string) int {
	if len(date) < 4 {
		return 0
	}
	y, err := strconv.Atoi(date[:4])
	if err != nil || y < 0 {
		return 0
	}
	return y
}

// ViewRecord applies ViewPerson to the person facts recorded in a JSON document that services keep and
// return (workflow step data: an application's applicant, the members a 低保 amount covered, an
// evaluation's inputs), decoded into maps and slices (encoding/json's any). It walks the whole document in
// place: each "birth_date" becomes the "birth_year" the disclosure allows (or is kept with a birth date
// disclosure), an "age" is removed unless the disclosure shows birth dates (an age on a date next to the
// birth year would cut the year at that date), and each "id_index" (a blind index, for matching between
// services) is removed unless the caller is a service.
func ViewRecord(doc any, d Disclosure, today time.Time) {
	switch x := doc.(type) {
	case map[string]any:
		for k, v := range x {
			switch k {
			case "birth_date":
				if d.ShowsBirthDate() {
					continue
				}
				date, _ := v.(string)
				delete(x, k)
				if _, ok := x["birth_year"]; !ok {
					x["birth_year"] = ViewPerson("", date, d, today).BirthYear
				}
			case "age":
				if !d.ShowsBirthDate() {
					delete(x, k)
				}
			case "id_index":
				if d != DiscloseService {
					delete(x, k)
				}
			default:
				ViewRecord(v, d, today)
			}
		}
	case []any:
		for _, v := range x {
			ViewRecord(v, d, today)
		}
	}
}

// ViewInputs removes from a decision's inputs (facts by name, as evaluations return them) what the
// disclosure does not show: an "age" for the masked view. It returns the map to send, a copy when it
// removed something.
func ViewInputs(inputs map[string]string, d Disclosure) map[string]string {
	if d.ShowsBirthDate() {
		return inputs
	}
	if _, ok := inputs["age"]; !ok {
		return inputs
	}
	out := make(map[string]string, len(inputs))
	for k, v := range inputs {
		if k != "age" {
			out[k] = v
		}
	}
	return out
}
