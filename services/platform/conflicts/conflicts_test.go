package conflicts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/conflicts"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// limits is a policy with one value per region prefix ("" = none in force).
type limits map[string]conflicts.Limit

func (l limits) Decode(parameter, region string, _ time.Time, into any) (policy.Value, error) {
	best, found := "", false
	for prefix := range l {
		if (prefix == "*" || strings.HasPrefix(region, prefix)) && (!found || len(prefix) > len(best)) {
			best, found = prefix, true
		}
	}
	if parameter != conflicts.Parameter || !found {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	b, _ := json.Marshal(l[best])
	return policy.Value{Parameter: parameter, Region: best}, json.Unmarshal(b, into)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newBook(t *testing.T, d sqldb.Dialect, p conflicts.Policy, c *clock) (*sqldb.DB, *audit.Log, *conflicts.Book) {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, slog.New(slog.DiscardHandler))
	t.Cleanup(log.Close)
	return db, log, conflicts.New(db, log, p, c.now)
}

func as(subject, region string) context.Context {
	return auth.NewContext(context.Background(), &auth.Caller{Subject: subject, Region: region})
}

func call(subject string) audit.Record {
	return audit.Record{Method: "/fupin.identification.v1.HouseholdService/CreateHousehold", Actor: subject,
		Role: "township_officer", Code: "AlreadyExists", RequestID: "r-1"}
}

func TestBook(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := &clock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
		pol := limits{"*": {Max: 3, WindowHours: 24}, "990001002": {Max: 1, WindowHours: 24}}
		db, log, book := newBook(t, d, pol, c)
		ctx := t.Context()
		officer := as("officer-1", "990001001")
		wantLimit := func(t *testing.T, ctx context.Context, limited bool) {
			t.Helper()
			err := book.Check(ctx)
			e, ok := apperr.As(err)
			switch {
			case limited && (!ok || e.Kind != apperr.KindExhausted || e.Reason != conflicts.ReasonLimit):
				t.Fatalf("Check = %v, want EXISTENCE_CONFLICT_LIMIT", err)
			case !limited && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			}
		}
		t.Run("under the limit", func(t *testing.T) {
			wantLimit(t, officer, false)
			if err := book.Record(ctx, call("officer-1"), []string{"households/h1/members/p1", "households/h1/members/p2"}); err != nil {
				t.Fatal(err)
			}
			wantLimit(t, officer, false)
		})
		t.Run("at the limit, and only for that caller", func(t *testing.T) {
			if err := book.Record(ctx, call("officer-1"), []string{"households/h2/members/p3"}); err != nil {
				t.Fatal(err)
			}
			wantLimit(t, officer, true)
			wantLimit(t, as("officer-2", "990001001"), false)
		})
		t.Run("the county is never counted", func(t *testing.T) {
			if err := book.Record(ctx, call("admin"), []string{"a", "b", "c", "d"}); err != nil {
				t.Fatal(err)
			}
			wantLimit(t, as("admin", ""), false)
		})
		t.Run("a region prefix sets its own limit", func(t *testing.T) {
			if err := book.Record(ctx, call("officer-3"), []string{"households/h3/members/p4"}); err != nil {
				t.Fatal(err)
			}
			wantLimit(t, as("officer-3", "990001002"), true)
		})
		t.Run("a service acting for the person counts as the person", func(t *testing.T) {
			obo := auth.NewContext(ctx, &auth.Caller{Subject: "service:subsidies", Role: commonv1.Role_ROLE_SERVICE,
				OnBehalfOf: &auth.Caller{Subject: "officer-4", Region: "990001001"}})
			r := call("service:subsidies")
			r.OnBehalfOf = "officer-4"
			if err := book.Record(ctx, r, []string{"x", "y", "z"}); err != nil {
				t.Fatal(err)
			}
			wantLimit(t, obo, true)
			wantLimit(t, as("service:subsidies", ""), false)
		})
		t.Run("a new book on the same database (a restart, another replica) counts the same", func(t *testing.T) {
			again := conflicts.New(db, log, pol, c.now)
			if err := again.Check(officer); err == nil {
				t.Fatal("a fresh book forgot the conflicts")
			}
		})
		t.Run("conflicts leave the window", func(t *testing.T) {
			c.t = c.t.Add(24*time.Hour + time.Second)
			wantLimit(t, officer, false)
		})
		t.Run("recorded even when the caller has hung up", func(t *testing.T) {
			gone, cancel := context.WithCancel(ctx)
			cancel()
			if err := book.Record(gone, call("officer-5"), []string{"households/h9/members/p9"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the audit rows name the records, kind conflict", func(t *testing.T) {
			rows, err := log.List(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rows {
				if r.Kind == audit.KindConflict && r.Actor == "officer-1" {
					n++
					if !strings.HasPrefix(r.Resource, "households/") || r.RecordCount != 1 || r.RequestID != "r-1" {
						t.Errorf("row %+v", r)
					}
				}
			}
			if n != 3 {
				t.Errorf("%d conflict rows of officer-1, want 3", n)
			}
		})
		t.Run("no limit in force is a refusal, not an open door", func(t *testing.T) {
			_, _, none := newBook(t, d, limits{}, c)
			e, ok := apperr.As(none.Check(officer))
			if !ok || e.Reason != conflicts.ReasonPolicyValueMissing {
				t.Fatalf("got %v", e)
			}
		})
	})
}

func TestDisclosed(t *testing.T) {
	e := apperr.Exists("PERSON_IN_OTHER_HOUSEHOLD", "taken")
	e.Disclosed = []string{"households/h/members/p"}
	if got := conflicts.Disclosed(fmt.Errorf("create: %w", e)); len(got) != 1 {
		t.Errorf("Disclosed = %v", got)
	}
	if got := conflicts.Disclosed(fmt.Errorf("plain")); got != nil {
		t.Errorf("Disclosed = %v", got)
	}
}
