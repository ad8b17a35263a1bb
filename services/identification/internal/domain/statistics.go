package domain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
)

// Policy parameters of village exit (贫困村出列).
const (
	ParamVillageExitMaxIncidence = "identification.village_exit.max_incidence"
	ParamVillageExitMinIncome    = "identification.village_exit.min_collective_income_fen_per_year"
)

// Statistics as of a date (统计). The answer for a date D is computed from dated records only, so it is
// the same whenever it is asked:
//
//   - A household exists on D from the effective date of its first status entry. Its registry status and
//     monitoring state on D are those of its latest status entry with effective date ≤ D (for two entries
//     on the same date, the one recorded later).
//   - An archived household counts up to the day before the business day it was archived on (the register
//     keeps no archive date, so the record's last update time, which archiving sets and nothing changes
//     afterwards, stands for it).
//   - A person counts on D in a household whose membership has start_date ≤ D and no end_date or
//     end_date > D: the day of death or moving out is the first day the person no longer counts.
//   - A household is counted in the village it is registered in now: the register keeps no dated history
//     of whole-household moves (MoveHousehold).
//   - Poor population (贫困人口): persons in households of rural villages whose registry status on D is
//     POOR (贫困户) or RETURNED (返贫). Urban communities are outside the poverty registry; their households
//     still appear in the counts by registry status.
//   - 贫困发生率 = poor population ÷ rural registered population, where the rural registered population is
//     the master data's 户籍人口 of the rural villages valid on D, for D's year (or the latest earlier year
//     the master data has). The register's own count of persons in rural villages is reported too, with
//     the incidence it gives. Rates are exact fractions; basis points are for display only.
//   - Exits (脱贫) by year: each change of a household's registry status to EXITED with effective date ≤ D.
//     The exit that put a household in its current EXITED status counts in its recorded exit year
//     (脱贫年度, which for an exit decided in January may be the year before, and for a household registered
//     as already exited is its ledger's year); earlier exits of households that returned and exited again
//     count in the year of their effective date (the register keeps one exit year per household). Persons
//     are those current on the day of the exit.
//   - Monitoring objects (监测对象) by type: households (and their persons) whose state on D has that
//     monitoring type, split into open (监测中) and risk removed (风险消除).
//   - Village exit is assessed for rural villages with the policy in force for the village on D.

// AsOf is a business date and the first microsecond after it (midnight at the start of the next day in
// Asia/Shanghai), for comparing record times with it.
type AsOf struct {
	Date      string
	EndMicros int64
}

func asOf(date string) AsOf {
	d, _ := bizdate.Parse(date)
	return AsOf{Date: date, EndMicros: d.AddDate(0, 0, 1).UnixMicro()}
}

// StatusCount is one row of the as-of aggregate: households of one village in one state on the date, and
// their current persons.
type StatusCount struct {
	RegionCode       string
	Registry         RegistryStatus
	MonitoringType   MonitoringType
	MonitoringStatus MonitoringStatus
	Households       int64
	Persons          int64
}

// ExitCount is the number of exits (脱贫) of one village in one year.
type ExitCount struct {
	RegionCode string
	Year       int
	Households int64
	Persons    int64
}

// CollectiveIncome is a village's collective economic income (村集体经济收入) for a year, in fen. Each
// recording is a revision; the latest counts.
type CollectiveIncome struct {
	RegionCode string
	Year       int
	AmountFen  int64
	Note       string
	Revision   int
	Actor      string
	RecordTime time.Time
}

// StatisticsStore is what statistics need from storage. The aggregates run in the database, grouped by
// village; the domain rolls them up.
type StatisticsStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Region(ctx context.Context, code string) (*Region, error)
	RegionsUnder(ctx context.Context, prefix string) ([]*Region, error)
	// AsOfCounts groups the households under prefix by village and state on the date (households and
	// their persons), and the exits with effective date on or before the date by village and year.
	AsOfCounts(ctx context.Context, prefix string, at AsOf) ([]StatusCount, []ExitCount, error)
	// CollectiveIncomes returns the latest revision for each village under prefix, of one year (0: all
	// years), in village and year order, after (region, year) when given.
	CollectiveIncomes(ctx context.Context, prefix string, year int, afterRegion string, afterYear, limit int) ([]*CollectiveIncome, error)
	// AddCollectiveIncome stores a new revision (filled in) of a village's income for a year.
	AddCollectiveIncome(ctx context.Context, ci *CollectiveIncome) error
}

