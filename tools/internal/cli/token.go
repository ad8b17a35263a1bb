package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"fupin.dev/services/platform/auth"
	"fupin.dev/tools/internal/devstack"
	"github.com/golang-jwt/jwt/v5"
)

func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory of `fupin dev` (holds the signing key)")
	keyFile := fs.String("key", "", "Ed25519 private key (PEM); default: the data directory's dev key")
	dept := fs.String("dept", "", "department: rural_revitalization, civil_affairs, disabled_persons_federation, human_resources, agriculture, finance, county_government")
	role := fs.String("role", "", "role: county_admin, department_staff, township_officer, village_officer, auditor, service")
	region := fs.String("region", "", "region scope: a 6/9/12-digit code prefix; empty = the whole county")
	sub := fs.String("sub", "", "subject (user id); default dev:<dept>:<role>")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" {
		*keyFile, _, _ = devstack.KeyFiles(*data)
	}
	b, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("signing key: %w (start `make run` once, or pass --key)", err)
	}
	priv, err := auth.ParsePrivateKey(b)
	if err != nil {
		return err
	}
	if *sub == "" {
		*sub = "dev:" + *dept + ":" + *role
	}
	claims := auth.Claims{Department: *dept, Role: *role, Region: *region, RegisteredClaims: jwt.RegisteredClaims{Subject: *sub}}
	if _, err := claims.Caller(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	tok, err := auth.NewSigner(priv).Sign(claims, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
