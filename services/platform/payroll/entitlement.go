package payroll

import (
	"context"
	"time"
)

// Entitlement is a right to be paid an amount every month of a range of months by one program: what a
// decision (a 低保 approval, a 两项补贴 review, a 临时救助 grant) leaves behind for the payment roll. It is
// the one place the roll reads from, so every program pays the same way.
//
// Entitlements are never edited but for their end and their region: a change of amount from some month
// (a death reduces a 低保 household's covered persons) ends the current one the month before and grants a
// new one; a stop (death, revoked certificate, cancellation) ends it. The roll compares what was paid with
// what the entitlements say, so a change that reaches back into months already paid turns into back pay
// (补发) or recovery (追回).
//
// RegionCode is where the beneficiary lives now, not where the entitlement was granted: when the household
// moves to another village (the register's household.moved), the entitlements still paying from the month
// of the move on take the new village (MoveFollower), for region scope and the roll's order. A roll line
// copies the region when the roll is computed, so an approved roll keeps the village it paid in.
type Entitlement struct {
	ID      string
	Program Program
	// Beneficiary is who is paid, unique within the program at any month: "households/<id>" (低保),
	// "persons/<id>" (特困, 两项补贴), the grant itself for one-off payments ("temporaryAssistance/<id>"), or
	// "organisations/<统一社会信用代码>" for a program paying organisations (OrganisationBeneficiary).
	Beneficiary string
	// HouseholdID and PersonID are identification's ids (PersonID "" for a household-level program).
	HouseholdID string
	PersonID    string
	// RegionCode is the beneficiary's village now (updated when the household moves), for region scope and
	// the roll's order.
	RegionCode string
	// Source is the decision it comes from, e.g. "dibaoCases/<id>" or "disabilitySubsidies/<id>".
	Source string
	// FromMonth is the first month paid; ToMonth the last ("" while open-ended). YYYY-MM.
	FromMonth string
	ToMonth   string
	// AmountFen is paid every month of the range, in 分.
	AmountFen int64
	// Covered is the number of persons the amount covers (低保; 1 otherwise).
	Covered int
	// Reason says why it was granted or changed (shown on the roll and in the trail).
	Reason string
	// EndReason says why it was ended ("" while open or when granted closed).
	EndReason  string
	CreateTime time.Time
	UpdateTime time.Time
}

// ActiveIn reports whether the entitlement pays in month (YYYY-MM).
func (e *Entitlement) ActiveIn(month string) bool {
	return e.FromMonth <= month && (e.ToMonth == "" || month <= e.ToMonth)
}

// EntitlementStore keeps entitlements. Every method runs in the transaction carried by ctx when there is
// one, so a decision and the entitlement it grants commit together.
type EntitlementStore interface {
	// GrantEntitlement inserts e.
	GrantEntitlement(ctx context.Context, e *Entitlement) error
	// EndEntitlement sets the last month of entitlement id (never after its current last month) and why.
	EndEntitlement(ctx context.Context, id, lastMonth, reason string, now time.Time) error
	// OpenEntitlements returns the entitlements of program and beneficiary that pay in month or later,
	// oldest first.
	OpenEntitlements(ctx context.Context, program Program, beneficiary, month string) ([]*Entitlement, error)
	// EntitlementsBySource returns every entitlement granted from source, oldest first.
	EntitlementsBySource(ctx context.Context, source string) ([]*Entitlement, error)
	// EntitlementsOfPerson returns every entitlement, of any program, paid to a person (PersonID is
	// personID); a household's 低保 is found with EntitlementsOfHousehold.
	EntitlementsOfPerson(ctx context.Context, personID string) ([]*Entitlement, error)
	// EntitlementsOfHousehold returns every entitlement whose HouseholdID is householdID.
	EntitlementsOfHousehold(ctx context.Context, householdID string) ([]*Entitlement, error)
}
