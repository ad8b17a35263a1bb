package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/status"

	"fupin.dev/services/platform/auth"
)

// logCall writes the one line a service logs for each call, unary or streaming, when it ends: the method,
// the gRPC code, the duration, the caller's department and role (and, for a service acting for a person,
// that person's) and the trace id, which joins it to the gateway's line for the same request. Never a
// request or response field: those hold names, 身份证号 and phones (DESIGN.md, Telemetry). The caller is
// read from ctx as authorization left it, so a call refused for its token logs none.
//
// Health checks and reflection (public methods) are logged at debug: load balancers and the gateway's
// /healthz ask every few seconds.
func (s *Server) logCall(ctx context.Context, m *method, start time.Time, err error) {
	level := slog.LevelInfo
	if m.public {
		level = slog.LevelDebug
	}
	if !s.cfg.Logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("method", m.fullName),
		slog.String("code", status.Code(err).String()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	)
	if c, ok := auth.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("dept", auth.DepartmentCode(c.Department)), slog.String("role", auth.RoleCode(c.Role)))
		if p := c.OnBehalfOf; p != nil {
			attrs = append(attrs, slog.String("on_behalf_of_dept", auth.DepartmentCode(p.Department)),
				slog.String("on_behalf_of_role", auth.RoleCode(p.Role)))
		}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	s.cfg.Logger.LogAttrs(ctx, level, "rpc", attrs...)
}

// recovered turns a handler's panic into the INTERNAL status the caller sees. It logs the panic's type
// and the stack, never its value: a panic's value is whatever the failing code held (an index out of
// range over members, a nil record, or an error wrapping a request), and that can be a name or a 身份证号.
// The stack holds code locations and raw argument words only.
func (s *Server) recovered(ctx context.Context, fullMethod string, p any) error {
	s.cfg.Logger.ErrorContext(ctx, "panic", "method", fullMethod, "panic_type", fmt.Sprintf("%T", p),
		"stack", string(debug.Stack()))
	return toStatus(ctx, s.domain, discard, fullMethod, fmt.Errorf("panic of type %T in %s", p, fullMethod))
}
