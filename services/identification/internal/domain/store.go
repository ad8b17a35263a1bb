package domain

import "context"

// Store persists the register. Implementations must make CreateHousehold and UpdateHousehold atomic and
// enforce, in the database, that a person is current in at most one active household.
type Store interface {
	// InTx runs fn in one transaction (joining the caller's, if any).
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// CreateHousehold inserts a household with its members and first status entry. Persons already known
	// by IDIndex keep their PersonID (it is filled in). Fails with ErrPersonTaken or ErrNumberTaken.
	CreateHousehold(ctx context.Context, h *Household) error
	// GetHousehold returns a household with its members and status history, or ErrHouseholdNotFound.
	GetHousehold(ctx context.Context, id string) (*Household, error)
	// UpdateHousehold loads the household, lets fn change it, and saves the result with the version
	// increased, all in one transaction. fn's error aborts the update.
	UpdateHousehold(ctx context.Context, id string, fn func(h *Household) error) (*Household, error)
	// GetHouseholds returns, by ID, those of the households with these IDs that exist, with members but
	// without history; IDs it does not have are absent from the map.
	GetHouseholds(ctx context.Context, ids []string) (map[string]*Household, error)
	// ListHouseholds returns one page of households in ID order, with members but without history.
	ListHouseholds(ctx context.Context, q ListQuery) ([]*Household, string, error)
	// HouseholdOfPerson returns the active household in which the person with this blind index is a
	// current member, or ErrHouseholdNotFound.
	HouseholdOfPerson(ctx context.Context, idIndex string) (*Household, error)
	// PersonOfIndex returns the id of the person with this blind index, in a household or not
	// (ErrPersonNotFound when the register never held them).
	PersonOfIndex(ctx context.Context, idIndex string) (string, error)

	// Region returns a region by code, or ErrRegionNotFound.
	Region(ctx context.Context, code string) (*Region, error)
	// ListRegions returns regions in code order under parent ("" for all).
	ListRegions(ctx context.Context, parent, after string, limit int) ([]*Region, error)
	// UpsertRegions writes region master data.
	UpsertRegions(ctx context.Context, regions []*Region) error
}

// ListQuery selects a page of households.
type ListQuery struct {
	// Scope is the caller's region prefix; only households under it are listed.
	Scope string
	// Filter is an AIP-160 expression over region_code, registry_status, monitoring_type, state and
	// household_number; the store compiles it against its own columns.
	Filter string
	// After is the last ID of the previous page.
	After string
	Limit int
}
