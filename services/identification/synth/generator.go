// Package synth generates a synthetic county (households, members, incomes) for demo data, tests and
// benchmarks. Output is deterministic for a seed, produced one household at a time, and safe to show:
// every 身份证号 carries the region code 990001 of the non-existent province 99, so no generated number
// can belong to a real person.
//
// It is public (not under internal/) because more than the service needs it: `fupin seed` writes ledger
// files from it and `fupin bench` imports them. It depends on nothing of the service's internals.
package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"fupin.dev/services/platform/pii"
)

// IDRegion is the 6-digit region code of every 身份证号 the generator makes (county 990001 of the
// non-existent province 99), whatever villages it is given.
const IDRegion = "990001"

// DefaultLine is the per-capita yearly identification line (2,995 元, in fen) the generator shapes incomes
// around, the default policy value of DOMAIN.md. It shapes synthetic data only; rules read the line from
// policy.
const DefaultLine int64 = 299_500

// Registry statuses (the lower-case suffixes of fupin.identification.v1.RegistryStatus).
const (
	StatusOrdinary = "ordinary" // 一般户
	StatusPoor     = "poor"     // 贫困户
	StatusExited   = "exited"   // 已脱贫
	StatusReturned = "returned" // 返贫
)

// Monitoring types (the lower-case suffixes of fupin.identification.v1.MonitoringType).
const (
	MonitoringUnstable       = "unstable"        // 脱贫不稳定户
	MonitoringMarginal       = "marginal"        // 边缘易致贫户
	MonitoringSuddenHardship = "sudden_hardship" // 突发严重困难户
)

// Relations to the head (the lower-case suffixes of fupin.identification.v1.Relation).
const (
	RelationHead       = "head"
	RelationSpouse     = "spouse"
	RelationSon        = "son"
	RelationDaughter   = "daughter"
	RelationGrandchild = "grandchild"
	RelationParent     = "parent"
	RelationSibling    = "sibling"
	RelationChildInLaw = "child_in_law"
)

// Education levels (suffixes of fupin.identification.v1.Education).
const (
	EducationPreschool       = "preschool"
	EducationIlliterate      = "illiterate"
	EducationPrimary         = "primary"
	EducationJuniorSecondary = "junior_secondary"
	EducationSeniorSecondary = "senior_secondary"
	EducationJuniorCollege   = "junior_college"
	EducationBachelor        = "bachelor"
	EducationPostgraduate    = "postgraduate"
)

// Health conditions (suffixes of fupin.identification.v1.Health).
const (
	HealthHealthy        = "healthy"
	HealthChronicDisease = "chronic_disease"
	HealthSeriousIllness = "serious_illness"
	HealthDisabled       = "disabled"
)

// Labour abilities (suffixes of fupin.identification.v1.LabourAbility).
const (
	LabourOrdinary = "ordinary"
	LabourSkilled  = "skilled"
	LabourPartial  = "partial"
	LabourLost     = "lost"
	LabourNone     = "none"
)

// Causes of poverty (致贫原因), set on poor, exited and returned households.
const (
	CauseIllness      = "illness"
	CauseDisability   = "disability"
	CauseEducation    = "education"
	CauseLackOfLabour = "lack_of_labour"
	CauseLackOfSkills = "lack_of_skills"
	CauseLackOfLand   = "lack_of_land"
	CauseDisaster     = "disaster"
	CauseOther        = "other"
)

// MaxMembers is the largest household the generator makes.
const MaxMembers = 8

// Household is one generated household (户).
type Household struct {
	Number     string // 户编号: the village code and a sequence number of at least 4 digits; unique
	RegionCode string // 12-digit village or community code
	Address    string
	Status     string // StatusOrdinary (~88%), StatusPoor (~3%), StatusExited (~8%), StatusReturned (~1%)
	ExitYear   int    // year of exit (2014-2020) of exited and returned households; 0 otherwise
	Cause      string // 致贫原因 of poor, exited and returned households; empty for ordinary ones
	// Monitoring is the kind of 防返贫 monitoring object the household should become (its income lies in
	// the monitoring range), or empty.
	Monitoring string
	Members    []Member // the head first
	Income     Income   // the last 12 months
}

