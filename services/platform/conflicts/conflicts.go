// Package conflicts keeps a caller from learning, one refusal at a time, which persons the county
// registers outside their region scope.
//
// Some refusals cannot help telling that a record exists: registering a 身份证号 that a household of
// another township already holds answers ALREADY_EXISTS PERSON_IN_OTHER_HOUSEHOLD (the officer must know, to
// arrange a move), while a lookup of the same number answers NOT_FOUND (the lookup must not confirm where a
// person lives). A caller who sends numbers one after another learns from the refusals what the lookup hides.
// So every such refusal is counted:
//
//   - Domain code names what a refusal discloses in apperr.Error.Disclosed (records outside the caller's
//     scope only; a county-wide caller is told nothing they could not read).
//   - The platform's server, once the request's transaction has rolled back with the refusal, writes one
//     audit row of kind "conflict" per disclosed record (Book.Record, in its own transaction): the log an
//     auditor reviews, naming the person's record and never the number, and the count, kept in each
//     service's database, so it holds across replicas and restarts. A stream that goes on after a refusal
//     (the bulk import) records its conflicts the same way, batch by batch.
//   - Before doing anything that could disclose more, the domain asks Book.Check: a caller with a region
//     scope who reached the policy's limit within its window (platform.existence_conflicts, by default 20 in
//     24 hours) is refused with RESOURCE_EXHAUSTED EXISTENCE_CONFLICT_LIMIT until old conflicts leave the
//     window. One request may go past the limit by the persons it names.
package conflicts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
)

// Parameter is the policy parameter of the limit; its value is a Limit.
const Parameter = "platform.existence_conflicts"

// Reasons of the refusals this package makes (fupin.common.v1.ErrorReason).
const (
	ReasonLimit              = "EXISTENCE_CONFLICT_LIMIT"
	ReasonPolicyValueMissing = "POLICY_VALUE_MISSING"
)

// Limit is the policy value: at most Max conflicts per caller within the last WindowHours hours.
type Limit struct {
	Max         int `json:"max"`
	WindowHours int `json:"window_hours"`
}

// Policy is what the Book reads the limit from (*policy.Store).
type Policy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// Book counts and records a service's existence conflicts in its database's audit log.
type Book struct {
	db     *sqldb.DB
	log    *audit.Log
	policy Policy
	now    func() time.Time
}

// New returns the book of the service whose database is db.
func New(db *sqldb.DB, log *audit.Log, p Policy, now func() time.Time) *Book {
	return &Book{db: db, log: log, policy: p, now: now}
}

// Check refuses the caller in ctx when they reached the limit of their region within its window. Callers
// without a region scope (the county's) are never told about anything outside it, so they are not counted.
func (b *Book) Check(ctx context.Context) error {
	c, ok := auth.FromContext(ctx)
	if !ok || c.Scope() == "" {
		return nil
	}
	now := b.now()
	var limit Limit
	_, err := b.policy.Decode(Parameter, c.Scope(), now, &limit)
	if errors.Is(err, policy.ErrNotFound) {
		return apperr.Refused(ReasonPolicyValueMissing, apperr.Violation{Type: "POLICY_VALUE",
			Subject: "policy/" + Parameter, Description: "no value of " + Parameter + " is in force for region " + c.Scope()})
	}
	if err != nil {
		return err
	}
	column, key := "actor", c.Subject
	if c.OnBehalfOf != nil {
		column, key = "on_behalf_of", c.OnBehalfOf.Subject
	}
	since := now.Add(-time.Duration(limit.WindowHours) * time.Hour)
	var n int
	err = b.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM fupin_audit WHERE kind = $1 AND at_us >= $2 AND `+column+` = $3`,
		audit.KindConflict, since.UnixMicro(), key).Scan(&n)
	if err != nil {
		return fmt.Errorf("count existence conflicts: %w", err)
	}
	if n >= limit.Max {
		return apperr.Exhausted(ReasonLimit, fmt.Sprintf("%d refusals in the last %d hours told this caller that a person is registered "+
			"outside their region scope (limit %d, policy %s); ask the county to look the persons up, or retry later",
			n, limit.WindowHours, limit.Max, Parameter))
	}
	return nil
}

// Record writes one audit row of kind conflict per disclosed record, made from the row of the refused call
// (who, which method, request and trace), in a transaction of its own: the request's has rolled back. It
// runs even when the caller has gone, so a caller cannot escape the count by hanging up.
func (b *Book) Record(ctx context.Context, call audit.Record, disclosed []string) error {
	if len(disclosed) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	return b.db.InTx(ctx, func(ctx context.Context) error {
		for _, res := range disclosed {
			r := call
			r.Kind, r.Resource, r.RecordCount, r.At = audit.KindConflict, res, 1, b.now()
			if err := b.log.Write(ctx, r); err != nil {
				return fmt.Errorf("record existence conflict: %w", err)
			}
		}
		return nil
	})
}

// Disclosed returns the records err discloses (apperr.Error.Disclosed), if any.
func Disclosed(err error) []string {
	if e, ok := apperr.As(err); ok {
		return e.Disclosed
	}
	return nil
}
