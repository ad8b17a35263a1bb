// Package discovery lets services find each other by name through etcd, so no address list is ever
// written into a config file.
//
// A service registers its gRPC address under fupin/services/<name>/<addr>, attached to a lease that a
// concurrency.Session keeps alive: when the process dies the lease expires and the address vanishes
// by itself. If the session ends while the process lives (etcd restarted, a partition outlasted the
// TTL, an operator revoked the lease), the registration is made again with a new lease, so a
// healthy service never stays invisible. Callers dial etcd:///fupin/services/<name>; etcd's own gRPC
// resolver watches the prefix and the round_robin balancer spreads calls over every instance.
//
// Only etcd's naming/endpoints and naming/resolver packages are used, and endpoint Metadata is never
// set: with current grpc-go it makes the resolver panic comparing an uncomparable map.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.etcd.io/etcd/client/v3/naming/endpoints"
	"go.etcd.io/etcd/client/v3/naming/resolver"
	"google.golang.org/grpc"
)

// Prefix is the etcd key prefix under which every service registers.
const Prefix = "fupin/services"

// DefaultTTL is the lease TTL of a registration: how long a crashed instance may linger in the
// endpoint list.
const DefaultTTL = 10 * time.Second

// serviceConfig selects round_robin: the default pick_first would send every call to one instance.
const serviceConfig = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// Re-registration backoff and per-attempt bound.
const (
	minBackoff     = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
	attemptTimeout = 5 * time.Second
	revokeTimeout  = 2 * time.Second
)

// Target returns the gRPC target that resolves service through etcd.
func Target(service string) string {
	return "etcd:///" + servicePrefix(service)
}

func servicePrefix(service string) string { return Prefix + "/" + service }

// Dial returns a client connection to every registered instance of service, balanced round robin.
// The caller supplies transport credentials and interceptors in opts. The connection follows
// instances as they come and go; it keeps the last known list while etcd is unreachable.
func Dial(cli *clientv3.Client, service string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if err := validService(service); err != nil {
		return nil, fmt.Errorf("discovery: dial: %w", err)
	}
	builder, err := resolver.NewBuilder(cli)
	if err != nil {
		return nil, fmt.Errorf("discovery: dial %s: etcd resolver: %w", service, err)
	}
	all := append([]grpc.DialOption{
		grpc.WithResolvers(builder),
		grpc.WithDefaultServiceConfig(serviceConfig),
	}, opts...)
	conn, err := grpc.NewClient(Target(service), all...)
	if err != nil {
		return nil, fmt.Errorf("discovery: dial %s: %w", service, err)
	}
	return conn, nil
}

// RegisterOption adjusts Register.
type RegisterOption func(*registerConfig)

type registerConfig struct {
	ttl    time.Duration
	logger *slog.Logger
}

// WithTTL sets the lease TTL (rounded up to whole seconds, at least one; etcd may raise very short
// TTLs to its minimum). Tests use short ones so a lost lease is noticed quickly.
func WithTTL(ttl time.Duration) RegisterOption {
	return func(c *registerConfig) { c.ttl = ttl }
}

// WithLogger sets the logger for registration events; the default is slog.Default().
func WithLogger(logger *slog.Logger) RegisterOption {
	return func(c *registerConfig) { c.logger = logger }
}

// Registration is a live registration of one service instance.
type Registration struct {
	cli     *clientv3.Client
	manager endpoints.Manager
	service string
	addr    string
	key     string
	ttl     int64
	logger  *slog.Logger

	runCtx context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	session *concurrency.Session // current session; owned by the keeper goroutine until done

	closeOnce sync.Once
	closeErr  error
}