// Statistics is the statistics, village exit and collective income use cases.
type Statistics struct {
	store  StatisticsStore
	policy PolicyLookup
	now    func() time.Time
}

// NewStatistics wires the statistics use cases.
func NewStatistics(store StatisticsStore, pol PolicyLookup, now func() time.Time) *Statistics {
	return &Statistics{store: store, policy: pol, now: now}
}

// Incidence is a poverty incidence (贫困发生率) as an exact fraction: Poor persons of Population.
type Incidence struct {
	Poor       int64
	Population int64
}

// Defined reports whether the population is known (not zero).
func (r Incidence) Defined() bool { return r.Population > 0 }

// BasisPoints is the incidence in 1/10,000, rounded half up: for display, never for decisions.
func (r Incidence) BasisPoints() int64 {
	if r.Population <= 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(r.Poor), big.NewInt(20000))
	n.Add(n, big.NewInt(r.Population))
	n.Quo(n, big.NewInt(2*r.Population))
	return n.Int64()
}

// Below reports whether the incidence is strictly below num/den, exactly: Poor·den < num·Population.
func (r Incidence) Below(max policy.Ratio) bool {
	l := new(big.Int).Mul(big.NewInt(r.Poor), big.NewInt(max.Den))
	rt := new(big.Int).Mul(big.NewInt(max.Num), big.NewInt(r.Population))
	return l.Cmp(rt) < 0
}

// String shows the incidence as a percentage with two decimals and the fraction, e.g. "2.00% (4/200)".
func (r Incidence) String() string {
	if !r.Defined() {
		return fmt.Sprintf("undefined (%d poor, population unknown)", r.Poor)
	}
	bp := r.BasisPoints()
	return fmt.Sprintf("%d.%02d%% (%d/%d)", bp/100, bp%100, r.Poor, r.Population)
}

func ratioString(q policy.Ratio) string {
	return fmt.Sprintf("%d/%d", q.Num, q.Den)
}

// MonitoringCount counts monitoring objects of one type on the date.
type MonitoringCount struct {
	Type                  MonitoringType
	OpenHouseholds        int64
	OpenPersons           int64
	RiskRemovedHouseholds int64
	RiskRemovedPersons    int64
}

// RegistryCount counts households and persons in one registry status on the date (all villages).
type RegistryCount struct {
	Status     RegistryStatus
	Households int64
	Persons    int64
}

// RegionStatistics are the statistics of one region (county, township or village) on a date.
type RegionStatistics struct {
	Region *Region
	// PopulationYear is the master-data year the rural population comes from (for a township or the
	// county: the oldest year any of its villages used); 0 when there is none.
	PopulationYear int
	// RuralPopulation is the master data's registered population of the rural villages (户籍人口).
	RuralPopulation int64
	// Register counts on the date: all villages, and rural villages only.
	Households      int64
	Persons         int64
	RuralHouseholds int64
	RuralPersons    int64
	// Poor households and persons (POOR or RETURNED) in rural villages.
	PoorHouseholds int64
	PoorPersons    int64
	// Incidence is PoorPersons ÷ RuralPopulation (master data): the official 贫困发生率.
	Incidence Incidence
	// RegisterIncidence is PoorPersons ÷ RuralPersons (the register's own count).
	RegisterIncidence Incidence
	Registry          []RegistryCount   // by status, in enum order
	Monitoring        []MonitoringCount // by type, in enum order
	Exits             []ExitCount       // by year
	// VillageExit is the village exit assessment (rural villages only, when policy is in force).
	VillageExit *VillageExitAssessment
}

// StatisticsReport is the answer to a statistics request: the region first, then every township and
// village under it in code order.
type StatisticsReport struct {
	RegionCode string
	Date       string
	// IncomeYear is the year of collective income village exit is assessed with.
	IncomeYear int
	Regions    []*RegionStatistics
	// VillageExitNote says why village exit was not assessed, when it was not.
	VillageExitNote string
	exitErr         error
}

