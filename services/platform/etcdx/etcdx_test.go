package etcdx_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/etcdx/etcdtest"
)

func TestEmbeddedServesAndKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	srv, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: dir, Fast: true})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Logf("embedded etcd ready in %s at %v", time.Since(start), srv.Endpoints())
	eps := srv.Endpoints()
	if len(eps) != 1 || !strings.HasPrefix(eps[0], "http://127.0.0.1:") || strings.HasSuffix(eps[0], ":0") {
		t.Fatalf("endpoints = %v, want one http://127.0.0.1:<picked port>", eps)
	}

	put(t, eps, "k", "v1")
	srv.Close()
	srv.Close() // idempotent

	srv2, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: dir, Fast: true})
	if err != nil {
		t.Fatalf("restart in the same directory: %v", err)
	}
	defer srv2.Close()
	if got := get(t, srv2.Endpoints(), "k"); got != "v1" {
		t.Fatalf("after restart k = %q, want v1", got)
	}
}

func TestEmbeddedFixedClientURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	srv, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: t.TempDir(), ClientURL: addr, Fast: true})
	if err != nil {
		t.Fatalf("start on %s: %v", addr, err)
	}
	defer srv.Close()
	if eps := srv.Endpoints(); len(eps) != 1 || eps[0] != "http://"+addr {
		t.Fatalf("endpoints = %v, want [http://%s]", eps, addr)
	}
	put(t, []string{addr}, "fixed", "yes") // a bare host:port works for Dial too
}

func TestStartEmbeddedRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]etcdx.EmbeddedOptions{
		"no dir":       {},
		"https":        {Dir: t.TempDir(), ClientURL: "https://127.0.0.1:0"},
		"missing port": {Dir: t.TempDir(), ClientURL: "127.0.0.1"},
	} {
		if _, err := etcdx.StartEmbedded(t.Context(), opts); err == nil {
			t.Errorf("%s: StartEmbedded succeeded, want an error", name)
		}
	}
	if _, err := etcdx.Dial(nil); err == nil {
		t.Error("Dial(nil) succeeded, want an error")
	}
}

func TestEtcdtestNew(t *testing.T) {
	cli := etcdtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "a", "b"); err != nil {
		t.Fatalf("put: %v", err)
	}
}

func put(t *testing.T, eps []string, k, v string) {
	t.Helper()
	cli, err := etcdx.Dial(eps)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, k, v); err != nil {
		t.Fatalf("put %s: %v", k, err)
	}
}

func get(t *testing.T, eps []string, k string) string {
	t.Helper()
	cli, err := etcdx.Dial(eps)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, k)
	if err != nil {
		t.Fatalf("get %s: %v", k, err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}