// Register publishes addr as an instance of service and keeps it published until Close: a
// background goroutine re-registers with a new lease, with backoff, whenever the session ends. The
// first registration happens before Register returns, bounded by ctx.
func Register(ctx context.Context, cli *clientv3.Client, service, addr string, opts ...RegisterOption) (*Registration, error) {
	if err := validService(service); err != nil {
		return nil, fmt.Errorf("discovery: register: %w", err)
	}
	if addr == "" || strings.ContainsAny(addr, "/ ") {
		return nil, fmt.Errorf("discovery: register %s: invalid address %q", service, addr)
	}
	cfg := registerConfig{ttl: DefaultTTL, logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	ttl := int64((cfg.ttl + time.Second - 1) / time.Second)
	ttl = max(ttl, 1)
	manager, err := endpoints.NewManager(cli, servicePrefix(service))
	if err != nil {
		return nil, fmt.Errorf("discovery: register %s: %w", service, err)
	}
	r := &Registration{
		cli:     cli,
		manager: manager,
		service: service,
		addr:    addr,
		key:     servicePrefix(service) + "/" + addr,
		ttl:     ttl,
		logger:  cfg.logger.With("service", service, "addr", addr),
		done:    make(chan struct{}),
	}
	// The keep-alive must outlive the caller's ctx, which only bounds the first registration.
	r.runCtx, r.cancel = context.WithCancel(context.Background())

	sess, err := r.register(ctx)
	if err != nil {
		r.cancel()
		return nil, fmt.Errorf("discovery: register %s at %s: %w", service, addr, err)
	}
	r.session = sess
	go r.keep(sess)
	return r, nil
}

// Key returns the etcd key holding this instance's endpoint.
func (r *Registration) Key() string { return r.key }

// Close stops re-registering, deletes the endpoint and revokes the lease, so callers stop picking
// this instance at once rather than after the TTL. Later calls return the first call's result.
func (r *Registration) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.cancel()
		<-r.done
		r.mu.Lock()
		sess := r.session
		r.mu.Unlock()

		var errs []error
		if _, err := r.cli.Delete(ctx, r.key); err != nil {
			errs = append(errs, fmt.Errorf("delete endpoint: %w", err))
		}
		if sess != nil {
			sess.Orphan()
			if _, err := r.cli.Revoke(ctx, sess.Lease()); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
				errs = append(errs, fmt.Errorf("revoke lease: %w", err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			r.closeErr = fmt.Errorf("discovery: deregister %s at %s: %w", r.service, r.addr, err)
		}
	})
	return r.closeErr
}

// register grants a lease, keeps it alive with a session and writes the endpoint under it.
func (r *Registration) register(ctx context.Context) (*concurrency.Session, error) {
	lease, err := r.cli.Grant(ctx, r.ttl)
	if err != nil {
		return nil, fmt.Errorf("grant lease: %w", err)
	}
	sess, err := concurrency.NewSession(r.cli,
		concurrency.WithLease(lease.ID),
		concurrency.WithTTL(int(r.ttl)),
		concurrency.WithContext(r.runCtx))
	if err != nil {
		r.revoke(lease.ID)
		return nil, fmt.Errorf("keep lease alive: %w", err)
	}
	// Never set Metadata: see the package documentation.
	if err := r.manager.AddEndpoint(ctx, r.key, endpoints.Endpoint{Addr: r.addr}, clientv3.WithLease(lease.ID)); err != nil {
		sess.Orphan()
		r.revoke(lease.ID)
		return nil, fmt.Errorf("add endpoint: %w", err)
	}
	return sess, nil
}

// keep waits for the session to end and registers again until Close.
func (r *Registration) keep(sess *concurrency.Session) {
	defer close(r.done)
	for {
		select {
		case <-r.runCtx.Done():
			return
		case <-r.cli.Ctx().Done():
			return
		case <-sess.Done():
		}
		r.logger.Warn("discovery: registration lease lost, registering again", "lease", int64(sess.Lease()))
		sess.Orphan()

		backoff := minBackoff
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(r.runCtx, attemptTimeout)
			next, err := r.register(ctx)
			cancel()
			if err == nil {
				r.mu.Lock()
				r.session = next
				r.mu.Unlock()
				sess = next
				r.logger.Info("discovery: registered again", "lease", int64(next.Lease()), "attempt", attempt)
				break
			}
			if r.runCtx.Err() != nil || r.cli.Ctx().Err() != nil {
				return
			}
			wait := backoff/2 + rand.N(backoff/2+1)
			r.logger.Warn("discovery: register again failed", "attempt", attempt, "retry_in", wait, "error", err)
			if !r.sleep(wait) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

func (r *Registration) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.runCtx.Done():
		return false
	case <-r.cli.Ctx().Done():
		return false
	}
}

// revoke drops a lease that will not be used, best effort: an unreached etcd expires it anyway.
func (r *Registration) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if _, err := r.cli.Revoke(ctx, id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		r.logger.Debug("discovery: revoke unused lease failed", "lease", int64(id), "error", err)
	}
}

func validService(service string) error {
	if service == "" || strings.ContainsAny(service, "/ ") {
		return fmt.Errorf("invalid service name %q", service)
	}
	return nil
}
