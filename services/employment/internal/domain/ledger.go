// Package domain holds the employment service's (人社) rules: the labour ledger (劳动力台账), employment
// spells and what is derived from them, and the facts served to other departments. No pb, grpc or sql
// imports: handlers convert, the store keeps.
package domain

import (
	"context"
	"time"

	"fupin.dev/services/platform/apperr"
)

// Reasons of the ledger's refusals (fupin.employment.v1.ErrorReason, numbers 1–99).
const (
	ReasonLabourerNotFound   = "LABOURER_NOT_FOUND"
	ReasonMonthInvalid       = "MONTH_INVALID"
	ReasonMonthWindowTooLong = "MONTH_WINDOW_TOO_LONG"
	ReasonPurposeRequired    = "PURPOSE_REQUIRED"
	ReasonIDIndexInvalid     = "ID_INDEX_INVALID"
	ReasonSpellInvalid       = "SPELL_INVALID"
	ReasonSpellOverlaps      = "SPELL_OVERLAPS"
	ReasonSpellNotFound      = "SPELL_NOT_FOUND"
	ReasonAmountInvalid      = "AMOUNT_INVALID"
	ReasonLabourerEnded      = "LABOURER_ENDED"
	ReasonUpdateMaskInvalid  = "UPDATE_MASK_INVALID"
)

// ErrLabourerNotFound answers a read of a person the ledger does not hold inside the caller's scope:
// NOT_FOUND either way, so the answer never tells that a person is recorded elsewhere.
var ErrLabourerNotFound = &apperr.Error{Kind: apperr.KindNotFound, Reason: ReasonLabourerNotFound,
	Message: "the person has no record in the labour ledger inside the caller's scope"}

// LabourerState is whether a ledger record is current (fupin.employment.v1.LabourerState).
type LabourerState int32

const (
	LabourerActive LabourerState = 1
	LabourerEnded  LabourerState = 2
)

// LabourerStateNames are the filter's names of the states.
var LabourerStateNames = map[string]int32{"ACTIVE": int32(LabourerActive), "ENDED": int32(LabourerEnded),
	"OUTSIDE_WORKING_AGE": int32(LabourerOutsideAge)}

// EndReason is why a ledger record ended (fupin.employment.v1.LabourerEndReason).
type EndReason int32

const (
	EndNone EndReason = iota
	EndDeath
	EndLeftHousehold
	EndAge
	EndHouseholdNotCovered
)

// Labourer is one person's record in the labour ledger.
type Labourer struct {
	PersonID    string
	IDIndex     string
	HouseholdID string
	RegionCode  string
	// BirthMonth is YYYY-MM, from the register (services see birth dates; people see the year).
	BirthMonth string
	// RegistryStatus, MonitoringStatus and LabourAbility are the register's enum numbers.
	RegistryStatus   int32
	MonitoringStatus int32
	LabourAbility    int32
	Dibao            bool
	State            LabourerState
	EndReason        EndReason
	EndDate          string
	// WorkStatus is the latest spell's 务工状况 (0 when none is recorded).
	WorkStatus       WorkStatus
	WantsWork        bool
	WantsTraining    bool
	InsuredEmployee  bool
	ReceivingPension bool
	CreateTime       time.Time
	UpdateTime       time.Time
	// Spells and Unemployment are filled by Get only.
	Spells       []Spell
	Unemployment []UnemploymentPeriod
}

// BirthYear is the year of BirthMonth (0 when unknown).
func (l *Labourer) BirthYear() int {
	if len(l.BirthMonth) < 4 {
		return 0
	}
	y := 0
	for _, c := range l.BirthMonth[:4] {
		if c < '0' || c > '9' {
			return 0
		}
		y = y*10 + int(c-'0')
	}
	return y
}

// Caller is who asks, as the ledger needs it: the audit actor and the region scope.
type Caller struct {
	Actor string
	Scope string
}

// LabourerQuery selects a page of the ledger.
type LabourerQuery struct {
	Scope, Filter, After string
	Limit                int
}

// LedgerStore is what the ledger keeps (store.Store).
type LedgerStore interface {
	// Labourer returns the record of a person (nil when none), with spells and unemployment periods.
	Labourer(ctx context.Context, personID string) (*Labourer, error)
	// ListLabourers returns a page under q.Scope in id order and the next cursor.
	ListLabourers(ctx context.Context, q LabourerQuery) ([]*Labourer, string, error)
}

// Ledger is the labour ledger's read use cases.
type Ledger struct {
	st  LedgerStore
	now func() time.Time
}

// NewLedger returns the ledger on st.
func NewLedger(st LedgerStore, now func() time.Time) *Ledger { return &Ledger{st: st, now: now} }

// Get returns a person's record inside the caller's scope.
func (l *Ledger) Get(ctx context.Context, by Caller, personID string) (*Labourer, error) {
	r, err := l.st.Labourer(ctx, personID)
	if err != nil {
		return nil, err
	}
	if r == nil || !inScope(by.Scope, r.RegionCode) {
		return nil, ErrLabourerNotFound
	}
	return r, nil
}

// List returns a page of the ledger inside the caller's scope.
func (l *Ledger) List(ctx context.Context, by Caller, filter, after string, limit int) ([]*Labourer, string, error) {
	return l.st.ListLabourers(ctx, LabourerQuery{Scope: by.Scope, Filter: filter, After: after, Limit: limit})
}

func inScope(scope, region string) bool {
	return len(region) >= len(scope) && region[:len(scope)] == scope
}
