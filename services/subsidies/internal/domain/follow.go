package domain

import "context"

// HouseholdChange is one change of a household in the identification register, as its change feed
// reports it (topics household.created, status_changed, members_changed, moved, archived).
type HouseholdChange struct {
	// Sequence is the change's position in the register's feed; a follower sees each once, in order.
	Sequence    int64
	Topic       string
	HouseholdID string
	RegionCode  string
	// RegistryStatus, MonitoringType and MonitoringStatus are the household's statuses after the change,
	// as identification's enum numbers.
	RegistryStatus   int32
	MonitoringType   int32
	MonitoringStatus int32
	// EffectiveDate is when the change took effect (YYYY-MM-DD): for departed members, the death or
	// move-out date.
	EffectiveDate string
	// Size is the number of current members after the change.
	Size int
	// DepartedPersonIDs are the members who left (died or moved out) in this change.
	DepartedPersonIDs []string
	Reason            string
}

// Follower is an area of the service that acts on the register's changes (a death stops payments; a newly
// confirmed monitoring object opens a 低保 eligibility check). The subscriber calls every follower for every
// change, inside the transaction that also stores its cursor, so a change is acted on exactly once even
// across restarts: followers must do all their writing through ctx.
type Follower interface {
	HouseholdChanged(ctx context.Context, c HouseholdChange) error
}

// BatchFollower is a Follower that also takes many changes at once, with the effect of taking them one
// by one in order: a resync hands it a chunk of a county's households, where a statement or a round trip
// per change would be the cost.
type BatchFollower interface {
	Follower
	HouseholdsChanged(ctx context.Context, cs []HouseholdChange) error
}
