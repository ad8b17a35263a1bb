package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/tools/internal/devstack"
)

func TestTokenCommand(t *testing.T) {
	data := t.TempDir()
	signing, _, _ := devstack.KeyFiles(data)
	priv, err := auth.LoadOrCreateKey(signing)
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(auth.DefaultSettings(), auth.NewKeySet(auth.NewKey(priv.Public().(ed25519.PublicKey), auth.People))).
		WithRegions(regionset.Of(regionset.Region{Code: "990001002000", Level: regionset.LevelTownship},
			regionset.Region{Code: "990001003000", Level: regionset.LevelTownship}))
	token := func(t *testing.T, args ...string) (*auth.Claims, error) {
		t.Helper()
		var out bytes.Buffer
		if err := Main(context.Background(), append([]string{"token", "--data", data}, args...), &out, io.Discard); err != nil {
			return nil, err
		}
		return v.Verify(strings.TrimSpace(out.String()))
	}

	t.Run("every official gets a subject of their own", func(t *testing.T) {
		subjects := map[string]string{}
		for _, args := range [][]string{
			{"--dept", "rural_revitalization", "--role", "township_officer", "--region", "990001002"},
			{"--dept", "rural_revitalization", "--role", "township_officer", "--region", "990001003"},
			{"--dept", "civil_affairs", "--role", "township_officer", "--region", "990001002"},
			{"--dept", "rural_revitalization", "--role", "county_admin"},
		} {
			c, err := token(t, args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if other, dup := subjects[c.Subject]; dup {
				t.Errorf("%v and %s share the subject %q", args, other, c.Subject)
			}
			subjects[c.Subject] = strings.Join(args, " ")
		}
		if _, ok := subjects["dev:rural_revitalization:township_officer:990001002"]; !ok {
			t.Errorf("subjects %v, want dev:<dept>:<role>:<region>", subjects)
		}
	})
	t.Run("a person's token names the person", func(t *testing.T) {
		c, err := token(t, "--dept", "civil_affairs", "--role", "county_admin", "--sub", "u-zhangsan")
		if err != nil || c.Subject != "u-zhangsan" || len(c.Audience) != 1 || c.Audience[0] != auth.DefaultAudience {
			t.Errorf("claims %+v, %v; want sub u-zhangsan for audience fupin", c, err)
		}
	})
	for name, args := range map[string][]string{
		"a service's role":              {"--dept", "civil_affairs", "--role", "service", "--sub", "service:subsidies"},
		"a township officer anywhere":   {"--dept", "rural_revitalization", "--role", "township_officer"},
		"a village officer's township":  {"--dept", "rural_revitalization", "--role", "village_officer", "--region", "990001002"},
		"longer than the county allows": {"--dept", "rural_revitalization", "--role", "county_admin", "--ttl", "13h"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if c, err := token(t, args...); !errors.Is(err, errUsage) {
				t.Errorf("token %+v, %v; want a usage error", c, err)
			}
		})
	}
}

func TestPubkeyCommand(t *testing.T) {
	dir := t.TempDir()
	priv, err := auth.LoadOrCreateKey(dir + "/subsidies.pem")
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	issuer, err := auth.EncodeKeys(auth.NewKey(pub, auth.People))
	if err != nil {
		t.Fatal(err)
	}
	// A bare PUBLIC KEY block, as openssl or an issuer hands it out.
	bare := dir + "/issuer.pub.pem"
	if err := os.WriteFile(bare, []byte(strings.Replace(string(issuer), "Fupin-Signs: people\n\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want auth.Binding
	}{
		{name: "a service's private key", args: []string{"--key", dir + "/subsidies.pem", "--signs", "service:subsidies", "--dept", "civil_affairs"},
			want: auth.ServiceBinding("subsidies", commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS)},
		{name: "an issuer's public key", args: []string{"--key", bare, "--signs", "people"}, want: auth.People},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Main(context.Background(), append([]string{"pubkey"}, tt.args...), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			set, err := auth.ParseKeySet(out.Bytes())
			if err != nil {
				t.Fatalf("%s: %v", out.Bytes(), err)
			}
			if k := set.Keys(""); len(k) != 1 || !k[0].Public.Equal(pub) || k[0].Binding != tt.want {
				t.Errorf("keys %+v, want %x bound to %v", k, pub, tt.want)
			}
		})
	}
	for name, args := range map[string][]string{
		"a service without a department": {"--key", dir + "/subsidies.pem", "--signs", "service:subsidies"},
		"people with a department":       {"--key", dir + "/subsidies.pem", "--signs", "people", "--dept", "civil_affairs"},
		"nothing said of what it signs":  {"--key", dir + "/subsidies.pem"},
		"no key":                         {"--signs", "people"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if err := Main(context.Background(), append([]string{"pubkey"}, args...), io.Discard, io.Discard); !errors.Is(err, errUsage) {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}
