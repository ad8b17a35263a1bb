package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// regions is a fixed region master data: the scopes it knows.
type regions map[string]bool

func (r regions) Known(scope string) (bool, error) {
	if len(r) == 0 {
		return false, errors.New("no master data")
	}
	return r[scope], nil
}

// county knows the county 421321, its townships 101 and 102 and village 421321101001.
var county = regions{"421321": true, "421321101": true, "421321102": true, "421321101001": true}

// verifier verifies with keys under the default rules and knows county's regions.
func verifier(keys ...auth.Key) *auth.Verifier {
	return auth.NewVerifier(auth.DefaultSettings(), auth.NewKeySet(keys...)).WithRegions(county)
}

func people(pub ed25519.PublicKey) auth.Key { return auth.NewKey(pub, auth.People) }

func signer(priv ed25519.PrivateKey) *auth.Signer { return auth.NewSigner(priv, "") }

func officer() auth.Claims {
	return auth.Claims{Department: "rural_revitalization", Role: "township_officer", Region: "421321101",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u-1001"}}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pub, priv := newKey(t)
	before := time.Now().Truncate(time.Second)
	token, err := signer(priv).Sign(officer(), time.Hour)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	got, err := verifier(people(pub)).Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Department != "rural_revitalization" || got.Role != "township_officer" || got.Region != "421321101" ||
		got.Subject != "u-1001" || got.Issuer != auth.Issuer || len(got.Audience) != 1 || got.Audience[0] != auth.DefaultAudience {
		t.Errorf("claims = %+v, want the signed ones from issuer %q for audience %q", got, auth.Issuer, auth.DefaultAudience)
	}
	if got.ExpiresAt == nil || got.ExpiresAt.Before(before.Add(time.Hour)) || got.ExpiresAt.After(time.Now().Add(time.Hour)) {
		t.Errorf("expires at %v, want an hour after signing", got.ExpiresAt)
	}
	if got.IssuedAt == nil || got.IssuedAt.Before(before) {
		t.Errorf("issued at %v, want the signing time", got.IssuedAt)
	}
	header := segment(t, token, 0)
	if header["kid"] != auth.KeyID(pub) || header["alg"] != "EdDSA" {
		t.Errorf("header = %v, want alg EdDSA and kid %s", header, auth.KeyID(pub))
	}
	caller, err := got.Caller()
	if err != nil {
		t.Fatalf("Caller: %v", err)
	}
	want := auth.Caller{Subject: "u-1001", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
		Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}
	if *caller != want {
		t.Errorf("caller = %+v, want %+v", *caller, want)
	}
}

// segment decodes a token's header (0) or payload (1).
func segment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// forge signs claims exactly as given, to build tokens fupin's Signer would never make.
func forge(t *testing.T, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatalf("forge %s token: %v", method.Alg(), err)
	}
	return s
}

// forgeRaw signs a header and a payload written by hand (JSON no library would write, such as a claim
// given twice) with key.
func forgeRaw(key ed25519.PrivateKey, header, payload string) string {
	signing := jwtSegment(header) + "." + jwtSegment(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(signing)))
}

