package server

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Locks take named locks shared by every replica of a service (election.Locks: etcd mutexes). The token
// is the lock's fencing token: whoever took a lock later holds a larger one.
type Locks interface {
	Lock(ctx context.Context, name string) (token int64, unlock func(), err error)
}

// LockRule names the lock a mutation needs before its transaction begins (see LockBefore).
type LockRule struct {
	// Key derives the lock's name from the validated request; false: this request needs no lock.
	Key func(req proto.Message) (name string, ok bool)
	// Busy is the refusal returned (with the cause) when the lock cannot be taken: another holder kept it
	// past the wait, or etcd is unreachable. It carries the method's own reason.
	Busy error
}

// LockBefore makes the server take the lock rule names for each call of fullMethod before the
// idempotency check and the transaction begin, and release it only after the transaction committed or
// rolled back. A lock taken inside the handler would be released before the commit: another replica
// could take it, miss the uncommitted write and collide with it; the transaction would also stay open
// while waiting. The handler finds the lock's fencing token with LockToken. Register before serving.
func (s *Server) LockBefore(fullMethod string, rule LockRule) error {
	if s.cfg.Locks == nil {
		return fmt.Errorf("lock for %s: the server has no Locks", fullMethod)
	}
	if rule.Key == nil || rule.Busy == nil {
		return fmt.Errorf("lock for %s: Key and Busy are required", fullMethod)
	}
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.lockRules == nil {
		s.lockRules = map[string]LockRule{}
	}
	s.lockRules[fullMethod] = rule
	return nil
}

type lockTokenKey struct{}

// LockToken returns the fencing token of the lock the server took for this call (LockBefore), and whether
// it took one.
func LockToken(ctx context.Context) (int64, bool) {
	t, ok := ctx.Value(lockTokenKey{}).(int64)
	return t, ok
}

// lock takes the lock the method's rule names for req, if any; unlock is never nil.
func (s *Server) lock(ctx context.Context, m *method, req proto.Message) (_ context.Context, unlock func(), _ error) {
	s.lockMu.RLock()
	rule, ok := s.lockRules[m.fullName]
	s.lockMu.RUnlock()
	if !ok || req == nil {
		return ctx, func() {}, nil
	}
	name, ok := rule.Key(req)
	if !ok {
		return ctx, func() {}, nil
	}
	token, unlock, err := s.cfg.Locks.Lock(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return ctx, func() {}, ctx.Err()
		}
		return ctx, func() {}, fmt.Errorf("%w (lock %s: %v)", rule.Busy, name, err)
	}
	return context.WithValue(ctx, lockTokenKey{}, token), unlock, nil
}
