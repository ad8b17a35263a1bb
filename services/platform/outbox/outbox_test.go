package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func newFeed(t *testing.T, d sqldb.Dialect) (*sqldb.DB, *outbox.Feed) {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	return db, outbox.New(db, nil)
}

func event(topic, region string, n int) outbox.Event {
	return outbox.Event{Topic: topic, Resource: fmt.Sprintf("things/%d", n), RegionCode: region, Payload: wrapperspb.Int64(int64(n))}
}

func TestFeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Run("append needs the change's transaction", func(t *testing.T) {
			_, f := newFeed(t, d)
			if err := f.Append(t.Context(), event("a", "", 1)); err == nil {
				t.Error("append outside a transaction was accepted")
			}
		})
		t.Run("a rolled-back change publishes nothing", func(t *testing.T) {
			db, f := newFeed(t, d)
			_ = db.InTx(t.Context(), func(ctx context.Context) error {
				if err := f.Append(ctx, event("a", "", 1)); err != nil {
					t.Fatal(err)
				}
				return fmt.Errorf("refused")
			})
			got, err := f.List(t.Context(), outbox.Query{Limit: 10})
			if err != nil || len(got) != 0 {
				t.Errorf("got %d changes, %v", len(got), err)
			}
		})
		t.Run("list filters by cursor, topic and region scope, in order", func(t *testing.T) {
			db, f := newFeed(t, d)
			err := db.InTx(t.Context(), func(ctx context.Context) error {
				return f.Append(ctx, event("a", "990001001001", 1), event("b", "990001002001", 2), event("a", "990001002002", 3))
			})
			if err != nil {
				t.Fatal(err)
			}
			all, _ := f.List(t.Context(), outbox.Query{Limit: 10})
			if len(all) != 3 || all[0].GetSequence() >= all[1].GetSequence() || all[1].GetSequence() >= all[2].GetSequence() {
				t.Fatalf("all %v", all)
			}
			var v wrapperspb.Int64Value
			if err := all[2].GetPayload().UnmarshalTo(&v); err != nil || v.GetValue() != 3 {
				t.Errorf("payload %v %v", &v, err)
			}
			after, _ := f.List(t.Context(), outbox.Query{After: all[0].GetSequence(), Limit: 10})
			onlyA, _ := f.List(t.Context(), outbox.Query{Topics: []string{"a"}, Limit: 10})
			township, _ := f.List(t.Context(), outbox.Query{Scope: "990001002", Limit: 10})
			limited, _ := f.List(t.Context(), outbox.Query{Limit: 1})
			if len(after) != 2 || len(onlyA) != 2 || len(township) != 2 || len(limited) != 1 || limited[0].GetResource() != "things/1" {
				t.Errorf("after %d, topic %d, scope %d, limit %d", len(after), len(onlyA), len(township), len(limited))
			}
		})
		t.Run("watch delivers the backlog, then new changes", func(t *testing.T) {
			db, f := newFeed(t, d)
			appendOne := func(n int) {
				if err := db.InTx(t.Context(), func(ctx context.Context) error { return f.Append(ctx, event("a", "", n)) }); err != nil {
					t.Fatal(err)
				}
			}
			appendOne(1)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got := make(chan *commonv1.Change, 10)
			go func() {
				_ = f.Watch(ctx, outbox.Query{}, func(c *commonv1.Change) error { got <- c; return nil })
			}()
			if c := <-got; c.GetResource() != "things/1" {
				t.Fatalf("backlog %v", c)
			}
			appendOne(2)
			select {
			case c := <-got:
				if c.GetResource() != "things/2" {
					t.Errorf("new change %v", c)
				}
			case <-ctx.Done():
				t.Fatal("the new change never arrived")
			}
		})
	})
}

func TestServicesOnlyTopics(t *testing.T) {
	db, f := newFeed(t, sqldb.SQLite)
	f.ServicesOnly("secret")
	if err := db.InTx(t.Context(), func(ctx context.Context) error {
		return f.Append(ctx, event("secret", "990001001001", 1), event("open", "990001001001", 2))
	}); err != nil {
		t.Fatal(err)
	}
	api := outbox.NewAPI(f)
	for _, tt := range []struct {
		name       string
		role       commonv1.Role
		wantSecret bool
	}{
		{"a service receives every payload", commonv1.Role_ROLE_SERVICE, true},
		{"a county administrator sees the change without the payload", commonv1.Role_ROLE_COUNTY_ADMIN, false},
		{"an auditor likewise", commonv1.Role_ROLE_AUDITOR, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := auth.NewContext(t.Context(), &auth.Caller{Subject: "x", Role: tt.role})
			resp, err := api.ListChanges(ctx, &commonv1.ListChangesRequest{})
			if err != nil || len(resp.GetChanges()) != 2 {
				t.Fatalf("%v %v", resp, err)
			}
			secret, open := resp.GetChanges()[0], resp.GetChanges()[1]
			if (secret.GetPayload() != nil) != tt.wantSecret || secret.GetTopic() != "secret" || secret.GetResource() != "things/1" ||
				open.GetPayload() == nil {
				t.Errorf("secret %v, open %v", secret, open)
			}
		})
	}
}
