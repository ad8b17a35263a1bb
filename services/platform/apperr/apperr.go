// Package apperr is how domain code says why it refused a request, without knowing about gRPC.
//
// Domain packages return *Error values (or wrap them); the platform's server turns them into
// google.rpc.Status with ErrorInfo, BadRequest and PreconditionFailure details. Anything that is not an
// *Error leaves the service as INTERNAL with a generic message, and its cause is logged with the trace id.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the class of a refusal; it decides the gRPC code (and so the HTTP status).
type Kind int

// The kinds of refusal, each with the gRPC code it becomes.
const (
	KindInvalid          Kind = iota + 1 // INVALID_ARGUMENT: a field is wrong; Fields say which
	KindNotFound                         // NOT_FOUND
	KindAlreadyExists                    // ALREADY_EXISTS: a duplicate
	KindRefused                          // FAILED_PRECONDITION: a rule refused a step; Violations say which
	KindAborted                          // ABORTED: stale etag or a concurrent change; retry after re-reading
	KindPermissionDenied                 // PERMISSION_DENIED
	KindUnauthenticated                  // UNAUTHENTICATED
	KindUnavailable                      // UNAVAILABLE: a dependency is down; retry later
	KindExhausted                        // RESOURCE_EXHAUSTED: the caller reached a limit; retry after its window
)

// FieldViolation names one wrong field of a request, as a path like "household.members[1].id_number".
type FieldViolation struct {
	Field       string
	Description string
	Reason      string
}

// Violation names one rule that refused a workflow step (google.rpc.PreconditionFailure.Violation).
type Violation struct {
	Type        string // the rule, e.g. "VILLAGE_REVIEW_QUORUM"
	Subject     string // what it was checked on, e.g. "households/123"
	Description string
}

// Error is a refusal with everything the API needs to explain it.
type Error struct {
	Kind       Kind
	Reason     string // UPPER_SNAKE, a value of the service's or fupin.common.v1's ErrorReason enum
	Message    string // safe to show to the caller: no personal data
	Fields     []FieldViolation
	Violations []Violation
	Metadata   map[string]string // ErrorInfo metadata; no personal data
	// Disclosed names the records outside the caller's region scope whose existence this refusal reveals
	// (a 身份证号 already in a household of another township: "households/{h}/members/{p}"). It is never
	// sent: the platform's server logs each in the audit log and counts them against the caller's limit
	// (package conflicts), after the request's transaction has rolled back.
	Disclosed []string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " [%s: %s]", f.Field, f.Description)
	}
	for _, v := range e.Violations {
		fmt.Fprintf(&b, " [%s on %s: %s]", v.Type, v.Subject, v.Description)
	}
	return b.String()
}

// Is makes errors.Is match two errors of the same kind and reason, so sentinel values work even
// when a copy carries different fields.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Reason == e.Reason
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Invalid reports one wrong field.
func Invalid(reason, field, description string) *Error {
	return &Error{Kind: KindInvalid, Reason: reason, Message: field + ": " + description,
		Fields: []FieldViolation{{Field: field, Description: description, Reason: reason}}}
}

// InvalidFields reports several wrong fields at once, so a caller can fix them all in one go.
func InvalidFields(fields ...FieldViolation) *Error {
	e := &Error{Kind: KindInvalid, Reason: "INVALID_FIELD", Fields: fields}
	if len(fields) > 0 {
		e.Message = fmt.Sprintf("%d invalid field(s), first %s: %s", len(fields), fields[0].Field, fields[0].Description)
		if fields[0].Reason != "" {
			e.Reason = fields[0].Reason
		}
	}
	return e
}

// NotFound reports a missing resource.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Reason: "NOT_FOUND", Message: what + " not found"}
}

// Exists reports a duplicate.
func Exists(reason, message string) *Error {
	return &Error{Kind: KindAlreadyExists, Reason: reason, Message: message}
}

// Refused reports a workflow rule that refused a step.
func Refused(reason string, violations ...Violation) *Error {
	e := &Error{Kind: KindRefused, Reason: reason, Violations: violations}
	if len(violations) > 0 {
		e.Message = violations[0].Description
	}
	return e
}

// Aborted reports a conflict with a concurrent change (a stale etag).
func Aborted(reason, message string) *Error {
	return &Error{Kind: KindAborted, Reason: reason, Message: message}
}

// Denied reports a caller who may not do this.
func Denied(reason, message string) *Error {
	return &Error{Kind: KindPermissionDenied, Reason: reason, Message: message}
}

// Unauthenticated reports a caller without valid credentials.
func Unauthenticated(message string) *Error {
	return &Error{Kind: KindUnauthenticated, Reason: "UNAUTHENTICATED", Message: message}
}

// Unavailable reports a dependency that cannot be reached now.
func Unavailable(reason, message string) *Error {
	return &Error{Kind: KindUnavailable, Reason: reason, Message: message}
}

// Exhausted reports a caller who reached a limit.
func Exhausted(reason, message string) *Error {
	return &Error{Kind: KindExhausted, Reason: reason, Message: message}
}

// StaleEtag is the refusal for an update whose etag no longer matches.
var StaleEtag = Aborted("STALE_ETAG", "the record changed since it was read: fetch it again and retry with the new etag")
