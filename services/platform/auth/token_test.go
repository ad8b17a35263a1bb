package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
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

func officer() auth.Claims {
	return auth.Claims{Department: "rural_revitalization", Role: "township_officer", Region: "421321101",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u-1001"}}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pub, priv := newKey(t)
	before := time.Now().Truncate(time.Second)
	token, err := auth.NewSigner(priv).Sign(officer(), time.Hour)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	got, err := auth.NewVerifier(pub).Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Department != "rural_revitalization" || got.Role != "township_officer" || got.Region != "421321101" ||
		got.Subject != "u-1001" || got.Issuer != auth.Issuer {
		t.Errorf("claims = %+v, want the signed ones from issuer %q", got, auth.Issuer)
	}
	if got.ExpiresAt == nil || got.ExpiresAt.Before(before.Add(time.Hour)) || got.ExpiresAt.After(time.Now().Add(time.Hour)) {
		t.Errorf("expires at %v, want an hour after signing", got.ExpiresAt)
	}
	if got.IssuedAt == nil || got.IssuedAt.Before(before) {
		t.Errorf("issued at %v, want the signing time", got.IssuedAt)
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

// forge signs claims exactly as given, to build tokens fupin's Signer would never make.
func forge(t *testing.T, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatalf("forge %s token: %v", method.Alg(), err)
	}
	return s
}

func TestVerifyRejects(t *testing.T) {
	pub, priv := newKey(t)
	_, otherPriv := newKey(t)
	signer := auth.NewSigner(priv)
	valid := func(mod func(*auth.Claims)) auth.Claims {
		c := officer()
		c.Issuer = auth.Issuer
		c.IssuedAt = jwt.NewNumericDate(time.Now())
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
		if mod != nil {
			mod(&c)
		}
		return c
	}
	expired, err := signer.Sign(officer(), -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good, err := signer.Sign(officer(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + jwtSegment(`{"sub":"admin","dept":"rural_revitalization","role":"county_admin","iss":"fupin","exp":4102444800}`) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		want  error // nil: any error will do
	}{
		{name: "expired", token: expired, want: jwt.ErrTokenExpired},
		{name: "signed with another key", token: forge(t, jwt.SigningMethodEdDSA, otherPriv, valid(nil)), want: jwt.ErrTokenSignatureInvalid},
		{name: "other issuer", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(func(c *auth.Claims) { c.Issuer = "evil" })),
			want: jwt.ErrTokenInvalidIssuer},
		{name: "no issuer", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(func(c *auth.Claims) { c.Issuer = "" })),
			want: jwt.ErrTokenRequiredClaimMissing},
		{name: "no expiry", token: forge(t, jwt.SigningMethodEdDSA, priv, valid(func(c *auth.Claims) { c.ExpiresAt = nil })),
			want: jwt.ErrTokenRequiredClaimMissing},
		{name: "not valid yet", token: forge(t, jwt.SigningMethodEdDSA, priv,
			valid(func(c *auth.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) })), want: jwt.ErrTokenNotValidYet},
		{name: "alg none", token: forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 keyed with the public key", token: forge(t, jwt.SigningMethodHS256, []byte(pub), valid(nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 keyed with a secret", token: forge(t, jwt.SigningMethodHS256, []byte("secret"), valid(nil)),
			want: jwt.ErrTokenSignatureInvalid},
		{name: "payload changed after signing", token: tampered, want: jwt.ErrTokenSignatureInvalid},
		{name: "not a JWT", token: "not-a-token", want: jwt.ErrTokenMalformed},
		{name: "empty", token: "", want: jwt.ErrTokenMalformed},
	}
	v := auth.NewVerifier(pub)
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
		if _, err := auth.NewVerifier().Verify(good); err == nil {
			t.Error("a verifier without keys accepted a token")
		}
	})
}

func jwtSegment(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

func TestVerifierAcceptsEveryConfiguredKey(t *testing.T) {
	oldPub, oldPriv := newKey(t)
	newPub, newPriv := newKey(t)
	_, strangerPriv := newKey(t)
	v := auth.NewVerifier(oldPub, newPub)
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
			token, err := auth.NewSigner(tt.key).Sign(officer(), time.Hour)
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
		token, err := auth.NewSigner(priv).Sign(officer(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		v := auth.NewVerifier(pub)
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
		{name: "unknown department", mod: func(c *auth.Claims) { c.Department = "police" }, wantErr: `unknown department "police"`},
		{name: "unspecified department", mod: func(c *auth.Claims) { c.Department = "unspecified" }, wantErr: "unknown department"},
		{name: "missing department", mod: func(c *auth.Claims) { c.Department = "" }, wantErr: "unknown department"},
		{name: "enum name as department", mod: func(c *auth.Claims) { c.Department = "DEPARTMENT_FINANCE" }, wantErr: "unknown department"},
		{name: "unknown role", mod: func(c *auth.Claims) { c.Role = "mayor" }, wantErr: `unknown role "mayor"`},
		{name: "unspecified role", mod: func(c *auth.Claims) { c.Role = "unspecified" }, wantErr: "unknown role"},
		{name: "missing role", mod: func(c *auth.Claims) { c.Role = "" }, wantErr: "unknown role"},
		{name: "region with letters", mod: func(c *auth.Claims) { c.Region = "4213a1" }, wantErr: "not a region code prefix"},
		{name: "region with a wildcard", mod: func(c *auth.Claims) { c.Region = "4213%" }, wantErr: "not a region code prefix"},
		{name: "region with a newline", mod: func(c *auth.Claims) { c.Region = "4213\n" }, wantErr: "not a region code prefix"},
		{name: "region with full-width digits", mod: func(c *auth.Claims) { c.Region = "４２１３" }, wantErr: "not a region code prefix"},
		{name: "region too long", mod: func(c *auth.Claims) { c.Region = "4213211010011" }, wantErr: "not a region code prefix"},
		{name: "missing subject", mod: func(c *auth.Claims) { c.Subject = "" }, wantErr: "no subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := officer()
			tt.mod(&c)
			got, err := c.Caller()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Caller() = %+v, %v; want error containing %q", got, err, tt.wantErr)
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

func TestParsePublicKeys(t *testing.T) {
	pub1, _ := newKey(t)
	pub2, _ := newKey(t)
	pem1, err := auth.EncodePublicKey(pub1)
	if err != nil {
		t.Fatal(err)
	}
	pem2, err := auth.EncodePublicKey(pub2)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})

	t.Run("two keys", func(t *testing.T) {
		both := append(append([]byte("# rotated 2026-11\n"), pem1...), pem2...)
		keys, err := auth.ParsePublicKeys(both)
		if err != nil {
			t.Fatalf("ParsePublicKeys: %v", err)
		}
		if len(keys) != 2 || !keys[0].Equal(pub1) || !keys[1].Equal(pub2) {
			t.Errorf("keys = %x, want %x and %x in order", keys, pub1, pub2)
		}
	})
	errs := []struct {
		name string
		in   []byte
	}{
		{name: "empty", in: nil},
		{name: "no PEM", in: []byte("not a key")},
		{name: "not Ed25519", in: ecPEM},
		{name: "Ed25519 then another kind", in: append(append([]byte{}, pem1...), ecPEM...)},
		{name: "garbage block", in: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("garbage")})},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			if keys, err := auth.ParsePublicKeys(tt.in); err == nil {
				t.Errorf("ParsePublicKeys = %x, want an error", keys)
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
	token, err := auth.NewSigner(loaded).Sign(officer(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewVerifier(created.Public().(ed25519.PublicKey)).Verify(token); err != nil {
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
