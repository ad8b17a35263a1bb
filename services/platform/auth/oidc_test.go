package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
)

// testIssuer is an OpenID Connect provider on an httptest server: the discovery document and a JWKS whose
// keys a test may change, or a provider that is down.
type testIssuer struct {
	url string

	mu   sync.Mutex
	keys []jose.JSONWebKey // public halves, as served
	down bool
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	ti := &testIssuer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ti.mu.Lock()
		defer ti.mu.Unlock()
		if ti.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": ti.url, "jwks_uri": ti.url + "/keys",
				"authorization_endpoint": ti.url + "/authorize", "token_endpoint": ti.url + "/token",
				"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"}})
		case "/keys":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: ti.keys})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ti.url = srv.URL
	return ti
}

// signingKey is one key of a test issuer.
type signingKey struct {
	priv crypto.Signer
	kid  string
	alg  string
}

// newSigningKey makes a key for alg (RS256, ES256 or EdDSA; RS1024 is a 1024-bit RSA key for RS256).
func newSigningKey(t *testing.T, alg string) signingKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RS1024":
		priv, err = rsa.GenerateKey(rand.Reader, 1024)
		alg = "RS256"
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{priv: priv, kid: alg + "-" + rand.Text()[:8], alg: alg}
}

// publish adds keys to the issuer's JWKS.
func (ti *testIssuer) publish(keys ...signingKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	for _, k := range keys {
		ti.keys = append(ti.keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
}

// withdraw removes a key from the JWKS.
func (ti *testIssuer) withdraw(k signingKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	var kept []jose.JSONWebKey
	for _, pub := range ti.keys {
		if pub.KeyID != k.kid {
			kept = append(kept, pub)
		}
	}
	ti.keys = kept
}

func (ti *testIssuer) setDown(down bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.down = down
}

// sign signs claims with k as the given alg (normally k.alg) and kid.
func sign(t *testing.T, k signingKey, claims map[string]any) string {
	t.Helper()
	return signAs(t, k.priv, jose.SignatureAlgorithm(k.alg), k.kid, claims)
}

func signAs(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// personClaims are the claims of a Keycloak-like access token of the issuer: a township officer of 民政.
func (ti *testIssuer) personClaims(mod func(map[string]any)) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": ti.url, "aud": []string{"account", "fupin"}, "sub": "9f1c0d2e-keycloak-user", "typ": "Bearer",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": rand.Text(),
		"preferred_username": "zhang.san", "name": "张三",
		"dept": "civil_affairs", "role": "township_officer", "region": "421321101",
	}
	if mod != nil {
		mod(c)
	}
	return c
}

// issuerVerifier trusts cfg (the test issuer, when cfg names none) besides fupin's own keys.
func issuerVerifier(t *testing.T, ti *testIssuer, cfg auth.IssuerConfig) *auth.Verifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = ti.url
	}
	b, err := json.Marshal([]auth.IssuerConfig{cfg})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := auth.ParseIssuers(b)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := newKey(t)
	return verifier(people(pub)).WithIssuers(cfgs, nil)
}

func TestOIDCIssuerAlgorithms(t *testing.T) {
	ti := newTestIssuer(t)
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			k := newSigningKey(t, alg)
			ti.publish(k)
			v := issuerVerifier(t, ti, auth.IssuerConfig{})
			c, err := v.Verify(sign(t, k, ti.personClaims(nil)))
			if err != nil {
				t.Fatal(err)
			}
			caller, err := c.Caller()
			if err != nil {
				t.Fatal(err)
			}
			want := auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
				Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}
			if *caller != want {
				t.Errorf("caller %+v, want %+v", *caller, want)
			}
			if c.Issuer != ti.url {
				t.Errorf("issuer %q, want %q", c.Issuer, ti.url)
			}
		})
	}
}

