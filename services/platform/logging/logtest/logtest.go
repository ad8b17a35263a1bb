// Package logtest captures a process's JSON log lines for tests that check what is logged, and what is not.
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Buffer collects log output written from many goroutines (servers, streams, the test itself).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// New returns a JSON logger at level writing into a new Buffer.
func New(level slog.Level) (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: level})), b
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Lines decodes every line written so far, failing the test on a line that is not JSON: one stream, one
// format.
func (b *Buffer) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line that is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// Find returns the lines whose key msg has the value msg (e.g. "rpc").
func (b *Buffer) Find(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.Lines(t) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// Holding returns the first line that contains s, or "" when none does.
func (b *Buffer) Holding(s string) string {
	for l := range strings.SplitSeq(b.String(), "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
