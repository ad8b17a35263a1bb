// Package bizdate is business time: dates in Asia/Shanghai written YYYY-MM-DD, and the counting rules
// for posting periods and deadlines that every department uses.
package bizdate

import (
	"fmt"
	"time"
)

// Layout is how business dates are written.
const Layout = "2006-01-02"

// Location is the county's time zone. It is fixed at UTC+8 when the zone database is missing, which is
// exact for China (no daylight saving since 1991).
var Location = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// Today is the business date of t.
func Today(t time.Time) string { return t.In(Location).Format(Layout) }

// Parse reads a YYYY-MM-DD business date, rejecting impossible dates.
func Parse(s string) (time.Time, error) {
	t, err := time.ParseInLocation(Layout, s, Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

// DaysAfter is the number of calendar days from start to date: 1 on the day after start. Posting periods
// count this way (day 1 is the day after the posting starts).
func DaysAfter(start, date string) (int, error) {
	if _, err := Parse(start); err != nil {
		return 0, err
	}
	if _, err := Parse(date); err != nil {
		return 0, err
	}
	// Both as UTC midnights: every day is exactly 24 hours there.
	a, _ := time.Parse(Layout, start)
	b, _ := time.Parse(Layout, date)
	return int(b.Sub(a) / (24 * time.Hour)), nil
}
