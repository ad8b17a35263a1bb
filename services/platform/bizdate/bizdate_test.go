package bizdate

import (
	"testing"
	"time"
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