func jwtSegment(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

// valid is a token's claims as fupin's Signer writes them, changed by mod.
func valid(c auth.Claims, mod func(*auth.Claims)) auth.Claims {
	c.Issuer = auth.Issuer
	c.Audience = jwt.ClaimStrings{auth.DefaultAudience}
	c.IssuedAt = jwt.NewNumericDate(time.Now())
	c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
	if mod != nil {
		mod(&c)
	}
	return c
}

func service(name, dept string) auth.Claims {
	return auth.Claims{Department: dept, Role: "service", RegisteredClaims: jwt.RegisteredClaims{Subject: "service:" + name}}
}

func countyAdmin() auth.Claims {
	return auth.Claims{Department: "rural_revitalization", Role: "county_admin", RegisteredClaims: jwt.RegisteredClaims{Subject: "u-admin"}}
}

func TestVerifyRejects(t *testing.T) {
	pub, priv := newKey(t)
	_, otherPriv := newKey(t)
	subsidiesPub, subsidiesPriv := newKey(t)
	s := signer(priv)
	expired, err := s.Sign(officer(), -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good, err := s.Sign(officer(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + jwtSegment(`{"sub":"admin","dept":"rural_revitalization","role":"county_admin","iss":"fupin","aud":"fupin","exp":4102444800}`) + "." + parts[2]
	now := time.Now().Unix()
	// payload is a township officer's claims with extra written after them, signed with the people key.
	payload := func(extra string) string {
		return forgeRaw(priv, `{"alg":"EdDSA","typ":"JWT"}`, fmt.Sprintf(
			`{"sub":"u-1001","dept":"rural_revitalization","role":"township_officer","region":"421321101","iss":"fupin","aud":"fupin","iat":%d,"exp":%d%s}`,
			now, now+3600, extra))
	}

	tests := []struct {
		name  string
		token string
		want  error // besides: every refusal of what a token says wraps ErrInvalidClaims
	}{
		{name: "expired", token: expired, want: jwt.ErrTokenExpired},
		{name: "signed with another key", token: forge(t, jwt.SigningMethodEdDSA, otherPriv, valid(officer(), nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "other issuer", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(officer(), func(c *auth.Claims) { c.Issuer = "evil" })),
			want: jwt.ErrTokenInvalidIssuer},
		{name: "no issuer", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(officer(), func(c *auth.Claims) { c.Issuer = "" })),
			want: jwt.ErrTokenRequiredClaimMissing},
		{name: "no expiry", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(officer(), func(c *auth.Claims) { c.ExpiresAt = nil })),
			want: jwt.ErrTokenRequiredClaimMissing},
		{name: "not valid yet", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) })), want: jwt.ErrTokenNotValidYet},
		{name: "alg none", token: forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(officer(), nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 keyed with the public key", token: forge(t, jwt.SigningMethodHS256, []byte(pub), valid(officer(), nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 keyed with a secret", token: forge(t, jwt.SigningMethodHS256, []byte("secret"), valid(officer(), nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "payload changed after signing", token: tampered, want: jwt.ErrTokenSignatureInvalid},
		{name: "not a JWT", token: "not-a-token", want: jwt.ErrTokenMalformed},
		{name: "empty", token: "", want: jwt.ErrTokenMalformed},

		// Audience, lifetime and issue time (issue 8, item 10).
		{name: "foreign audience", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"another-system"} })), want: jwt.ErrTokenInvalidAudience},
		{name: "no audience", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Audience = nil })), want: jwt.ErrTokenRequiredClaimMissing},
		{name: "a century-long expiry", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().AddDate(100, 0, 0)) })), want: auth.ErrInvalidClaims},
		{name: "a person's token a minute over 12 hours", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(12*time.Hour + time.Minute)) })), want: auth.ErrInvalidClaims},
		{name: "no iat", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.IssuedAt = nil })), want: jwt.ErrTokenRequiredClaimMissing},
		{name: "iat in the future beyond the skew", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(2 * time.Minute)) })), want: jwt.ErrTokenUsedBeforeIssued},
		{name: "iat a year ahead with exp just after it", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) {
				c.IssuedAt = jwt.NewNumericDate(time.Now().AddDate(1, 0, 0))
				c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(time.Hour))
			})), want: jwt.ErrTokenUsedBeforeIssued},

		// Region claims (issue 8, item 4).
		{name: "township officer without a region", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Region = "" })), want: auth.ErrInvalidClaims},
		{name: "village officer with a 6-digit region", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Role = "village_officer"; c.Region = "421321" })), want: auth.ErrInvalidClaims},
		{name: "township unknown to the master data", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Region = "421321199" })), want: auth.ErrInvalidClaims},
		{name: "a county admin scoped to an unknown village", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.Region = "421321101999" })), want: auth.ErrInvalidClaims},
		{name: "region given twice, the second empty", token: payload(`,"region":""`), want: auth.ErrInvalidClaims},
		{name: "region given twice, the second another township", token: payload(`,"region":"421321102"`), want: auth.ErrInvalidClaims},
		{name: "region given again in another case", token: payload(`,"Region":""`), want: auth.ErrInvalidClaims},
		{name: "region given again with a dotted capital I", token: payload(`,"REG\u0130ON":""`), want: auth.ErrInvalidClaims},
		{name: "role given again in JSON escapes", token: payload(`,"r\u006fle":"county_admin"`), want: auth.ErrInvalidClaims},
		{name: "subject given again with a long s", token: payload(`,"ſub":"u-admin"`), want: auth.ErrInvalidClaims},
		{name: "a repeated name inside a nested claim", token: payload(`,"extra":{"a":1,"a":2}`), want: auth.ErrInvalidClaims},
		{name: "a header member given twice", token: forgeRaw(priv, `{"alg":"EdDSA","typ":"JWT","kid":"x","kid":"y"}`,
			fmt.Sprintf(`{"sub":"u-1","dept":"civil_affairs","role":"county_admin","iss":"fupin","aud":"fupin","iat":%d,"exp":%d}`, now, now+60)),
			want: auth.ErrInvalidClaims},

		// What a key may sign (issue 8, item 10).
		{name: "a service key minting a county admin", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv, valid(countyAdmin(), nil)),
			want: auth.ErrKeyBinding},
		{name: "a service key minting another service's subject", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv,
			valid(service("identification", "rural_revitalization"), nil)), want: auth.ErrKeyBinding},
		{name: "a service key minting its own subject in another department", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv,
			valid(service("subsidies", "finance"), nil)), want: auth.ErrKeyBinding},
		{name: "a service key minting its own subject with a person's role", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv,
			valid(service("subsidies", "civil_affairs"), func(c *auth.Claims) { c.Role = "county_admin" })), want: auth.ErrKeyBinding},
		{name: "the people key minting a service", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(service("subsidies", "civil_affairs"), nil)),
			want: auth.ErrKeyBinding},
		{name: "the people key minting a service's role in capitals", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(service("subsidies", "civil_affairs"), func(c *auth.Claims) { c.Role = "SERVICE" })), want: auth.ErrKeyBinding},
		{name: "the people key minting a person named like a service", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(service("subsidies", "civil_affairs"), func(c *auth.Claims) { c.Role = "county_admin" })), want: auth.ErrKeyBinding},
		{name: "a service's token over an hour", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv,
			valid(service("subsidies", "civil_affairs"), func(c *auth.Claims) { c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(2 * time.Hour)) })),
			want: auth.ErrInvalidClaims},
	}
	v := verifier(people(pub), auth.NewKey(subsidiesPub, auth.ServiceBinding("subsidies", commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS)))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: a rejected token must not be cached as good either.
			for range 2 {
				c, err := v.Verify(tt.token)
				if err == nil {
					t.Fatalf("Verify accepted the token: %+v", c)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("Verify error = %v, want %v", err, tt.want)
				}
			}
		})
	}
	t.Run("no keys", func(t *testing.T) {
		if _, err := auth.NewVerifier(auth.DefaultSettings()).Verify(good); err == nil {
			t.Error("a verifier without keys accepted a token")
		}
	})
	t.Run("a region without master data", func(t *testing.T) {
		noRegions := auth.NewVerifier(auth.DefaultSettings(), auth.NewKeySet(people(pub)))
		if _, err := noRegions.Verify(good); !errors.Is(err, auth.ErrInvalidClaims) {
			t.Errorf("a verifier without regions: %v, want a refusal", err)
		}
		if _, err := verifier(people(pub)).WithRegions(regions{}).Verify(good); !errors.Is(err, auth.ErrInvalidClaims) {
			t.Errorf("a verifier with empty master data: %v, want a refusal", err)
		}
	})
}

