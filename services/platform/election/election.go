// Package election lets the replicas of a service agree, through etcd, on which one does a piece of
// background work (a monthly computation, a sweep), and gives every writer a fencing token so that a
// replica that lost its right without noticing (a long GC pause, a network partition outlasting its
// lease) cannot overwrite the work of the one that took over.
//
// It is etcd's concurrency package, used the one way fupin needs:
//
//   - An Elector campaigns for leadership of a key prefix in a loop, on a session (a lease kept alive by
//     the client). While it leads, Leader reports the fencing token: the create revision of its leader
//     key. When the session ends (the lease expired or was revoked) it stops leading at once and
//     campaigns again on a new session; when its Run context ends it resigns, so another replica takes
//     over without waiting for the lease to expire.
//   - Lock takes an etcd mutex on one key for one piece of work (a request computing one roll, whichever
//     replica it reached) and reports the mutex key's create revision as its token.
//
// Both tokens are etcd revisions of one cluster, so they are totally ordered: whoever acquired a right
// later holds a larger token. Leadership and locks are advisory (etcd cannot stop a paused process from
// writing to a database); the guarantee comes from the writer storing the largest token that wrote a
// record in the same transaction as the write and refusing a write that carries a smaller one.
package election

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Prefix is the etcd key prefix under which elections and locks live: fupin/election/<name>.
const Prefix = "fupin/election/"

// DefaultTTL is the lease TTL of a leader or lock holder: how long a crashed replica keeps its right
// before another may take it.
const DefaultTTL = 10 * time.Second

// Retry bounds between campaigns after a failure (etcd unreachable).
const (
	minBackoff    = 100 * time.Millisecond
	maxBackoff    = 5 * time.Second
	resignTimeout = 2 * time.Second
)

// Options configure an Elector.
type Options struct {
	// Value is stored in the leader key (e.g. the replica's address), for operators; optional.
	Value string
	// TTL is the session's lease TTL (default DefaultTTL; etcd counts whole seconds).
	TTL time.Duration
	// Logger receives leadership changes and campaign failures; nil means slog.Default().
	Logger *slog.Logger
}

// Elector campaigns for the leadership of one name while Run runs.
type Elector struct {
	cli    *clientv3.Client
	prefix string
	opts   Options

	mu      sync.Mutex
	token   int64         // the leader key's create revision while leading, else 0
	changed chan struct{} // closed (and replaced) when leadership is gained or lost
	resign  chan struct{} // asks Run to give up the current leadership
}

// New returns an elector for name (e.g. "subsidies/rolls"); it campaigns once Run is called.
func New(cli *clientv3.Client, name string, opts Options) *Elector {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Elector{cli: cli, prefix: Prefix + name, opts: opts, changed: make(chan struct{}),
		resign: make(chan struct{}, 1)}
}

// Leader reports whether this replica leads now, and its fencing token when it does.
func (e *Elector) Leader() (token int64, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.token, e.token > 0
}

// IsLeader reports whether this replica leads now.
func (e *Elector) IsLeader() bool {
	_, ok := e.Leader()
	return ok
}

// Token is the fencing token of the current leadership (0 when not leading).
func (e *Elector) Token() int64 {
	t, _ := e.Leader()
	return t
}

// Changed returns a channel closed at the next gain or loss of leadership, so a job can wake up when it
// becomes leader instead of polling.
func (e *Elector) Changed() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

// Resign gives up the current leadership (if any); Run campaigns again afterwards, so another replica
// that is campaigning takes over first. Run resigns by itself when its context ends.
func (e *Elector) Resign() {
	select {
	case e.resign <- struct{}{}:
	default:
	}
}

func (e *Elector) set(token int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token == token {
		return
	}
	e.token = token
	close(e.changed)
	e.changed = make(chan struct{})
}

// Run campaigns until ctx ends: on a new session each time the previous one ended, becoming leader when
// every earlier candidate has gone, and resigning on the way out. It returns nil when ctx ends.
func (e *Elector) Run(ctx context.Context) error {
	backoff := minBackoff
	for ctx.Err() == nil {
		err := e.term(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			backoff = minBackoff
			continue
		}
		e.opts.Logger.WarnContext(ctx, "election: campaign failed, retrying", "election", e.prefix, "err", err,
			"retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff + rand.N(backoff/2)):
		}
		backoff = min(2*backoff, maxBackoff)
	}
	return nil
}

