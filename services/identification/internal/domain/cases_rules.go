package domain

import (
	"encoding/json"
	"fmt"
	"strings"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
)

// The rules of identification (精准识别) and exit (脱贫退出) cases as pure functions of facts and policy
// values, so each is tested at its boundaries without a database. The use cases in cases.go gather the
// facts from the case's steps and the register, read policy, and store what the rules said.

// HouseSafetyGrade is the main house's safety rating (危房等级); numbers of fupin.identification.v1.HouseSafetyGrade.
type HouseSafetyGrade int32

// House safety grades.
const (
	HouseSafetyUnspecified HouseSafetyGrade = iota
	HouseSafetyA                            // A级: safe
	HouseSafetyB                            // B级: basically safe
	HouseSafetyC                            // C级危房: partly dangerous
	HouseSafetyD                            // D级危房: entirely dangerous
)

// SchoolDropout says whether a compulsory-education child dropped out, and why; numbers of
// fupin.identification.v1.SchoolDropout.
type SchoolDropout int32

// School dropout facts.
const (
	DropoutUnspecified   SchoolDropout = iota
	DropoutNone                        // 无义务教育阶段辍学
	DropoutForPoverty                  // 因贫辍学
	DropoutForDisability               // 因智障或残疾辍学 (not a poverty hardship under the rule)
)

// HouseholdLabour is the whole household's ability to work; numbers of fupin.identification.v1.HouseholdLabour.
type HouseholdLabour int32

// Household labour abilities.
const (
	HouseholdLabourUnspecified HouseholdLabour = iota
	HouseholdLabourAble                        // 有劳动能力
	HouseholdLabourPartialLoss                 // 整户部分丧失劳动能力
	HouseholdLabourFullLoss                    // 整户完全丧失劳动能力
)

// DibaoClass is the household's 低保 classification; numbers of fupin.identification.v1.DibaoClass.
type DibaoClass int32

// 低保 classes.
const (
	DibaoClassUnspecified DibaoClass = iota
	DibaoClassNone                   // 非低保户
	DibaoClassFirst                  // 一类低保
	DibaoClassSecond                 // 二类低保
	DibaoClassOther                  // 三类及以下
)

// ExclusionFacts are the 七不准 facts a survey establishes. Which of them exclude a household is a policy
// list (identification.exclusions), since local lists differ.
type ExclusionFacts struct {
	CommercialHousing                bool `json:"commercial_housing,omitempty"`                   // 城镇商品房或豪华装修住房
	Vehicle                          bool `json:"vehicle,omitempty"`                              // 小轿车、大型农用车或工程机械
	VillageCommittee                 bool `json:"village_committee,omitempty"`                    // 家庭成员任村委会成员
	PublicPayroll                    bool `json:"public_payroll,omitempty"`                       // 财政供养人员或国有企业职工
	Enterprise                       bool `json:"enterprise,omitempty"`                           // 经营企业或长期雇佣他人
	SeparatedResidence               bool `json:"separated_residence,omitempty"`                  // 人户分离
	OverseasStudyOrCommercialPension bool `json:"overseas_study_or_commercial_pension,omitempty"` // 自费出国留学或购买商业养老保险
	RefusesCorrection                bool `json:"refuses_correction,omitempty"`                   // 有违法行为拒不改正
}

// exclusionPredicates are the 七不准 codes a policy list may name, each with its fact and description.
var exclusionPredicates = []struct {
	code string
	fact func(ExclusionFacts) bool
	desc string
}{
	{"commercial_housing", func(f ExclusionFacts) bool { return f.CommercialHousing }, "owns commercial housing in town or a luxury renovated house (城镇商品房或豪华装修住房)"},
	{"vehicle", func(f ExclusionFacts) bool { return f.Vehicle }, "owns a car, a large farm vehicle or engineering machinery (小轿车、大型农用车、工程机械)"},
	{"village_committee", func(f ExclusionFacts) bool { return f.VillageCommittee }, "a member sits on the village committee (村委会成员)"},
	{"public_payroll", func(f ExclusionFacts) bool { return f.PublicPayroll }, "a member is paid from public finance or works for a state enterprise (财政供养或国企职工)"},
	{"enterprise", func(f ExclusionFacts) bool { return f.Enterprise }, "a member runs an enterprise or regularly employs others (经营企业或长期雇工)"},
	{"separated_residence", func(f ExclusionFacts) bool { return f.SeparatedResidence }, "the household lives elsewhere than registered (人户分离)"},
	{"overseas_study_or_commercial_pension", func(f ExclusionFacts) bool { return f.OverseasStudyOrCommercialPension }, "a member studies abroad at own cost or holds commercial pension insurance (自费留学或商业养老保险)"},
	{"refuses_correction", func(f ExclusionFacts) bool { return f.RefusesCorrection }, "a member refuses to correct an offence (违法行为拒不改正)"},
}

