package gateway

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/oauth2"

	"fupin.dev/services/platform/etcdx/etcdtest"
)

func TestSessionStore(t *testing.T) {
	cli := etcdtest.New(t)
	clock := time.Now().UTC().Round(0) // as JSON gives it back
	s := &sessionStore{etcd: cli, key: bytes.Repeat([]byte{9}, 32), now: func() time.Time { return clock }}
	ctx := t.Context()
	rec := sessionRecord{Subject: "u-1", Department: "civil_affairs", Role: "county_admin", Created: clock,
		Expires: clock.Add(time.Hour), Until: clock.Add(time.Hour)}
	toks := sessionTokens{Access: "eyJ-secret-access", Refresh: "secret-refresh", AccessIssued: clock, AccessExpiry: clock.Add(5 * time.Minute)}
	id, err := s.create(ctx, rec, toks)
	if err != nil {
		t.Fatal(err)
	}
	key := etcdKey(sessionPrefix, id)
	resp, err := cli.Get(ctx, sessionPrefix, clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("etcd holds %v, %v", resp, err)
	}
	if kv := resp.Kvs[0]; string(kv.Key) != key || strings.Contains(string(kv.Key), id) ||
		bytes.Contains(kv.Value, []byte("secret")) || bytes.Contains(kv.Value, []byte(id)) {
		t.Errorf("etcd holds %s = %s: want the id's hash and no token", kv.Key, kv.Value)
	}
	ss, err := s.load(ctx, id)
	if err != nil || ss.tokens != toks || ss.record.Subject != "u-1" {
		t.Fatalf("load = %+v, %v", ss, err)
	}
	if _, err := s.load(ctx, id+"x"); !errors.Is(err, errNoSession) {
		t.Errorf("another id: %v", err)
	}

	t.Run("a renewal moves the session to a lease ending at its new end", func(t *testing.T) {
		newer := toks
		newer.Access = "eyJ-renewed"
		r := ss.record
		r.Until = clock.Add(30 * time.Minute)
		ok, err := s.update(ctx, ss, r, newer)
		if err != nil || !ok {
			t.Fatalf("update = %v, %v", ok, err)
		}
		got, err := s.load(ctx, id)
		if err != nil || got.tokens.Access != "eyJ-renewed" || !got.record.Until.Equal(r.Until) || got.lease == ss.lease {
			t.Fatalf("after update: %+v, %v", got, err)
		}
		ttl, err := cli.TimeToLive(ctx, got.lease)
		if err != nil || ttl.TTL > 30*60 || ttl.TTL < 29*60 {
			t.Errorf("the new lease has %d s left, want about 30 min", ttl.TTL)
		}
		if old, err := cli.TimeToLive(ctx, ss.lease); err != nil || old.TTL != -1 {
			t.Errorf("the old lease: %+v, %v; want it revoked", old, err)
		}
		t.Run("an update of a record changed meanwhile is refused", func(t *testing.T) {
			ok, err := s.update(ctx, ss, r, toks) // ss is the record before the renewal
			if err != nil || ok {
				t.Errorf("a stale update: %v, %v", ok, err)
			}
		})
		t.Run("never past the absolute end", func(t *testing.T) {
			r := got.record
			r.Until = clock.Add(48 * time.Hour)
			if ok, err := s.update(ctx, got, r, newer); err != nil || !ok {
				t.Fatal(ok, err)
			}
			if again, _ := s.load(ctx, id); !again.record.Until.Equal(clock.Add(time.Hour)) {
				t.Errorf("until %v, want the absolute end %v", again.record.Until, clock.Add(time.Hour))
			}
		})
		ss, _ = s.load(ctx, id)
	})

	t.Run("a session past its end is gone", func(t *testing.T) {
		clock = clock.Add(2 * time.Hour)
		defer func() { clock = clock.Add(-2 * time.Hour) }()
		if _, err := s.load(ctx, id); !errors.Is(err, errNoSession) {
			t.Fatalf("load = %v", err)
		}
		if resp, _ := cli.Get(ctx, key); len(resp.Kvs) != 0 {
			t.Error("the expired record stayed")
		}
	})

	t.Run("a sign-out's state is taken once", func(t *testing.T) {
		if err := s.put(ctx, signOutPrefix, "out-1", signOutState{IDToken: "eyJ-id"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		var st signOutState
		if ok, err := s.take(ctx, signOutPrefix, "out-1", &st); !ok || err != nil || st.IDToken != "eyJ-id" {
			t.Fatalf("take = %v, %v, %+v", ok, err, st)
		}
		if ok, err := s.take(ctx, signOutPrefix, "out-1", &st); ok || err != nil {
			t.Errorf("a second take = %v, %v", ok, err)
		}
	})

	t.Run("a sign-in's cookie opens with its state only", func(t *testing.T) {
		v, err := s.sealCookie(signInCookie, "state-1", signInState{Verifier: "v", Nonce: "n", Next: "/x"})
		if err != nil || strings.Contains(v, "/x") {
			t.Fatalf("sealCookie = %q, %v", v, err)
		}
		var st signInState
		if err := s.openCookie(signInCookie, "state-1", v, &st); err != nil || st.Verifier != "v" || st.Next != "/x" {
			t.Fatalf("openCookie = %+v, %v", st, err)
		}
		for name, try := range map[string]func() error{
			"another state":       func() error { return s.openCookie(signInCookie, "state-2", v, &st) },
			"another cookie name": func() error { return s.openCookie(signOutCookie, "state-1", v, &st) },
			"not base64":          func() error { return s.openCookie(signInCookie, "state-1", "!"+v, &st) },
			"cut short":           func() error { return s.openCookie(signInCookie, "state-1", v[:len(v)-4], &st) },
		} {
			if try() == nil {
				t.Errorf("%s: opened", name)
			}
		}
	})
}

func TestSessionUntil(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	expires := now.Add(12 * time.Hour)
	s := &signIn{now: func() time.Time { return now }}
	tests := []struct {
		name string
		tok  *oauth2.Token
		want time.Time
	}{
		{name: "a refresh token, nothing said of its life", tok: &oauth2.Token{RefreshToken: "r", Expiry: now.Add(5 * time.Minute)}, want: expires},
		{name: "Keycloak's idle timeout", tok: (&oauth2.Token{RefreshToken: "r"}).WithExtra(map[string]any{"refresh_expires_in": float64(1800)}),
			want: now.Add(30 * time.Minute)},
		{name: "a refresh token outliving the maximum", tok: (&oauth2.Token{RefreshToken: "r"}).WithExtra(map[string]any{"refresh_expires_in": float64(7 * 86400)}),
			want: expires},
		{name: "no refresh token: the access token's life", tok: &oauth2.Token{Expiry: now.Add(5 * time.Minute)}, want: now.Add(5 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.until(tt.tok, expires); !got.Equal(tt.want) {
				t.Errorf("until = %v, want %v", got, tt.want)
			}
		})
	}
}
