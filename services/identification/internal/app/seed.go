package app

import (
	"context"
	"strings"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/identification/synth"
)

// demoSeed makes the demo county the same on every machine.
const demoSeed = 20240101

// demoRegistered is the demo households' registration date (登记日期): the county's 建档立卡 of 2014, moved
// in from paper ledgers, so the demo's back-dated procedures (低保 cases, care subsidies) follow it.
const (
	demoRegistered       = "2014-10-01"
	demoRegisteredReason = "示范数据: 纸质台账迁入"
)

// seedBatch households are created per transaction.
const seedBatch = 250

// seedDemo fills an empty register with a synthetic county, through the same use case the API uses, so
// demo data obeys every rule real data does. A register that already has households is left alone.
func seedDemo(ctx context.Context, st *store.Store, svc *domain.Service, regions []synth.Region, n int, now time.Time) error {
	hs, _, err := st.ListHouseholds(ctx, domain.ListQuery{Limit: 1})
	if err != nil || len(hs) > 0 {
		return err
	}
	var villages []synth.Region
	for _, r := range regions {
		if r.Level == "village" {
			villages = append(villages, r)
		}
	}
	gen := synth.New(demoSeed, villages, now)
	seeder := domain.Caller{Actor: "system:demo-seed"}
	for done := 0; done < n; {
		err := st.InTx(ctx, func(ctx context.Context) error {
			for i := 0; i < seedBatch && done < n; i, done = i+1, done+1 {
				if _, err := svc.CreateHousehold(ctx, seeder, toNewHousehold(gen.Next())); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

var registryOf = map[string]domain.RegistryStatus{
	"ordinary": domain.RegistryOrdinary, "poor": domain.RegistryPoor,
	"exited": domain.RegistryExited, "returned": domain.RegistryReturned,
}

func toNewHousehold(h synth.Household) domain.NewHousehold {
	out := domain.NewHousehold{RegionCode: h.RegionCode, Address: h.Address, Number: h.Number,
		Registry: registryOf[h.Status], ExitYear: h.ExitYear,
		RegistrationDate: demoRegistered, RegistrationReason: demoRegisteredReason}
	for _, m := range h.Members {
		out.Members = append(out.Members, domain.Member{
			Person: domain.Person{
				FullName: m.Name, IDNumber: m.IDNumber, Ethnicity: m.Ethnicity,
				Education:     domain.Education(enumValue(identificationv1.Education_value, "EDUCATION_", m.Education)),
				Health:        domain.Health(enumValue(identificationv1.Health_value, "HEALTH_", m.Health)),
				LabourAbility: domain.LabourAbility(enumValue(identificationv1.LabourAbility_value, "LABOUR_ABILITY_", m.LabourAbility)),
			},
			Relation: domain.Relation(enumValue(identificationv1.Relation_value, "RELATION_", m.Relation)),
		})
	}
	return out
}

func enumValue(values map[string]int32, prefix, code string) int32 {
	return values[prefix+strings.ToUpper(code)]
}

var levels = map[string]domain.RegionLevel{
	"county": domain.LevelCounty, "township": domain.LevelTownship, "village": domain.LevelVillage,
}

func toDomainRegions(in []synth.Region) []*domain.Region {
	out := make([]*domain.Region, 0, len(in))
	for _, r := range in {
		d := &domain.Region{Code: r.Code, Name: r.Name, Level: levels[r.Level], Urban: r.Urban, Parent: r.Parent,
			ValidFrom: r.ValidFrom}
		for _, p := range r.Populations {
			d.Populations = append(d.Populations, domain.Population{Year: p.Year, Residents: p.Residents})
		}
		out = append(out, d)
	}
	return out
}
