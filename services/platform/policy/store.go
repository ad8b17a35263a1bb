package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Re-list backoff after a watch ends and per-attempt bound.
const (
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 10 * time.Second
	listTimeout = 10 * time.Second
)

// Store holds every policy value in memory and follows changes in etcd. It is safe for concurrent
// use. Reads never touch etcd, so they keep working, with the last known values, while etcd is
// unreachable.
type Store struct {
	cli    *clientv3.Client
	logger *slog.Logger

	mu      sync.RWMutex
	values  map[string]map[string]Value // parameter → etcd key → value
	version uint64
	changed chan struct{} // closed at the next change, then replaced

	cancel context.CancelFunc
	done   chan struct{}
}

// Open loads every value under Prefix, bounded by ctx, and follows changes until Close. A nil
// logger means slog.Default().
func Open(ctx context.Context, cli *clientv3.Client, logger *slog.Logger) (*Store, error) {
	s := newStore(cli, logger)
	rev, err := s.relist(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: open: %w", err)
	}
	s.start(rev + 1)
	return s, nil
}

func newStore(cli *clientv3.Client, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.Default()
	}
	return &Store{
		cli:     cli,
		logger:  logger.With("component", "policy"),
		values:  map[string]map[string]Value{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// start follows etcd from rev in the background until Close.
func (s *Store) start(rev int64) {
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(runCtx, rev)
}

// Close stops following etcd. The values already loaded stay readable.
func (s *Store) Close() {
	s.cancel()
	<-s.done
}

// Lookup returns the value of parameter for a household or office in regionCode (a 12-digit
// region code or a prefix of one; empty matches only "*" values) on the Asia/Shanghai business date
// of date. Among the entries in force on that date whose region prefixes regionCode, the longest
// region wins, then the latest effective date. No match wraps ErrNotFound.
func (s *Store) Lookup(parameter, regionCode string, date time.Time) (Value, error) {
	day := businessDate(date)
	s.mu.RLock()
	v, ok := lookup(s.values[parameter], regionCode, day)
	s.mu.RUnlock()
	if !ok {
		return Value{}, fmt.Errorf("policy: %s for region %q on %s: %w", parameter, regionCode, day, ErrNotFound)
	}
	v.Raw = bytes.Clone(v.Raw)
	return v, nil
}

// Decode looks the value up as Lookup does and unmarshals it into into.
func (s *Store) Decode(parameter, regionCode string, date time.Time, into any) (Value, error) {
	v, err := s.Lookup(parameter, regionCode, date)
	if err != nil {
		return Value{}, err
	}
	if err := json.Unmarshal(v.Raw, into); err != nil {
		return Value{}, fmt.Errorf("policy: decode %s (region %s, effective %s): %w", parameter, v.Region, v.Effective, err)
	}
	return v, nil
}

// Version counts the changes applied since Open; it is not an etcd revision and means nothing
// across processes.
func (s *Store) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Changed returns a channel closed at the next change of any value. Call it again for the change
// after that.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// notifyLocked records a change; s.mu must be held for writing.
func (s *Store) notifyLocked() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}

// relist loads everything under Prefix, replaces the values if they differ and returns the
// revision the list was taken at.
func (s *Store) relist(ctx context.Context) (int64, error) {
	resp, err := s.cli.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", Prefix, err)
	}
	values := map[string]map[string]Value{}
	for _, kv := range resp.Kvs {
		v, err := parseKV(kv.Key, kv.Value)
		if err != nil {
			s.logger.Error("policy: ignoring invalid entry", "key", string(kv.Key), "error", err)
			continue
		}
		if values[v.Parameter] == nil {
			values[v.Parameter] = map[string]Value{}
		}
		values[v.Parameter][string(kv.Key)] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !maps.EqualFunc(s.values, values, func(a, b map[string]Value) bool {
		return maps.EqualFunc(a, b, func(x, y Value) bool { return x.Hash == y.Hash })
	}) {
		s.values = values
		s.notifyLocked()
	}
	return resp.Header.Revision, nil
}

// run follows the watch from rev; whenever the watch fails (compaction, lost leader, …) it lists
// again and resumes after the list's revision. Values stay as they are meanwhile.
func (s *Store) run(ctx context.Context, rev int64) {
	defer close(s.done)
	for {
		err := s.follow(ctx, rev)
		if ctx.Err() != nil || s.cli.Ctx().Err() != nil {
			return
		}
		s.logger.Warn("policy: watch ended, listing again", "error", err)
		backoff := minBackoff
		for {
			listCtx, cancel := context.WithTimeout(ctx, listTimeout)
			listed, err := s.relist(listCtx)
			cancel()
			if err == nil {
				rev = listed + 1
				break
			}
			if ctx.Err() != nil || s.cli.Ctx().Err() != nil {
				return
			}
			s.logger.Warn("policy: list failed, serving last known values", "retry_in", backoff, "error", err)
			if !wait(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// follow applies watch events from rev until the watch fails or ctx ends.
func (s *Store) follow(ctx context.Context, rev int64) error {
	// Require a leader, so a member cut off from its cluster ends the watch instead of going
	// silent; the re-list then finds a healthy member.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range s.cli.Watch(wctx, Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return err
		}
		if len(wr.Events) > 0 {
			s.apply(wr.Events)
		}
	}
	return errors.New("watch closed")
}

func (s *Store) apply(events []*clientv3.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, ev := range events {
		key := string(ev.Kv.Key)
		var v Value
		var err error
		if ev.Type == mvccpb.PUT {
			if v, err = parseKV(ev.Kv.Key, ev.Kv.Value); err != nil {
				s.logger.Error("policy: ignoring invalid entry", "key", key, "error", err)
			}
		}
		// A delete, or a put of an invalid value, removes what the key held.
		for param, byKey := range s.values {
			if _, ok := byKey[key]; ok {
				delete(byKey, key)
				if len(byKey) == 0 {
					delete(s.values, param)
				}
				changed = true
			}
		}
		if ev.Type == mvccpb.PUT && err == nil {
			if s.values[v.Parameter] == nil {
				s.values[v.Parameter] = map[string]Value{}
			}
			s.values[v.Parameter][key] = v
			changed = true
		}
	}
	if changed {
		s.notifyLocked()
	}
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
