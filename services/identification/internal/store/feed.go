package store

import (
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/outbox"
)

// Topics of the household changes the register publishes on its change feed.
const (
	TopicHouseholdCreated        = "household.created"
	TopicHouseholdStatusChanged  = "household.status_changed"
	TopicHouseholdMembersChanged = "household.members_changed"
	TopicHouseholdMoved          = "household.moved"
	TopicHouseholdArchived       = "household.archived"
	// TopicRegisterBulkLoaded is the one change of a bulk load (identificationv1.RegisterBulkLoad).
	TopicRegisterBulkLoaded = "register.bulk_loaded"
)

// householdEvents derives the feed entries of a change from the household before and after it, so every
// path that changes a household (API, workflows, imports) publishes the same way, in the same transaction.
func householdEvents(before, after *domain.Household) []outbox.Event {
	change := func(topic, date, reason string, departed []string) outbox.Event {
		return outbox.Event{Topic: topic, Resource: "households/" + after.ID, RegionCode: after.RegionCode,
			Payload: &identificationv1.HouseholdChange{
				Household: "households/" + after.ID, RegionCode: after.RegionCode,
				RegistryStatus:   identificationv1.RegistryStatus(after.Status.Registry),
				MonitoringType:   identificationv1.MonitoringType(after.Status.MonitoringType),
				MonitoringStatus: identificationv1.MonitoringStatus(after.Status.MonitoringStatus),
				EffectiveDate:    date, Size: int32(after.Size()), DepartedPersonIds: departed, Reason: reason,
			}}
	}
	today := bizdate.Today(after.UpdateTime)
	if before == nil {
		return []outbox.Event{change(TopicHouseholdCreated, today, "", nil)}
	}
	var events []outbox.Event
	if before.Status != after.Status {
		date, reason := today, ""
		if n := len(after.History); n > 0 && n > len(before.History) {
			date, reason = after.History[n-1].EffectiveDate, after.History[n-1].Reason
		}
		events = append(events, change(TopicHouseholdStatusChanged, date, reason, nil))
	}
	var departed []string
	date := today
	for i := range before.Members {
		if before.Members[i].Current() && !after.Members[i].Current() {
			departed = append(departed, after.Members[i].PersonID)
			date = after.Members[i].EndDate
		}
	}
	if len(departed) > 0 || len(after.Members) != len(before.Members) {
		events = append(events, change(TopicHouseholdMembersChanged, date, "", departed))
	}
	if before.RegionCode != after.RegionCode {
		events = append(events, change(TopicHouseholdMoved, today, "", nil))
	}
	if before.State != after.State && after.State == domain.HouseholdArchived {
		events = append(events, change(TopicHouseholdArchived, today, after.ArchiveReason, nil))
	}
	return events
}
