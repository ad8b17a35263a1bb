package domain

import (
	"fmt"
	"math/big"
	"slices"

	"fupin.dev/services/platform/policy"
)

// The 低保 amount: (standard − household monthly per-capita income) × covered persons + 分类施保
// supplements, with the optional floor. Everything is exact (big.Rat) until the household's monthly total,
// which is rounded half up to the fen once: a figure of a third of a fen per person never adds up to a
// different total depending on where it was rounded.

// DibaoRule is the rule that decided the base amount. Numbers equal fupin.subsidies.v1.DibaoRule.
type DibaoRule int32

// Rules.
const (
	DibaoRuleUnspecified       DibaoRule = iota
	DibaoRuleGap                         // 差额救助: the gap times the covered persons
	DibaoRuleFloor                       // 保底: the gap was below the floor, the floor is paid
	DibaoRuleAtOrAboveStandard           // per-capita income at or above the standard: nothing due
)

// SupplementCategory is a 分类施保 category. Numbers equal fupin.subsidies.v1.DibaoSupplementCategory.
type SupplementCategory int32

// Categories, in the order a tie between equal ratios is settled.
const (
	SupplementNone             SupplementCategory = iota
	SupplementMinor                               // 未成年人
	SupplementElderly                             // 老年人
	SupplementSeverelyDisabled                    // 重度残疾人
	SupplementSeriouslyIll                        // 重病患者
)

var supplementKeys = map[SupplementCategory]string{SupplementMinor: "minor", SupplementElderly: "elderly",
	SupplementSeverelyDisabled: "severely_disabled", SupplementSeriouslyIll: "seriously_ill"}

func (c SupplementCategory) String() string {
	if k, ok := supplementKeys[c]; ok {
		return k
	}
	return "none"
}

// Policy parameters of 低保 (deploy/policy/defaults.json).
const (
	ParamDibaoStandardRural     = "subsidies.dibao.standard_rural_fen_per_month"
	ParamDibaoStandardUrban     = "subsidies.dibao.standard_urban_fen_per_month"
	ParamDibaoFloorRatio        = "subsidies.dibao.floor_ratio"
	ParamDibaoSupplements       = "subsidies.dibao.supplements"
	ParamDibaoSinglePerson      = "subsidies.dibao.single_person_coverage"
	ParamDibaoReviewStable      = "subsidies.dibao.review_interval_months_stable"
	ParamDibaoReviewIrregular   = "subsidies.dibao.review_interval_months_irregular"
	ParamDibaoTaperMonths       = "subsidies.dibao.taper_months"
	ParamDibaoSurveyMinTeam     = "subsidies.dibao.survey.min_team_size"
	ParamDibaoSurveyMaxTeam     = "subsidies.dibao.survey.max_team_size"
	ParamDibaoReviewMinPresent  = "subsidies.dibao.review.min_present_ratio"
	ParamDibaoReviewPassExceeds = "subsidies.dibao.review.pass_ratio_exceeds"
	ParamDibaoPostingDays       = "subsidies.dibao.posting_days"
)

// StandardParam is the parameter of the 低保 standard of a kind of household: urban or rural.
func StandardParam(urban bool) string {
	if urban {
		return ParamDibaoStandardUrban
	}
	return ParamDibaoStandardRural
}

// SupplementPolicy is the 分类施保 table (subsidies.dibao.supplements): who is in which category, and each
// category's supplement as a share of the monthly standard.
type SupplementPolicy struct {
	MinorAgeBelow            int                     `json:"minor_age_below"`
	ElderlyAgeFrom           int                     `json:"elderly_age_from"`
	SevereDisabilityMaxGrade int                     `json:"severe_disability_max_grade"`
	Ratios                   map[string]policy.Ratio `json:"ratios"`
}

// IncomeFigure is one part of a household's income: AmountFen over Months months.
type IncomeFigure struct {
	Description string `json:"description,omitempty"`
	AmountFen   int64  `json:"amount_fen"`
	Months      int    `json:"months"`
}

