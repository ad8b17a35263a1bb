package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"fupin.dev/gateway"
	"fupin.dev/services/platform/logging"
	"fupin.dev/services/platform/telemetry"
	"fupin.dev/tools/internal/devstack"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory (etcd, SQLite files, dev keys)")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory (policy defaults, region master data)")
	addr := fs.String("addr", envOr("FUPIN_GATEWAY_ADDR", "127.0.0.1:8080"), "gateway listen address")
	etcdURL := fs.String("etcd", envOr("FUPIN_DEV_ETCD_URL", "http://127.0.0.1:2379"), "in-process etcd client URL")
	households := fs.Int("households", 3000, "size of the synthetic demo county seeded on first start")
	dbURLs := dbURLFlag{}
	fs.Var(dbURLs, "db-url", "a service's database instead of SQLite in the data directory: SERVICE=URL (repeatable), e.g. identification=postgres://postgres@127.0.0.1:5432/fupin_identification")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole county to this file (for speed work)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	// One logger for the whole county in this process: text for a person at a terminal, JSON otherwise,
	// unless FUPIN_LOG_FORMAT says; FUPIN_LOG_LEVEL=warn leaves out the request lines.
	logger, err := logging.Setup(stderr, logging.DevFormat(stderr))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	limits, err := gateway.LimitsFromEnv()
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	shutdown, err := telemetry.Setup(ctx, "fupin-dev")
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	fmt.Fprintf(stdout, "starting the county in %s (first start seeds %d demo households; later starts reuse them)...\n", *data, *households)
	s, err := devstack.Start(ctx, devstack.Options{DataDir: *data, DeployDir: *deploy, GatewayAddr: *addr,
		EtcdClientURL: *etcdURL, DemoHouseholds: *households, DemoSubsidies: *households > 0, DatabaseURLs: dbURLs, GatewayLimits: limits, Logger: logger,
		// On this machine only: grpcurl and the like may list and describe every method.
		Reflection: true})
	if err != nil {
		return err
	}
	_, pubFile, _ := devstack.KeyFiles(*data)
	fmt.Fprintf(stdout, `
fupin is running. Ctrl-C stops it.

  portal         %[1]s/   (officials sign in through the gateway's OIDC session: docs/PORTAL.md)
  REST gateway   %[1]s/v1/households
  API docs       %[1]s/docs/
  OpenAPI        %[1]s/openapi.json
  health         %[1]s/healthz
  public notices %[1]s/gongshi   (公示, no sign-in)
  etcd           %[2]v
  services       %[3]v
  data           %[4]s   (verification keys: %[5]s)
  gRPC reflection on (FUPIN_GRPC_REFLECTION; off by default outside fupin dev)

Get a token and call the API (a real person's token names the person: --sub):

  TOKEN=$(go run ./tools/cmd/fupin token --data %[4]s --dept rural_revitalization --role county_admin)
  curl -H "Authorization: Bearer $TOKEN" '%[1]s/v1/households?page_size=2'

Sign in to the portal: open %[1]s/ and click a demo user on the development identity provider's page
(%[1]s%[6]s: development only, no password), e.g. rural_revitalization.county_admin (乡村振兴局 县级管理员)
or rural_revitalization.township_officer (乡镇干部 of the county's largest township).

`, s.GatewayURL, s.EtcdEndpoints, s.Services, *data, pubFile, devstack.IdPPath)
	err = s.Wait()
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "stopped cleanly.")
	}
	return err
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
