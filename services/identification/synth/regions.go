package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Region levels as they appear in the region master data files.
const (
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelVillage  = "village"
)

// Region is one entry of a region master data file in deploy/regions (行政区划): a county, a township
// (乡镇) or a village or community (行政村/社区). Codes are 12 digits (统计用区划代码): county (6) +
// township (3) + village (3), padded with zeros for the upper levels.
type Region struct {
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	Level       string       `json:"level"` // "county", "township" or "village"
	Urban       bool         `json:"urban"`
	Parent      string       `json:"parent"` // code of the parent region; empty for the county
	Populations []Population `json:"populations"`
	ValidFrom   string       `json:"valid_from"`         // YYYY-MM-DD
	ValidTo     string       `json:"valid_to,omitempty"` // YYYY-MM-DD; empty while in use
}

// Population is a region's registered resident population (户籍人口) in a year.
type Population struct {
	Year      int   `json:"year"`
	Residents int64 `json:"residents"`
}

// Residents returns the population of the latest year on or before year, or of the earliest year when
// every entry is later; 0 when there is none.
func (r Region) Residents(year int) int64 {
	at, earliest := -1, -1
	for i, p := range r.Populations {
		if p.Year <= year && (at < 0 || p.Year > r.Populations[at].Year) {
			at = i
		}
		if earliest < 0 || p.Year < r.Populations[earliest].Year {
			earliest = i
		}
	}
	if at < 0 {
		at = earliest
	}
	if at < 0 {
		return 0
	}
	return r.Populations[at].Residents
}

// LoadRegions reads a region master data file (a JSON array of regions, such as
// deploy/regions/demo-county.json), checks it and returns the regions ordered by code. The checks: codes
// are 12 digits and unique, the level matches the code's shape, every parent exists one level up and is
// a prefix of the code, dates are YYYY-MM-DD, populations are not negative.
func LoadRegions(path string) ([]Region, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	var regions []Region
	if err := json.Unmarshal(b, &regions); err != nil {
		return nil, fmt.Errorf("synth: %s: %w", path, err)
	}
	if err := CheckRegions(regions); err != nil {
		return nil, fmt.Errorf("synth: %s: %w", path, err)
	}
	slices.SortFunc(regions, func(a, b Region) int { return strings.Compare(a.Code, b.Code) })
	return regions, nil
}

// CheckRegions checks region master data as [LoadRegions] does.
func CheckRegions(regions []Region) error {
	byCode := make(map[string]Region, len(regions))
	for _, r := range regions {
		if len(r.Code) != 12 || strings.Trim(r.Code, "0123456789") != "" {
			return fmt.Errorf("region %q: code must be 12 digits", r.Code)
		}
		if _, dup := byCode[r.Code]; dup {
			return fmt.Errorf("region %s: duplicate code", r.Code)
		}
		byCode[r.Code] = r
		if want := levelOf(r.Code); r.Level != want {
			return fmt.Errorf("region %s: level %q, want %q for a code of that shape", r.Code, r.Level, want)
		}
		if strings.TrimSpace(r.Name) == "" {
			return fmt.Errorf("region %s: empty name", r.Code)
		}
		if _, err := time.Parse(time.DateOnly, r.ValidFrom); err != nil {
			return fmt.Errorf("region %s: valid_from %q is not YYYY-MM-DD", r.Code, r.ValidFrom)
		}
		if _, err := time.Parse(time.DateOnly, r.ValidTo); r.ValidTo != "" && err != nil {
			return fmt.Errorf("region %s: valid_to %q is not YYYY-MM-DD", r.Code, r.ValidTo)
		}
		for _, p := range r.Populations {
			if p.Year < 1949 || p.Residents < 0 {
				return fmt.Errorf("region %s: invalid population %+v", r.Code, p)
			}
		}
	}
	for _, r := range regions {
		if r.Level == LevelCounty {
			if r.Parent != "" {
				return fmt.Errorf("region %s: a county has no parent", r.Code)
			}
			continue
		}
		parent, ok := byCode[r.Parent]
		if !ok {
			return fmt.Errorf("region %s: parent %q not found", r.Code, r.Parent)
		}
		want, prefix := LevelCounty, 6
		if r.Level == LevelVillage {
			want, prefix = LevelTownship, 9
		}
		if parent.Level != want || r.Code[:prefix] != parent.Code[:prefix] {
			return fmt.Errorf("region %s: parent %s is not the %s that contains it", r.Code, r.Parent, want)
		}
	}
	return nil
}

// levelOf returns the level a 12-digit code's shape says.
func levelOf(code string) string {
	switch {
	case code[6:] == "000000":
		return LevelCounty
	case code[9:] == "000":
		return LevelTownship
	}
	return LevelVillage
}

// Villages returns the regions of level village (行政村 and 社区), in the given order.
func Villages(regions []Region) []Region {
	var out []Region
	for _, r := range regions {
		if r.Level == LevelVillage {
			out = append(out, r)
		}
	}
	return out
}
