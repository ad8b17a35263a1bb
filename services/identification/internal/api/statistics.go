package api

import (
	"context"
	"strconv"
	"strings"

	"fupin.dev/services/platform/pagetoken"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Statistics serves fupin.identification.v1.StatisticsService.
type Statistics struct {
	identificationv1.UnimplementedStatisticsServiceServer
	stats *domain.Statistics
}

var _ identificationv1.StatisticsServiceServer = (*Statistics)(nil)

// NewStatistics returns the statistics, village exit and collective income handlers.
func NewStatistics(stats *domain.Statistics) *Statistics { return &Statistics{stats: stats} }

func regionCode(name string) string {
	return strings.TrimSuffix(strings.TrimPrefix(name, "regions/"), "/statistics")
}

func (s *Statistics) GetStatistics(ctx context.Context, req *identificationv1.GetStatisticsRequest) (*identificationv1.Statistics, error) {
	c, _ := caller(ctx)
	rep, err := s.stats.Compute(ctx, c, regionCode(req.GetName()), req.GetAsOfDate(), int(req.GetCollectiveIncomeYear()))
	if err != nil {
		return nil, err
	}
	out := &identificationv1.Statistics{Name: "regions/" + rep.RegionCode + "/statistics", AsOfDate: rep.Date,
		CollectiveIncomeYear: int32(rep.IncomeYear), VillageExitNote: rep.VillageExitNote}
	for _, st := range rep.Regions {
		r, err := toRegionStatistics(st)
		if err != nil {
			return nil, err
		}
		out.Regions = append(out.Regions, r)
	}
	return out, nil
}

func (s *Statistics) AssessVillageExit(ctx context.Context, req *identificationv1.AssessVillageExitRequest) (*identificationv1.VillageExitAssessment, error) {
	c, _ := caller(ctx)
	a, err := s.stats.AssessVillageExit(ctx, c, regionCode(req.GetName()), req.GetAsOfDate(), int(req.GetCollectiveIncomeYear()))
	if err != nil {
		return nil, err
	}
	return toAssessment(a)
}

func (s *Statistics) RecordCollectiveIncome(ctx context.Context, req *identificationv1.RecordCollectiveIncomeRequest) (*identificationv1.CollectiveIncome, error) {
	c, _ := caller(ctx)
	in := req.GetCollectiveIncome()
	ci, err := s.stats.RecordCollectiveIncome(ctx, c, domain.CollectiveIncome{RegionCode: regionCode(req.GetParent()),
		Year: int(in.GetYear()), AmountFen: in.GetAmountFen(), Note: in.GetNote()})
	if err != nil {
		return nil, err
	}
	return toCollectiveIncome(ci), nil
}

// Page sizes of ListCollectiveIncomes.
const (
	defaultIncomesPage = 100
	maxIncomesPage     = 1000
)

func (s *Statistics) ListCollectiveIncomes(ctx context.Context, req *identificationv1.ListCollectiveIncomesRequest) (*identificationv1.ListCollectiveIncomesResponse, error) {
	c, _ := caller(ctx)
	afterRegion, afterYear, err := decodeIncomeCursor(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := defaultIncomesPage
	if req.GetPageSize() > 0 {
		size = min(int(req.GetPageSize()), maxIncomesPage)
	}
	cis, err := s.stats.ListCollectiveIncomes(ctx, c, regionCode(req.GetParent()), int(req.GetYear()), afterRegion, afterYear, size+1)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListCollectiveIncomesResponse{}
	if len(cis) > size {
		cis = cis[:size]
		last := cis[len(cis)-1]
		resp.NextPageToken = encodeIncomeCursor(last.RegionCode, last.Year)
	}
	for _, ci := range cis {
		resp.CollectiveIncomes = append(resp.CollectiveIncomes, toCollectiveIncome(ci))
	}
	return resp, nil
}

func toCollectiveIncome(ci *domain.CollectiveIncome) *identificationv1.CollectiveIncome {
	return &identificationv1.CollectiveIncome{
		Name:       "regions/" + ci.RegionCode + "/collectiveIncomes/" + strconv.Itoa(ci.Year),
		RegionCode: ci.RegionCode, Year: int32(ci.Year), AmountFen: ci.AmountFen, Note: ci.Note,
		Revision: int32(ci.Revision), Recorder: ci.Actor, RecordTime: timestamppb.New(ci.RecordTime),
	}
}

func toIncidence(r domain.Incidence) *identificationv1.PovertyIncidence {
	return &identificationv1.PovertyIncidence{PoorPersons: r.Poor, Population: r.Population, BasisPoints: r.BasisPoints(),
		Defined: r.Defined()}
}

func toRegionStatistics(st *domain.RegionStatistics) (*identificationv1.RegionStatistics, error) {
	r := st.Region
	out := &identificationv1.RegionStatistics{
		RegionCode: r.Code, DisplayName: r.Name, Level: identificationv1.RegionLevel(r.Level), Urban: r.Urban,
		PopulationYear: int32(st.PopulationYear), RuralPopulation: st.RuralPopulation,
		Households: st.Households, Persons: st.Persons, RuralHouseholds: st.RuralHouseholds, RuralPersons: st.RuralPersons,
		PoorHouseholds: st.PoorHouseholds, PoorPersons: st.PoorPersons,
		Incidence: toIncidence(st.Incidence), RegisterIncidence: toIncidence(st.RegisterIncidence),
	}
	for _, c := range st.Registry {
		out.Registry = append(out.Registry, &identificationv1.RegistryStatusCount{
			RegistryStatus: identificationv1.RegistryStatus(c.Status), Households: c.Households, Persons: c.Persons})
	}
	for _, m := range st.Monitoring {
		out.Monitoring = append(out.Monitoring, &identificationv1.MonitoringObjectCount{
			MonitoringType: identificationv1.MonitoringType(m.Type), OpenHouseholds: m.OpenHouseholds, OpenPersons: m.OpenPersons,
			RiskRemovedHouseholds: m.RiskRemovedHouseholds, RiskRemovedPersons: m.RiskRemovedPersons})
	}
	for _, e := range st.Exits {
		out.Exits = append(out.Exits, &identificationv1.YearlyExitCount{Year: int32(e.Year), Households: e.Households, Persons: e.Persons})
	}
	if st.VillageExit != nil {
		a, err := toAssessment(st.VillageExit)
		if err != nil {
			return nil, err
		}
		out.VillageExit = a
	}
	return out, nil
}

func toAssessment(a *domain.VillageExitAssessment) (*identificationv1.VillageExitAssessment, error) {
	out := &identificationv1.VillageExitAssessment{
		RegionCode: a.RegionCode, AsOfDate: a.Date, Year: int32(a.Year), Eligible: a.Eligible,
		Incidence: toIncidence(a.Incidence), MaxIncidenceNum: a.MaxIncidence.Num, MaxIncidenceDen: a.MaxIncidence.Den,
		CollectiveIncomeRecorded: a.IncomeRecorded, CollectiveIncomeFen: a.IncomeFen, MinCollectiveIncomeFen: a.MinIncomeFen,
	}
	for _, c := range a.Conditions {
		out.Conditions = append(out.Conditions, &identificationv1.VillageExitConditionResult{
			Condition: identificationv1.VillageExitCondition(c.Condition), Passed: c.Passed, Description: c.Description})
	}
	var err error
	out.Policies, err = toPolicyValues(a.Policies)
	return out, err
}

func encodeIncomeCursor(region string, year int) string {
	return pagetoken.Encode("ci1", region, strconv.Itoa(year))
}

func decodeIncomeCursor(tok string) (string, int, error) {
	parts, err := pagetoken.Decode(tok, "ci1", 2)
	if err != nil || parts == nil {
		return "", 0, err
	}
	y, err := strconv.Atoi(parts[1])
	if err != nil {
		return "", 0, pagetoken.Invalid()
	}
	return parts[0], y, nil
}
