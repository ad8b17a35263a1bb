package domain

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// RollLineKind is why a roll line pays (or takes back) money. Numbers equal
// fupin.subsidies.v1.RollLineKind.
type RollLineKind int32

// Roll line kinds.
const (
	RollLineKindUnspecified RollLineKind = iota
	RollLineRegular                      // 正常发放: the roll's own month
	RollLineBackPay                      // 补发: an earlier month paid less than due
	RollLineRecovery                     // 追回: an earlier month paid more than due (negative amount)
)

// Label is the kind's name on the roll and in exports.
func (k RollLineKind) Label() string {
	switch k {
	case RollLineRegular:
		return "正常发放"
	case RollLineBackPay:
		return "补发"
	case RollLineRecovery:
		return "追回"
	}
	return ""
}

// RollLine is one payment (or recovery) of a roll. (Program, Beneficiary, Period, Kind) is unique across
// all rolls: a month is paid regularly once, and corrected at most once in each direction.
type RollLine struct {
	Program     Program
	RollMonth   string
	Beneficiary string
	// Period is the month the money is for (YYYY-MM).
	Period      string
	Kind        RollLineKind
	HouseholdID string
	PersonID    string
	RegionCode  string
	// AmountFen is in 分: positive for regular and back-pay lines, negative for recoveries.
	AmountFen      int64
	EntitlementIDs []string
	Reason         string
}

// PaidPeriod is what approved rolls paid one beneficiary for one month: the net of their lines, the
// kinds of line already used for that month, and where the last line came from.
type PaidPeriod struct {
	Beneficiary    string
	Period         string
	NetFen         int64
	Kinds          []RollLineKind
	HouseholdID    string
	PersonID       string
	RegionCode     string
	EntitlementIDs []string
}

// HeldAdjustment is a correction the roll cannot carry: the month was already corrected once in the same
// direction and lines are unique per kind and month. It is listed on every roll computed until it is
// settled by hand (人工处理), so it is never silently lost.
type HeldAdjustment struct {
	Beneficiary string
	Period      string
	Kind        RollLineKind
	AmountFen   int64
	HouseholdID string
	PersonID    string
	RegionCode  string
	Reason      string
}

// BeneficiaryLines is the roll's rule for one beneficiary of a program, a pure function of what the
// entitlements say is due and what approved rolls paid:
//
//   - the roll's month gets a regular line of the amount due that month (none when nothing is due);
//   - every earlier month from first (the program's first roll month) whose due amount differs from the
//     net paid gets a back-pay line (due > paid) or a recovery line (due < paid, a negative amount),
//     unless that month already has a line of that kind, in which case the difference is held.
//
// ents are the beneficiary's entitlements (any order), paid its paid months (any order). The lines come
// out in period order, so a roll computed twice from the same inputs has the same lines.
func BeneficiaryLines(program Program, month, first string, ents []*Entitlement, paid []PaidPeriod) ([]RollLine, []HeldAdjustment) {
	if len(ents) == 0 && len(paid) == 0 {
		return nil, nil
	}
	// Oldest decision first, whatever order the caller read them in, so ids and reasons come out the same.
	ents = slices.SortedFunc(slices.Values(ents), func(a, b *Entitlement) int {
		return cmp.Or(strings.Compare(a.FromMonth, b.FromMonth), strings.Compare(a.ID, b.ID))
	})
	beneficiary := ""
	if len(ents) > 0 {
		beneficiary = ents[0].Beneficiary
	} else {
		beneficiary = paid[0].Beneficiary
	}
	paidBy := make(map[string]*PaidPeriod, len(paid))
	for i := range paid {
		paidBy[paid[i].Period] = &paid[i]
	}
	// The months to look at: those an entitlement covers or a roll paid, from first to month.
	months := make([]string, 0, 4)
	for _, e := range ents {
		from, to := max(e.FromMonth, first), month
		if e.ToMonth != "" && e.ToMonth < to {
			to = e.ToMonth
		}
		for m := from; m <= to; m = AddMonths(m, 1) {
			months = append(months, m)
		}
	}
	for _, p := range paid {
		if p.Period >= first && p.Period < month {
			months = append(months, p.Period)
		}
	}
	slices.Sort(months)
	months = slices.Compact(months)

	var lines []RollLine
	var held []HeldAdjustment
	for _, m := range months {
		var due int64
		var from []*Entitlement
		for _, e := range ents {
			if e.ActiveIn(m) {
				due += e.AmountFen
				from = append(from, e)
			}
		}
		line := RollLine{Program: program, RollMonth: month, Beneficiary: beneficiary, Period: m}
		if len(from) > 0 {
			last := from[len(from)-1]
			line.HouseholdID, line.PersonID, line.RegionCode = last.HouseholdID, last.PersonID, last.RegionCode
			for _, e := range from {
				line.EntitlementIDs = append(line.EntitlementIDs, e.ID)
			}
		}
		if m == month {
			if due > 0 {
				line.Kind, line.AmountFen = RollLineRegular, due
				line.Reason = "正常发放 " + m + reasonOf(from)
				lines = append(lines, line)
			}
			continue
		}
		var net int64
		var kinds []RollLineKind
		if p := paidBy[m]; p != nil {
			net, kinds = p.NetFen, p.Kinds
			if len(from) == 0 {
				line.HouseholdID, line.PersonID, line.RegionCode = p.HouseholdID, p.PersonID, p.RegionCode
				line.EntitlementIDs = p.EntitlementIDs
			}
		}
		diff := due - net
		if diff == 0 {
			continue
		}
		line.AmountFen = diff
		if diff > 0 {
			line.Kind = RollLineBackPay
			line.Reason = fmt.Sprintf("补发 %s: 应发 %d 分, 已发 %d 分%s", m, due, net, reasonOf(from))
		} else {
			line.Kind = RollLineRecovery
			line.Reason = fmt.Sprintf("追回 %s: 应发 %d 分, 已发 %d 分%s", m, due, net, endReasonOf(ents, m))
		}
		if slices.Contains(kinds, line.Kind) {
			held = append(held, HeldAdjustment{Beneficiary: beneficiary, Period: m, Kind: line.Kind,
				AmountFen: diff, HouseholdID: line.HouseholdID, PersonID: line.PersonID, RegionCode: line.RegionCode,
				Reason: line.Reason + "; 该月已有同类更正, 待人工处理"})
			continue
		}
		lines = append(lines, line)
	}
	return lines, held
}

