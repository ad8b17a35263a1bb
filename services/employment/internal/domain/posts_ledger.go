package domain

import (
	"context"
)

// LedgerPostFacts answers the 公益岗 rules' questions (PostLedger) from the labour ledger: the household's
// statuses, the member's 劳动技能 and birth month as the register gave them, the spells of the month, and
// a death the register reported. The ledger holds no names: the public notice reads the name from the
// register (Posts.PublishNotices).
type LedgerPostFacts struct {
	Store LedgerStore
}

var _ PostLedger = LedgerPostFacts{}

// PostHolderFacts reads one person's record and spells.
func (f LedgerPostFacts) PostHolderFacts(ctx context.Context, personID, month string) (PostHolderFacts, error) {
	l, err := f.Store.Labourer(ctx, personID)
	if err != nil || l == nil {
		return PostHolderFacts{}, err
	}
	out := PostHolderFacts{Found: true, PersonID: l.PersonID, HouseholdID: l.HouseholdID, RegionCode: l.RegionCode,
		BirthMonth: l.BirthMonth, Dibao: l.Dibao, Ability: PostLabourAbility(l.LabourAbility),
		PovertyExited: l.RegistryStatus == registryPoor || l.RegistryStatus == registryExited || l.RegistryStatus == registryReturned,
		Monitored:     l.MonitoringStatus == monitoringOpen}
	if l.EndReason == EndDeath {
		out.DeathDate = l.EndDate
	}
	for _, s := range l.Spells {
		if !s.Overlaps(month, month) {
			continue
		}
		switch s.WorkStatus {
		case WorkOutOfProvince:
			out.Place = WorkPlaceOutOfProvince
		case WorkInProvince:
			out.Place = max(out.Place, WorkPlaceOutOfCounty)
		case WorkLocalTownship, WorkInCounty:
			out.Place = max(out.Place, WorkPlaceInCounty)
		}
	}
	return out, nil
}
