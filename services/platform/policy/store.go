package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/services/platform/etcdx"
)

// Store holds every policy value in memory and follows changes in etcd (an etcdx.Mirror of Prefix). It
// is safe for concurrent use. Reads never touch etcd, so they keep working, with the last known values,
// while etcd is unreachable.
type Store struct {
	logger *slog.Logger
	mirror *etcdx.Mirror

	mu      sync.RWMutex
	values  map[string]map[string]Value // parameter → etcd key → value
	version uint64
	changed chan struct{} // closed at the next change, then replaced

	// invalid remembers the entries already logged as invalid (key → value), so each is logged once;
	// only the mirror's goroutine touches it.
	invalid map[string]string
}

// Open loads every value under Prefix, bounded by ctx, and follows changes until Close. A nil
// logger means slog.Default().
func Open(ctx context.Context, cli *clientv3.Client, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Store{
		logger:  logger.With("component", "policy"),
		values:  map[string]map[string]Value{},
		changed: make(chan struct{}),
		invalid: map[string]string{},
	}
	m, err := etcdx.Follow(ctx, cli, Prefix, s.logger, s.replace)
	if err != nil {
		return nil, fmt.Errorf("policy: open: %w", err)
	}
	s.mirror = m
	return s, nil
}

// Close stops following etcd. The values already loaded stay readable.
func (s *Store) Close() { s.mirror.Close() }

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

// replace takes etcd's content under Prefix after a change and makes it the store's values, when they
// differ from what the store holds. Invalid entries are logged once and left out.
func (s *Store) replace(kvs map[string][]byte) {
	values := map[string]map[string]Value{}
	for key, raw := range kvs {
		v, err := parseKV([]byte(key), raw)
		if err != nil {
			if prev, seen := s.invalid[key]; !seen || prev != string(raw) {
				s.invalid[key] = string(raw)
				s.logger.Error("policy: ignoring invalid entry", "key", key, "error", err)
			}
			continue
		}
		delete(s.invalid, key)
		if values[v.Parameter] == nil {
			values[v.Parameter] = map[string]Value{}
		}
		values[v.Parameter][key] = v
	}
	for key := range s.invalid {
		if _, ok := kvs[key]; !ok {
			delete(s.invalid, key)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !maps.EqualFunc(s.values, values, func(a, b map[string]Value) bool {
		return maps.EqualFunc(a, b, func(x, y Value) bool { return x.Hash == y.Hash })
	}) {
		s.values = values
		s.notifyLocked()
	}
}
