package domain

import (
	"time"

	"fupin.dev/services/platform/payroll"
)

// Months (YYYY-MM) are the payroll's: the same helpers, so a subsidies month and a roll month never differ.
const MonthLayout = payroll.MonthLayout

// ParseMonth checks a YYYY-MM month.
func ParseMonth(s string) (time.Time, error) { return payroll.ParseMonth(s) }

// AddMonths returns month moved by n months (n may be negative). month must be valid.
func AddMonths(month string, n int) string { return payroll.AddMonths(month, n) }

// MonthOf returns the month (YYYY-MM) of a business date (YYYY-MM-DD).
func MonthOf(date string) string { return payroll.MonthOf(date) }

// MonthsBetween lists the months from first to last, both included (none when last is before first).
func MonthsBetween(first, last string) []string { return payroll.MonthsBetween(first, last) }
