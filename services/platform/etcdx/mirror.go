package etcdx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Re-list backoff after a watch ends or a list fails, and the bound of one list attempt.
const (
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 10 * time.Second
	listTimeout = 10 * time.Second
)

// Mirror keeps a copy of every key under an etcd prefix in memory and follows etcd's watch, handing the
// whole content to its apply function after every change. It is how what every process must agree on
// without a shared database — policy values (/fupin/policy/), the region master data's codes
// (/fupin/regions/) — reaches each process: readers look at what apply built and never touch etcd, so
// they keep working with the last known content while etcd is unreachable. When the watch fails
// (compaction, lost leader, etcd gone) the mirror lists again, with backoff, and resumes after the list's
// revision, so no change is lost.
type Mirror struct {
	cli    *clientv3.Client
	prefix string
	logger *slog.Logger
	apply  func(kvs map[string][]byte)

	// kvs and listed belong to whichever goroutine lists or follows: the caller of Follow until it
	// returns, then the background goroutine alone.
	kvs    map[string][]byte
	listed bool

	cancel context.CancelFunc
	done   chan struct{}
}

// Follow lists every key under prefix (bounded by ctx), calls apply with them, and then follows changes in
// the background until Close, calling apply again after each change. apply receives the mirror's own map
// (key → value): it must not keep or change it. Calls to apply never overlap. A nil logger means
// slog.Default().
func Follow(ctx context.Context, cli *clientv3.Client, prefix string, logger *slog.Logger, apply func(kvs map[string][]byte)) (*Mirror, error) {
	m := newMirror(cli, prefix, logger, apply)
	rev, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	m.start(rev + 1)
	return m, nil
}

// FollowInBackground is Follow for a process that must start while etcd may be away (the gateway): the
// first list is made, and retried with backoff, in the background; apply is first called when it
// succeeds.
func FollowInBackground(cli *clientv3.Client, prefix string, logger *slog.Logger, apply func(kvs map[string][]byte)) *Mirror {
	m := newMirror(cli, prefix, logger, apply)
	m.start(0)
	return m
}

func newMirror(cli *clientv3.Client, prefix string, logger *slog.Logger, apply func(map[string][]byte)) *Mirror {
	if logger == nil {
		logger = slog.Default()
	}
	return &Mirror{cli: cli, prefix: prefix, logger: logger.With("etcd_prefix", prefix), apply: apply,
		kvs: map[string][]byte{}, done: make(chan struct{})}
}

// start follows etcd from rev in the background until Close; rev 0 lists first.
func (m *Mirror) start(rev int64) {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.run(ctx, rev)
}

// Close stops following etcd. What apply built stays as it is.
func (m *Mirror) Close() {
	m.cancel()
	<-m.done
}

// list loads everything under the prefix, hands it to apply when it differs from what the mirror holds
// (or on the first list) and returns the revision the list was taken at.
func (m *Mirror) list(ctx context.Context) (int64, error) {
	resp, err := m.cli.Get(ctx, m.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", m.prefix, err)
	}
	kvs := make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		kvs[string(kv.Key)] = kv.Value
	}
	if !m.listed || !maps.EqualFunc(m.kvs, kvs, bytes.Equal) {
		m.kvs, m.listed = kvs, true
		m.apply(m.kvs)
	}
	return resp.Header.Revision, nil
}

// run follows the watch from rev (listing first when rev is 0); whenever the watch fails it lists again,
// with backoff while that fails, and resumes after the list's revision. The content stays meanwhile.
func (m *Mirror) run(ctx context.Context, rev int64) {
	defer close(m.done)
	for {
		if rev == 0 {
			backoff := minBackoff
			for {
				listCtx, cancel := context.WithTimeout(ctx, listTimeout)
				listed, err := m.list(listCtx)
				cancel()
				if err == nil {
					rev = listed + 1
					break
				}
				if m.stopped(ctx) {
					return
				}
				m.logger.Warn("etcd: list failed, keeping the last known content", "retry_in", backoff, "error", err)
				if !wait(ctx, backoff) {
					return
				}
				backoff = min(2*backoff, maxBackoff)
			}
		}
		err := m.follow(ctx, rev)
		if m.stopped(ctx) {
			return
		}
		m.logger.Warn("etcd: watch ended, listing again", "error", err)
		rev = 0
	}
}

func (m *Mirror) stopped(ctx context.Context) bool {
	return ctx.Err() != nil || m.cli.Ctx().Err() != nil
}

// follow applies watch events from rev until the watch fails or ctx ends.
func (m *Mirror) follow(ctx context.Context, rev int64) error {
	// Require a leader, so a member cut off from its cluster ends the watch instead of going silent; the
	// re-list then finds a healthy member.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range m.cli.Watch(wctx, m.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return err
		}
		if len(wr.Events) == 0 {
			continue
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.PUT {
				m.kvs[string(ev.Kv.Key)] = ev.Kv.Value
			} else {
				delete(m.kvs, string(ev.Kv.Key))
			}
		}
		m.apply(m.kvs)
	}
	return errors.New("watch closed")
}

func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
