// Package etcdx is the one place that knows how fupin talks to etcd.
//
// etcd holds the two things every service must agree on without a shared database: where the
// services are (discovery) and which policy values apply (policy). Production points the services
// at a real cluster; `fupin dev` and the tests run an in-process server from the same etcd release,
// so both paths use the same client settings and the same wire protocol. Keeping the server
// start-up, the client dial options and etcd's logging in this package means no service invents
// its own timeouts, and etcd's verbose zap output never drowns the project's structured logs.
package etcdx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// Client settings shared by embedded and external clusters.
const (
	// DialTimeout bounds the client's start-up handshake (authentication, when enabled). The
	// connection itself is made lazily, so a process can start while etcd is briefly away.
	DialTimeout = 5 * time.Second
	// KeepAliveTime is how often an idle transport is pinged to notice a dead etcd member; it must
	// stay above the server's minimum ping interval (5 s by default).
	KeepAliveTime = 10 * time.Second
	// KeepAliveTimeout is how long a ping may go unanswered before the transport is closed and the
	// client fails over to another endpoint.
	KeepAliveTimeout = 3 * time.Second
	// MaxReconnectDelay caps the wait between reconnection attempts, so a client notices within
	// seconds that etcd is back (gRPC's default cap is two minutes).
	MaxReconnectDelay = 3 * time.Second
)

// startTimeout bounds how long StartEmbedded waits for the server to become ready.
const startTimeout = 30 * time.Second

// Dial returns a client for the given etcd endpoints ("host:port" or "http(s)://host:port").
//
// The connection is made in the background: Dial fails only on bad arguments, and the first
// request fails with its context's deadline if no endpoint answers. Callers give every request a
// context with a deadline. Auto-sync of the member list is off, so the endpoints given are the
// ones used (an embedded server advertises no reachable peer addresses).
func Dial(endpoints []string) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("etcdx: dial: no endpoints")
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          DialTimeout,
		DialKeepAliveTime:    KeepAliveTime,
		DialKeepAliveTimeout: KeepAliveTimeout,
		Logger:               newZapLogger(slog.Default(), zapcore.ErrorLevel),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  250 * time.Millisecond,
				Multiplier: backoff.DefaultConfig.Multiplier,
				Jitter:     backoff.DefaultConfig.Jitter,
				MaxDelay:   MaxReconnectDelay,
			},
			MinConnectTimeout: DialTimeout,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("etcdx: dial %s: %w", strings.Join(endpoints, ","), err)
	}
	return cli, nil
}

// EmbeddedOptions configures an in-process etcd server.
type EmbeddedOptions struct {
	// Dir is the data directory; required. Reusing it keeps the data across restarts.
	Dir string
	// ClientURL is where clients connect, e.g. "127.0.0.1:2379" or "http://127.0.0.1:2379".
	// Empty means http://127.0.0.1:0: a free port, reported by Endpoints.
	ClientURL string
	// Fast trades durability for speed: no fsync and very short raft ticks. Tests only.
	Fast bool
	// Logger receives etcd's own error-level messages; nil means slog.Default().
	Logger *slog.Logger
}

// Embedded is a running in-process single-member etcd server.
type Embedded struct {
	etcd      *embed.Etcd
	endpoints []string
	closeOnce sync.Once
}

// StartEmbedded starts a single-member etcd server and waits until it serves requests.
func StartEmbedded(ctx context.Context, opts EmbeddedOptions) (*Embedded, error) {
	if opts.Dir == "" {
		return nil, errors.New("etcdx: start embedded etcd: empty data directory")
	}
	clientURL, err := parseURL(opts.ClientURL, "http://127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("etcdx: start embedded etcd: client url: %w", err)
	}
	// A single member never talks to peers, but etcd still wants a peer listener; a free loopback
	// port keeps it off the network.
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}

	cfg := embed.NewConfig()
	cfg.Name = "fupin"
	cfg.Dir = opts.Dir
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newZapLogger(logger, zapcore.ErrorLevel))
	if opts.Fast {
		cfg.UnsafeNoFsync = true
		cfg.TickMs = 10
		cfg.ElectionMs = 50
	}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcdx: start embedded etcd in %s: %w", opts.Dir, err)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcdx: start embedded etcd: %w", err)
	case <-e.Server.StopNotify():
		e.Close()
		return nil, errors.New("etcdx: start embedded etcd: server stopped before it was ready")
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("etcdx: start embedded etcd: %w", ctx.Err())
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("etcdx: start embedded etcd: not ready after %s", startTimeout)
	}

	endpoints := make([]string, 0, len(e.Clients))
	for _, l := range e.Clients {
		endpoints = append(endpoints, clientURL.Scheme+"://"+l.Addr().String())
	}
	return &Embedded{etcd: e, endpoints: endpoints}, nil
}

// Endpoints returns the client URLs, with the actual port when a free one was picked.
func (e *Embedded) Endpoints() []string {
	return append([]string(nil), e.endpoints...)
}

// Err reports a fatal server error (e.g. a listener failing) after start-up; a supervisor can
// select on it next to its own context.
func (e *Embedded) Err() <-chan error {
	return e.etcd.Err()
}

// Close stops the server and waits until it has released its data directory. It is safe to call
// more than once. Close the clients first: etcd waits up to its request timeout (about 5 s) for
// open watch streams before cutting them.
func (e *Embedded) Close() {
	e.closeOnce.Do(func() {
		e.etcd.Close()
		<-e.etcd.Server.StopNotify()
	})
}

func parseURL(raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%q: only http is supported for an embedded server", raw)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("%q: missing port", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}