// ExclusionCodes are every 七不准 predicate a policy list may name.
func ExclusionCodes() []string {
	out := make([]string, len(exclusionPredicates))
	for i, p := range exclusionPredicates {
		out[i] = p.code
	}
	return out
}

// ExclusionHit is one 七不准 predicate that applies to a household.
type ExclusionHit struct {
	Code        string
	Description string
}

// ExclusionHits returns the predicates of the policy list that the facts meet, in the list's order. A
// code the engine does not know is an error (a policy typo must not silently drop an exclusion).
func ExclusionHits(f ExclusionFacts, list []string) ([]ExclusionHit, error) {
	var hits []ExclusionHit
	for _, code := range list {
		found := false
		for _, p := range exclusionPredicates {
			if p.code == strings.TrimSpace(code) {
				found = true
				if p.fact(f) {
					hits = append(hits, ExclusionHit{Code: p.code, Description: p.desc})
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("policy %s names unknown predicate %q (known: %s)", CaseParamExclusions, code, strings.Join(ExclusionCodes(), ", "))
		}
	}
	return hits, nil
}

// InclusionRule is which part of the inclusion rule (纳入标准) fired; numbers of fupin.identification.v1.InclusionRule.
type InclusionRule int32

// Inclusion rules.
const (
	InclusionUnspecified       InclusionRule = iota
	InclusionNone                            // no part of the rule fired
	InclusionIncomeBelowLine                 // per-capita income below the identification line
	InclusionExtendedHardship                // below the extended line with a listed hardship
	InclusionLabourLossSupport               // labour lost and 一类/二类低保, 分散供养特困 or poor disabled with 三保障 unsolved
)

// InclusionFacts are what the inclusion rule reads.
type InclusionFacts struct {
	PerCapitaFen             int64
	Dropout                  SchoolDropout
	HouseSafety              HouseSafetyGrade
	MajorIllness             bool
	ChronicDiseaseHeavyCosts bool
	Labour                   HouseholdLabour
	Dibao                    DibaoClass
	DispersedDestitute       bool
	PoorDisabled             bool
	ThreeGuaranteesUnsolved  bool
}

// Lines are the two income lines of the inclusion rule, in fen per person and year.
type Lines struct {
	Identification int64 // 识别标准, default 2,995 元
	Extended       int64 // 4,000 元
}

// Hardships returns the listed hardships of the extended-line rule that the facts show.
func (f InclusionFacts) Hardships() []string {
	var out []string
	if f.Dropout == DropoutForPoverty {
		out = append(out, "a compulsory-education child dropped out for poverty (因贫辍学)")
	}
	if f.HouseSafety == HouseSafetyC || f.HouseSafety == HouseSafetyD {
		out = append(out, fmt.Sprintf("the main house is a grade %s dangerous house (%s级危房)", f.HouseSafety, f.HouseSafety))
	}
	if f.MajorIllness {
		out = append(out, "a major illness (大病)")
	}
	if f.ChronicDiseaseHeavyCosts {
		out = append(out, "a chronic disease with heavy costs (长期慢性病开支大)")
	}
	return out
}

func (g HouseSafetyGrade) String() string {
	if g >= HouseSafetyA && g <= HouseSafetyD {
		return string(rune('A' + g - HouseSafetyA))
	}
	return "unspecified"
}

func (d SchoolDropout) String() string {
	return caseEnumName(int32(d), "unspecified", "none", "for_poverty", "for_disability")
}

func (l HouseholdLabour) String() string {
	return caseEnumName(int32(l), "unspecified", "able", "partial_loss", "full_loss")
}

func (c DibaoClass) String() string {
	return caseEnumName(int32(c), "none", "none", "first", "second", "other")
}

// caseEnumName names value n by its position among names.
func caseEnumName(n int32, names ...string) string {
	if n >= 0 && int(n) < len(names) {
		return names[n]
	}
	return fmt.Sprint(n)
}

// EvaluateInclusion applies the inclusion rule: per-capita stable income below the identification line;
// or below the extended line with a child dropped out for poverty (not disability), a C or D house, a
// major illness or a chronic disease with heavy costs; or a household whose labour is wholly or partly
// lost and that is 一类/二类 低保, 分散供养特困, or poor disabled with 三保障 unsolved. It returns the rule
// that fired first in that order and a sentence saying why.
func EvaluateInclusion(f InclusionFacts, l Lines) (InclusionRule, string) {
	income := fmt.Sprintf("per-capita income %s", caseYuan(f.PerCapitaFen))
	if f.PerCapitaFen < l.Identification {
		return InclusionIncomeBelowLine, fmt.Sprintf("%s is below the identification line %s", income, caseYuan(l.Identification))
	}
	hard := f.Hardships()
	if f.PerCapitaFen < l.Extended && len(hard) > 0 {
		return InclusionExtendedHardship, fmt.Sprintf("%s is below the extended line %s with %s", income, caseYuan(l.Extended), strings.Join(hard, ", "))
	}
	if support := f.labourLossSupport(); support != "" {
		return InclusionLabourLossSupport, "the household's labour is " + caseLabourText(f.Labour) + " and it is " + support
	}
	why := fmt.Sprintf("%s is not below the identification line %s", income, caseYuan(l.Identification))
	if f.PerCapitaFen < l.Extended {
		why += fmt.Sprintf(", and below the extended line %s no listed hardship applies", caseYuan(l.Extended))
	} else {
		why += fmt.Sprintf(" nor the extended line %s", caseYuan(l.Extended))
	}
	return InclusionNone, why + "; no labour-loss support rule applies"
}

func (f InclusionFacts) labourLossSupport() string {
	if f.Labour != HouseholdLabourPartialLoss && f.Labour != HouseholdLabourFullLoss {
		return ""
	}
	switch {
	case f.Dibao == DibaoClassFirst:
		return "一类低保"
	case f.Dibao == DibaoClassSecond:
		return "二类低保"
	case f.DispersedDestitute:
		return "分散供养特困"
	case f.PoorDisabled && f.ThreeGuaranteesUnsolved:
		return "a poor disabled household whose 三保障 is not solved"
	}
	return ""
}

func caseLabourText(l HouseholdLabour) string {
	if l == HouseholdLabourFullLoss {
		return "wholly lost (整户完全丧失劳动能力)"
	}
	return "partly lost (整户部分丧失劳动能力)"
}

// caseYuan writes fen as yuan with two decimals ("2,994.99 元"), for explanations.
func caseYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole := fmt.Sprint(fen / 100)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s.%02d 元", sign, b.String(), fen%100)
}

// ReviewRule is the quorum and majority of a village review meeting (民主评议), from policy.
type ReviewRule struct {
	// PopulationCutoff: villages with fewer residents need MinSmall representatives, others MinLarge.
	PopulationCutoff int64
	MinSmall         int
	MinLarge         int
	// MinPresent is the share of registered representatives that must be present (at least).
	MinPresent policy.Ratio
	// PassExceeds is the share of those present that yes votes must exceed.
	PassExceeds policy.Ratio
}

// ReviewVotes are the counts of a meeting.
type ReviewVotes struct {
	Registered int `json:"registered"` // 登记在册的村民代表
	Present    int `json:"present"`    // 到会
	VotesFor   int `json:"votes_for"`  // 赞成
}

// Check returns the representatives the village needs, whether the meeting was valid (violations name
// each rule it missed) and, when valid, whether the household passed.
func (r ReviewRule) Check(population int64, v ReviewVotes, subject string) (required int, passed bool, violations []apperr.Violation) {
	required = r.MinLarge
	if population < r.PopulationCutoff {
		required = r.MinSmall
	}
	if v.Registered < required {
		violations = append(violations, apperr.Violation{Type: "REVIEW_REPRESENTATIVES", Subject: subject,
			Description: fmt.Sprintf("a village of %d residents needs at least %d registered representatives (villages under %d: %d, others: %d); %d are registered",
				population, required, r.PopulationCutoff, r.MinSmall, r.MinLarge, v.Registered)})
	}
	if !ratioAtLeast(int64(v.Present), int64(v.Registered), r.MinPresent) {
		violations = append(violations, apperr.Violation{Type: "REVIEW_ATTENDANCE", Subject: subject,
			Description: fmt.Sprintf("at least %d/%d of the %d registered representatives must be present; %d were",
				r.MinPresent.Num, r.MinPresent.Den, v.Registered, v.Present)})
	}
	if len(violations) > 0 {
		return required, false, violations
	}
	return required, ratioExceeds(int64(v.VotesFor), int64(v.Present), r.PassExceeds), nil
}

// ratioAtLeast reports n ≥ ratio × of, exactly.
func ratioAtLeast(n, of int64, ratio policy.Ratio) bool { return n*ratio.Den >= of*ratio.Num }

// ratioExceeds reports n > ratio × of, exactly.
func ratioExceeds(n, of int64, ratio policy.Ratio) bool { return n*ratio.Den > of*ratio.Num }

// ExitItem is one condition of household exit; numbers of fupin.identification.v1.ExitItem.
type ExitItem int32

// Exit items: income, 两不愁三保障, safe drinking water and the household's consent.
const (
	ExitItemUnspecified           ExitItem = iota
	ExitItemIncome                         // 人均纯收入稳定超过识别标准
	ExitItemFoodAndClothing                // 不愁吃、不愁穿
	ExitItemCompulsoryEducation            // 义务教育有保障
	ExitItemBasicMedicalInsurance          // 基本医疗有保障
	ExitItemSafeHousing                    // 住房安全有保障
	ExitItemSafeDrinkingWater              // 饮水安全有保障
	ExitItemHouseholdConsent               // 贫困户签字认可
)

// exitItemCodes name the items in violations ("EXIT_" + code) and explanations.
var exitItemCodes = map[ExitItem]string{
	ExitItemIncome: "INCOME", ExitItemFoodAndClothing: "FOOD_AND_CLOTHING", ExitItemCompulsoryEducation: "COMPULSORY_EDUCATION",
	ExitItemBasicMedicalInsurance: "BASIC_MEDICAL_INSURANCE", ExitItemSafeHousing: "SAFE_HOUSING",
	ExitItemSafeDrinkingWater: "SAFE_DRINKING_WATER", ExitItemHouseholdConsent: "HOUSEHOLD_CONSENT",
}

// Code is the item's name in violations and explanations.
func (i ExitItem) Code() string { return exitItemCodes[i] }

// ExitFacts are what the exit rule reads.
type ExitFacts struct {
	PerCapitaFen          int64
	FoodAndClothing       bool
	CompulsoryEducation   bool
	BasicMedicalInsurance bool
	SafeHousing           bool
	SafeDrinkingWater     bool
	ConsentSigned         bool
}

// UnmetExitItem is an exit condition not met, with why.
type UnmetExitItem struct {
	Item        ExitItem
	Description string
}

// EvaluateExit returns the exit conditions the facts do not meet, in checklist order: per-capita income
// at or above the identification line (the complement of the inclusion rule's "below": a household on
// the line is not poor), enough food and clothing, compulsory education, basic medical insurance, safe
// housing, safe drinking water, and the household's signed consent.
func EvaluateExit(f ExitFacts, line int64) []UnmetExitItem {
	var out []UnmetExitItem
	if f.PerCapitaFen < line {
		out = append(out, UnmetExitItem{ExitItemIncome, fmt.Sprintf("per-capita income %s is below the identification line %s", caseYuan(f.PerCapitaFen), caseYuan(line))})
	}
	checks := []struct {
		ok   bool
		item ExitItem
		desc string
	}{
		{f.FoodAndClothing, ExitItemFoodAndClothing, "food and clothing are not assured (不愁吃、不愁穿)"},
		{f.CompulsoryEducation, ExitItemCompulsoryEducation, "compulsory education is not assured (义务教育有保障)"},
		{f.BasicMedicalInsurance, ExitItemBasicMedicalInsurance, "basic medical insurance is not assured (基本医疗有保障)"},
		{f.SafeHousing, ExitItemSafeHousing, "housing is not safe (住房安全有保障)"},
		{f.SafeDrinkingWater, ExitItemSafeDrinkingWater, "drinking water is not safe (饮水安全有保障)"},
		{f.ConsentSigned, ExitItemHouseholdConsent, "the household has not signed its consent (贫困户签字认可)"},
	}
	for _, c := range checks {
		if !c.ok {
			out = append(out, UnmetExitItem{c.item, c.desc})
		}
	}
	return out
}

// TeamRule bounds the size of a survey team (入户核查组).
type TeamRule struct{ Min, Max int }

// Check returns the team with blanks removed, or a field violation when its size is outside the rule or a
// member is named twice.
func (r TeamRule) Check(team []string) ([]string, *apperr.FieldViolation) {
	var out []string
	seen := map[string]bool{}
	for _, m := range team {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if seen[m] {
			return nil, &apperr.FieldViolation{Field: "team", Reason: ReasonSurveyTeamSize, Description: fmt.Sprintf("%q is named twice", m)}
		}
		seen[m] = true
		out = append(out, m)
	}
	if len(out) < r.Min || len(out) > r.Max {
		return nil, &apperr.FieldViolation{Field: "team", Reason: ReasonSurveyTeamSize,
			Description: fmt.Sprintf("a survey team has %d to %d members; %d named", r.Min, r.Max, len(out))}
	}
	return out, nil
}

// PolicyUse is a policy value a rule used, kept with a decision or step: the value and its content hash.
type PolicyUse struct {
	Parameter string          `json:"parameter"`
	Region    string          `json:"region"`
	Effective string          `json:"effective"`
	Value     json.RawMessage `json:"value"`
	Hash      string          `json:"hash"`
}

func casePolicyUse(v policy.Value) PolicyUse {
	return PolicyUse{Parameter: v.Parameter, Region: v.Region, Effective: v.Effective, Value: v.Raw, Hash: v.Hash}
}
