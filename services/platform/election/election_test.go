package election

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/etcdx/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

var quiet = slog.New(slog.DiscardHandler)

// start runs an elector until the returned stop is called (or the test ends).
func start(t *testing.T, cli *clientv3.Client, name, value string) (*Elector, func()) {
	t.Helper()
	e := New(cli, name, Options{Value: value, TTL: 2 * time.Second, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return e, stop
}

// waitFor polls cond until it holds, waking early on leadership changes of es. No timing is asserted:
// the deadline only keeps a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool, es ...*Elector) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		var changed <-chan struct{}
		if len(es) > 0 {
			changed = es[0].Changed()
		}
		select {
		case <-changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// freePort returns a loopback address nothing listens on now, for a server that must come back on the
// same address.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func leaderValue(leader, a *Elector) string {
	if leader == a {
		return "a"
	}
	return "b"
}

func leaders(es ...*Elector) (n int, token int64, who *Elector) {
	for _, e := range es {
		if tok, ok := e.Leader(); ok {
			n, token, who = n+1, tok, e
		}
	}
	return n, token, who
}

func TestOneLeaderThenFailover(t *testing.T) {
	cli := etcdtest.New(t)
	a, stopA := start(t, cli, "test/one", "a")
	b, stopB := start(t, cli, "test/one", "b")
	waitFor(t, "a leader", func() bool { n, _, _ := leaders(a, b); return n == 1 }, a, b)
	n, first, leader := leaders(a, b)
	if n != 1 || first <= 0 {
		t.Fatalf("leaders %d, token %d", n, first)
	}
	follower, stopLeader := b, stopA
	if leader == b {
		follower, stopLeader = a, stopB
	}
	// Every candidate has a key; the oldest is the leader's and holds its value, for operators.
	waitFor(t, "both to campaign", func() bool {
		resp, err := cli.Get(t.Context(), Prefix+"test/one", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 2
	})
	resp, err := cli.Get(t.Context(), Prefix+"test/one", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil || len(resp.Kvs) != 2 || resp.Kvs[0].CreateRevision != first || string(resp.Kvs[0].Value) != leaderValue(leader, a) {
		t.Fatalf("candidate keys %v %v", resp, err)
	}

	stopLeader() // resigns: the follower takes over without waiting for the lease
	waitFor(t, "the follower to lead", follower.IsLeader, follower)
	if leader.IsLeader() {
		t.Error("a stopped elector still reports leading")
	}
	if second := follower.Token(); second <= first {
		t.Errorf("the new leader's token %d is not above the old one %d", second, first)
	}
}

func TestResignHandsOver(t *testing.T) {
	cli := etcdtest.New(t)
	a, _ := start(t, cli, "test/resign", "a")
	waitFor(t, "a to lead", a.IsLeader, a)
	b, _ := start(t, cli, "test/resign", "b")
	first := a.Token()
	// b's key must exist before a resigns, or a would simply win again.
	waitFor(t, "b to campaign", func() bool {
		resp, err := cli.Get(t.Context(), Prefix+"test/resign", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 2
	})
	a.Resign()
	waitFor(t, "b to lead", b.IsLeader, a, b)
	if b.Token() <= first {
		t.Errorf("token after the hand-over %d, before %d", b.Token(), first)
	}
	waitFor(t, "a to campaign again behind b", func() bool {
		resp, err := cli.Get(t.Context(), Prefix+"test/resign", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 2 && !a.IsLeader()
	}, a)
}

func TestLostLeaseEndsLeadership(t *testing.T) {
	cli := etcdtest.New(t)
	a, _ := start(t, cli, "test/lease", "a")
	waitFor(t, "a to lead", a.IsLeader, a)
	first := a.Token()
	// An operator (or an expiry during a partition) ends the leader's lease behind its back.
	resp, err := cli.Get(t.Context(), Prefix+"test/lease", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("leader key: %v %v", resp, err)
	}
	if _, err := cli.Revoke(t.Context(), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to lead again on a new session", func() bool { tok, ok := a.Leader(); return ok && tok != first }, a)
	if a.Token() <= first {
		t.Errorf("token on the new session %d, before %d", a.Token(), first)
	}
}

func TestElectorSurvivesEtcdRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: dir, Fast: true, ClientURL: freePort(t)})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := etcdx.Dial(srv.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	a, _ := start(t, cli, "test/restart", "a")
	waitFor(t, "a to lead", a.IsLeader, a)
	first := a.Token()
	srv.Close()
	waitFor(t, "a to stop leading while etcd is away", func() bool { return !a.IsLeader() }, a)
	srv, err = etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: dir, Fast: true, ClientURL: srv.Endpoints()[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	waitFor(t, "a to lead again", a.IsLeader, a)
	if a.Token() <= first {
		t.Errorf("token after the restart %d, before %d", a.Token(), first)
	}
}

func TestLockTokensGrow(t *testing.T) {
	cli := etcdtest.New(t)
	ctx := t.Context()
	first, err := Lock(ctx, cli, "test/lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *Held, 1)
	go func() {
		h, err := Lock(ctx, cli, "test/lock", time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- h
	}()
	select {
	case h := <-got:
		t.Fatalf("a second holder got the lock while the first held it (token %d)", h.Token)
	case <-time.After(300 * time.Millisecond):
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if second == nil {
		t.FailNow()
	}
	defer second.Unlock()
	if second.Token <= first.Token {
		t.Errorf("second token %d not above the first %d", second.Token, first.Token)
	}
	// A lock on another name is independent.
	other, err := Lock(ctx, cli, "test/other", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	// Leadership and locks draw tokens from the same revisions: a leader elected now outranks both.
	e, _ := start(t, cli, "test/lock-leader", "x")
	waitFor(t, "e to lead", e.IsLeader, e)
	if e.Token() <= second.Token {
		t.Errorf("leader token %d not above an earlier lock's %d", e.Token(), second.Token)
	}
}

func TestLockLostWithItsLease(t *testing.T) {
	cli := etcdtest.New(t)
	h, err := Lock(t.Context(), cli, "test/lost", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Revoke(t.Context(), h.session.Lease()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Lost():
	case <-time.After(30 * time.Second):
		t.Fatal("Lost not closed after the lease was revoked")
	}
	next, err := Lock(t.Context(), cli, "test/lost", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Unlock()
	if next.Token <= h.Token {
		t.Errorf("the next holder's token %d is not above the lost one's %d", next.Token, h.Token)
	}
}