// CoveredMember is a member covered by 低保 as the amount sees them.
type CoveredMember struct {
	PersonID  string `json:"person_id"`
	IDIndex   string `json:"id_index,omitempty"`
	BirthDate string `json:"birth_date"`
	// SeverelyDisabled: a valid certificate of a severe grade on the date of the computation.
	SeverelyDisabled bool `json:"severely_disabled"`
	// SeriouslyIll: 大病 in the register.
	SeriouslyIll bool `json:"seriously_ill"`
	// CanWork: the register says the member can work.
	CanWork bool `json:"can_work"`
}

// AmountInput is what a 低保 amount is computed from.
type AmountInput struct {
	// Income is the household's income; its monthly total is Σ AmountFen/Months.
	Income []IncomeFigure
	// HouseholdSize divides the income (1 for 单人保).
	HouseholdSize int
	Covered       []CoveredMember
	// Date is the business date ages are taken on.
	Date string
	// KeepCovered pays at least the floor when nothing would be due: a death in the household reduces the
	// covered persons but never stops the payment (the review then falls due).
	KeepCovered bool
}

// AmountPolicy is the policy an amount is computed with.
type AmountPolicy struct {
	StandardFen int64
	Floor       policy.Ratio
	Supplements SupplementPolicy
}

// Supplement is one covered member's supplement.
type Supplement struct {
	PersonID  string             `json:"person_id"`
	Category  SupplementCategory `json:"category"`
	AmountFen int64              `json:"amount_fen"` // rounded for display; the total is rounded once
}

// DibaoAmount is a computed monthly amount with its explanation.
type DibaoAmount struct {
	AmountFen     int64        `json:"amount_fen"`
	Rule          DibaoRule    `json:"rule"`
	StandardFen   int64        `json:"standard_fen"`
	PerCapitaFen  int64        `json:"per_capita_income_fen"`
	Covered       int          `json:"covered"`
	HouseholdSize int          `json:"household_size"`
	BaseFen       int64        `json:"base_fen"`
	Supplements   []Supplement `json:"supplements,omitempty"`
	Summary       string       `json:"summary"`
	// Inputs are the facts read, by name; PolicyDate the date policy was read for; Policy the values used.
	Inputs     map[string]string `json:"inputs"`
	PolicyDate string            `json:"policy_date"`
	Policy     []policy.Value    `json:"policy"`
}

// Due reports whether anything is due.
func (a *DibaoAmount) Due() bool { return a.Rule == DibaoRuleGap || a.Rule == DibaoRuleFloor }

// MonthlyIncome is the household's monthly income: Σ AmountFen/Months, exact.
func MonthlyIncome(items []IncomeFigure) *big.Rat {
	total := new(big.Rat)
	for _, it := range items {
		if it.Months > 0 {
			total.Add(total, big.NewRat(it.AmountFen, int64(it.Months)))
		}
	}
	return total
}