// TestVerifyAccepts shows the limits are limits, not refusals of everything near them.
func TestVerifyAccepts(t *testing.T) {
	pub, priv := newKey(t)
	subsidiesPub, subsidiesPriv := newKey(t)
	v := verifier(people(pub), auth.NewKey(subsidiesPub, auth.ServiceBinding("subsidies", commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS)))
	tests := []struct {
		name  string
		token string
	}{
		{name: "a person's token of exactly 12 hours", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(12 * time.Hour)) }))},
		{name: "iat 50 seconds ahead (clock skew)", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(50 * time.Second)) }))},
		{name: "an audience list with ours in it", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"portal", auth.DefaultAudience} }))},
		{name: "a village officer of a known village", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(officer(), func(c *auth.Claims) { c.Role = "village_officer"; c.Region = "421321101001" }))},
		{name: "a county admin scoped to the county", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(countyAdmin(), func(c *auth.Claims) { c.Region = "421321" }))},
		{name: "the service's own token by its key", token: forge(t, jwt.SigningMethodEdDSA, subsidiesPriv, valid(service("subsidies", "civil_affairs"), nil))},
		{name: "a token without kid (another issuer's naming)", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(officer(), nil))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Verify(tt.token); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	t.Run("signed by the service's signer", func(t *testing.T) {
		tok, err := signer(subsidiesPriv).Sign(service("subsidies", "civil_affairs"), auth.ServiceTokenTTL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
	t.Run("another configured audience", func(t *testing.T) {
		own := auth.NewVerifier(auth.Settings{Audience: "county-421321"}, auth.NewKeySet(people(pub))).WithRegions(county)
		tok, err := auth.NewSigner(priv, "county-421321").Sign(countyAdmin(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := own.Verify(tok); err != nil {
			t.Errorf("Verify: %v", err)
		}
		fupin, err := signer(priv).Sign(countyAdmin(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := own.Verify(fupin); !errors.Is(err, jwt.ErrTokenInvalidAudience) {
			t.Errorf("a token for the default audience: %v, want %v", err, jwt.ErrTokenInvalidAudience)
		}
	})
}

func TestVerifierAcceptsEveryConfiguredKey(t *testing.T) {
	oldPub, oldPriv := newKey(t)
	newPub, newPriv := newKey(t)
	_, strangerPriv := newKey(t)
	v := verifier(people(oldPub), people(newPub))
	tests := []struct {
		name string
		key  ed25519.PrivateKey
		ok   bool
	}{
		{name: "first key", key: oldPriv, ok: true},
		{name: "second key", key: newPriv, ok: true},
		{name: "neither", key: strangerPriv, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := signer(tt.key).Sign(officer(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(token); (err == nil) != tt.ok {
				t.Errorf("Verify error = %v, want accepted: %v", err, tt.ok)
			}
		})
	}
}

// TestVerifyCache runs in a synctest bubble, whose fake clock the test moves forward: time.Sleep there
// returns at once with the clock advanced, so the expiry is reached without waiting for it.
func TestVerifyCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pub, priv := newKey(t)
		token, err := signer(priv).Sign(officer(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		known := regions{"421321101": true}
		v := auth.NewVerifier(auth.DefaultSettings(), auth.NewKeySet(people(pub))).WithRegions(known)
		first, err := v.Verify(token)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		time.Sleep(59 * time.Second)
		second, err := v.Verify(token)
		if err != nil {
			t.Fatalf("Verify before expiry: %v", err)
		}
		if second != first {
			t.Errorf("second Verify returned new claims; want the cached ones")
		}
		// The region is checked on every call, so a township the master data drops is refused at once.
		delete(known, "421321101")
		if _, err := v.Verify(token); !errors.Is(err, auth.ErrInvalidClaims) {
			t.Errorf("Verify after the township left the master data: %v, want a refusal", err)
		}
		known["421321101"] = true
		time.Sleep(time.Second)
		for i := range 2 {
			if c, err := v.Verify(token); !errors.Is(err, jwt.ErrTokenExpired) {
				t.Errorf("Verify %d after expiry = %+v, %v; want %v", i, c, err, jwt.ErrTokenExpired)
			}
		}
	})
}

func TestClaimsCaller(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*auth.Claims)
		want    *auth.Caller
		wantErr string
	}{
		{name: "valid", mod: func(*auth.Claims) {},
			want: &auth.Caller{Subject: "u-1001", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
				Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "421321101"}},
		{name: "whole county", mod: func(c *auth.Claims) { c.Region = ""; c.Role = "county_admin"; c.Department = "civil_affairs" },
			want: &auth.Caller{Subject: "u-1001", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
				Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
		{name: "village code", mod: func(c *auth.Claims) { c.Region = "421321101001"; c.Role = "village_officer" },
			want: &auth.Caller{Subject: "u-1001", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
				Role: commonv1.Role_ROLE_VILLAGE_OFFICER, Region: "421321101001"}},
		{name: "department staff of one township", mod: func(c *auth.Claims) { c.Role = "department_staff" },
			want: &auth.Caller{Subject: "u-1001", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
				Role: commonv1.Role_ROLE_DEPARTMENT_STAFF, Region: "421321101"}},
		{name: "unknown department", mod: func(c *auth.Claims) { c.Department = "police" }, wantErr: `unknown department "police"`},
		{name: "unspecified department", mod: func(c *auth.Claims) { c.Department = "unspecified" }, wantErr: "unknown department"},
		{name: "missing department", mod: func(c *auth.Claims) { c.Department = "" }, wantErr: "unknown department"},
		{name: "enum name as department", mod: func(c *auth.Claims) { c.Department = "DEPARTMENT_FINANCE" }, wantErr: "unknown department"},
		{name: "unknown role", mod: func(c *auth.Claims) { c.Role = "mayor" }, wantErr: `unknown role "mayor"`},
		{name: "unspecified role", mod: func(c *auth.Claims) { c.Role = "unspecified" }, wantErr: "unknown role"},
		{name: "missing role", mod: func(c *auth.Claims) { c.Role = "" }, wantErr: "unknown role"},
		{name: "region with letters", mod: func(c *auth.Claims) { c.Role = "auditor"; c.Region = "4213a1" }, wantErr: "not a region code prefix"},
		{name: "region with a wildcard", mod: func(c *auth.Claims) { c.Role = "auditor"; c.Region = "4213%" }, wantErr: "not a region code prefix"},
		{name: "region with a newline", mod: func(c *auth.Claims) { c.Role = "auditor"; c.Region = "421321\n" }, wantErr: "not a region code prefix"},
		{name: "region with full-width digits", mod: func(c *auth.Claims) { c.Role = "auditor"; c.Region = "４２１３２１" }, wantErr: "not a region code prefix"},
		{name: "region too long", mod: func(c *auth.Claims) { c.Role = "auditor"; c.Region = "4213211010011" }, wantErr: "not a region code prefix"},
		{name: "a 7-digit region", mod: func(c *auth.Claims) { c.Role = "county_admin"; c.Region = "4213211" }, wantErr: "not a region code prefix"},
		{name: "township officer without a region", mod: func(c *auth.Claims) { c.Region = "" },
			wantErr: `a township officer's token needs a 9-digit region code as its region, not ""`},
		{name: "township officer with the county", mod: func(c *auth.Claims) { c.Region = "421321" }, wantErr: "9-digit region"},
		{name: "township officer with a village", mod: func(c *auth.Claims) { c.Region = "421321101001" }, wantErr: "9-digit region"},
		{name: "township officer with 9 letters", mod: func(c *auth.Claims) { c.Region = "abcdefghi" }, wantErr: "9-digit region"},
		{name: "village officer without a region", mod: func(c *auth.Claims) { c.Role = "village_officer"; c.Region = "" },
			wantErr: `a village officer's token needs a 12-digit region code as its region, not ""`},
		{name: "village officer with a 6-digit region", mod: func(c *auth.Claims) { c.Role = "village_officer"; c.Region = "421321" }, wantErr: "12-digit region"},
		{name: "village officer with a township", mod: func(c *auth.Claims) { c.Role = "village_officer" }, wantErr: "12-digit region"},
		{name: "missing subject", mod: func(c *auth.Claims) { c.Subject = "" }, wantErr: "no subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := officer()
			tt.mod(&c)
			got, err := c.Caller()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, auth.ErrInvalidClaims) {
					t.Fatalf("Caller() = %+v, %v; want an invalid-claims error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Caller: %v", err)
			}
			if *got != *tt.want {
				t.Errorf("Caller() = %+v, want %+v", *got, *tt.want)
			}
		})
	}
}

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    auth.Settings
		wantErr []string
	}{
		{name: "defaults", want: auth.Settings{Audience: "fupin", MaxTTL: 12 * time.Hour, MaxServiceTTL: time.Hour}},
		{name: "set", env: map[string]string{"FUPIN_TOKEN_AUDIENCE": "county-421321", "FUPIN_TOKEN_MAX_TTL": "8h", "FUPIN_SERVICE_TOKEN_MAX_TTL": "30m"},
			want: auth.Settings{Audience: "county-421321", MaxTTL: 8 * time.Hour, MaxServiceTTL: 30 * time.Minute}},
		{name: "every problem at once", env: map[string]string{"FUPIN_TOKEN_MAX_TTL": "a day", "FUPIN_SERVICE_TOKEN_MAX_TTL": "5m"},
			wantErr: []string{"FUPIN_TOKEN_MAX_TTL", "FUPIN_SERVICE_TOKEN_MAX_TTL: 5m0s is shorter than 10m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"FUPIN_TOKEN_AUDIENCE", "FUPIN_TOKEN_MAX_TTL", "FUPIN_SERVICE_TOKEN_MAX_TTL"} {
				t.Setenv(k, tt.env[k])
			}
			got, err := auth.SettingsFromEnv()
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want it to say %q", err, want)
				}
			}
			if tt.wantErr == nil && (err != nil || got != tt.want) {
				t.Errorf("SettingsFromEnv() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "keys", "signing.pem")
	created, err := auth.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	loaded, err := auth.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !loaded.Equal(created) {
		t.Error("reloading returned another key than the one created")
	}
	token, err := signer(loaded).Sign(officer(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier(people(created.Public().(ed25519.PublicKey))).Verify(token); err != nil {
		t.Errorf("token signed with the reloaded key does not verify with the created one: %v", err)
	}

	t.Run("unreadable key file is an error, not replaced", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "signing.pem")
		if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.LoadOrCreateKey(bad); err == nil {
			t.Error("LoadOrCreateKey accepted a file without a key")
		}
		if b, _ := os.ReadFile(bad); string(b) != "not a key" {
			t.Errorf("the bad key file was overwritten with %q", b)
		}
	})
}
