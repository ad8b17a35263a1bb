package logging

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc/grpclog"
)

// grpcLogger writes gRPC's grpclog lines through slog with component "grpc". gRPC's own default logger
// prints plain text to stderr and shows errors only (GRPC_GO_LOG_SEVERITY_LEVEL); the same is kept here:
// errors at the process's level, warnings and information (connection state changes, resolver updates —
// many a second while a peer restarts) only when the process logs at debug, as debug lines.
type grpcLogger struct {
	l *slog.Logger
}

// NewGRPCLogger adapts l to grpclog.LoggerV2 (and DepthLoggerV2, which gRPC's components prefer).
func NewGRPCLogger(l *slog.Logger) grpclog.LoggerV2 {
	return grpcLogger{l: l}
}

var _ grpclog.DepthLoggerV2 = grpcLogger{}

func (g grpcLogger) log(level slog.Level, msg string) {
	ctx := context.Background()
	if !g.l.Enabled(ctx, level) {
		return
	}
	g.l.LogAttrs(ctx, level, strings.TrimSpace(msg), slog.String("component", "grpc"))
}

// severity maps gRPC's info and warning lines to debug (see grpcLogger).
func (g grpcLogger) info(msg string)    { g.log(slog.LevelDebug, msg) }
func (g grpcLogger) warning(msg string) { g.log(slog.LevelDebug, msg) }
func (g grpcLogger) error(msg string)   { g.log(slog.LevelError, msg) }
func (g grpcLogger) fatal(msg string) {
	g.log(slog.LevelError, msg)
	os.Exit(1)
}

func (g grpcLogger) Info(args ...any)                    { g.info(fmt.Sprint(args...)) }
func (g grpcLogger) Infoln(args ...any)                  { g.info(fmt.Sprintln(args...)) }
func (g grpcLogger) Infof(format string, args ...any)    { g.info(fmt.Sprintf(format, args...)) }
func (g grpcLogger) Warning(args ...any)                 { g.warning(fmt.Sprint(args...)) }
func (g grpcLogger) Warningln(args ...any)               { g.warning(fmt.Sprintln(args...)) }
func (g grpcLogger) Warningf(format string, args ...any) { g.warning(fmt.Sprintf(format, args...)) }
func (g grpcLogger) Error(args ...any)                   { g.error(fmt.Sprint(args...)) }
func (g grpcLogger) Errorln(args ...any)                 { g.error(fmt.Sprintln(args...)) }
func (g grpcLogger) Errorf(format string, args ...any)   { g.error(fmt.Sprintf(format, args...)) }
func (g grpcLogger) Fatal(args ...any)                   { g.fatal(fmt.Sprint(args...)) }
func (g grpcLogger) Fatalln(args ...any)                 { g.fatal(fmt.Sprintln(args...)) }
func (g grpcLogger) Fatalf(format string, args ...any)   { g.fatal(fmt.Sprintf(format, args...)) }
func (g grpcLogger) InfoDepth(_ int, args ...any)        { g.info(fmt.Sprintln(args...)) }
func (g grpcLogger) WarningDepth(_ int, args ...any)     { g.warning(fmt.Sprintln(args...)) }
func (g grpcLogger) ErrorDepth(_ int, args ...any)       { g.error(fmt.Sprintln(args...)) }
func (g grpcLogger) FatalDepth(_ int, args ...any)       { g.fatal(fmt.Sprintln(args...)) }

// V reports gRPC's verbose logging on only at debug: gRPC guards its most detailed lines with V(2).
func (g grpcLogger) V(l int) bool {
	return l <= 0 || g.l.Enabled(context.Background(), slog.LevelDebug)
}
