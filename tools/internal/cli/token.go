package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/tools/internal/devstack"
	"github.com/golang-jwt/jwt/v5"
)

// runToken signs a person's token. Its default subject names the department, role and region, so two
// officials of one department and role but different places never share a subject (and with it an audit
// trail and idempotency records); a token for a real person names that person with --sub.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	settings, err := auth.SettingsFromEnv()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory of `fupin dev` (holds the key of people's tokens)")
	keyFile := fs.String("key", "", "Ed25519 private key (PEM) of people's tokens; default: the data directory's dev key")
	dept := fs.String("dept", "", "department: rural_revitalization, civil_affairs, disabled_persons_federation, human_resources, agriculture, finance, county_government")
	role := fs.String("role", "", "role: county_admin, department_staff, township_officer, village_officer, auditor")
	region := fs.String("region", "", "region scope: 9 digits (a township) for a township officer, 12 (a village) for a village officer; empty = the whole county")
	sub := fs.String("sub", "", "subject: the person the token is for (a real person's token must name them); default dev:<dept>:<role>:<region or county>")
	ttl := fs.Duration("ttl", settings.MaxTTL, "validity, at most FUPIN_TOKEN_MAX_TTL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role == auth.RoleCode(commonv1.Role_ROLE_SERVICE) {
		return fmt.Errorf("%w: a service signs its own token with its own key (FUPIN_SERVICE_KEY_FILE); fupin token signs people's tokens", errUsage)
	}
	if *ttl > settings.MaxTTL {
		return fmt.Errorf("%w: --ttl %s is longer than a person's token may live (FUPIN_TOKEN_MAX_TTL %s)", errUsage, *ttl, settings.MaxTTL)
	}
	if *sub == "" {
		*sub = "dev:" + *dept + ":" + *role + ":" + cmp.Or(*region, "county")
	}
	claims := auth.Claims{Department: *dept, Role: *role, Region: *region, RegisteredClaims: jwt.RegisteredClaims{Subject: *sub}}
	if _, err := claims.Caller(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	signer, err := devSigner(*data, *keyFile)
	if err != nil {
		return err
	}
	tok, err := signer.Sign(claims, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// devSigner signs people's tokens with keyFile or, when it is empty, with the key of people's tokens of
// the `fupin dev` data directory data, for the county's audience (FUPIN_TOKEN_AUDIENCE). `fupin token`,
// import and bench all sign this way.
func devSigner(data, keyFile string) (*auth.Signer, error) {
	if keyFile == "" {
		keyFile, _, _ = devstack.KeyFiles(data)
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w (start `make run` once, or pass --data or --key)", err)
	}
	priv, err := auth.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", keyFile, err)
	}
	settings, err := auth.SettingsFromEnv()
	if err != nil {
		return nil, err
	}
	return auth.NewSigner(priv, settings.Audience), nil
}

// runPubkey prints a block of the county's key file (FUPIN_JWT_PUBLIC_KEY_FILE) for an Ed25519 key: its
// public half with the headers saying what it may sign. The key may be a private key (a service's own,
// FUPIN_SERVICE_KEY_FILE) or a public one (the token issuer's).
func runPubkey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pubkey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "Ed25519 key, PEM: a private key (PKCS#8) or a public one (PKIX)")
	signs := fs.String("signs", "", `what the key may sign: "people", or "service:<name>" for a service's own key`)
	dept := fs.String("dept", "", "the service's department code, for a service key (e.g. civil_affairs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("%w: --key: %v", errUsage, err)
	}
	pub, err := auth.PublicKeyOf(b)
	if err != nil {
		return fmt.Errorf("--key %s: %w", *keyFile, err)
	}
	binding := auth.People
	if name, ok := strings.CutPrefix(*signs, auth.ServiceSubjectPrefix); ok {
		d, _ := auth.ParseDepartment(*dept)
		binding = auth.ServiceBinding(name, d)
	} else if *signs != "people" || *dept != "" {
		return fmt.Errorf("%w: --signs people (no --dept), or --signs service:<name> --dept <department>", errUsage)
	}
	out, err := auth.EncodeKeys(auth.NewKey(pub, binding))
	if err != nil {
		return err
	}
	// The key file's own reader has the last word on what a block may say.
	if _, err := auth.ParseKeySet(out); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	_, err = stdout.Write(out)
	return err
}