func TestOIDCClaimMapping(t *testing.T) {
	ti := newTestIssuer(t)
	k := newSigningKey(t, "RS256")
	ti.publish(k)
	civilTownship := auth.GroupRole{Department: "civil_affairs", Role: "township_officer"}
	tests := []struct {
		name   string
		cfg    auth.IssuerConfig
		claims func(map[string]any)
		want   *auth.Caller // nil: refused with wantErr
		err    error
	}{
		{name: "default claim names",
			want: &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}},
		{name: "claim names of the county's own, nested and the username as subject",
			cfg: auth.IssuerConfig{Claims: auth.ClaimNames{Subject: "preferred_username", Department: "fupin.dept", Role: "fupin.role", Region: "fupin.region"}},
			claims: func(c map[string]any) {
				delete(c, "dept")
				delete(c, "role")
				delete(c, "region")
				c["fupin"] = map[string]any{"dept": "rural_revitalization", "role": "village_officer", "region": "421321101001"}
			},
			want: &auth.Caller{Subject: "zhang.san", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, Role: commonv1.Role_ROLE_VILLAGE_OFFICER, Region: "421321101001"}},
		{name: "a multivalued attribute with one value",
			claims: func(c map[string]any) { c["region"] = []string{"421321101"} },
			want:   &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}},
		{name: "a county admin without a region sees the county",
			claims: func(c map[string]any) { c["role"] = "county_admin"; delete(c, "region") },
			want:   &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
		{name: "groups",
			cfg: auth.IssuerConfig{Groups: &auth.GroupMapping{Claim: "groups", Map: map[string]auth.GroupRole{"/民政局/乡镇干部": civilTownship}}},
			claims: func(c map[string]any) {
				delete(c, "dept")
				delete(c, "role")
				c["groups"] = []string{"/全体职工", "/民政局/乡镇干部"}
			},
			want: &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}},
		{name: "Keycloak realm roles",
			cfg: auth.IssuerConfig{Groups: &auth.GroupMapping{Claim: "realm_access.roles", Map: map[string]auth.GroupRole{
				"fupin-rr-admin": {Department: "rural_revitalization", Role: "county_admin"}}}},
			claims: func(c map[string]any) {
				delete(c, "region")
				c["realm_access"] = map[string]any{"roles": []string{"offline_access", "fupin-rr-admin"}}
			},
			want: &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
		{name: "two groups of the same department and role",
			cfg:    auth.IssuerConfig{Groups: &auth.GroupMapping{Claim: "groups", Map: map[string]auth.GroupRole{"/a": civilTownship, "/b": civilTownship}}},
			claims: func(c map[string]any) { c["groups"] = []string{"/a", "/b"} },
			want:   &auth.Caller{Subject: "9f1c0d2e-keycloak-user", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}},
		{name: "groups that map to two roles",
			cfg: auth.IssuerConfig{Groups: &auth.GroupMapping{Claim: "groups", Map: map[string]auth.GroupRole{"/a": civilTownship,
				"/b": {Department: "civil_affairs", Role: "county_admin"}}}},
			claims: func(c map[string]any) { c["groups"] = []string{"/a", "/b"} },
			err:    auth.ErrInvalidClaims},
		{name: "no group the county mapped",
			cfg:    auth.IssuerConfig{Groups: &auth.GroupMapping{Claim: "groups", Map: map[string]auth.GroupRole{"/a": civilTownship}}},
			claims: func(c map[string]any) { c["groups"] = []string{"/other"} },
			err:    auth.ErrInvalidClaims},
		{name: "no department", claims: func(c map[string]any) { delete(c, "dept") }, err: auth.ErrInvalidClaims},
		{name: "an unknown department", claims: func(c map[string]any) { c["dept"] = "民政" }, err: auth.ErrInvalidClaims},
		{name: "no subject", claims: func(c map[string]any) { delete(c, "sub") }, err: auth.ErrInvalidClaims},
		{name: "a region given as a number", claims: func(c map[string]any) { c["region"] = 421321101 }, err: auth.ErrInvalidClaims},
		{name: "a region of two values", claims: func(c map[string]any) { c["region"] = []string{"421321101", "421321102"} }, err: auth.ErrInvalidClaims},
		{name: "a township officer without a region", claims: func(c map[string]any) { delete(c, "region") }, err: auth.ErrInvalidClaims},
		{name: "a township the master data lacks", claims: func(c map[string]any) { c["region"] = "421321199" }, err: auth.ErrInvalidClaims},

		// An issuer of people's tokens can never mint a service (people's binding, as for the key file).
		{name: "the service role", claims: func(c map[string]any) { c["role"] = "service"; delete(c, "region") }, err: auth.ErrKeyBinding},
		{name: "a person named like a service",
			claims: func(c map[string]any) { c["sub"] = "service:identification"; c["role"] = "county_admin" }, err: auth.ErrKeyBinding},
		{name: "a person named like a service by the subject claim configured",
			cfg:    auth.IssuerConfig{Claims: auth.ClaimNames{Subject: "preferred_username"}},
			claims: func(c map[string]any) { c["preferred_username"] = "service:subsidies" }, err: auth.ErrKeyBinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := issuerVerifier(t, ti, tt.cfg)
			c, err := v.Verify(sign(t, k, ti.personClaims(tt.claims)))
			if tt.want == nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Verify = %+v, %v; want %v", c, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			caller, err := c.Caller()
			if err != nil {
				t.Fatal(err)
			}
			if *caller != *tt.want {
				t.Errorf("caller %+v, want %+v", *caller, *tt.want)
			}
		})
	}
}

