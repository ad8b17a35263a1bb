package domain

import (
	"cmp"
	"slices"
)

func slicesSortStable(is []ImportIssue) {
	slices.SortStableFunc(is, func(a, b ImportIssue) int { return cmp.Compare(a.Row, b.Row) })
}
