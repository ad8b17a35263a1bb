// Package logging is the one place that decides how a fupin process logs: one slog handler for everything
// the process writes (the service's own lines, the request logs, etcd's zap output through etcdx, gRPC's
// grpclog lines and anything written through the standard log package), so an operator's log collector
// reads one format instead of JSON with plain-text lines mixed in.
//
// Two settings choose it: FUPIN_LOG_FORMAT (json, the default everywhere but `fupin dev` in a terminal,
// or text) and FUPIN_LOG_LEVEL (debug, info — the default —, warn or error). Every binary calls Setup
// first: a service's boot.Main, the gateway's main and `fupin dev`.
//
// What may be logged: never a request or response body, a query value, a name, a 身份证号 or a phone;
// requests are logged by route template or gRPC method with their status, duration, the caller's
// department and role and the trace id (see gateway and platform/server).
package logging

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc/grpclog"
)

// The settings' environment variables.
const (
	FormatEnv = "FUPIN_LOG_FORMAT"
	LevelEnv  = "FUPIN_LOG_LEVEL"
)

// Format is how lines are written.
type Format string

// The formats. JSON is what collectors parse; text is for a person reading a terminal.
const (
	JSON Format = "json"
	Text Format = "text"
)

// Options choose a process's handler.
type Options struct {
	Format Format
	Level  slog.Level
}

// FromEnv reads FUPIN_LOG_FORMAT and FUPIN_LOG_LEVEL; an unset format is def, an unset level info. Both
// problems are reported at once.
func FromEnv(def Format) (Options, error) {
	o := Options{Format: def, Level: slog.LevelInfo}
	var errs []error
	switch f := strings.ToLower(strings.TrimSpace(os.Getenv(FormatEnv))); f {
	case "":
	case string(JSON), string(Text):
		o.Format = Format(f)
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want json or text", FormatEnv, f))
	}
	if l := strings.TrimSpace(os.Getenv(LevelEnv)); l != "" {
		if err := o.Level.UnmarshalText([]byte(l)); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want debug, info, warn or error", LevelEnv, l))
		}
	}
	return o, errors.Join(errs...)
}

// New returns a logger writing to w as o says.
func New(w io.Writer, o Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.Level}
	if o.Format == Text {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}

// Install makes l the process's one logger: slog's default (which the standard log package then writes
// through, and which etcdx gives etcd's clients and servers) and gRPC's grpclog. grpclog may only be set
// before any gRPC activity, so Install belongs at the top of a main, never in a library or a test that
// shares its process with running servers.
func Install(l *slog.Logger) {
	slog.SetDefault(l)
	grpclog.SetLoggerV2(NewGRPCLogger(l))
}

// Setup is what a main calls first: the settings from the environment (def when no format is set), a logger
// on w, installed for the whole process. A wrong setting is returned with a logger that still works
// (JSON at info), so the main can log the problem before it exits.
func Setup(w io.Writer, def Format) (*slog.Logger, error) {
	o, err := FromEnv(def)
	l := New(w, o)
	Install(l)
	return l, err
}

// DevFormat is `fupin dev`'s default: text when w is a terminal a person reads, JSON otherwise (a file or
// a pipe into a collector).
func DevFormat(w io.Writer) Format {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return Text
		}
	}
	return JSON
}
