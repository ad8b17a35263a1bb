package gateway

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestClientOf(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	tests := []struct {
		name, peer, xff, want string
	}{
		{name: "direct client: the peer", peer: "203.0.113.5:4000", want: "203.0.113.5"},
		{name: "direct client cannot choose its address", peer: "203.0.113.5:4000", xff: "198.51.100.1", want: "203.0.113.5"},
		{name: "through a trusted proxy: the forwarded client", peer: "10.1.2.3:80", xff: "198.51.100.1", want: "198.51.100.1"},
		{name: "a forged hop before the real client is ignored", peer: "10.1.2.3:80", xff: "1.2.3.4, 198.51.100.1", want: "198.51.100.1"},
		{name: "through two trusted proxies", peer: "10.1.2.3:80", xff: "198.51.100.1, 192.0.2.7", want: "198.51.100.1"},
		{name: "a trusted proxy without the header: the proxy", peer: "10.1.2.3:80", want: "10.1.2.3"},
		{name: "garbage in the header: stop there", peer: "10.1.2.3:80", xff: "198.51.100.1, not-an-ip", want: "10.1.2.3"},
		{name: "IPv6 peer", peer: "[2001:db8::1]:443", want: "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/gongshi", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := clientOf(r, proxies); got != tt.want {
				t.Errorf("clientOf = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if wait := l.allow("a"); wait != 0 {
			t.Fatalf("request %d of the burst refused (wait %s)", i+1, wait)
		}
	}
	if wait := l.allow("a"); wait != 20*time.Second {
		t.Errorf("over the burst: wait %s, want 20s", wait)
	}
	if wait := l.allow("b"); wait != 0 {
		t.Errorf("another client is refused: %s", wait)
	}
	now = now.Add(20 * time.Second)
	if wait := l.allow("a"); wait != 0 {
		t.Errorf("after the wait: %s", wait)
	}
	if wait := l.allow("a"); wait == 0 {
		t.Errorf("a second request after one interval is allowed")
	}
}

func TestParsePrefixes(t *testing.T) {
	p, err := parsePrefixes("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32")
	if err != nil || len(p) != 3 || p[1].Bits() != 32 {
		t.Errorf("parsePrefixes = %v, %v", p, err)
	}
	if _, err := parsePrefixes("10.0.0.0/8,proxy.example"); err == nil {
		t.Errorf("a name is accepted")
	}
}
