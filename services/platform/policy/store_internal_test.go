package policy

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"fupin.dev/services/platform/etcdx/etcdtest"
)

// A store whose watch starts behind a compaction lists again and converges on etcd's content.
func TestStoreRelistsAfterCompaction(t *testing.T) {
	cli := etcdtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	put := func(p, v string) {
		t.Helper()
		if err := Set(ctx, cli, p, AnyRegion, "2024-01-01", json.RawMessage(v)); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "1")
	put("gone", "1")

	s := newStore(cli, nil)
	rev, err := s.relist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Changes the store has not seen, then a compaction past them.
	put("a", "2")
	put("b", "1")
	resp, err := cli.Delete(ctx, Key("gone", AnyRegion, "2024-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision); err != nil {
		t.Fatal(err)
	}

	s.start(rev + 1)
	defer s.Close()
	date := time.Date(2025, 1, 1, 12, 0, 0, 0, shanghai)
	for {
		ch := s.Changed()
		a, errA := s.Lookup("a", "", date)
		_, errB := s.Lookup("b", "", date)
		_, errGone := s.Lookup("gone", "", date)
		if errA == nil && string(a.Raw) == "2" && errB == nil && errGone != nil {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("store did not converge after compaction: a=%s (%v) b=%v gone=%v", a.Raw, errA, errB, errGone)
		}
	}

	// And it follows live changes again.
	put("c", "1")
	for {
		ch := s.Changed()
		if _, err := s.Lookup("c", "", date); err == nil {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("store stopped following after the re-list")
		}
	}
}
