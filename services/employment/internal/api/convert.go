// Package api holds the employment service's gRPC handlers: thin, they take the caller, convert
// fupin.employment.v1 messages to domain values, call the domain and convert back.
package api

import (
	"context"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/auth"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// caller is who calls, as the domain needs it, and the platform's caller (purpose, disclosure).
func caller(ctx context.Context) (domain.Caller, *auth.Caller) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return domain.Caller{Actor: "anonymous", Scope: auth.NoRegion}, &auth.Caller{}
	}
	return domain.Caller{Actor: c.Actor(), Scope: c.Scope()}, c
}

// pageSize applies a List's default and maximum.
func pageSize(n int32, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(int(n), most)
}

func labourerName(personID string) string { return "labourers/" + personID }

func toLabourer(l *domain.Labourer) *employmentv1.Labourer {
	out := &employmentv1.Labourer{Name: labourerName(l.PersonID), PersonId: l.PersonID, Household: "households/" + l.HouseholdID,
		RegionCode: l.RegionCode, BirthYear: int32(l.BirthYear()),
		RegistryStatus:   identificationv1.RegistryStatus(l.RegistryStatus),
		MonitoringStatus: identificationv1.MonitoringStatus(l.MonitoringStatus), Dibao: l.Dibao,
		LabourAbility: identificationv1.LabourAbility(l.LabourAbility), State: employmentv1.LabourerState(l.State),
		EndReason: employmentv1.LabourerEndReason(l.EndReason), EndDate: l.EndDate,
		WorkStatus: employmentv1.WorkStatus(l.WorkStatus), WantsWork: l.WantsWork, WantsTraining: l.WantsTraining,
		InsuredEmployee: l.InsuredEmployee, ReceivingPension: l.ReceivingPension,
		CreateTime: timestamppb.New(l.CreateTime), UpdateTime: timestamppb.New(l.UpdateTime)}
	for _, s := range l.Spells {
		out.Spells = append(out.Spells, toSpell(s))
	}
	for _, u := range l.Unemployment {
		out.UnemploymentPeriods = append(out.UnemploymentPeriods, toPeriod(u))
	}
	return out
}

func toSpell(s domain.Spell) *employmentv1.EmploymentSpell {
	return &employmentv1.EmploymentSpell{Name: labourerName(s.PersonID) + "/spells/" + s.ID,
		WorkStatus: employmentv1.WorkStatus(s.WorkStatus), Mode: employmentv1.EmploymentMode(s.Mode), Employer: s.Employer,
		Place: s.Place, MonthlyIncomeFen: s.MonthlyIncomeFen, FromMonth: s.FromMonth, ToMonth: s.ToMonth,
		Source: employmentv1.SpellSource(s.Source), CreateTime: timestamppb.New(s.CreateTime)}
}

func toPeriod(u domain.UnemploymentPeriod) *employmentv1.UnemploymentPeriod {
	return &employmentv1.UnemploymentPeriod{Name: labourerName(u.PersonID) + "/unemploymentPeriods/" + u.ID,
		Kind: employmentv1.UnemploymentKind(u.Kind), FromMonth: u.FromMonth, ToMonth: u.ToMonth,
		MonthlyAmountFen: u.MonthlyAmountFen, Source: employmentv1.SpellSource(u.Source)}
}