// Member is one member of a generated household. Sex and birth date are those of the 身份证号.
type Member struct {
	Name          string
	IDNumber      string // valid GB 11643 number with region IDRegion; unique within one Generator
	Relation      string // Relation… constants
	Education     string // Education… constants
	Health        string // Health… constants
	LabourAbility string // Labour… constants
	Ethnicity     string // GB/T 3304 code: "01" 汉 mostly, some "03" 回, "09" 布依, "15" 土家
}

// Income is a household's yearly income by component, in fen (分), as DOMAIN.md's 收入核算:
// net = Wages + Business + Property + Transfers − Costs.
type Income struct {
	Wages     int64 // 工资性收入
	Business  int64 // 家庭经营性收入 (gross)
	Property  int64 // 财产性收入
	Transfers int64 // 转移性收入
	Costs     int64 // 生产经营费用支出
}

// Net returns the household net income (家庭纯收入) in fen.
func (i Income) Net() int64 { return i.Wages + i.Business + i.Property + i.Transfers - i.Costs }

// PerCapitaNet returns the household's per-capita net income (人均纯收入) in fen, rounded down.
func (h Household) PerCapitaNet() int64 {
	if len(h.Members) == 0 {
		return 0
	}
	return h.Income.Net() / int64(len(h.Members))
}

// Generator makes households one at a time. It is not safe for concurrent use; run one generator per
// county (two generators hand out the same 身份证号 sequence numbers).
type Generator struct {
	// Line is the per-capita yearly identification line in fen that incomes are shaped around
	// (default DefaultLine). Set it before the first call to Next.
	Line int64

	rng      *rand.Rand
	villages []village
	vcum     []int // cumulative village weights (residents)

	todayY int
	hiDay  []int    // hiDay[a]: the latest birth day number of a person aged a today
	day0   int      // day number of 1900-01-01
	used   []uint16 // sequence numbers used per (birth day, sex)

	surnames table
	headAges table
	scratch  [MaxMembers]person
}

type village struct {
	code, name string
	urban      bool
	groups     int // 村民小组
	next       int // last household sequence number used
}

type person struct {
	rel     string
	male    bool
	age     int
	surname string
	eth     string
}

// maxAge is the oldest age the generator makes (a head's parent).
const maxAge = 100

var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}()

// New returns a generator of households in the given villages (regions of level "village"; other levels
// are ignored unless no village is given), weighted by their latest population. Ages and birth dates are
// relative to today, read in Asia/Shanghai. The same seed, villages and today give the same households.
// New panics when villages is empty.
func New(seed int64, villages []Region, today time.Time) *Generator {
	vs := Villages(villages)
	if len(vs) == 0 {
		vs = villages
	}
	if len(vs) == 0 {
		panic("synth: New needs at least one village")
	}
	y, m, d := today.In(shanghai).Date()
	g := &Generator{
		Line:     DefaultLine,
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x66757069_6e2e6465)),
		todayY:   y,
		day0:     daysFromCivil(1900, 1, 1),
		surnames: newTable(surnames),
		headAges: headAgeTable(),
	}
	sum := 0
	for _, r := range vs {
		res := int(r.Residents(y))
		sum += max(res, 1)
		g.vcum = append(g.vcum, sum)
		g.villages = append(g.villages, village{
			code: r.Code, name: r.Name, urban: r.Urban, groups: min(max(res/150, 3), 15),
		})
	}
	g.hiDay = make([]int, maxAge+2)
	for a := range g.hiDay {
		by := y - a
		g.hiDay[a] = daysFromCivil(by, int(m), min(d, daysInMonth(by, int(m))))
	}
	g.used = make([]uint16, 2*(g.hiDay[0]-g.day0+1))
	return g
}

// Heads are aged minHeadAge to maxHeadAge.
const minHeadAge, maxHeadAge = 25, 85