// ExitCondition names a village exit condition.
type ExitCondition int32

// Village exit conditions; the numbers are those of fupin.identification.v1.VillageExitCondition.
const (
	ExitConditionUnspecified      ExitCondition = iota
	ExitConditionIncidenceBelow                 // 贫困发生率 below the maximum
	ExitConditionCollectiveIncome               // 村集体经济收入 at least the minimum
)

// ConditionResult is the outcome of one exit condition, explained.
type ConditionResult struct {
	Condition   ExitCondition
	Passed      bool
	Description string
}

// VillageExitAssessment says whether a village meets the exit conditions (贫困村出列) on a date, which
// condition failed with which values, and the policy values (with hashes) used.
type VillageExitAssessment struct {
	RegionCode   string
	Date         string
	Year         int
	Eligible     bool
	Incidence    Incidence
	MaxIncidence policy.Ratio
	// IncomeRecorded is false when no collective income is recorded for Year.
	IncomeRecorded bool
	IncomeFen      int64
	MinIncomeFen   int64
	Conditions     []ConditionResult
	Policies       []policy.Value
}

// regionPrefix is the code prefix of everything inside a region: 6 digits for the county, 9 for a
// township, the whole code for a village.
func regionPrefix(r *Region) string {
	switch r.Level {
	case LevelCounty:
		return r.Code[:min(6, len(r.Code))]
	case LevelTownship:
		return r.Code[:min(9, len(r.Code))]
	}
	return r.Code
}

// statsDate checks an as-of date: default today, never in the future.
func (s *Statistics) statsDate(date string) (string, error) {
	today := bizdate.Today(s.now())
	if date == "" {
		return today, nil
	}
	if _, err := bizdate.Parse(date); err != nil || date > today {
		return "", apperr.Invalid(ReasonDateInvalid, "as_of_date", "must be a date (YYYY-MM-DD) not in the future")
	}
	return date, nil
}

func (s *Statistics) checkYear(year int, field string) error {
	today, _ := bizdate.Parse(bizdate.Today(s.now()))
	if year < 1949 || year > today.Year() {
		return apperr.Invalid(ReasonYearInvalid, field, fmt.Sprintf("must be a year from 1949 to %d", today.Year()))
	}
	return nil
}

// region returns a region in the caller's scope.
func (s *Statistics) region(ctx context.Context, c Caller, code, field string) (*Region, error) {
	r, err := s.store.Region(ctx, code)
	if errors.Is(err, ErrRegionNotFound) {
		return nil, apperr.Invalid(ReasonRegionUnknown, field, "not a region of the county: "+code)
	}
	if err != nil {
		return nil, err
	}
	if err := c.check(r.Code); err != nil {
		return nil, err
	}
	return r, nil
}

// Compute returns the statistics of a region (county, township or village) in the caller's scope as of
// date (default today), with every township and village under it. incomeYear is the collective income
// year village exit is assessed with (0: the year of date).
func (s *Statistics) Compute(ctx context.Context, c Caller, regionCode, date string, incomeYear int) (*StatisticsReport, error) {
	date, err := s.statsDate(date)
	if err != nil {
		return nil, err
	}
	day, _ := bizdate.Parse(date)
	if incomeYear == 0 {
		incomeYear = day.Year()
	} else if err := s.checkYear(incomeYear, "collective_income_year"); err != nil {
		return nil, err
	}
	root, err := s.region(ctx, c, regionCode, "name")
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, root, date, incomeYear)
}

