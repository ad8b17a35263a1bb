package etcdx

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestZapToSlog(t *testing.T) {
	var buf bytes.Buffer
	lg := newZapLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})), zapcore.ErrorLevel)

	lg.Info("chatty", zap.String("x", "y"))
	lg.Warn("warning")
	lg.With(zap.String("member", "fupin")).Error("disk full", zap.Int("free", 0), zap.Error(errors.New("no space")))
	lg.Error("setting up serving from embedded etcd failed.", zap.Error(fmt.Errorf("accept: %w", net.ErrClosed)))

	out := buf.String()
	for _, unwanted := range []string{"chatty", "warning", "setting up serving"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("log contains %q:\n%s", unwanted, out)
		}
	}
	for _, want := range []string{"level=ERROR", `msg="disk full"`, "component=etcd", "member=fupin", "free=0", `error="no space"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
