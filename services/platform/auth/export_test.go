package auth

import "time"

// SetIssuerClock makes the key set of issuer iss read the time from now, so tests move time past the
// refetch intervals without waiting.
func SetIssuerClock(v *Verifier, iss string, now func() time.Time) {
	v.issuers[iss].keys.now = now
}

// IssuerFetches is how many times the key set of issuer iss was fetched (or tried).
func IssuerFetches(v *Verifier, iss string) int {
	j := v.issuers[iss].keys
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fetches
}