func (s *Statistics) compute(ctx context.Context, root *Region, date string, incomeYear int) (*StatisticsReport, error) {
	prefix := regionPrefix(root)
	at := asOf(date)
	regions, err := s.store.RegionsUnder(ctx, prefix)
	if err != nil {
		return nil, err
	}
	counts, exits, err := s.store.AsOfCounts(ctx, prefix, at)
	if err != nil {
		return nil, err
	}
	incomes, err := s.store.CollectiveIncomes(ctx, prefix, incomeYear, "", 0, 0)
	if err != nil {
		return nil, err
	}
	rep := &StatisticsReport{RegionCode: root.Code, Date: date, IncomeYear: incomeYear}
	byCode := map[string]*RegionStatistics{}
	for _, r := range regions {
		st := &RegionStatistics{Region: r}
		byCode[r.Code] = st
		rep.Regions = append(rep.Regions, st)
	}
	if _, ok := byCode[root.Code]; !ok {
		st := &RegionStatistics{Region: root}
		byCode[root.Code] = st
		rep.Regions = append([]*RegionStatistics{st}, rep.Regions...)
	}
	// The requested region first, then the rest in code order.
	sort.SliceStable(rep.Regions, func(i, j int) bool {
		a, b := rep.Regions[i].Region.Code, rep.Regions[j].Region.Code
		if (a == root.Code) != (b == root.Code) {
			return a == root.Code
		}
		return a < b
	})
	// chain returns a village's statistics and those of every region above it up to the root.
	chain := func(village string) []*RegionStatistics {
		var out []*RegionStatistics
		for code := village; code != ""; {
			st, ok := byCode[code]
			if !ok {
				break
			}
			out = append(out, st)
			if code == root.Code {
				break
			}
			code = st.Region.Parent
		}
		return out
	}
	// Master-data population of rural villages valid on the date.
	year := asOfYear(date)
	for _, st := range rep.Regions {
		r := st.Region
		if r.Level != LevelVillage || r.Urban || !validOn(r, date) {
			continue
		}
		py, residents := populationFor(r, year)
		for _, up := range chain(r.Code) {
			up.RuralPopulation += residents
			if py != 0 && (up.PopulationYear == 0 || py < up.PopulationYear) {
				up.PopulationYear = py
			}
		}
	}
	for _, sc := range counts {
		ups := chain(sc.RegionCode)
		if len(ups) == 0 {
			continue
		}
		urban := ups[0].Region.Urban
		poor := sc.Registry == RegistryPoor || sc.Registry == RegistryReturned
		for _, up := range ups {
			up.Households += sc.Households
			up.Persons += sc.Persons
			if !urban {
				up.RuralHouseholds += sc.Households
				up.RuralPersons += sc.Persons
				if poor {
					up.PoorHouseholds += sc.Households
					up.PoorPersons += sc.Persons
				}
			}
			up.addRegistry(sc)
			up.addMonitoring(sc)
		}
	}
	for _, ec := range exits {
		for _, up := range chain(ec.RegionCode) {
			up.addExit(ec)
		}
	}
	for _, st := range rep.Regions {
		st.Incidence = Incidence{Poor: st.PoorPersons, Population: st.RuralPopulation}
		st.RegisterIncidence = Incidence{Poor: st.PoorPersons, Population: st.RuralPersons}
		sort.Slice(st.Exits, func(i, j int) bool { return st.Exits[i].Year < st.Exits[j].Year })
	}
	incomeOf := map[string]*CollectiveIncome{}
	for _, ci := range incomes {
		incomeOf[ci.RegionCode] = ci
	}
	day, _ := bizdate.Parse(date)
	for _, st := range rep.Regions {
		r := st.Region
		if r.Level != LevelVillage || r.Urban {
			continue
		}
		a, err := s.assess(st, incomeOf[r.Code], date, day, incomeYear)
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Reason == ReasonPolicyValueMissing {
				rep.VillageExitNote = "village exit not assessed: " + e.Message
				rep.exitErr = err
				break
			}
			return nil, err
		}
		st.VillageExit = a
	}
	return rep, nil
}

func (st *RegionStatistics) addRegistry(sc StatusCount) {
	for i := range st.Registry {
		if st.Registry[i].Status == sc.Registry {
			st.Registry[i].Households += sc.Households
			st.Registry[i].Persons += sc.Persons
			return
		}
	}
	st.Registry = append(st.Registry, RegistryCount{Status: sc.Registry, Households: sc.Households, Persons: sc.Persons})
	sort.Slice(st.Registry, func(i, j int) bool { return st.Registry[i].Status < st.Registry[j].Status })
}

