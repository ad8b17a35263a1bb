package discovery_test

import (
	"context"
	"net"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/etcdx/etcdtest"
)

// waitTimeout bounds every wait in these tests; nothing sleeps a fixed time.
const waitTimeout = 15 * time.Second

// startBackend runs a real gRPC server with the health service on a free loopback port.
func startBackend(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func register(t *testing.T, cli *clientv3.Client, service, addr string, opts ...discovery.RegisterOption) *discovery.Registration {
	t.Helper()
	reg, err := discovery.Register(t.Context(), cli, service, addr, opts...)
	if err != nil {
		t.Fatalf("register %s at %s: %v", service, addr, err)
	}
	t.Cleanup(func() { _ = reg.Close(context.Background()) })
	return reg
}

func dial(t *testing.T, cli *clientv3.Client, service string) healthpb.HealthClient {
	t.Helper()
	conn, err := discovery.Dial(cli, service, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", service, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return healthpb.NewHealthClient(conn)
}

// check calls the health service once and returns the address of the backend that answered.
// Without an instance the call fails at once (round_robin with no addresses).
func check(ctx context.Context, hc healthpb.HealthClient, opts ...grpc.CallOption) (string, error) {
	var p peer.Peer
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}, append(opts, grpc.Peer(&p))...); err != nil {
		return "", err
	}
	return p.Addr.String(), nil
}

func TestTarget(t *testing.T) {
	if got, want := discovery.Target("identification"), "etcd:///fupin/services/identification"; got != want {
		t.Fatalf("Target = %q, want %q", got, want)
	}
}

func TestRegisterRejectsBadInput(t *testing.T) {
	cli := etcdtest.New(t)
	for _, tc := range []struct{ service, addr string }{{"", "127.0.0.1:1"}, {"a/b", "127.0.0.1:1"}, {"svc", ""}} {
		if _, err := discovery.Register(t.Context(), cli, tc.service, tc.addr); err == nil {
			t.Errorf("Register(%q, %q) succeeded, want an error", tc.service, tc.addr)
		}
	}
}

func TestClientReachesServiceByName(t *testing.T) {
	cli := etcdtest.New(t)
	addr := startBackend(t)
	reg := register(t, cli, "identification", addr)

	resp, err := cli.Get(t.Context(), reg.Key())
	if err != nil || len(resp.Kvs) != 1 || resp.Kvs[0].Lease == 0 {
		t.Fatalf("endpoint key %s: %v %v, want one key under a lease", reg.Key(), resp, err)
	}

	hc := dial(t, cli, "identification")
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	// Wait for the first successful call, then every call must go to the one backend.
	got, err := pollAddr(ctx, hc)
	if err != nil {
		t.Fatalf("no answer from identification: %v", err)
	}
	if got != addr {
		t.Fatalf("answered by %s, want %s", got, addr)
	}
}

func TestEndpointDisappearsOnClose(t *testing.T) {
	cli := etcdtest.New(t)
	addr := startBackend(t)
	reg := register(t, cli, "funds", addr)
	hc := dial(t, cli, "funds")
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if _, err := pollAddr(ctx, hc); err != nil {
		t.Fatalf("no answer before close: %v", err)
	}

	if err := reg.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := reg.Close(ctx); err != nil {
		t.Fatalf("second close: %v", err)
	}
	resp, err := cli.Get(ctx, discovery.Prefix+"/funds/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Fatalf("endpoints after close: %v", resp.Kvs)
	}
	// The backend still runs, but the resolver drops it, so calls fail.
	for {
		if _, err := check(ctx, hc); err != nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("calls still reach the backend after its registration closed")
		}
		pause(ctx)
	}
}

func TestRegistrationComesBackAfterLeaseRevoked(t *testing.T) {
	cli := etcdtest.New(t)
	addr := startBackend(t)
	reg := register(t, cli, "subsidies", addr, discovery.WithTTL(time.Second))
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()

	resp, err := cli.Get(ctx, reg.Key())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("endpoint key: %v %v", resp, err)
	}
	oldLease := clientv3.LeaseID(resp.Kvs[0].Lease)
	wch := cli.Watch(ctx, reg.Key(), clientv3.WithRev(resp.Header.Revision+1))

	if _, err := cli.Revoke(ctx, oldLease); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	var deleted bool
	for {
		var wr clientv3.WatchResponse
		select {
		case wr = <-wch:
		case <-ctx.Done():
			t.Fatalf("registration did not come back (deleted seen: %v)", deleted)
		}
		if err := wr.Err(); err != nil {
			t.Fatalf("watch: %v", err)
		}
		for _, ev := range wr.Events {
			switch ev.Type {
			case clientv3.EventTypeDelete:
				deleted = true
			case clientv3.EventTypePut:
				if !deleted {
					t.Fatalf("put before the revoke's delete: %v", ev)
				}
				if clientv3.LeaseID(ev.Kv.Lease) == oldLease || ev.Kv.Lease == 0 {
					t.Fatalf("re-registered under lease %x, want a new one (old %x)", ev.Kv.Lease, oldLease)
				}
				// Registered again; a client finds the service.
				if _, err := pollAddr(ctx, dial(t, cli, "subsidies")); err != nil {
					t.Fatalf("no answer after re-registration: %v", err)
				}
				return
			}
		}
	}
}

func TestRoundRobinReachesEveryBackend(t *testing.T) {
	cli := etcdtest.New(t)
	want := map[string]bool{}
	for range 2 {
		addr := startBackend(t)
		register(t, cli, "employment", addr)
		want[addr] = true
	}
	hc := dial(t, cli, "employment")
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()

	seen := map[string]int{}
	calls := 0
	for len(seen) < len(want) {
		if ctx.Err() != nil {
			t.Fatalf("after %d calls only %v answered, want all of %v", calls, seen, want)
		}
		calls++
		addr, err := check(ctx, hc, grpc.WaitForReady(true))
		if err != nil {
			continue
		}
		if !want[addr] {
			t.Fatalf("answered by unknown backend %s", addr)
		}
		seen[addr]++
	}
	t.Logf("both backends answered within %d calls: %v", calls, seen)
}

// pollAddr calls, waiting for a ready backend, until one answers or ctx ends.
func pollAddr(ctx context.Context, hc healthpb.HealthClient) (string, error) {
	for {
		addr, err := check(ctx, hc, grpc.WaitForReady(true))
		if err == nil {
			return addr, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
	}
}

// pause waits one polling interval or until ctx ends.
func pause(ctx context.Context) {
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
