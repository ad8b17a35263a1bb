package etcdx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newZapLogger returns a zap logger, as etcd's server and client require, that forwards entries at
// or above min to an slog logger, so etcd's messages land in the process's own log stream.
func newZapLogger(logger *slog.Logger, min zapcore.Level) *zap.Logger {
	return zap.New(&slogCore{logger: logger, min: min})
}

type slogCore struct {
	logger *slog.Logger
	min    zapcore.Level
	attrs  []slog.Attr
}

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.min }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	attrs := append(append([]slog.Attr(nil), c.attrs...), fieldAttrs(fields)...)
	return &slogCore{logger: c.logger, min: c.min, attrs: attrs}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	level := slogLevel(e.Level)
	if level >= slog.LevelError && benign(e.Message, fields) {
		level = slog.LevelDebug
	}
	if !c.logger.Enabled(context.Background(), level) {
		return nil
	}
	attrs := make([]slog.Attr, 0, len(c.attrs)+len(fields)+1)
	attrs = append(attrs, slog.String("component", "etcd"))
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	attrs = append(attrs, c.attrs...)
	attrs = append(attrs, fieldAttrs(fields)...)
	c.logger.LogAttrs(context.Background(), level, e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

func fieldAttrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]slog.Attr, 0, len(enc.Fields))
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	return attrs
}

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l >= zapcore.ErrorLevel:
		return slog.LevelError
	case l >= zapcore.WarnLevel:
		return slog.LevelWarn
	case l >= zapcore.InfoLevel:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// benign reports whether an error-level etcd entry is routine: etcd logs every listener it closes
// on shutdown, and a fresh member's first storage-version check, as errors.
func benign(msg string, fields []zapcore.Field) bool {
	for _, f := range fields {
		err, ok := f.Interface.(error)
		if f.Type != zapcore.ErrorType || !ok {
			continue
		}
		switch {
		case errors.Is(err, net.ErrClosed), errors.Is(err, http.ErrServerClosed),
			strings.Contains(err.Error(), "mux: server closed"),
			msg == "failed to update storage version" && strings.Contains(err.Error(), "missing term information"):
			return true
		}
	}
	return false
}