func (st *RegionStatistics) addMonitoring(sc StatusCount) {
	if sc.MonitoringType == MonitoringNone {
		return
	}
	var m *MonitoringCount
	for i := range st.Monitoring {
		if st.Monitoring[i].Type == sc.MonitoringType {
			m = &st.Monitoring[i]
		}
	}
	if m == nil {
		st.Monitoring = append(st.Monitoring, MonitoringCount{Type: sc.MonitoringType})
		sort.Slice(st.Monitoring, func(i, j int) bool { return st.Monitoring[i].Type < st.Monitoring[j].Type })
		for i := range st.Monitoring {
			if st.Monitoring[i].Type == sc.MonitoringType {
				m = &st.Monitoring[i]
			}
		}
	}
	switch sc.MonitoringStatus {
	case MonitoringStatusRiskRemoved:
		m.RiskRemovedHouseholds += sc.Households
		m.RiskRemovedPersons += sc.Persons
	default:
		m.OpenHouseholds += sc.Households
		m.OpenPersons += sc.Persons
	}
}

func (st *RegionStatistics) addExit(ec ExitCount) {
	for i := range st.Exits {
		if st.Exits[i].Year == ec.Year {
			st.Exits[i].Households += ec.Households
			st.Exits[i].Persons += ec.Persons
			return
		}
	}
	st.Exits = append(st.Exits, ExitCount{RegionCode: st.Region.Code, Year: ec.Year, Households: ec.Households, Persons: ec.Persons})
}

func asOfYear(date string) int {
	y, _ := strconv.Atoi(date[:4])
	return y
}

// validOn reports whether a region code is in use on a date.
func validOn(r *Region, date string) bool {
	return (r.ValidFrom == "" || r.ValidFrom <= date) && (r.ValidTo == "" || date < r.ValidTo)
}

// populationFor returns the master-data population of the year, or of the latest earlier year.
func populationFor(r *Region, year int) (int, int64) {
	best := -1
	for i, p := range r.Populations {
		if p.Year <= year && (best < 0 || p.Year > r.Populations[best].Year) {
			best = i
		}
	}
	if best < 0 {
		return 0, 0
	}
	return r.Populations[best].Year, r.Populations[best].Residents
}

// assess decides village exit for one village's statistics: 贫困发生率 strictly below the maximum, and
// collective income of the year at least the minimum (both per policy for the village on the date).
func (s *Statistics) assess(st *RegionStatistics, income *CollectiveIncome, date string, day time.Time, year int) (*VillageExitAssessment, error) {
	code := st.Region.Code
	a := &VillageExitAssessment{RegionCode: code, Date: date, Year: year, Incidence: st.Incidence}
	vmax, err := s.policy.Decode(ParamVillageExitMaxIncidence, code, day, &a.MaxIncidence)
	if err != nil {
		return nil, policyRefusal(ParamVillageExitMaxIncidence, code, date, err)
	}
	vmin, err := s.policy.Decode(ParamVillageExitMinIncome, code, day, &a.MinIncomeFen)
	if err != nil {
		return nil, policyRefusal(ParamVillageExitMinIncome, code, date, err)
	}
	a.Policies = []policy.Value{vmax, vmin}
	a.Conditions = []ConditionResult{incidenceCondition(st, a.MaxIncidence, date), incomeCondition(income, a.MinIncomeFen, year)}
	if income != nil {
		a.IncomeRecorded, a.IncomeFen = true, income.AmountFen
	}
	a.Eligible = a.Conditions[0].Passed && a.Conditions[1].Passed
	return a, nil
}

func incidenceCondition(st *RegionStatistics, max policy.Ratio, date string) ConditionResult {
	r := st.Incidence
	c := ConditionResult{Condition: ExitConditionIncidenceBelow}
	switch {
	case !r.Defined():
		c.Description = fmt.Sprintf("贫困发生率 cannot be computed: the master data has no registered population of the village for %s or earlier",
			date[:4])
	case r.Below(max):
		c.Passed = true
		c.Description = fmt.Sprintf("贫困发生率 %s is below %s (population of %d)", r, ratioString(max), st.PopulationYear)
	default:
		c.Description = fmt.Sprintf("贫困发生率 %s is not below %s (population of %d)", r, ratioString(max), st.PopulationYear)
	}
	return c
}

