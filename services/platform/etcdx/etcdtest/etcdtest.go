// Package etcdtest gives tests a real etcd: an in-process server in the test's temporary directory,
// tuned for speed and stopped when the test ends. Tests that touch discovery or policy run against
// the same server code as production rather than a mock, so watch, lease and transaction semantics
// are the real ones.
package etcdtest

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/services/platform/etcdx"
)

// NewServer starts a fast in-process etcd server for t and stops it in t.Cleanup.
func NewServer(t testing.TB) *etcdx.Embedded {
	t.Helper()
	srv, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: t.TempDir(), Fast: true})
	if err != nil {
		t.Fatalf("start embedded etcd: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// New starts a fast in-process etcd server for t and returns a client to it; both are closed in
// t.Cleanup (the client first).
func New(t testing.TB) *clientv3.Client {
	t.Helper()
	srv := NewServer(t)
	cli, err := etcdx.Dial(srv.Endpoints())
	if err != nil {
		t.Fatalf("dial embedded etcd: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}
