package audit

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"fupin.dev/services/platform/auth"
)

// ByCaller is the row of a call its handler audits itself (a stream or an upload the platform's unary
// chain does not see whole): who called — subject, department, role, and the person a service acted
// for — and the trace the call belongs to, with code OK. The handler sets what else it knows (a purpose,
// a filter, a failure's code).
func ByCaller(ctx context.Context, c *auth.Caller, at time.Time, kind, method, resource string, count int) Record {
	r := Record{At: at, Kind: kind, Method: method, Actor: c.Subject, Department: auth.DepartmentCode(c.Department),
		Role: auth.RoleCode(c.Role), Resource: resource, RecordCount: count, Code: "OK",
		TraceID: trace.SpanContextFromContext(ctx).TraceID().String()}
	if c.OnBehalfOf != nil {
		r.OnBehalfOf = c.OnBehalfOf.Subject
	}
	return r
}