func incomeCondition(ci *CollectiveIncome, minFen int64, year int) ConditionResult {
	c := ConditionResult{Condition: ExitConditionCollectiveIncome}
	switch {
	case ci == nil:
		c.Description = fmt.Sprintf("no collective income is recorded for %d (at least %s needed)", year, yuan(minFen))
	case ci.AmountFen >= minFen:
		c.Passed = true
		c.Description = fmt.Sprintf("collective income %d of %s is at least %s", year, yuan(ci.AmountFen), yuan(minFen))
	default:
		c.Description = fmt.Sprintf("collective income %d of %s is below %s", year, yuan(ci.AmountFen), yuan(minFen))
	}
	return c
}

// yuan shows an amount in fen as 元 with two decimals: 5000000 → "50000.00 元".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d 元", sign, fen/100, fen%100)
}

// AssessVillageExit decides whether a rural village in the caller's scope meets the exit conditions as
// of date (default today), with the collective income of year (0: the year of date).
func (s *Statistics) AssessVillageExit(ctx context.Context, c Caller, villageCode, date string, year int) (*VillageExitAssessment, error) {
	date, err := s.statsDate(date)
	if err != nil {
		return nil, err
	}
	if year == 0 {
		year = asOfYear(date)
	} else if err := s.checkYear(year, "collective_income_year"); err != nil {
		return nil, err
	}
	r, err := s.region(ctx, c, villageCode, "name")
	if err != nil {
		return nil, err
	}
	if r.Level != LevelVillage || r.Urban {
		return nil, apperr.Invalid(ReasonRegionUnknown, "name", "village exit applies to rural villages; "+villageCode+" is not one")
	}
	rep, err := s.compute(ctx, r, date, year)
	if err != nil {
		return nil, err
	}
	if rep.exitErr != nil {
		return nil, rep.exitErr
	}
	return rep.Regions[0].VillageExit, nil
}

// RecordCollectiveIncome records a village's collective income for a year as a new revision; the latest
// revision counts. The village must be in the caller's scope; the year not after the current one.
func (s *Statistics) RecordCollectiveIncome(ctx context.Context, c Caller, in CollectiveIncome) (*CollectiveIncome, error) {
	if err := s.checkYear(in.Year, "collective_income.year"); err != nil {
		return nil, err
	}
	if in.AmountFen < 0 {
		return nil, apperr.Invalid(ReasonInvalidField, "collective_income.amount_fen", "must not be negative")
	}
	r, err := s.region(ctx, c, in.RegionCode, "parent")
	if err != nil {
		return nil, err
	}
	if r.Level != LevelVillage {
		return nil, apperr.Invalid(ReasonRegionUnknown, "parent", "collective income is recorded per village; "+in.RegionCode+" is not one")
	}
	ci := &CollectiveIncome{RegionCode: r.Code, Year: in.Year, AmountFen: in.AmountFen, Note: in.Note, Actor: c.Actor, RecordTime: s.now()}
	if err := s.store.AddCollectiveIncome(ctx, ci); err != nil {
		return nil, err
	}
	return ci, nil
}

// ListCollectiveIncomes lists the latest collective income of each village under a region (in the
// caller's scope), of one year or all years, in village and year order.
func (s *Statistics) ListCollectiveIncomes(ctx context.Context, c Caller, regionCode string, year int, afterRegion string, afterYear, limit int) ([]*CollectiveIncome, error) {
	if year != 0 {
		if err := s.checkYear(year, "year"); err != nil {
			return nil, err
		}
	}
	r, err := s.store.Region(ctx, regionCode)
	if errors.Is(err, ErrRegionNotFound) {
		return nil, apperr.Invalid(ReasonRegionUnknown, "parent", "not a region of the county: "+regionCode)
	}
	if err != nil {
		return nil, err
	}
	prefix, err := scopeWithin(c, regionPrefix(r), "parent")
	if err != nil {
		return nil, err
	}
	return s.store.CollectiveIncomes(ctx, prefix, year, afterRegion, afterYear, limit)
}
