package bizdate

import (
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
)

func TestDaysAfter(t *testing.T) {
	tests := []struct {
		name, start, date string
		want              int
	}{
		{"same day is day 0", "2025-03-01", "2025-03-01", 0},
		{"next day is day 1", "2025-03-01", "2025-03-02", 1},
		{"7th day", "2025-03-01", "2025-03-08", 7},
		{"across February of a leap year", "2024-02-28", "2024-03-01", 2},
		{"across a year end", "2024-12-31", "2025-01-01", 1},
		{"before the start is negative", "2025-03-02", "2025-03-01", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DaysAfter(tt.start, tt.date)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DaysAfter(%s, %s) = %d, want %d", tt.start, tt.date, got, tt.want)
			}
		})
	}
}

func TestParseRejectsImpossibleDates(t *testing.T) {
	for _, s := range []string{"2025-02-30", "2025-13-01", "2025-1-1", "", "20250101"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted an impossible date", s)
		}
	}
}

func TestTodayIsShanghaiDate(t *testing.T) {
	// 2025-01-01 17:00 UTC is already 2025-01-02 in Shanghai.
	if got := Today(time.Date(2025, 1, 1, 17, 0, 0, 0, time.UTC)); got != "2025-01-02" {
		t.Errorf("Today = %s, want 2025-01-02", got)
	}
}

func TestNotBeforeRegistration(t *testing.T) {
	tests := []struct {
		name, date, registered string
		refused                bool
	}{
		{name: "the registration date itself", date: "2024-03-15", registered: "2024-03-15"},
		{name: "the day before", date: "2024-03-14", registered: "2024-03-15", refused: true},
		{name: "a later day", date: "2024-03-16", registered: "2024-03-15"},
		{name: "a year earlier", date: "2023-03-15", registered: "2024-03-15", refused: true},
		{name: "the registration month", date: "2024-03", registered: "2024-03-31"},
		{name: "the month before", date: "2024-02", registered: "2024-03-01", refused: true},
		{name: "the month after", date: "2024-04", registered: "2024-03-15"},
		{name: "no registration date checks nothing", date: "1999-01-01", registered: ""},
		{name: "no date checks nothing", date: "", registered: "2024-03-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NotBeforeRegistration("case.occurred_at", tt.date, tt.registered)
			if (err != nil) != tt.refused {
				t.Fatalf("NotBeforeRegistration(%s, %s) = %v, refused want %v", tt.date, tt.registered, err, tt.refused)
			}
			if err == nil {
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || e.Reason != ReasonBeforeRegistration || len(e.Fields) != 1 ||
				e.Fields[0].Field != "case.occurred_at" || e.Fields[0].Reason != ReasonBeforeRegistration {
				t.Errorf("refusal %+v, want INVALID_ARGUMENT %s on case.occurred_at", e, ReasonBeforeRegistration)
			}
		})
	}
}