// term is one session: campaign, lead until the session ends, ctx ends or Resign is called.
func (e *Elector) term(ctx context.Context) error {
	session, err := concurrency.NewSession(e.cli, concurrency.WithTTL(max(1, int(e.opts.TTL/time.Second))),
		concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	defer session.Close() // revokes the lease: our keys vanish at once
	elec := concurrency.NewElection(session, e.prefix)
	// Campaign returns once the keys created before ours are gone. If our own lease expires while we
	// wait, our key is gone too and Campaign could still return success, so the campaign ends with the
	// session and the session is checked after it.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-session.Done():
			cancel()
		case <-cctx.Done():
		}
	}()
	// A Resign asked for while not leading has nothing to give up.
	select {
	case <-e.resign:
	default:
	}
	if err := elec.Campaign(cctx, e.opts.Value); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() == nil {
			return errors.New("session ended while campaigning")
		}
		return fmt.Errorf("campaign: %w", err)
	}
	select {
	case <-session.Done():
		return errors.New("session ended while campaigning")
	default:
	}
	e.set(elec.Rev())
	e.opts.Logger.InfoContext(ctx, "election: leading", "election", e.prefix, "token", elec.Rev())
	defer e.set(0)
	select {
	case <-ctx.Done():
		e.resignNow(elec)
		return nil
	case <-e.resign:
		e.resignNow(elec)
		return nil
	case <-session.Done():
		e.opts.Logger.WarnContext(ctx, "election: session lost, no longer leading", "election", e.prefix)
		return errors.New("session lost while leading")
	}
}

func (e *Elector) resignNow(elec *concurrency.Election) {
	e.set(0)
	ctx, cancel := context.WithTimeout(context.Background(), resignTimeout)
	defer cancel()
	if err := elec.Resign(ctx); err != nil {
		e.opts.Logger.Warn("election: resign failed; the lease will expire instead", "election", e.prefix, "err", err)
	}
}

// Held is a lock taken with Lock.
type Held struct {
	// Token is the fencing token: the create revision of the lock's key.
	Token   int64
	session *concurrency.Session
	mutex   *concurrency.Mutex
}

// Lost is closed when the lock's lease ended: the holder no longer holds it (and its writes will carry a
// token smaller than the next holder's).
func (h *Held) Lost() <-chan struct{} { return h.session.Done() }

// Unlock releases the lock and its lease.
func (h *Held) Unlock() error {
	ctx, cancel := context.WithTimeout(context.Background(), resignTimeout)
	defer cancel()
	err := h.mutex.Unlock(ctx)
	return errors.Join(err, h.session.Close())
}

// Lock takes the etcd mutex fupin/election/<name>, waiting while another holds it (until ctx ends), on
// a lease of its own with TTL ttl (0: DefaultTTL), and returns it with its fencing token.
func Lock(ctx context.Context, cli *clientv3.Client, name string, ttl time.Duration) (*Held, error) {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	session, err := concurrency.NewSession(cli, concurrency.WithTTL(max(1, int(ttl/time.Second))))
	if err != nil {
		return nil, fmt.Errorf("lock %s: session: %w", name, err)
	}
	m := concurrency.NewMutex(session, Prefix+name)
	if err := m.Lock(ctx); err != nil {
		session.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// The mutex knows its key's create revision but does not export it; read it back (the key is ours
	// and lives as long as the session).
	resp, err := cli.Get(ctx, m.Key())
	if err == nil && len(resp.Kvs) == 0 {
		err = errors.New("lock key vanished: the lease ended")
	}
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), resignTimeout)
		defer cancel()
		_ = m.Unlock(ctx)
		session.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return &Held{Token: resp.Kvs[0].CreateRevision, session: session, mutex: m}, nil
}

// DefaultLockWait bounds how long Locks waits for another holder of the same lock.
const DefaultLockWait = 30 * time.Second

// Locks takes locks on one etcd client with Lock, each waiting at most Wait (0: DefaultLockWait) for
// another holder; it is what the platform's server takes a method's lock with (server.Locks) and what a
// service's own background work uses for the same locks.
type Locks struct {
	Client *clientv3.Client
	Wait   time.Duration
}

// Lock takes the lock called name and returns its fencing token and the function releasing it.
func (l Locks) Lock(ctx context.Context, name string) (int64, func(), error) {
	wait := l.Wait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	held, err := Lock(ctx, l.Client, name, 0)
	if err != nil {
		return 0, nil, err
	}
	return held.Token, func() { _ = held.Unlock() }, nil
}
