// Package auth holds caller identity: the token claims every fupin service and the gateway agree on,
// signing and verifying them, and the Caller carried in a request's context.
//
// Tokens are JWTs signed with Ed25519 (EdDSA). Claims: sub, dept (department code), role, region (the
// caller's scope: a 9-digit township for a township officer, a 12-digit village for a village officer,
// empty for the whole county), iss "fupin", aud (the county's audience), iat and exp within the county's
// lifetime cap. Every verification key is bound to what it may sign: people's tokens, or one service's own
// token. In `fupin dev` the keys are made on first start in the data directory; in production services
// verify with the key file FUPIN_JWT_PUBLIC_KEY_FILE (see ParseKeySet).
package auth

import (
	"context"
	"strings"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/pii"
)

// Header names fupin reads besides Authorization.
const (
	// PurposeHeader carries why a caller asks for plain-text personal data (a commonv1.Purpose code).
	PurposeHeader = "x-fupin-purpose"
	// OnBehalfOfHeader carries the end user's token when a service calls another service for them.
	OnBehalfOfHeader = "x-fupin-on-behalf-of"
)

// Caller is who is calling, as established by the platform's authentication interceptor.
type Caller struct {
	Subject    string
	Department commonv1.Department
	Role       commonv1.Role
	// Region is the region code prefix the caller may see and change; "" means the whole county.
	Region string
	// Purpose is the stated reason for reading plain personal data; UNSPECIFIED when none was sent.
	Purpose commonv1.Purpose
	// PlainText is set by authorization when this caller, for this method, may receive unmasked personal
	// data: a plain_text grant of the method names their department and role and the purpose they stated.
	PlainText bool
	// OnBehalfOf is the end user a service acts for; nil when a person calls directly.
	OnBehalfOf *Caller
}

// InScope reports whether a record in regionCode lies inside the caller's region scope. A service acting
// for a person is limited by that person's scope.
func (c *Caller) InScope(regionCode string) bool {
	if c.OnBehalfOf != nil && !c.OnBehalfOf.InScope(regionCode) {
		return false
	}
	return strings.HasPrefix(regionCode, c.Region)
}

// NoRegion is the scope of a caller who may see no region at all: region codes are digits, so nothing lies
// under it.
const NoRegion = "none"

// Scope is the region prefix that limits the caller's queries: the narrower of the caller's own and the
// end user's they act for. When the two do not overlap it is NoRegion, so a query never reaches beyond
// either (InScope agrees: it holds only inside both).
func (c *Caller) Scope() string {
	s := c.Region
	if c.OnBehalfOf == nil {
		return s
	}
	switch p := c.OnBehalfOf.Scope(); {
	case strings.HasPrefix(p, s):
		return p
	case strings.HasPrefix(s, p):
		return s
	default:
		return NoRegion
	}
}

// Actor is how the caller appears in audit rows and trails: "subject" or "service subject/for subject".
func (c *Caller) Actor() string {
	if c == nil {
		return "anonymous"
	}
	if c.OnBehalfOf != nil {
		return c.Subject + "/for " + c.OnBehalfOf.Subject
	}
	return c.Subject
}

// Disclosure is how much of a person's identity this caller is shown (pii.ViewPerson): everything with
// plain access for this method (PlainText), what services' rules need for a fupin service, else the masked
// view.
func (c *Caller) Disclosure() pii.Disclosure {
	switch {
	case c == nil:
		return pii.DiscloseMasked
	case c.PlainText:
		return pii.DisclosePlain
	case c.Role == commonv1.Role_ROLE_SERVICE:
		return pii.DiscloseService
	}
	return pii.DiscloseMasked
}

type callerKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller the platform established for this request, if any.
func FromContext(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok && c != nil
}

// DepartmentCode is the claim value for d, e.g. "rural_revitalization".
func DepartmentCode(d commonv1.Department) string {
	return enumCode(d.String(), "DEPARTMENT_")
}

// RoleCode is the claim value for r, e.g. "township_officer".
func RoleCode(r commonv1.Role) string { return enumCode(r.String(), "ROLE_") }

// PurposeCode is the header value for p, e.g. "case_handling".
func PurposeCode(p commonv1.Purpose) string { return enumCode(p.String(), "PURPOSE_") }

// ParseDepartment reads a department claim; ok is false for an unknown code.
func ParseDepartment(code string) (commonv1.Department, bool) {
	v, ok := commonv1.Department_value["DEPARTMENT_"+strings.ToUpper(code)]
	return commonv1.Department(v), ok && v != 0
}

// ParseRole reads a role claim; ok is false for an unknown code.
func ParseRole(code string) (commonv1.Role, bool) {
	v, ok := commonv1.Role_value["ROLE_"+strings.ToUpper(code)]
	return commonv1.Role(v), ok && v != 0
}

// ParsePurpose reads a purpose header; ok is false for an unknown code.
func ParsePurpose(code string) (commonv1.Purpose, bool) {
	v, ok := commonv1.Purpose_value["PURPOSE_"+strings.ToUpper(code)]
	return commonv1.Purpose(v), ok && v != 0
}

func enumCode(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}
