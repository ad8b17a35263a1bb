package boot

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"fupin.dev/services/platform/auth"
)

func TestServiceKeyMustBeKnownToTheVerifier(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"a service that calls no one", Config{Verifier: auth.NewVerifier(pub)}, false},
		{"its public key is among the verification keys", Config{ServiceKey: priv, Verifier: auth.NewVerifier(pub)}, false},
		{"a key the county does not know", Config{ServiceKey: stranger, Verifier: auth.NewVerifier(pub)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkServiceKey(tc.cfg)
			if (err != nil) != tc.wantErr || (err != nil && !strings.Contains(err.Error(), "FUPIN_JWT_PUBLIC_KEY_FILE")) {
				t.Errorf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
