package etcdx

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"
)

// recorder is an apply function that keeps the content it was last given.
type recorder struct {
	mu      sync.Mutex
	kvs     map[string]string
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) apply(kvs map[string][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kvs = map[string]string{}
	for k, v := range kvs {
		r.kvs[k] = string(v)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitFor waits until the recorded content is want.
func (r *recorder) waitFor(t *testing.T, ctx context.Context, what string, want map[string]string) {
	t.Helper()
	for {
		r.mu.Lock()
		got, ch := maps.Clone(r.kvs), r.changed
		r.mu.Unlock()
		if maps.Equal(got, want) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: content %v, want %v", what, got, want)
		}
	}
}

func startFast(t *testing.T) *Embedded {
	t.Helper()
	srv, err := StartEmbedded(t.Context(), EmbeddedOptions{Dir: t.TempDir(), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// A mirror whose watch starts behind a compaction lists again and converges on etcd's content, then
// follows live changes.
func TestMirrorRelistsAfterCompaction(t *testing.T) {
	srv := startFast(t)
	cli, err := Dial(srv.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	put := func(k, v string) {
		t.Helper()
		if _, err := cli.Put(ctx, "/m/"+k, v); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "1")
	put("gone", "1")
	put("outside", "x")
	if _, err := cli.Put(ctx, "/other", "x"); err != nil {
		t.Fatal(err)
	}

	r := newRecorder()
	m := newMirror(cli, "/m/", nil, r.apply)
	rev, err := m.list(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, ctx, "first list", map[string]string{"/m/a": "1", "/m/gone": "1", "/m/outside": "x"})
	// Changes the mirror has not seen, then a compaction past them.
	put("a", "2")
	put("b", "1")
	if _, err := cli.Delete(ctx, "/m/outside"); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Delete(ctx, "/m/gone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision); err != nil {
		t.Fatal(err)
	}

	m.start(rev + 1)
	defer m.Close()
	r.waitFor(t, ctx, "after the compaction", map[string]string{"/m/a": "2", "/m/b": "1"})
	put("c", "1")
	r.waitFor(t, ctx, "a live change after the re-list", map[string]string{"/m/a": "2", "/m/b": "1", "/m/c": "1"})
}

// FollowInBackground starts while etcd does not answer, and fills the content once it does.
func TestMirrorInBackgroundWaitsForEtcd(t *testing.T) {
	srv := startFast(t)
	addr := srv.Endpoints()[0]
	dir := srv.etcd.Config().Dir
	cli, err := Dial(srv.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Put(t.Context(), "/m/a", "1"); err != nil {
		t.Fatal(err)
	}
	srv.Close()

	r := newRecorder()
	m := FollowInBackground(cli, "/m/", nil, r.apply)
	defer m.Close()
	r.mu.Lock()
	if r.kvs != nil {
		t.Errorf("content %v before etcd answered", r.kvs)
	}
	r.mu.Unlock()

	again, err := StartEmbedded(t.Context(), EmbeddedOptions{Dir: dir, ClientURL: addr, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Close) // after the mirror and the client have closed: etcd waits for open watches
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r.waitFor(t, ctx, "once etcd is back", map[string]string{"/m/a": "1"})
}
