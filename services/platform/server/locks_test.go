package server

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/protobuf/proto"
)

// recordingLocks is a Locks that records what happens and, on unlock, whether the call's transaction had
// committed (its audit row is visible outside it).
type recordingLocks struct {
	mu        sync.Mutex
	events    []string
	committed func() bool
	fail      error
}

func (l *recordingLocks) Lock(_ context.Context, name string) (int64, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, nil, l.fail
	}
	l.events = append(l.events, "lock "+name)
	return 42, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		state := "unlock before commit"
		if l.committed() {
			state = "unlock after commit"
		}
		l.events = append(l.events, state)
	}, nil
}

// TestLockBefore: a method's lock is taken before its transaction, its token reaches the handler, and it
// is released only once the transaction committed; a lock that cannot be taken is the rule's refusal and
// runs nothing.
func TestLockBefore(t *testing.T) {
	db := sqldbtest.Open(t, sqldb.SQLite)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	log := audit.New(db, logger)
	t.Cleanup(log.Close)
	locks := &recordingLocks{committed: func() bool {
		var n int
		err := db.Q(context.Background()).QueryRowContext(context.Background(), `SELECT count(*) FROM fupin_audit WHERE kind = 'mutation'`).Scan(&n)
		return err == nil && n > 0
	}}
	s, err := New(Config{Name: "subsidies", Verifier: auth.NewVerifier(auth.DefaultSettings()), DB: db, Audit: log, Logger: logger, Locks: locks})
	if err != nil {
		t.Fatal(err)
	}
	const method = "/fupin.subsidies.v1.PaymentRollService/ComputeRoll"
	busy := apperr.Unavailable("ROLL_BUSY", "busy")
	rule := LockRule{Key: func(req proto.Message) (string, bool) {
		return "rolls/" + req.(*subsidiesv1.ComputeRollRequest).GetMonth(), true
	}, Busy: busy}
	if err := s.LockBefore(method, LockRule{Busy: busy}); err == nil {
		t.Error("a rule without Key was accepted")
	}
	if err := s.LockBefore(method, rule); err != nil {
		t.Fatal(err)
	}
	m := s.methods.lookup(method)
	req := &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: "2026-05"}
	handler := func(ctx context.Context, _ any) (any, error) {
		token, ok := LockToken(ctx)
		locks.mu.Lock()
		locks.events = append(locks.events, "handler")
		locks.mu.Unlock()
		if !ok || token != 42 {
			t.Errorf("handler sees token %d, %v; want 42", token, ok)
		}
		return &payrollv1.Roll{Name: "paymentRolls/dibao-2026-05"}, nil
	}

	if _, err := s.mutate(t.Context(), m, req, handler); err != nil {
		t.Fatal(err)
	}
	if want := []string{"lock rolls/2026-05", "handler", "unlock after commit"}; !slices.Equal(locks.events, want) {
		t.Errorf("events %v, want %v", locks.events, want)
	}

	locks.events, locks.fail = nil, errors.New("etcd unreachable")
	_, err = s.mutate(t.Context(), m, req, handler)
	if e, ok := apperr.As(err); !ok || e.Reason != "ROLL_BUSY" || len(locks.events) != 0 {
		t.Errorf("lock not taken: err %v, events %v; want ROLL_BUSY and no handler", err, locks.events)
	}

	other := s.methods.lookup("/fupin.subsidies.v1.PaymentRollService/ApproveRoll")
	locks.fail = nil
	if _, err := s.mutate(t.Context(), other, &subsidiesv1.ApproveRollRequest{}, func(ctx context.Context, _ any) (any, error) {
		if _, ok := LockToken(ctx); ok {
			t.Error("a method without a lock rule got a token")
		}
		return &payrollv1.Roll{}, nil
	}); err != nil || len(locks.events) != 0 {
		t.Errorf("a method without a lock rule: %v, events %v", err, locks.events)
	}
}
