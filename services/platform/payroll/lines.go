package payroll

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RollLineKind is why a roll line pays (or takes back) money. Numbers equal
// fupin.payroll.v1.RollLineKind.
type RollLineKind int32

// Roll line kinds.
const (
	RollLineKindUnspecified RollLineKind = iota
	RollLineRegular                      // 正常发放: the roll's own month
	RollLineBackPay                      // 补发: an earlier month paid less than due
	RollLineRecovery                     // 追回: an earlier month paid more than due (negative amount)
	RollLineReissue                      // 重发: a failed line of an earlier roll, released, paid again
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
	case RollLineReissue:
		return "重发"
	}
	return ""
}

// PaymentState is what became of a line's money, as funds reports it. Numbers equal
// fupin.payroll.v1.PaymentState.
type PaymentState int32

// Payment states. A line is unsent until funds reports; a handed-off line without a result counts as
// paid when later rolls compute 补发 and 追回. Results only move a line forward: unsent → sent →
// paid or failed.
const (
	PaymentStateUnspecified PaymentState = iota
	PaymentUnsent                        // 未发送
	PaymentSent                          // 已发送
	PaymentPaid                          // 已到账
	PaymentFailed                        // 支付失败
)

// Label is the state's name on the roll and in exports.
func (s PaymentState) Label() string {
	switch s {
	case PaymentUnsent:
		return "未发送"
	case PaymentSent:
		return "已发送"
	case PaymentPaid:
		return "已到账"
	case PaymentFailed:
		return "支付失败"
	}
	return ""
}

// FailureReason is why the bank did not pay a line. Numbers equal fupin.payroll.v1.PaymentFailureReason.
type FailureReason int32

// Failure reasons.
const (
	FailureUnspecified    FailureReason = iota
	FailureAccountInvalid               // 账户不存在或账号错误
	FailureAccountClosed                // 账户已销户
	FailureAccountFrozen                // 账户冻结
	FailureNameMismatch                 // 户名与账号不符
	FailurePayeeDeceased                // 收款人已死亡
	FailureReturned                     // 银行退票
	FailureOther                        // 其他
)

// LineKey is what makes a line unique across all rolls of a program.
type LineKey struct {
	Program     Program
	Beneficiary string
	Period      string
	Kind        RollLineKind
	Attempt     int32
}

// RollLine is one payment (or recovery) of a roll. (Program, Beneficiary, Period, Kind, Attempt) is
// unique across all rolls: a month is paid regularly once, corrected at most once in each direction,
// and paid again (重发, attempt 1, 2, …) only for a failed line the department released.
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
	// Attempt is 0 but for a reissue, whose attempt is the release's ReissueAttempt.
	Attempt int32
	// Payment is what funds reported and the department released; nil while unsent (most lines of a
	// roll being computed, so the computation carries no more than a pointer for it).
	Payment *LinePayment
}

// LinePayment is what became of a line's money and, for a failed line, its release.
type LinePayment struct {
	// The payment result: state, failure reason, funds' result id and when the bank did it.
	State         PaymentState
	FailureReason FailureReason
	ResultID      string
	ResultTime    time.Time
	// A failed line released for payment again: by whom, why, when, and the attempt of its reissue.
	ReleasedBy     string
	ReleaseReason  string
	ReleaseTime    time.Time
	ReissueAttempt int32
}

// Paid returns the line's payment (state unsent when funds reported nothing).
func (l *RollLine) Paid() LinePayment {
	if l.Payment == nil {
		return LinePayment{State: PaymentUnsent}
	}
	return *l.Payment
}

// Key is the line's unique key.
func (l *RollLine) Key() LineKey {
	return LineKey{Program: l.Program, Beneficiary: l.Beneficiary, Period: l.Period, Kind: l.Kind, Attempt: l.Attempt}
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
//
//   - every earlier month from first (the program's first roll month) whose due amount differs from the
//     net paid gets a back-pay line (due > paid) or a recovery line (due < paid, a negative amount),
//     unless that month already has a line of that kind, in which case the difference is held.
//
//   - every line of an earlier roll that failed and was released (reissues) gets a reissue line of the
//     same period and amount, with the attempt the release gave it.
//
// ents are the beneficiary's entitlements (any order), paid its paid months (any order; a released line
// still counts, its reissues do not). The lines come out in period order, reissues last,
// so a roll computed twice from the same inputs has the same lines.
func BeneficiaryLines(program Program, month, first string, ents []*Entitlement, paid []PaidPeriod, reissues ...RollLine) ([]RollLine, []HeldAdjustment) {
	if len(ents) == 0 && len(paid) == 0 {
		return reissueLines(month, reissues), nil
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
	return append(lines, reissueLines(month, reissues)...), held
}

// reissueLines pays released lines again on the roll of month: same period and amount, the attempt the
// release gave, linked by the reason to the line they replace.
func reissueLines(month string, released []RollLine) []RollLine {
	released = slices.SortedFunc(slices.Values(released), func(a, b RollLine) int {
		return cmp.Compare(a.Paid().ReissueAttempt, b.Paid().ReissueAttempt)
	})
	out := make([]RollLine, 0, len(released))
	for _, r := range released {
		p := r.Paid()
		out = append(out, RollLine{Program: r.Program, RollMonth: month, Beneficiary: r.Beneficiary, Period: r.Period,
			Kind: RollLineReissue, Attempt: p.ReissueAttempt, HouseholdID: r.HouseholdID, PersonID: r.PersonID,
			RegionCode: r.RegionCode, AmountFen: r.AmountFen, EntitlementIDs: r.EntitlementIDs,
			Reason: fmt.Sprintf("重发 %s 第%d次: %s %s 第%d次支付失败, 放行: %s", r.Period, p.ReissueAttempt,
				r.RollMonth, r.Kind.Label(), r.Attempt, p.ReleaseReason)})
	}
	return out
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
		period  string
		kind    RollLineKind
		attempt int32
	}
	now := make(map[key]*RollLine, len(computed))
	for i := range computed {
		now[key{computed[i].Period, computed[i].Kind, computed[i].Attempt}] = &computed[i]
	}
	kept := make(map[key]bool, len(current))
	for i := range current {
		k := key{current[i].Period, current[i].Kind, current[i].Attempt}
		if c, ok := now[k]; ok && sameLine(&current[i], c) {
			kept[k] = true
			continue
		}
		remove = append(remove, current[i])
	}
	for i := range computed {
		if !kept[key{computed[i].Period, computed[i].Kind, computed[i].Attempt}] {
			add = append(add, computed[i])
		}
	}
	return remove, add
}

func sameLine(a, b *RollLine) bool {
	return a.Program == b.Program && a.RollMonth == b.RollMonth && a.Beneficiary == b.Beneficiary && a.Period == b.Period &&
		a.Kind == b.Kind && a.Attempt == b.Attempt && a.HouseholdID == b.HouseholdID && a.PersonID == b.PersonID && a.RegionCode == b.RegionCode &&
		a.AmountFen == b.AmountFen && slices.Equal(a.EntitlementIDs, b.EntitlementIDs) && a.Reason == b.Reason
}
