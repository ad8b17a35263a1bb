package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
)

// The example key of RFC 8037 (appendix A.3): its JWK thumbprint is given there.
func TestKeyIDIsTheJWKThumbprint(t *testing.T) {
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := auth.KeyID(ed25519.PublicKey(x)), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
}

// block writes pub as a PUBLIC KEY block with the given headers.
func block(t *testing.T, pub any, headers map[string]string) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: headers, Bytes: der})
}

func TestParseKeySet(t *testing.T) {
	issuer, _ := newKey(t)
	rotated, _ := newKey(t)
	subsidies, _ := newKey(t)
	civil := commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS

	t.Run("what EncodeKeys writes", func(t *testing.T) {
		want := []auth.Key{auth.NewKey(issuer, auth.People), auth.NewKey(rotated, auth.People),
			auth.NewKey(subsidies, auth.ServiceBinding("subsidies", civil))}
		file, err := auth.EncodeKeys(want...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(file), "Fupin-Department: civil_affairs\nFupin-Signs: service:subsidies\n") ||
			!strings.Contains(string(file), "Fupin-Signs: people\n") {
			t.Errorf("key file:\n%s", file)
		}
		set, err := auth.ParseKeySet(append([]byte("# the county's keys, rotated 2026-11\n"), file...))
		if err != nil {
			t.Fatalf("ParseKeySet: %v", err)
		}
		got := set.Keys("")
		if len(got) != len(want) {
			t.Fatalf("%d keys, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || !got[i].Public.Equal(want[i].Public) || got[i].Binding != want[i].Binding {
				t.Errorf("key %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		if k := set.Keys(auth.KeyID(subsidies)); len(k) != 1 || !k[0].Public.Equal(subsidies) {
			t.Errorf("Keys(kid of subsidies) = %v, want that key alone", k)
		}
		if k := set.Keys("a kid of another issuer"); len(k) != 3 {
			t.Errorf("Keys(unknown kid) = %d keys, want all 3", len(k))
		}
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	errs := []struct {
		name string
		in   []byte
		want string
	}{
		{name: "empty", in: nil, want: "no PEM public key"},
		{name: "no PEM", in: []byte("not a key"), want: "no PEM public key"},
		{name: "a key that says nothing of what it signs", in: block(t, issuer, nil), want: "Fupin-Signs"},
		{name: "a misspelt header", in: block(t, issuer, map[string]string{"Fupin-Sign": "people"}), want: `unknown header "Fupin-Sign"`},
		{name: "signs everything", in: block(t, issuer, map[string]string{"Fupin-Signs": "*"}), want: "Fupin-Signs"},
		{name: "a service without a department", in: block(t, subsidies, map[string]string{"Fupin-Signs": "service:subsidies"}), want: "not a department code"},
		{name: "a service of an unknown department", in: block(t, subsidies, map[string]string{"Fupin-Signs": "service:subsidies", "Fupin-Department": "police"}),
			want: "not a department code"},
		{name: "a service without a name", in: block(t, subsidies, map[string]string{"Fupin-Signs": "service:", "Fupin-Department": "civil_affairs"}),
			want: "Fupin-Signs"},
		{name: "people with a department", in: block(t, issuer, map[string]string{"Fupin-Signs": "people", "Fupin-Department": "civil_affairs"}),
			want: "has no Fupin-Department"},
		{name: "not Ed25519", in: block(t, &ecKey.PublicKey, map[string]string{"Fupin-Signs": "people"}), want: "not Ed25519"},
		{name: "a good key then a bad one", in: append(block(t, issuer, map[string]string{"Fupin-Signs": "people"}), block(t, rotated, nil)...),
			want: "key 2"},
		{name: "a private key block", in: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Fupin-Signs": "people"}, Bytes: []byte("x")}),
			want: "PUBLIC KEY"},
		{name: "garbage block", in: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fupin-Signs": "people"}, Bytes: []byte("garbage")})},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			set, err := auth.ParseKeySet(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseKeySet = %v, %v; want an error saying %q", set, err, tt.want)
			}
		})
	}
}