// RoundHalfUp rounds r to the nearest integer, halves away from zero.
func RoundHalfUp(r *big.Rat) int64 {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	num.Mul(num, big.NewInt(2)).Add(num, den)
	q := num.Quo(num, new(big.Int).Mul(den, big.NewInt(2)))
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

func ratOf(r policy.Ratio) *big.Rat {
	if r.Den == 0 {
		return new(big.Rat)
	}
	return big.NewRat(r.Num, r.Den)
}

// SupplementCategoryOf returns the member's category with the highest supplement on date (none when no
// category applies or every applicable ratio is zero).
func SupplementCategoryOf(m CoveredMember, date string, p SupplementPolicy) (SupplementCategory, error) {
	age, err := AgeOn(m.BirthDate, date)
	if err != nil {
		return SupplementNone, err
	}
	applies := map[SupplementCategory]bool{
		SupplementMinor:            age < p.MinorAgeBelow,
		SupplementElderly:          p.ElderlyAgeFrom > 0 && age >= p.ElderlyAgeFrom,
		SupplementSeverelyDisabled: m.SeverelyDisabled,
		SupplementSeriouslyIll:     m.SeriouslyIll,
	}
	best, bestRatio := SupplementNone, new(big.Rat)
	for _, c := range []SupplementCategory{SupplementMinor, SupplementElderly, SupplementSeverelyDisabled, SupplementSeriouslyIll} {
		if !applies[c] {
			continue
		}
		if r := ratOf(p.Ratios[c.String()]); r.Cmp(bestRatio) > 0 {
			best, bestRatio = c, r
		}
	}
	return best, nil
}

// ComputeDibao applies the 低保 rule to a household (or, for 单人保, a person).
func ComputeDibao(in AmountInput, p AmountPolicy) (DibaoAmount, error) {
	a := DibaoAmount{StandardFen: p.StandardFen, Covered: len(in.Covered), HouseholdSize: in.HouseholdSize,
		PolicyDate: in.Date, Inputs: map[string]string{}}
	if in.HouseholdSize < 1 {
		return a, fmt.Errorf("dibao amount: household size %d", in.HouseholdSize)
	}
	monthly := MonthlyIncome(in.Income)
	perCapita := new(big.Rat).Quo(monthly, big.NewRat(int64(in.HouseholdSize), 1))
	a.PerCapitaFen = RoundHalfUp(perCapita)
	standard := big.NewRat(p.StandardFen, 1)
	gap := new(big.Rat).Sub(standard, perCapita)
	floor := new(big.Rat).Mul(standard, ratOf(p.Floor))
	a.Inputs["household_monthly_income_fen"] = monthly.FloatString(2)
	a.Inputs["household_size"] = fmt.Sprint(in.HouseholdSize)
	a.Inputs["covered"] = fmt.Sprint(len(in.Covered))
	a.Inputs["age_date"] = in.Date
	switch {
	case gap.Sign() <= 0 && !in.KeepCovered:
		a.Rule = DibaoRuleAtOrAboveStandard
		a.Summary = fmt.Sprintf("per-capita income %s is at or above the standard %s: nothing is due", dibaoYuan(a.PerCapitaFen), dibaoYuan(p.StandardFen))
		return a, nil
	case gap.Cmp(floor) < 0:
		a.Rule = DibaoRuleFloor
		gap = floor
	default:
		a.Rule = DibaoRuleGap
	}
	total := new(big.Rat).Mul(gap, big.NewRat(int64(len(in.Covered)), 1))
	a.BaseFen = RoundHalfUp(total)
	for _, m := range in.Covered {
		c, err := SupplementCategoryOf(m, in.Date, p.Supplements)
		if err != nil {
			return a, err
		}
		if c == SupplementNone {
			continue
		}
		s := new(big.Rat).Mul(standard, ratOf(p.Supplements.Ratios[c.String()]))
		total.Add(total, s)
		a.Supplements = append(a.Supplements, Supplement{PersonID: m.PersonID, Category: c, AmountFen: RoundHalfUp(s)})
	}
	a.AmountFen = RoundHalfUp(total)
	switch a.Rule {
	case DibaoRuleFloor:
		a.Summary = fmt.Sprintf("the gap between the standard %s and per-capita income %s is below the floor %s: floor × %d covered",
			dibaoYuan(p.StandardFen), dibaoYuan(a.PerCapitaFen), dibaoYuan(RoundHalfUp(floor)), len(in.Covered))
	default:
		a.Summary = fmt.Sprintf("(standard %s − per-capita income %s) × %d covered", dibaoYuan(p.StandardFen), dibaoYuan(a.PerCapitaFen), len(in.Covered))
	}
	if len(a.Supplements) > 0 {
		a.Summary += fmt.Sprintf(" + %d 分类施保 supplement(s)", len(a.Supplements))
	}
	a.Summary += " = " + dibaoYuan(a.AmountFen) + " a month"
	slices.SortFunc(a.Supplements, func(x, y Supplement) int {
		if x.PersonID < y.PersonID {
			return -1
		}
		if x.PersonID > y.PersonID {
			return 1
		}
		return 0
	})
	return a, nil
}

// dibaoYuan writes fen as 元 with two decimals.
func dibaoYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d 元", sign, fen/100, fen%100)
}
