package gateway

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// requestLog writes the one line the gateway logs for each request when it ends: the HTTP method, the route
// template (never the path, which holds ids, nor the query, whose values can be names or numbers), the gRPC
// method it reached, the HTTP status and gRPC code, the duration, the caller's department and role, and the
// trace id, which joins it to the service's line for the same call. Never a body, a header value or a token.
//
// Probes and static files (/healthz, /openapi.json, /docs/) are logged at debug: load balancers ask often.
type requestLog struct {
	logger *slog.Logger
}

func (l *requestLog) write(r *http.Request, x *exchange, status int, d time.Duration) {
	level := slog.LevelInfo
	if x.quiet {
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !l.logger.Enabled(ctx, level) {
		return
	}
	if status == 0 {
		status = http.StatusOK // the handler wrote nothing: net/http answers 200
	}
	route := x.route
	if route == "" {
		route = "unmatched"
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("http_method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	)
	if x.rpc != "" {
		attrs = append(attrs, slog.String("rpc", x.rpc))
	}
	switch {
	case x.hasCode:
		attrs = append(attrs, slog.String("code", x.code.String()))
	case x.rpc != "":
		attrs = append(attrs, slog.String("code", "OK")) // a service answered and no error was written
	}
	if x.dept != "" {
		attrs = append(attrs, slog.String("dept", x.dept), slog.String("role", x.role))
	}
	if x.traceID != "" {
		attrs = append(attrs, slog.String("trace_id", x.traceID))
	}
	l.logger.LogAttrs(ctx, level, "http request", attrs...)
}

// routeKey is a matched request's route as Limits.Routes and the request log name it: the method and
// grpc-gateway's template, e.g. "GET /v1/{name=households/*}"; "" before a route has matched.
func routeKey(r *http.Request) string {
	pat, ok := runtime.HTTPPattern(r.Context())
	if !ok {
		return ""
	}
	return r.Method + " " + pat.String()
}
