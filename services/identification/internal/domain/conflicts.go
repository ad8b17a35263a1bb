package domain

import (
	"context"
	"errors"

	"fupin.dev/services/platform/apperr"
)

// Existence through conflicts: registering a person whom a household outside the caller's region scope
// already holds is refused with PERSON_IN_OTHER_HOUSEHOLD (the officer must know, to arrange a move), while
// looking the number up answers NOT_FOUND. So each such refusal names, in apperr.Error.Disclosed, the
// member record it reveals; the platform logs and counts it (package conflicts), and CreateHousehold,
// AddMember and the import ask ConflictLimit first.

// ConflictLimit refuses a caller who has been told too often that persons are held outside their scope
// (platform conflicts.Book, RESOURCE_EXHAUSTED EXISTENCE_CONFLICT_LIMIT).
type ConflictLimit interface {
	Check(ctx context.Context) error
}

// LimitConflicts makes CreateHousehold, AddMember and the import check l before anything that could tell
// the caller about a household outside their scope. Without it nothing is checked (tests of other rules).
func (s *Service) LimitConflicts(l ConflictLimit) { s.conflicts = l }

func (s *Service) checkConflicts(ctx context.Context) error {
	if s.conflicts == nil {
		return nil
	}
	return s.conflicts.Check(ctx)
}

// Holder is where a person a request named is already a current member: the active household and its
// village. HouseholdID is empty when the database refused a concurrent insert and the holder is unknown.
type Holder struct {
	PersonID    string
	HouseholdID string
	RegionCode  string
}

// PersonTaken is the store's refusal of persons held by other households (ErrPersonTaken, with a field per
// person) together with the holders, so that the domain can tell what the refusal discloses. The holders
// never reach the caller.
type PersonTaken struct {
	Refusal *apperr.Error
	Holders []Holder
}

func (e *PersonTaken) Error() string { return e.Refusal.Error() }

// Unwrap makes errors.Is(err, ErrPersonTaken) and apperr.As see the refusal.
func (e *PersonTaken) Unwrap() error { return e.Refusal }

// disclosing returns a refusal of persons held elsewhere with the members it discloses to c: those held
// by households outside c's scope (an unknown holder counts, to be safe). Other errors pass unchanged.
func disclosing(c Caller, err error) error {
	var taken *PersonTaken
	if !errors.As(err, &taken) {
		return err
	}
	out := *taken.Refusal
	out.Disclosed = nil
	for _, h := range taken.Holders {
		if r := disclosedBy(c, h); r != "" {
			out.Disclosed = append(out.Disclosed, r)
		}
	}
	return &out
}

// disclosedBy is the member record a refusal naming holder h reveals to c, or "" when c may see it anyway.
func disclosedBy(c Caller, h Holder) string {
	if h.HouseholdID != "" && c.check(h.RegionCode) == nil {
		return ""
	}
	household := h.HouseholdID
	if household == "" {
		household = "-" // AIP-159: any household
	}
	return "households/" + household + "/members/" + h.PersonID
}