// reasonOf names the decisions behind a payment: "; 依据 <reason>" of the entitlements, when they say.
func reasonOf(from []*Entitlement) string {
	var rs []string
	for _, e := range from {
		if e.Reason != "" && !slices.Contains(rs, e.Reason) {
			rs = append(rs, e.Reason)
		}
	}
	if len(rs) == 0 {
		return ""
	}
	return "; 依据: " + strings.Join(rs, ", ")
}

// endReasonOf says why a month is no longer (fully) due: the end reasons of the entitlements that stopped
// paying before or in that month.
func endReasonOf(ents []*Entitlement, month string) string {
	var rs []string
	for _, e := range ents {
		if e.EndReason != "" && e.ToMonth != "" && e.ToMonth < month && !slices.Contains(rs, e.EndReason) {
			rs = append(rs, e.EndReason)
		}
	}
	slices.Sort(rs)
	if len(rs) == 0 {
		return ""
	}
	return "; 原因: " + strings.Join(rs, ", ")
}

// diffLines compares a beneficiary's lines on a draft with the lines computed now: the lines to remove
// (gone, or changed) and to add (new, or changed), so a recomputation rewrites nothing that stayed.
func diffLines(current, computed []RollLine) (remove, add []RollLine) {
	type key struct {
		period string
		kind   RollLineKind
	}
	now := make(map[key]*RollLine, len(computed))
	for i := range computed {
		now[key{computed[i].Period, computed[i].Kind}] = &computed[i]
	}
	kept := make(map[key]bool, len(current))
	for i := range current {
		k := key{current[i].Period, current[i].Kind}
		if c, ok := now[k]; ok && sameLine(&current[i], c) {
			kept[k] = true
			continue
		}
		remove = append(remove, current[i])
	}
	for i := range computed {
		if !kept[key{computed[i].Period, computed[i].Kind}] {
			add = append(add, computed[i])
		}
	}
	return remove, add
}

func sameLine(a, b *RollLine) bool {
	return a.Program == b.Program && a.RollMonth == b.RollMonth && a.Beneficiary == b.Beneficiary && a.Period == b.Period &&
		a.Kind == b.Kind && a.HouseholdID == b.HouseholdID && a.PersonID == b.PersonID && a.RegionCode == b.RegionCode &&
		a.AmountFen == b.AmountFen && slices.Equal(a.EntitlementIDs, b.EntitlementIDs) && a.Reason == b.Reason
}
