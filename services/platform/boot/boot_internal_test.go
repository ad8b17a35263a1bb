package boot

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
)

func TestServiceKeyMustBeKnownToTheVerifier(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	civil := commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS
	verifier := func(b auth.Binding) *auth.Verifier {
		return auth.NewVerifier(auth.DefaultSettings(), auth.NewKeySet(auth.NewKey(pub, b)))
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"a service that calls no one", Config{Verifier: verifier(auth.People)}, false},
		{"its public key is bound to it", Config{ServiceKey: priv, Verifier: verifier(auth.ServiceBinding("subsidies", civil))}, false},
		{"a key the county does not know", Config{ServiceKey: stranger, Verifier: verifier(auth.ServiceBinding("subsidies", civil))}, true},
		{"a key of people's tokens", Config{ServiceKey: priv, Verifier: verifier(auth.People)}, true},
		{"another service's key", Config{ServiceKey: priv, Verifier: verifier(auth.ServiceBinding("identification", civil))}, true},
		{"its key in another department", Config{ServiceKey: priv,
			Verifier: verifier(auth.ServiceBinding("subsidies", commonv1.Department_DEPARTMENT_FINANCE))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkServiceKey("subsidies", civil, tc.cfg)
			if (err != nil) != tc.wantErr || (err != nil && !strings.Contains(err.Error(), "Fupin-Signs: service:subsidies, Fupin-Department: civil_affairs")) {
				t.Errorf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	keyFile := filepath.Join(t.TempDir(), "public-keys.pem")
	file, err := auth.EncodeKeys(auth.NewKey(pub, auth.People))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, file, 0o600); err != nil {
		t.Fatal(err)
	}
	unbound := filepath.Join(t.TempDir(), "unbound.pem")
	if err := os.WriteFile(unbound, []byte(strings.ReplaceAll(string(file), "Fupin-Signs: people\n\n", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"FUPIN_DB_URL": "sqlite::memory:", "FUPIN_ETCD_ENDPOINTS": "127.0.0.1:2379", "FUPIN_JWT_PUBLIC_KEY_FILE": keyFile,
		"FUPIN_PII_KEY": base64.StdEncoding.EncodeToString(make([]byte, 32)),
	}
	tests := []struct {
		name           string
		env            map[string]string
		wantReflection bool
		wantErr        []string
	}{
		{name: "reflection is off by default"},
		{name: "reflection on", env: map[string]string{"FUPIN_GRPC_REFLECTION": "true"}, wantReflection: true},
		{name: "reflection off", env: map[string]string{"FUPIN_GRPC_REFLECTION": "false"}},
		{name: "every problem at once", env: map[string]string{"FUPIN_GRPC_REFLECTION": "maybe", "FUPIN_TOKEN_MAX_TTL": "long",
			"FUPIN_JWT_PUBLIC_KEY_FILE": unbound},
			wantErr: []string{"FUPIN_GRPC_REFLECTION", "FUPIN_TOKEN_MAX_TTL", "Fupin-Signs"}},
		{name: "no key file", env: map[string]string{"FUPIN_JWT_PUBLIC_KEY_FILE": ""}, wantErr: []string{"FUPIN_JWT_PUBLIC_KEY_FILE is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"FUPIN_DB_URL", "FUPIN_ETCD_ENDPOINTS", "FUPIN_JWT_PUBLIC_KEY_FILE", "FUPIN_PII_KEY",
				"FUPIN_GRPC_REFLECTION", "FUPIN_TOKEN_MAX_TTL", "FUPIN_SERVICE_KEY_FILE", "FUPIN_ADDR", "FUPIN_ADVERTISE"} {
				v, ok := tt.env[k]
				if !ok {
					v = base[k]
				}
				t.Setenv(k, v)
			}
			cfg, err := FromEnv(nil)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("FromEnv error %v, want it to say %q", err, want)
				}
			}
			if tt.wantErr != nil {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Reflection != tt.wantReflection || cfg.Verifier == nil || cfg.Verifier.Settings() != auth.DefaultSettings() {
				t.Errorf("Reflection = %v (want %v), verifier %v", cfg.Reflection, tt.wantReflection, cfg.Verifier)
			}
		})
	}
}
