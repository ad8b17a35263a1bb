package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Per-client rate limits of the public pages (/gongshi): anyone may call them without a token, so the
// client is all there is to limit. The client is the peer address of the connection, or, when that peer is
// one of the configured proxies (PublicLimits.TrustedProxies: the county's load balancer), the address the
// proxies put in X-Forwarded-For (the right-most one that is not itself a proxy: a client cannot choose it by
// sending the header itself). Limits are kept per gateway replica, in memory: N replicas behind a balancer
// let a client make up to N times the rate, which the balancer's stickiness (or a lower setting) bounds.

// PublicLimits are the public pages' rate limits; zero fields take the defaults.
type PublicLimits struct {
	// ReadsPerMinute is how many public pages a client may read a minute (default 300), in bursts of as
	// many.
	ReadsPerMinute int
	// ObjectionsPerHour is how many objection forms a client may open or send an hour (default 20), in
	// bursts of as many: a person objects to a few postings; a script sending 200 a minute is refused after
	// that and told when to try again.
	ObjectionsPerHour int
	// TrustedProxies are the addresses (or CIDR prefixes) whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

// The defaults of PublicLimits.
const (
	DefaultPublicReadsPerMinute    = 300
	DefaultPublicObjectionsPerHour = 20
)

func (p PublicLimits) withDefaults() PublicLimits {
	if p.ReadsPerMinute <= 0 {
		p.ReadsPerMinute = DefaultPublicReadsPerMinute
	}
	if p.ObjectionsPerHour <= 0 {
		p.ObjectionsPerHour = DefaultPublicObjectionsPerHour
	}
	return p
}

// rateLimiter is a generic cell rate algorithm per client: each client has a theoretical arrival time
// that every allowed request pushes one interval ahead; a request that would push it beyond the burst is
// refused with the time until it would not.
type rateLimiter struct {
	interval time.Duration // between requests at the sustained rate
	burst    time.Duration // interval × burst size
	now      func() time.Time

	mu      sync.Mutex
	tat     map[string]time.Time
	swept   time.Time
	maxKeys int
}

func newRateLimiter(n int, per time.Duration, now func() time.Time) *rateLimiter {
	interval := per / time.Duration(n)
	return &rateLimiter{interval: interval, burst: interval * time.Duration(n), now: now, tat: map[string]time.Time{}, maxKeys: 1 << 20}
}

// allow takes one request of client and returns 0, or how long the client must wait.
func (l *rateLimiter) allow(client string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	tat := l.tat[client]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Add(l.interval).Sub(now) - l.burst; wait > 0 {
		return wait
	}
	l.tat[client] = tat.Add(l.interval)
	return 0
}

// sweep forgets clients whose allowance is whole again, at most once a minute, so the map holds only
// recent clients; past maxKeys it forgets every client rather than grow without bound.
func (l *rateLimiter) sweep(now time.Time) {
	if len(l.tat) >= l.maxKeys {
		clear(l.tat)
	}
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, tat := range l.tat {
		if tat.Before(now) {
			delete(l.tat, k)
		}
	}
}

// clientOf is the address a request is limited by (see the package comment above).
func clientOf(r *http.Request, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !trusted(peer, proxies) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop that is no address: stop believing what lies before it
		}
		a = a.Unmap()
		if !trusted(a, proxies) {
			return a.String()
		}
	}
	return peer.String()
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePrefixes reads comma-separated addresses or CIDR prefixes.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
