package logging_test

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/grpclog"

	"fupin.dev/services/platform/logging"
	"fupin.dev/services/platform/logging/logtest"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name          string
		format, level string
		def           logging.Format
		want          logging.Options
		wantErr       []string
	}{
		{name: "unset: the binary's default format at info", def: logging.JSON, want: logging.Options{Format: logging.JSON, Level: slog.LevelInfo}},
		{name: "unset, fupin dev in a terminal", def: logging.Text, want: logging.Options{Format: logging.Text, Level: slog.LevelInfo}},
		{name: "text chosen", format: "text", def: logging.JSON, want: logging.Options{Format: logging.Text, Level: slog.LevelInfo}},
		{name: "json chosen over text, any case", format: " JSON ", def: logging.Text, want: logging.Options{Format: logging.JSON, Level: slog.LevelInfo}},
		{name: "debug", level: "debug", def: logging.JSON, want: logging.Options{Format: logging.JSON, Level: slog.LevelDebug}},
		{name: "warn", level: "WARN", def: logging.JSON, want: logging.Options{Format: logging.JSON, Level: slog.LevelWarn}},
		{name: "unknown format", format: "yaml", def: logging.JSON, wantErr: []string{"FUPIN_LOG_FORMAT"}},
		{name: "unknown level", level: "loud", def: logging.JSON, wantErr: []string{"FUPIN_LOG_LEVEL"}},
		{name: "both wrong, both reported", format: "xml", level: "loud", def: logging.JSON, wantErr: []string{"FUPIN_LOG_FORMAT", "FUPIN_LOG_LEVEL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(logging.FormatEnv, tt.format)
			t.Setenv(logging.LevelEnv, tt.level)
			got, err := logging.FromEnv(tt.def)
			if len(tt.wantErr) > 0 {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want one naming %s", err, w)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("FromEnv = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestSetupRoutesEveryComponent shows that after Setup, gRPC's grpclog lines, the standard log package and
// slog's default (what etcdx gives etcd) all come out as JSON lines of the one handler, at the chosen level.
func TestSetupRoutesEveryComponent(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	t.Setenv(logging.FormatEnv, "")
	t.Setenv(logging.LevelEnv, "info")
	var buf logtest.Buffer
	if _, err := logging.Setup(&buf, logging.JSON); err != nil {
		t.Fatal(err)
	}
	grpclog.Errorf("[transport] connection refused to %s", "127.0.0.1:1")
	grpclog.Warning("[core] a warning shown only at debug")
	grpclog.Info("[core] channel state change shown only at debug")
	log.Print("a line of the standard log package")
	slog.Info("a line through slog's default")

	lines := buf.Lines(t)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (gRPC's error, log, slog): %s", len(lines), buf.String())
	}
	if lines[0]["component"] != "grpc" || lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["msg"].(string), "connection refused") {
		t.Errorf("gRPC line %v", lines[0])
	}
	if !strings.Contains(lines[1]["msg"].(string), "standard log package") || !strings.Contains(lines[2]["msg"].(string), "slog's default") {
		t.Errorf("lines %v", lines[1:])
	}
	if !grpclog.V(0) || grpclog.V(2) {
		t.Error("gRPC verbosity: want V(0) only at info")
	}
}

func TestGRPCLoggerAtDebug(t *testing.T) {
	var buf bytes.Buffer
	g := logging.NewGRPCLogger(logging.New(&buf, logging.Options{Format: logging.Text, Level: slog.LevelDebug}))
	g.Warningf("[core] %s", "subchannel idle")
	if !strings.Contains(buf.String(), "level=DEBUG") || !strings.Contains(buf.String(), "component=grpc") || !g.V(2) {
		t.Errorf("at debug, gRPC's warnings are debug lines and V(2) is on: %q", buf.String())
	}
}
