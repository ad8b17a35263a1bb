package domain

import (
	"fupin.dev/services/platform/apperr"
)

// Reasons are values of fupin.identification.v1.ErrorReason (and the platform's common ones).
const (
	ReasonIDNumberInvalid        = "ID_NUMBER_INVALID"
	ReasonPersonInOtherHousehold = "PERSON_IN_OTHER_HOUSEHOLD"
	ReasonPersonRepeated         = "PERSON_REPEATED"
	ReasonHeadCount              = "HEAD_COUNT"
	ReasonRegionUnknown          = "REGION_UNKNOWN"
	ReasonHouseholdArchived      = "HOUSEHOLD_ARCHIVED"
	ReasonMemberNotCurrent       = "MEMBER_NOT_CURRENT"
	ReasonNewHeadRequired        = "NEW_HEAD_REQUIRED"
	ReasonHouseholdNumberTaken   = "HOUSEHOLD_NUMBER_TAKEN"
	ReasonFieldNotUpdatable      = "FIELD_NOT_UPDATABLE"
	ReasonDateInvalid            = "DATE_INVALID"
	ReasonOutOfRegionScope       = "OUT_OF_REGION_SCOPE"
	ReasonInvalidField           = "INVALID_FIELD"
	ReasonPersonNameInvalid      = "PERSON_NAME_INVALID"
)

// Sentinel refusals; compare with errors.Is.
var (
	ErrHouseholdNotFound = apperr.NotFound("household")
	ErrRegionNotFound    = apperr.NotFound("region")
	ErrMemberNotFound    = apperr.NotFound("member")
	ErrPersonNotFound    = apperr.NotFound("person")
	ErrArchived          = apperr.Refused(ReasonHouseholdArchived, apperr.Violation{Type: "HOUSEHOLD_ARCHIVED",
		Description: "the household is archived and can no longer change"})
	ErrOutOfScope = apperr.Denied(ReasonOutOfRegionScope, "the household lies outside the caller's region scope")
	// ErrPersonTaken is returned by the store when a person is already current in another household.
	ErrPersonTaken = apperr.Exists(ReasonPersonInOtherHousehold, "a person in the request is already a member of another household")
	// ErrNumberTaken is returned by the store when another household uses the household number.
	ErrNumberTaken = apperr.Exists(ReasonHouseholdNumberTaken, "another household already uses this household number")
)