func TestOIDCRefusals(t *testing.T) {
	ti := newTestIssuer(t)
	rs, es := newSigningKey(t, "RS256"), newSigningKey(t, "ES256")
	weak := newSigningKey(t, "RS1024")
	unpublished := newSigningKey(t, "ES256")
	ti.publish(rs, es, weak)
	v := issuerVerifier(t, ti, auth.IssuerConfig{})
	rsaPublicDER := rs.priv.Public().(*rsa.PublicKey).N.Bytes()
	now := time.Now()
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{name: "another audience", token: sign(t, rs, ti.personClaims(func(c map[string]any) { c["aud"] = "account" })), want: jwt.ErrTokenInvalidAudience},
		{name: "expired", token: sign(t, rs, ti.personClaims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })), want: jwt.ErrTokenExpired},
		{name: "no expiry", token: sign(t, rs, ti.personClaims(func(c map[string]any) { delete(c, "exp") })), want: jwt.ErrTokenRequiredClaimMissing},
		{name: "a lifetime over the county's cap", token: sign(t, rs, ti.personClaims(func(c map[string]any) { c["exp"] = now.Add(13 * time.Hour).Unix() })),
			want: auth.ErrInvalidClaims},
		{name: "no iat", token: sign(t, rs, ti.personClaims(func(c map[string]any) { delete(c, "iat") })), want: jwt.ErrTokenRequiredClaimMissing},
		{name: "iat in the future", token: sign(t, rs, ti.personClaims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })),
			want: jwt.ErrTokenUsedBeforeIssued},
		{name: "an issuer the county does not trust", token: sign(t, rs, ti.personClaims(func(c map[string]any) { c["iss"] = "https://sso.example.org/realms/x" })),
			want: jwt.ErrTokenInvalidIssuer},
		{name: "the issuer's name with fupin's key id", token: sign(t, signingKey{priv: rs.priv, kid: "fupin-key", alg: "RS256"}, ti.personClaims(nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "a key the issuer never published", token: sign(t, unpublished, ti.personClaims(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "an unpublished key under a published key id", token: sign(t, signingKey{priv: unpublished.priv, kid: es.kid, alg: "ES256"}, ti.personClaims(nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 keyed with the RSA public key", token: signAs(t, rsaPublicDER, jose.HS256, rs.kid, ti.personClaims(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "ES256 claimed for an RSA key", token: signAs(t, unpublished.priv, jose.ES256, rs.kid, ti.personClaims(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "RS384 is not accepted", token: signAs(t, rs.priv, jose.RS384, rs.kid, ti.personClaims(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "a 1024-bit RSA key", token: sign(t, weak, ti.personClaims(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "a claim given twice", token: forgeIssuerRaw(t, ti, es, `,"role":"county_admin"`), want: auth.ErrInvalidClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // a refused token is never cached as good
				c, err := v.Verify(tt.token)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify = %+v, %v; want %v", c, err, tt.want)
				}
			}
		})
	}
}

// forgeIssuerRaw signs a township officer's payload with extra JSON written after it.
func forgeIssuerRaw(t *testing.T, ti *testIssuer, k signingKey, extra string) string {
	t.Helper()
	b, _ := json.Marshal(ti.personClaims(nil))
	payload := strings.TrimSuffix(string(b), "}") + extra + "}"
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.alg), Key: k.priv}, (&jose.SignerOptions{}).WithHeader("kid", k.kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return tok
}

// clock is a fake time for an issuer's key set.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestOIDCKeyRotation(t *testing.T) {
	ti := newTestIssuer(t)
	old, rotated := newSigningKey(t, "ES256"), newSigningKey(t, "EdDSA")
	ti.publish(old)
	v := issuerVerifier(t, ti, auth.IssuerConfig{})
	clk := newClock()
	auth.SetIssuerClock(v, ti.url, clk.now)
	verify := func(k signingKey) error {
		_, err := v.Verify(sign(t, k, ti.personClaims(nil)))
		return err
	}

	if err := verify(old); err != nil {
		t.Fatal(err)
	}
	if n := auth.IssuerFetches(v, ti.url); n != 1 {
		t.Fatalf("%d fetches of the keys for the first token, want 1", n)
	}
	t.Run("tokens naming unknown keys do not make the verifier hammer the provider", func(t *testing.T) {
		for range 50 {
			forged := newSigningKey(t, "EdDSA")
			if err := verify(forged); err == nil {
				t.Fatal("a token of an unpublished key was accepted")
			}
		}
		if n := auth.IssuerFetches(v, ti.url); n != 1 {
			t.Errorf("%d fetches after 50 tokens with unknown key ids within %s of the first, want 1", n, 10*time.Second)
		}
	})
	t.Run("a key published later is fetched when a token names it", func(t *testing.T) {
		ti.publish(rotated)
		clk.advance(10 * time.Second)
		if err := verify(rotated); err != nil {
			t.Fatal(err)
		}
		if n := auth.IssuerFetches(v, ti.url); n != 2 {
			t.Errorf("%d fetches, want 2", n)
		}
	})
	t.Run("a withdrawn key stops being trusted once the keys are an hour old", func(t *testing.T) {
		ti.withdraw(old)
		if err := verify(old); err != nil {
			t.Fatalf("within the hour: %v", err)
		}
		clk.advance(time.Hour + time.Second)
		if err := verify(old); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			t.Fatalf("after the hour: %v, want a refusal", err)
		}
		if err := verify(rotated); err != nil {
			t.Fatalf("the rotated key: %v", err)
		}
	})
	t.Run("the last keys stay in use while the provider is down", func(t *testing.T) {
		ti.setDown(true)
		clk.advance(2 * time.Hour)
		if err := verify(rotated); err != nil {
			t.Fatal(err)
		}
		ti.setDown(false)
	})
}

