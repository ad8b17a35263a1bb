package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// How often an issuer's keys are fetched again.
const (
	// jwksMinRefetch is the least time between two fetches of an issuer's keys: a token naming a key not
	// seen yet (the provider rotated its keys) fetches them again, but tokens with made-up key ids cannot
	// make every verifier of the county hammer the provider.
	jwksMinRefetch = 10 * time.Second
	// jwksMaxAge is how long fetched keys are used before they are fetched again, so a key the provider
	// withdrew stops being trusted. While the provider cannot be reached the last keys stay in use.
	jwksMaxAge = time.Hour
	// jwksMaxBytes caps a provider's key set document.
	jwksMaxBytes = 1 << 20
	// minRSABits is the smallest RSA key accepted.
	minRSABits = 2048
)

// jwks is the key set an OIDC issuer publishes (its discovery document names the jwks_uri), fetched when
// first needed: a service or the gateway starts while the provider is away, and its tokens are refused
// until it answers. It is safe for concurrent use; verifiers wait for one fetch rather than each making
// their own.
type jwks struct {
	issuer string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex // held during a fetch
	uri     string     // found by discovery
	keys    []jose.JSONWebKey
	fetched time.Time // the last successful fetch
	tried   time.Time // the last attempt
	fetches int       // attempts, for tests
}

func newJWKS(issuer string, client *http.Client) *jwks {
	if client == nil {
		client = &http.Client{Timeout: issuerFetchTimeout}
	}
	return &jwks{issuer: issuer, client: client, now: time.Now}
}

// lookup returns the keys that may have signed a token with header kid (any key when "") and alg, as
// the JWT library takes them. It fetches the key set when it has none, when none of its keys fits and
// the last fetch is jwksMinRefetch ago, or when it is older than jwksMaxAge.
func (j *jwks) lookup(kid, alg string) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	keys := j.match(kid, alg)
	stale := j.fetched.IsZero() || now.Sub(j.fetched) > jwksMaxAge
	if (len(keys) == 0 || stale) && (j.tried.IsZero() || now.Sub(j.tried) >= jwksMinRefetch) {
		j.tried = now
		err := j.fetch()
		keys = j.match(kid, alg)
		if err != nil && len(keys) == 0 {
			return nil, fmt.Errorf("the keys of issuer %s: %w", j.issuer, err)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key of issuer %s has id %q for %s", jwt.ErrTokenSignatureInvalid, j.issuer, kid, alg)
	}
	set := jwt.VerificationKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k)
	}
	return set, nil
}

// match returns the public keys with id kid (any id when kid is "") that sign with alg: the key's own
// "alg" and "use" allow it, and its type and size fit the algorithm.
func (j *jwks) match(kid, alg string) []jwt.VerificationKey {
	var out []jwt.VerificationKey
	for _, k := range j.keys {
		if (kid != "" && k.KeyID != kid) || (k.Algorithm != "" && k.Algorithm != alg) || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if fitsAlgorithm(k.Key, alg) {
			out = append(out, k.Key)
		}
	}
	return out
}

// fitsAlgorithm reports whether a public key signs with alg: RS256 an RSA key of at least 2048 bits,
// ES256 a P-256 key, EdDSA an Ed25519 key.
func fitsAlgorithm(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return alg == "ES256" && k.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// fetch discovers the jwks_uri (once) and reads the key set. Called with j.mu held.
func (j *jwks) fetch() error {
	j.fetches++
	ctx, cancel := context.WithTimeout(oidc.ClientContext(context.Background(), j.client), issuerFetchTimeout)
	defer cancel()
	if j.uri == "" {
		// go-oidc's discovery checks that the document names this very issuer.
		p, err := oidc.NewProvider(ctx, j.issuer)
		if err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := p.Claims(&doc); err != nil || doc.JWKSURI == "" {
			return errors.New("discovery: the document names no jwks_uri")
		}
		j.uri = doc.JWKSURI
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.uri, nil)
	if err != nil {
		return err
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", j.uri, resp.Status)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", j.uri, err)
	}
	j.keys, j.fetched = keys, j.now()
	return nil
}

// parseJWKS reads a JWK set's public keys. Keys of types go-jose does not know (RFC 7517: "SHOULD
// ignore") are left out; a private key's public half is used.
func parseJWKS(b []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := json.Unmarshal(r, &k); err != nil {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if k.Valid() {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