// headAgeTable weighs heads' ages (index 0 is minHeadAge): most heads are 45-65.
func headAgeTable() table {
	bands := []int{4, 6, 7, 8, 10, 12, 12, 11, 10, 8, 6, 4} // 25-29, 30-34, …, 80-85
	var ws []weighted
	for age := minHeadAge; age <= maxHeadAge; age++ {
		ws = append(ws, weighted{"", bands[min((age-minHeadAge)/5, len(bands)-1)]})
	}
	return newTable(ws)
}

func (g *Generator) headAge() int {
	return minHeadAge + g.headAges.index(g.rng.IntN(g.headAges.total()))
}

// either returns a when cond holds, else b.
func either(cond bool, a, b float64) float64 {
	if cond {
		return a
	}
	return b
}

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *Generator) intIn(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

func (g *Generator) oneOf(vs ...int) int { return vs[g.rng.IntN(len(vs))] }

// Next returns the next household.
func (g *Generator) Next() Household {
	vi := table{cum: g.vcum}.index(g.rng.IntN(g.vcum[len(g.vcum)-1]))
	v := &g.villages[vi]
	v.next++
	h := Household{Number: householdNumber(v.code, v.next), RegionCode: v.code, Address: g.address(v)}

	h.Status, h.Monitoring = g.status(v.urban)
	if h.Status == StatusExited || h.Status == StatusReturned {
		h.ExitYear = g.exitYear()
	}
	// How much more often members are ill or disabled than in an ordinary household.
	frailty := 1.0
	switch {
	case h.Status == StatusPoor || h.Status == StatusReturned:
		frailty = 2.5
	case h.Monitoring != "":
		frailty = 2.0
	case h.Status == StatusExited:
		frailty = 1.5
	}
	ps := g.compose(frailty > 1.4)

	h.Members = make([]Member, len(ps))
	for i := range ps {
		p := &ps[i]
		birthYear := g.todayY - p.age
		m := &h.Members[i]
		m.Name = g.name(p.surname, p.male, birthYear)
		m.IDNumber = g.idNumber(p.age, p.male)
		m.Relation = p.rel
		m.Ethnicity = p.eth
		m.Education = g.education(p.age, birthYear, frailty > 1.4)
		m.Health = g.health(p.age, frailty)
		m.LabourAbility = g.labour(p.age, m.Education, m.Health)
	}
	if h.Monitoring == MonitoringSuddenHardship && g.chance(0.6) {
		// Sudden hardship is mostly a serious illness.
		m := &h.Members[g.rng.IntN(len(h.Members))]
		m.Health = HealthSeriousIllness
		m.LabourAbility = worseLabour(m.LabourAbility, LabourPartial)
	}
	var f facts
	for i := range h.Members {
		f.add(ps[i].age, &h.Members[i])
	}
	if h.Status != StatusOrdinary {
		h.Cause = g.cause(f)
	}
	h.Income = g.income(h, f, v.urban)
	return h
}

// status picks the registry status and monitoring type. Urban communities were never part of the
// poverty registry (建档立卡 was rural), so their households are ordinary.
func (g *Generator) status(urban bool) (status, monitoring string) {
	r := g.rng.Float64()
	switch {
	case urban:
		status = StatusOrdinary
	case r < 0.88:
		status = StatusOrdinary
	case r < 0.91:
		status = StatusPoor
	case r < 0.99:
		status = StatusExited
	default:
		status = StatusReturned
	}
	r = g.rng.Float64()
	switch {
	case status == StatusExited && r < 0.10:
		monitoring = MonitoringUnstable
	case status == StatusOrdinary && !urban && r < 0.015:
		monitoring = MonitoringMarginal
	case (status == StatusOrdinary || status == StatusExited) && r > 0.997:
		monitoring = MonitoringSuddenHardship
	}
	return status, monitoring
}

// exitYears weighs the exit years 2014-2020 (most households exited in 2018-2019).
var exitYears = newTable([]weighted{{"2014", 3}, {"2015", 6}, {"2016", 12}, {"2017", 15}, {"2018", 22}, {"2019", 25}, {"2020", 17}})

func (g *Generator) exitYear() int { return 2014 + exitYears.index(g.rng.IntN(exitYears.total())) }

// compose draws the household's people: head, spouse, children (some married, with their spouse and
// children), parents, a sibling. Ages are consistent: spouses of similar age, children born to a mother
// aged 20-40, grandchildren to their parents likewise. vulnerable households have older heads and fewer
// spouses.
func (g *Generator) compose(vulnerable bool) []person {
	ps := g.scratch[:0]
	headAge := g.headAge()
	if vulnerable && g.chance(0.5) {
		headAge = max(headAge, g.headAge())
	}
	eth := g.ethnicity()
	head := person{rel: RelationHead, age: headAge, surname: g.surname(), eth: eth}
	head.male = g.chance(0.82)
	if headAge >= 70 {
		head.male = g.chance(0.65)
	}
	ps = append(ps, head)

	pMarried := 0.88
	switch {
	case headAge < 30:
		pMarried = 0.65
	case headAge >= 80:
		pMarried = 0.45
	case headAge >= 70:
		pMarried = 0.65
	case headAge >= 60:
		pMarried = 0.80
	}
	if vulnerable {
		pMarried *= 0.8
	}
	family := head.surname // the surname the children take
	motherAge := headAge
	married := g.chance(pMarried)
	if married {
		d := g.intIn(-1, 5) // husbands are usually a little older
		sp := person{rel: RelationSpouse, male: !head.male, surname: g.surname(), eth: g.partnerEthnicity(eth)}
		if head.male {
			sp.age = max(headAge-d, 20)
			motherAge = sp.age
		} else {
			sp.age = max(headAge+d, 22)
			if g.chance(0.9) {
				family = sp.surname
			}
		}
		sp.age = min(sp.age, maxAge-5)
		ps = append(ps, sp)
	} else if head.male {
		motherAge = headAge - 2
	}

	if married || g.chance(either(headAge >= 35, 0.6, 0.15)) {
		ps = g.children(ps, motherAge, family, eth)
	}

	if headAge <= 62 && len(ps) < MaxMembers && g.chance(either(vulnerable, 0.25, 0.18)) {
		fatherAge := headAge + g.intIn(23, 33)
		motherAge := fatherAge - g.intIn(0, 4)
		father, mother := true, true // 35% both; of the widowed, mothers more often (they live longer)
		if r := g.rng.Float64(); r >= 0.35 {
			father, mother = r < 0.61, r >= 0.61
		}
		if father && fatherAge <= maxAge {
			ps = append(ps, person{rel: RelationParent, male: true, age: fatherAge, surname: head.surname, eth: eth})
		}
		if mother && motherAge <= maxAge && len(ps) < MaxMembers {
			ps = append(ps, person{rel: RelationParent, male: false, age: motherAge, surname: g.surname(), eth: eth})
		}
	}
	if len(ps) < MaxMembers && g.chance(either(vulnerable, 0.05, 0.025)) {
		ps = append(ps, person{rel: RelationSibling, male: g.chance(0.7), age: max(headAge+g.intIn(-8, 8), 16), surname: head.surname, eth: eth})
	}
	return ps
}

// children appends the children born to a mother of motherAge who still live in the household, and for
// the first married one, their spouse and children.
func (g *Generator) children(ps []person, motherAge int, family, eth string) []person {
	n := g.childrenBorn(g.todayY - motherAge)
	birthAge := g.intIn(20, 27)
	stem := false
	for i := 0; i < n && len(ps) < MaxMembers; i++ {
		age := motherAge - birthAge
		birthAge += g.intIn(2, 4)
		if age < 0 {
			break
		}
		male := g.chance(0.52)
		if !g.chance(stayProbability(age, male)) {
			continue // moved out: married off, own household
		}
		c := person{rel: RelationDaughter, male: male, age: age, surname: family, eth: eth}
		if male {
			c.rel = RelationSon
		}
		ps = append(ps, c)
		if stem || age < 23 || len(ps) >= MaxMembers || !g.chance(marriedProbability(age, male)) {
			continue
		}
		// A married child living with the parents (a stem family): their spouse and children.
		stem = true
		inLaw := person{rel: RelationChildInLaw, male: !male, surname: g.surname(), eth: g.partnerEthnicity(eth)}
		gMother := age
		if male {
			inLaw.age = max(age-g.intIn(-1, 5), 20)
			gMother = inLaw.age
		} else {
			inLaw.age = max(age+g.intIn(-1, 5), 22)
		}
		ps = append(ps, inLaw)
		gn := min(g.childrenBorn(g.todayY-gMother), 3)
		gBirth := g.intIn(21, 28)
		for j := 0; j < gn && len(ps) < MaxMembers; j++ {
			gAge := gMother - gBirth
			gBirth += g.intIn(2, 4)
			if gAge < 0 {
				break
			}
			ps = append(ps, person{rel: RelationGrandchild, male: g.chance(0.52), age: gAge, surname: family, eth: eth})
		}
	}
	return ps
}

// childrenBorn is how many children a mother born in that year had (rural cohorts).
func (g *Generator) childrenBorn(motherBirthYear int) int {
	switch {
	case motherBirthYear < 1955:
		return g.intIn(2, 5)
	case motherBirthYear < 1970:
		return g.oneOf(1, 2, 2, 3, 3, 4)
	case motherBirthYear < 1985:
		return g.oneOf(1, 2, 2, 2, 3)
	case motherBirthYear < 2000:
		return g.oneOf(0, 1, 1, 2, 2, 2, 3)
	}
	return g.oneOf(0, 1, 1, 2)
}

// stayProbability is the chance that a child of that age is still registered in the parents' household.
func stayProbability(age int, male bool) float64 {
	switch {
	case age < 18:
		return 1
	case age <= 22:
		return 0.85
	case age < 30:
		return either(male, 0.7, 0.3)
	case age < 45:
		return either(male, 0.5, 0.08)
	}
	return either(male, 0.15, 0.03)
}

// marriedProbability is the chance that a grown child living with the parents is married there (sons
// bring a wife; a daughter's husband marrying in, 上门女婿, is rarer).
func marriedProbability(age int, male bool) float64 {
	p := 0.8
	switch {
	case age < 28:
		p = 0.4
	case age < 35:
		p = 0.75
	}
	if !male {
		p *= 0.5
	}
	return p
}

func (g *Generator) ethnicity() string {
	switch r := g.rng.IntN(100); {
	case r < 90:
		return "01"
	case r < 93:
		return "03"
	case r < 96:
		return "09"
	default:
		return "15"
	}
}

func (g *Generator) partnerEthnicity(eth string) string {
	if g.chance(0.85) {
		return eth
	}
	return g.ethnicity()
}

func (g *Generator) surname() string { return g.surnames.pick(g.rng.IntN(g.surnames.total())) }

func (g *Generator) name(surname string, male bool, birthYear int) string {
	var pool []string
	switch {
	case male && birthYear < 1975:
		pool = maleOld
	case male:
		pool = maleYoung
	case birthYear < 1975:
		pool = femaleOld
	default:
		pool = femaleYoung
	}
	first := pool[g.rng.IntN(len(pool))]
	if g.chance(0.15) {
		return surname + first
	}
	return surname + first + pool[g.rng.IntN(len(pool))]
}

// education is the highest level completed (or being attended, for pupils and students) for the age and
// birth cohort; vulnerable households are a step lower more often.
func (g *Generator) education(age, birthYear int, vulnerable bool) string {
	switch {
	case age < 6:
		return EducationPreschool
	case age < 12:
		return EducationPrimary
	case age < 15:
		return EducationJuniorSecondary
	case age < 18:
		if g.chance(either(vulnerable, 0.5, 0.7)) {
			return EducationSeniorSecondary
		}
		return EducationJuniorSecondary
	}
	var levels []weighted
	switch {
	case age <= 22:
		levels = eduStudents
	case birthYear < 1950:
		levels = eduBefore1950
	case birthYear < 1965:
		levels = edu1950
	case birthYear < 1980:
		levels = edu1965
	case birthYear < 1995:
		levels = edu1980
	default:
		levels = edu1995
	}
	i := pickIndex(levels, g.rng.IntN(100))
	if vulnerable && i > 0 && g.chance(0.3) {
		i--
	}
	return levels[i].v
}

// Education distributions by cohort, in percent, lowest level first.
var (
	eduStudents   = []weighted{{EducationJuniorSecondary, 20}, {EducationSeniorSecondary, 45}, {EducationJuniorCollege, 20}, {EducationBachelor, 15}}
	eduBefore1950 = []weighted{{EducationIlliterate, 45}, {EducationPrimary, 40}, {EducationJuniorSecondary, 12}, {EducationSeniorSecondary, 3}}
	edu1950       = []weighted{{EducationIlliterate, 20}, {EducationPrimary, 45}, {EducationJuniorSecondary, 28}, {EducationSeniorSecondary, 7}}
	edu1965       = []weighted{{EducationIlliterate, 5}, {EducationPrimary, 30}, {EducationJuniorSecondary, 50}, {EducationSeniorSecondary, 12}, {EducationJuniorCollege, 3}}
	edu1980       = []weighted{{EducationIlliterate, 1}, {EducationPrimary, 12}, {EducationJuniorSecondary, 50}, {EducationSeniorSecondary, 22}, {EducationJuniorCollege, 10}, {EducationBachelor, 5}}
	edu1995       = []weighted{{EducationPrimary, 3}, {EducationJuniorSecondary, 35}, {EducationSeniorSecondary, 32}, {EducationJuniorCollege, 17}, {EducationBachelor, 12}, {EducationPostgraduate, 1}}
)

func pickIndex(ws []weighted, r int) int {
	for i, w := range ws {
		if r < w.w {
			return i
		}
		r -= w.w
	}
	return len(ws) - 1
}

// health draws a condition by age; frailty multiplies the chances of anything but healthy.
func (g *Generator) health(age int, frailty float64) string {
	var disabled, serious, chronic float64
	switch {
	case age < 18:
		disabled, serious, chronic = 0.008, 0.003, 0.01
	case age < 60:
		disabled, serious, chronic = 0.03, 0.01, 0.05
	case age < 75:
		disabled, serious, chronic = 0.05, 0.03, 0.18
	default:
		disabled, serious, chronic = 0.08, 0.04, 0.28
	}
	scale := frailty
	if total := (disabled + serious + chronic) * frailty; total > 0.85 {
		scale = 0.85 / (disabled + serious + chronic)
	}
	r := g.rng.Float64() / scale
	switch {
	case r < disabled:
		return HealthDisabled
	case r < disabled+serious:
		return HealthSeriousIllness
	case r < disabled+serious+chronic:
		return HealthChronicDisease
	}
	return HealthHealthy
}

// labour draws the ability to work from age, education and health: children and pupils have none, most
// adults are ordinary (skilled more often with more schooling), the old and the ill partial or lost.
func (g *Generator) labour(age int, edu, health string) string {
	var l string
	r := g.rng.Float64()
	switch {
	case age < 16:
		return LabourNone
	case age < 18:
		l = LabourOrdinary
		if r < 0.6 {
			l = LabourNone // at school
		}
	case age <= 22 && (edu == EducationJuniorCollege || edu == EducationBachelor):
		l = LabourOrdinary
		if r < 0.8 {
			l = LabourNone // at college
		}
	case age < 60:
		skilled := 0.05
		switch edu {
		case EducationJuniorSecondary:
			skilled = 0.15
		case EducationSeniorSecondary, EducationJuniorCollege, EducationBachelor, EducationPostgraduate:
			skilled = 0.3
		}
		l = LabourOrdinary
		if r < skilled {
			l = LabourSkilled
		}
	case age < 70:
		l = LabourOrdinary
		if r >= 0.85 {
			l = LabourLost
		} else if r >= 0.45 {
			l = LabourPartial
		}
	default:
		l = LabourLost
		if r < 0.05 {
			l = LabourOrdinary
		} else if r < 0.5 {
			l = LabourPartial
		}
	}
	r = g.rng.Float64()
	switch health {
	case HealthDisabled:
		if r < 0.45 {
			return worseLabour(l, LabourLost)
		} else if r < 0.85 {
			return worseLabour(l, LabourPartial)
		}
	case HealthSeriousIllness:
		if r < 0.4 {
			return worseLabour(l, LabourLost)
		} else if r < 0.85 {
			return worseLabour(l, LabourPartial)
		}
	case HealthChronicDisease:
		if r < 0.45 {
			return worseLabour(l, LabourPartial)
		}
	}
	return l
}

// worseLabour returns the worse of two abilities; none (a child or student) stays none.
func worseLabour(l, to string) string {
	rank := func(s string) int {
		switch s {
		case LabourPartial:
			return 1
		case LabourLost:
			return 2
		}
		return 0
	}
	if l == LabourNone || rank(l) >= rank(to) {
		return l
	}
	return to
}

// facts are what cause and income depend on.
type facts struct {
	ill, disabled, student bool
	workers, weak, elderly int
}

func (f *facts) add(age int, m *Member) {
	switch m.Health {
	case HealthSeriousIllness, HealthChronicDisease:
		f.ill = true
	case HealthDisabled:
		f.disabled = true
	}
	switch m.LabourAbility {
	case LabourOrdinary, LabourSkilled:
		f.workers++
	case LabourPartial:
		f.weak++
	}
	if age >= 15 && age <= 22 && m.LabourAbility == LabourNone {
		f.student = true
	}
	if age >= 60 {
		f.elderly++
	}
}

// cause picks the main cause of poverty, favouring what the members' situation shows.
func (g *Generator) cause(f facts) string {
	ws := [...]weighted{
		{CauseIllness, 0}, {CauseDisability, 0}, {CauseEducation, 0}, {CauseLackOfLabour, 0},
		{CauseLackOfSkills, 12}, {CauseLackOfLand, 5}, {CauseDisaster, 3}, {CauseOther, 3},
	}
	if f.ill {
		ws[0].w = 60
	}
	if f.disabled {
		ws[1].w = 30
	}
	if f.student {
		ws[2].w = 15
	}
	switch {
	case f.workers == 0:
		ws[3].w = 30
	case f.workers == 1:
		ws[3].w = 8
	}
	total := 0
	for _, w := range ws {
		total += w.w
	}
	return ws[pickIndex(ws[:], g.rng.IntN(total))].v
}

// income draws a yearly per-capita net income consistent with the status and splits the household total
// into components. Amounts are whole 元 (so whole hundreds of fen).
func (g *Generator) income(h Household, f facts, urban bool) Income {
	line := max(g.Line/100, 100) // in 元
	size := int64(len(h.Members))
	var perCapita int64
	switch {
	case h.Status == StatusPoor || h.Status == StatusReturned:
		if g.chance(0.85) {
			perCapita = line*2/5 + g.rng.Int64N(line*3/5) // under the line
		} else {
			perCapita = line + g.rng.Int64N(line/3) // included under the extended rules (< 4,000)
		}
	case h.Monitoring == MonitoringUnstable || h.Monitoring == MonitoringMarginal:
		perCapita = line + g.rng.Int64N(line/2) // inside the monitoring range [1, 1.5) × line
	case h.Monitoring == MonitoringSuddenHardship:
		perCapita = line*4/5 + g.rng.Int64N(line*3/5)
	case h.Status == StatusExited:
		perCapita = int64(float64(line) * 1.6 * math.Exp(g.rng.Float64()*math.Log(5.0/1.6))) // 1.6-5 × line
	default:
		median := 14_000.0
		if urban {
			median = 28_000
		}
		perCapita = int64(median * math.Exp(0.5*g.rng.NormFloat64()))
		perCapita = max(perCapita, 2*line)
	}
	net := perCapita * size

	var transfers int64
	for i := 0; i < f.elderly; i++ {
		transfers += 1_400 + g.rng.Int64N(1_200) // basic pension
	}
	if h.Status != StatusOrdinary || h.Monitoring != "" {
		transfers += 300 + g.rng.Int64N(2_200) // subsidies
	}
	transfers = min(transfers, net*9/10)
	var property int64
	if h.Status == StatusOrdinary {
		property = net * g.rng.Int64N(5) / 100
	} else if g.chance(0.5) {
		property = 100 + g.rng.Int64N(600) // asset-income dividends
	}
	property = min(property, (net-transfers)/2)
	rest := net - transfers - property

	wageShare := int64(0)
	switch {
	case f.workers+f.weak == 0:
	case urban:
		wageShare = 80 + g.rng.Int64N(21)
	default:
		wageShare = 45 + g.rng.Int64N(46)
	}
	wages := rest * wageShare / 100
	businessNet := rest - wages
	costShare := 25 + g.rng.Int64N(31)
	business := businessNet * 100 / (100 - costShare)
	costs := business - businessNet
	return Income{Wages: wages * 100, Business: business * 100, Property: property * 100, Transfers: transfers * 100, Costs: costs * 100}
}

// idNumber makes a unique, valid 身份证号 for a person of that age and sex: a birth day drawn in the
// range that gives the age today, and the next unused sequence number of that day and sex (odd for
// men, even for women), starting at an offset derived from the day. When a day's 500 sequence numbers
// of a sex are used up, a nearby day of the same age is taken, and only when all of them are full (more than
// 180,000 people of one age and sex) a day of another age.
func (g *Generator) idNumber(age int, male bool) string {
	age = min(max(age, 0), maxAge)
	lo, hi := g.hiDay[age+1]+1, g.hiDay[age]
	day := lo + g.rng.IntN(hi-lo+1)
	sex := 0
	slots := 499 // women: 002, 004, …, 998
	if male {
		sex, slots = 1, 500 // men: 001, 003, …, 999
	}
	span := 2 * (g.hiDay[0] - g.day0 + 1)
	for probe := 0; ; probe++ {
		d := day + (probe+1)/2*(1-2*(probe%2)) // day, day-1, day+1, day-2, …
		if d < g.day0 || d > g.hiDay[0] {
			if probe > span {
				panic("synth: every 身份证号 sequence number is used")
			}
			continue
		}
		if (d < lo || d > hi) && probe <= 2*(hi-lo+1) {
			continue // try the other days of the same age first
		}
		i := 2*(d-g.day0) + sex
		if n := int(g.used[i]); n < slots {
			g.used[i]++
			k := (int(uint32(d)*2654435761>>7)%slots + n) % slots
			seq := 2*k + 1
			if !male {
				seq = 2*k + 2
			}
			return formatID(d, seq)
		}
	}
}

// formatID writes IDRegion, the birth day and the sequence number and appends the check character.
func formatID(day, seq int) string {
	y, m, d := civilFromDays(day)
	var b [18]byte
	copy(b[:], IDRegion)
	b[6], b[7], b[8], b[9] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[10], b[11] = byte('0'+m/10), byte('0'+m%10)
	b[12], b[13] = byte('0'+d/10), byte('0'+d%10)
	b[14], b[15], b[16] = byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10)
	b[17] = pii.IDCheckChar(string(b[:17]))
	return string(b[:])
}

func householdNumber(code string, seq int) string {
	var b [32]byte
	out := append(b[:0], code...)
	for p := 1000; p > 1 && seq < p; p /= 10 {
		out = append(out, '0')
	}
	out = strconv.AppendInt(out, int64(seq), 10)
	return string(out)
}

func (g *Generator) address(v *village) string {
	var b [96]byte
	out := append(b[:0], v.name...)
	if v.urban {
		out = append(out, streets[g.rng.IntN(len(streets))]...)
		out = strconv.AppendInt(out, int64(g.intIn(1, 200)), 10)
	} else {
		out = strconv.AppendInt(out, int64(g.intIn(1, v.groups)), 10)
		out = append(out, "组"...)
		out = strconv.AppendInt(out, int64(g.intIn(1, 80)), 10)
	}
	out = append(out, "号"...)
	return string(out)
}