func TestOIDCProviderDownAtStart(t *testing.T) {
	ti := newTestIssuer(t)
	k := newSigningKey(t, "RS256")
	ti.publish(k)
	ti.setDown(true)
	v := issuerVerifier(t, ti, auth.IssuerConfig{})
	clk := newClock()
	auth.SetIssuerClock(v, ti.url, clk.now)
	if _, err := v.Verify(sign(t, k, ti.personClaims(nil))); err == nil {
		t.Fatal("a token was accepted without the issuer's keys")
	}
	ti.setDown(false)
	clk.advance(10 * time.Second)
	if _, err := v.Verify(sign(t, k, ti.personClaims(nil))); err != nil {
		t.Fatalf("once the provider answers: %v", err)
	}
}

func TestParseIssuers(t *testing.T) {
	tests := []struct {
		name, json string
		wantErr    string // "" when it parses
	}{
		{name: "none", json: ""},
		{name: "Keycloak", json: `[{"issuer":"https://sso.county.gov.cn/realms/fupin","audience":"fupin","claims":{"subject":"preferred_username"}}]`},
		{name: "dev provider on loopback", json: `[{"issuer":"http://127.0.0.1:8080/dev-idp"}]`},
		{name: "groups", json: `[{"issuer":"https://sso.example.org","groups":{"claim":"groups","map":{"/民政局/业务人员":{"department":"civil_affairs","role":"department_staff"}}}}]`},
		{name: "not an array", json: `{"issuer":"https://sso.example.org"}`, wantErr: "not a JSON array"},
		{name: "an unknown field", json: `[{"issuer":"https://sso.example.org","audiance":"fupin"}]`, wantErr: "unknown field"},
		{name: "no issuer", json: `[{"audience":"fupin"}]`, wantErr: "no issuer URL"},
		{name: "fupin's own issuer", json: `[{"issuer":"fupin"}]`, wantErr: "fupin's own"},
		{name: "plain HTTP off loopback", json: `[{"issuer":"http://sso.county.gov.cn/realms/fupin"}]`, wantErr: "HTTPS is required"},
		{name: "twice", json: `[{"issuer":"https://a.example"},{"issuer":"https://a.example"}]`, wantErr: "listed twice"},
		{name: "a group mapped to an unknown role", json: `[{"issuer":"https://a.example","groups":{"claim":"groups","map":{"/x":{"department":"civil_affairs","role":"boss"}}}}]`,
			wantErr: `unknown role "boss"`},
		{name: "a group mapped to the service role", json: `[{"issuer":"https://a.example","groups":{"claim":"groups","map":{"/x":{"department":"civil_affairs","role":"service"}}}}]`,
			wantErr: "never to a person"},
		{name: "groups without a claim", json: `[{"issuer":"https://a.example","groups":{"map":{"/x":{"department":"civil_affairs","role":"auditor"}}}}]`,
			wantErr: "no claim named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParseIssuers([]byte(tt.json))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifierFromEnvReadsIssuers(t *testing.T) {
	pub, _ := newKey(t)
	keyFile, err := auth.EncodeKeys(people(pub))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "keys.pem")
	if err := os.WriteFile(file, keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FUPIN_OIDC_ISSUERS", `[{"issuer":"https://sso.county.gov.cn/realms/fupin"}]`)
	v, err := auth.VerifierFromEnv(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Issuers(); len(got) != 1 || got[0] != "https://sso.county.gov.cn/realms/fupin" {
		t.Errorf("issuers %v", got)
	}
	t.Setenv("FUPIN_OIDC_ISSUERS", `[{"issuer":"http://sso.county.gov.cn"}]`)
	if _, err := auth.VerifierFromEnv(file); err == nil || !strings.Contains(err.Error(), "FUPIN_OIDC_ISSUERS") {
		t.Errorf("a bad FUPIN_OIDC_ISSUERS: %v", err)
	}
}
