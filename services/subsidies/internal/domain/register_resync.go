package domain

import (
	"slices"
)

// Resynchronising with the register (docs/ARCHITECTURE.md, "Following the register"). A bulk load of a
// county publishes one register.bulk_loaded instead of a change per household; the service then reads
// the register's snapshot (ExportRegister, with the feed position it reflects) and derives, household by
// household, the changes its journal has not recorded yet. Those changes go through the same followers
// as the feed's, so what the service derives after a resync is what it would have derived from a change
// per household. Being a difference against the journal, a resync run twice (after a crash) finds
// nothing left to do for the households it already handled.

// SnapshotHousehold is an active household as the register's snapshot shows it.
type SnapshotHousehold struct {
	HouseholdID      string
	RegionCode       string
	RegistryStatus   int32
	MonitoringType   int32
	MonitoringStatus int32
	Size             int
	// CreateDate is the day the household entered the register; StatusDate the effective date of its
	// status entry in force.
	CreateDate, StatusDate string
	// Departed are the members whose membership ended by death or moving out.
	Departed []DepartedMember
}

// DepartedMember is a membership that ended by death or moving out.
type DepartedMember struct {
	PersonID, EndDate string
}

// KnownHousehold is what the journal last recorded of a household: its last change's state and every
// member it recorded as departed.
type KnownHousehold struct {
	Topic            string
	RegionCode       string
	RegistryStatus   int32
	MonitoringType   int32
	MonitoringStatus int32
	Size             int
	Departed         map[string]bool
}

// Topics the resync derives (the register's household topics, identification's store/feed.go).
const (
	TopicHouseholdCreated        = "household.created"
	TopicHouseholdStatusChanged  = "household.status_changed"
	TopicHouseholdMembersChanged = "household.members_changed"
	TopicHouseholdArchived       = "household.archived"
)

// ResyncChanges returns the changes that bring what the journal knows of a household (nil: nothing) to
// the snapshot's state, in the order the register would have published them, each under seq (the
// triggering change's sequence); today dates what the snapshot does not date.
func ResyncChanges(known *KnownHousehold, s SnapshotHousehold, seq int64, today string) []HouseholdChange {
	change := func(topic, date string, departed []string) HouseholdChange {
		return HouseholdChange{Sequence: seq, Topic: topic, HouseholdID: s.HouseholdID, RegionCode: s.RegionCode,
			RegistryStatus: s.RegistryStatus, MonitoringType: s.MonitoringType, MonitoringStatus: s.MonitoringStatus,
			EffectiveDate: date, Size: s.Size, DepartedPersonIDs: departed}
	}
	if known == nil || known.Topic == TopicHouseholdArchived {
		date := s.CreateDate
		if date == "" {
			date = today
		}
		return []HouseholdChange{change(TopicHouseholdCreated, date, nil)}
	}
	var out []HouseholdChange
	if known.RegistryStatus != s.RegistryStatus || known.MonitoringType != s.MonitoringType || known.MonitoringStatus != s.MonitoringStatus {
		date := s.StatusDate
		if date == "" {
			date = today
		}
		out = append(out, change(TopicHouseholdStatusChanged, date, nil))
	}
	var departed []string
	date := today
	for _, m := range s.Departed {
		if !known.Departed[m.PersonID] {
			departed = append(departed, m.PersonID)
			date = m.EndDate
		}
	}
	slices.Sort(departed)
	if len(departed) > 0 || known.Size != s.Size {
		out = append(out, change(TopicHouseholdMembersChanged, date, departed))
	}
	if known.RegionCode != s.RegionCode {
		out = append(out, change(TopicHouseholdMoved, today, nil))
	}
	return out
}

// ArchivedChange is the change for a household the journal knows as registered that the snapshot no
// longer holds: it was archived.
func ArchivedChange(householdID string, known KnownHousehold, seq int64, today string) HouseholdChange {
	return HouseholdChange{Sequence: seq, Topic: TopicHouseholdArchived, HouseholdID: householdID, RegionCode: known.RegionCode,
		RegistryStatus: known.RegistryStatus, MonitoringType: known.MonitoringType, MonitoringStatus: known.MonitoringStatus,
		EffectiveDate: today, Size: known.Size}
}
