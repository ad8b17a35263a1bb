// Command gateway serves fupin's REST API, OpenAPI document and Swagger UI, routing to the services it finds
// in etcd, and signs people in to the portal through the county's OIDC provider. Flags default to the
// FUPIN_* environment variables; the request limits (FUPIN_GATEWAY_MAX_BODY_BYTES, the timeouts), the
// sign-in (FUPIN_GATEWAY_OIDC_*, FUPIN_GATEWAY_PUBLIC_URL, FUPIN_GATEWAY_SESSION_*), the OIDC issuers the
// verifier trusts (FUPIN_OIDC_ISSUERS) and the log settings (FUPIN_LOG_FORMAT, FUPIN_LOG_LEVEL) come from the
// environment only.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"fupin.dev/gateway"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/logging"
	"fupin.dev/services/platform/telemetry"
)

func main() {
	addr := flag.String("addr", cmp.Or(os.Getenv("FUPIN_GATEWAY_ADDR"), "127.0.0.1:8080"), "listen address (FUPIN_GATEWAY_ADDR)")
	etcdEndpoints := flag.String("etcd", cmp.Or(os.Getenv("FUPIN_ETCD_ENDPOINTS"), "127.0.0.1:2379"), "comma-separated etcd endpoints (FUPIN_ETCD_ENDPOINTS)")
	keyFile := flag.String("jwt-public-key", os.Getenv("FUPIN_JWT_PUBLIC_KEY_FILE"), "PEM file of the token verification keys, each with its Fupin-Signs header (FUPIN_JWT_PUBLIC_KEY_FILE)")
	services := flag.String("services", cmp.Or(os.Getenv("FUPIN_GATEWAY_SERVICES"), "identification"), "comma-separated services to route (FUPIN_GATEWAY_SERVICES)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger, logErr := logging.Setup(os.Stderr, logging.JSON)
	logger = logger.With("service", "gateway")
	limits, err := gateway.LimitsFromEnv()
	signIn, signInErr := gateway.SignInFromEnv()
	if err = errors.Join(logErr, err, signInErr); err != nil {
		logger.Error("configuration", "err", err)
		stop()
		os.Exit(2)
	}
	if err := run(ctx, logger, *addr, list(*etcdEndpoints), *keyFile, list(*services), limits, signIn); err != nil {
		logger.Error("gateway stopped", "err", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, addr string, endpoints []string, keyFile string, services []string, limits gateway.Limits, signIn *gateway.SignIn) error {
	// The keys (each bound to what it may sign) and the county's token rules, as every service reads them.
	verifier, err := auth.VerifierFromEnv(keyFile)
	if err != nil {
		return fmt.Errorf("token verification (set -jwt-public-key or FUPIN_JWT_PUBLIC_KEY_FILE): %w", err)
	}
	shutdownTelemetry, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		// ctx has ended by now; flushing the last spans gets a few seconds of its own.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdownTelemetry(sctx); err != nil {
			logger.Warn("flush telemetry", "err", err)
		}
	}()
	cli, err := etcdx.Dial(endpoints)
	if err != nil {
		return err
	}
	defer cli.Close()
	return gateway.Run(ctx, gateway.Config{
		Addr:     addr,
		Etcd:     cli,
		Verifier: verifier,
		Services: services,
		Logger:   logger,
		Limits:   limits,
		SignIn:   signIn,
	})
}

// list splits a comma-separated flag, dropping blanks.
func list(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
