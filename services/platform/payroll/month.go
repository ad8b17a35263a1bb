package payroll

import (
	"fmt"
	"time"

	"fupin.dev/services/platform/bizdate"
)

// MonthLayout is how months are written: YYYY-MM.
const MonthLayout = "2006-01"

// ParseMonth checks a YYYY-MM month.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.ParseInLocation(MonthLayout, s, bizdate.Location)
	if err != nil || t.Format(MonthLayout) != s {
		return time.Time{}, fmt.Errorf("month %q is not YYYY-MM", s)
	}
	return t, nil
}

// AddMonths returns month moved by n months (n may be negative). month must be valid.
func AddMonths(month string, n int) string {
	t, err := ParseMonth(month)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, n, 0).Format(MonthLayout)
}

// MonthOf returns the month (YYYY-MM) of a business date (YYYY-MM-DD).
func MonthOf(date string) string {
	if len(date) < 7 {
		return ""
	}
	return date[:7]
}

// MonthsBetween lists the months from first to last, both included (none when last is before first).
func MonthsBetween(first, last string) []string {
	var out []string
	for m := first; m <= last; m = AddMonths(m, 1) {
		out = append(out, m)
	}
	return out
}
