// Package boot assembles the parts every fupin service process is made of — its database with the
// platform's tables, the audit log, etcd, live policy, the gRPC server — and runs them under lifecycle.
// A service's app package adds only its own store, domain and handlers.
package boot

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/conflicts"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/lifecycle"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/peer"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/sqldb"
	"github.com/golang-jwt/jwt/v5"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
)

// Config is what every service process needs. Services embed it in their own Config.
type Config struct {
	// DatabaseURL is "sqlite:PATH" or "postgres://...".
	DatabaseURL string
	// Etcd is a shared client (fupin dev); when nil, EtcdEndpoints are dialed.
	Etcd          *clientv3.Client
	EtcdEndpoints []string
	// Addr is the gRPC listen address (default 127.0.0.1:0); Advertise the address registered in etcd.
	Addr      string
	Advertise string
	// Verifier checks bearer tokens; Start gives it the live region master data (regionset) to check
	// regions against.
	Verifier *auth.Verifier
	// PIIKey is the county's personal-data master key (encryption and blind index).
	PIIKey []byte
	// ServiceKey signs the service's own token when it calls other services (Process.Dial); the key file
	// must hold its public half bound to this service (Start checks). Nil for a service that calls no one.
	ServiceKey ed25519.PrivateKey
	Logger     *slog.Logger
	// Reflection registers gRPC server reflection (FUPIN_GRPC_REFLECTION=true): it describes every method
	// to anyone who asks, without a token, so it is off unless a county turns it on; `fupin dev` does.
	Reflection bool
	// Ready is told the service's address once it serves.
	Ready func(addr string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// FromEnv reads the common settings from FUPIN_* variables: FUPIN_DB_URL, FUPIN_ETCD_ENDPOINTS,
// FUPIN_ADDR, FUPIN_ADVERTISE, FUPIN_JWT_PUBLIC_KEY_FILE (the key file, auth.ParseKeySet), the OIDC
// providers whose people's tokens are accepted (FUPIN_OIDC_ISSUERS, auth.ParseIssuers), the token rules
// (auth.SettingsFromEnv), FUPIN_PII_KEY, FUPIN_GRPC_REFLECTION and, for a service that calls others,
// FUPIN_SERVICE_KEY_FILE (PEM Ed25519 private key). Every problem is reported at once.
func FromEnv(logger *slog.Logger) (Config, error) {
	c := Config{
		DatabaseURL: os.Getenv("FUPIN_DB_URL"),
		Addr:        os.Getenv("FUPIN_ADDR"),
		Advertise:   os.Getenv("FUPIN_ADVERTISE"),
		Logger:      logger,
	}
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("FUPIN_DB_URL is required (sqlite:PATH or postgres://...)"))
	}
	if e := os.Getenv("FUPIN_ETCD_ENDPOINTS"); e != "" {
		c.EtcdEndpoints = strings.Split(e, ",")
	} else {
		errs = append(errs, errors.New("FUPIN_ETCD_ENDPOINTS is required (comma-separated host:port)"))
	}
	v, err := auth.VerifierFromEnv(os.Getenv("FUPIN_JWT_PUBLIC_KEY_FILE"))
	if err != nil {
		errs = append(errs, err)
	}
	c.Verifier = v
	if r := os.Getenv("FUPIN_GRPC_REFLECTION"); r != "" {
		if c.Reflection, err = strconv.ParseBool(r); err != nil {
			errs = append(errs, fmt.Errorf("FUPIN_GRPC_REFLECTION: %q is not true or false", r))
		}
	}
	if f := os.Getenv("FUPIN_SERVICE_KEY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err == nil {
			c.ServiceKey, err = auth.ParsePrivateKey(b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("FUPIN_SERVICE_KEY_FILE: %w", err))
		}
	}
	key, ok, err := pii.MasterKeyFromEnv()
	switch {
	case err != nil:
		errs = append(errs, err)
	case !ok:
		errs = append(errs, errors.New("FUPIN_PII_KEY is required (base64, 32 bytes or more)"))
	default:
		c.PIIKey = key
	}
	return c, errors.Join(errs...)
}

// Process is one running service's shared parts.
type Process struct {
	Name   string
	DB     *sqldb.DB
	Etcd   *clientv3.Client
	Audit  *audit.Log
	Policy *policy.Store
	// Regions is the county's region master data as identification publishes it: the verifier refuses a
	// token whose region is not in it.
	Regions *regionset.Set
	PII     *pii.Protector
	// Feed is the service's change feed (outbox), served to other departments.
	Feed *outbox.Feed
	// Conflicts counts the refusals that disclose records outside a caller's scope; the server records
	// them, the domain checks the limit before it could disclose more.
	Conflicts *conflicts.Book
	Server    *server.Server
	// Logger is the service's logger, for its background work.
	Logger  *slog.Logger
	cfg     Config
	dept    commonv1.Department
	closers []func() error
}

// Start opens the database (applying the platform's and the service's migrations), etcd, the policy
// store and the gRPC server. On error, whatever was opened is closed again.
func Start(ctx context.Context, name string, dept commonv1.Department, cfg Config,
	migrate func(context.Context, *sqldb.DB, *slog.Logger) error) (_ *Process, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Process{Name: name, cfg: cfg, dept: dept, Logger: cfg.Logger}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if err = checkServiceKey(name, dept, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if p.PII, err = pii.NewProtector(cfg.PIIKey); err != nil {
		return nil, fmt.Errorf("%s: personal-data key: %w", name, err)
	}
	if p.DB, err = sqldb.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.closers = append(p.closers, p.DB.Close)
	if err = migrations.Apply(ctx, p.DB, cfg.Logger); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err = migrate(ctx, p.DB, cfg.Logger); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Audit = audit.New(p.DB, cfg.Logger)
	p.closers = append(p.closers, func() error { p.Audit.Close(); return nil })
	p.Etcd = cfg.Etcd
	if p.Etcd == nil {
		if p.Etcd, err = etcdx.Dial(cfg.EtcdEndpoints); err != nil {
			return nil, fmt.Errorf("%s: etcd: %w", name, err)
		}
		p.closers = append(p.closers, p.Etcd.Close)
	}
	if p.Policy, err = policy.Open(ctx, p.Etcd, cfg.Logger); err != nil {
		return nil, fmt.Errorf("%s: policy: %w", name, err)
	}
	p.closers = append(p.closers, func() error { p.Policy.Close(); return nil })
	if p.Regions, err = regionset.Open(ctx, p.Etcd, cfg.Logger); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.closers = append(p.closers, func() error { p.Regions.Close(); return nil })
	var verifier *auth.Verifier
	if cfg.Verifier != nil {
		verifier = cfg.Verifier.WithRegions(p.Regions)
	}
	p.Conflicts = conflicts.New(p.DB, p.Audit, p.Policy, cfg.Now)
	p.Server, err = server.New(server.Config{Name: name, Department: dept, Verifier: verifier, DB: p.DB,
		Audit: p.Audit, Logger: cfg.Logger, Now: cfg.Now, Sealer: p.PII, Conflicts: p.Conflicts, Reflection: cfg.Reflection,
		Locks: election.Locks{Client: p.Etcd}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	commonv1.RegisterPolicyServiceServer(p.Server.GRPC(), policy.NewAPI(p.Policy, cfg.Now))
	p.Feed = outbox.New(p.DB, cfg.Now)
	commonv1.RegisterChangeFeedServiceServer(p.Server.GRPC(), outbox.NewAPI(p.Feed))
	return p, nil
}

// Dial connects to another fupin service through etcd, calling as this service (and, inside a request,
// on behalf of its caller: see package peer). The connection is closed when the process stops.
func (p *Process) Dial(service string) (*grpc.ClientConn, error) {
	if p.cfg.ServiceKey == nil {
		return nil, fmt.Errorf("%s: calling %s needs a service key (FUPIN_SERVICE_KEY_FILE)", p.Name, service)
	}
	creds := peer.NewCredentials(p.signer(), p.Name, p.dept)
	conn, err := peer.Dial(p.Etcd, service, creds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	p.closers = append(p.closers, conn.Close)
	return conn, nil
}

// signer signs the service's own tokens for the county's audience.
func (p *Process) signer() *auth.Signer {
	return auth.NewSigner(p.cfg.ServiceKey, p.cfg.Verifier.Settings().Audience)
}

// checkServiceKey refuses a service key the county's verifier does not know as this service's own (its
// public half in the key file with "Fupin-Signs: service:<name>" and the service's department): every
// service verifies tokens with the same keys, so the calls this service makes would all be refused as
// unauthenticated while it reported ready.
func checkServiceKey(name string, dept commonv1.Department, cfg Config) error {
	if cfg.ServiceKey == nil || cfg.Verifier == nil {
		return nil
	}
	c := auth.Claims{Department: auth.DepartmentCode(dept), Role: auth.RoleCode(commonv1.Role_ROLE_SERVICE),
		RegisteredClaims: jwt.RegisteredClaims{Subject: auth.ServiceSubjectPrefix + name}}
	tok, err := auth.NewSigner(cfg.ServiceKey, cfg.Verifier.Settings().Audience).Sign(c, time.Minute)
	if err == nil {
		_, err = cfg.Verifier.Verify(tok)
	}
	if err != nil {
		return fmt.Errorf("service key: the token verification keys (FUPIN_JWT_PUBLIC_KEY_FILE) do not hold its public half "+
			"as this service's key (Fupin-Signs: %s%s, Fupin-Department: %s), so other services would refuse its calls: %w",
			auth.ServiceSubjectPrefix, name, auth.DepartmentCode(dept), err)
	}
	return nil
}

// Close releases what Start opened; use it when the service fails before Run.
func (p *Process) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i]()
	}
	p.closers = nil
}

// Run checks the access rules of the services registered on the server (server.CheckContracts), then
// serves until ctx ends, stops cleanly and closes everything Start opened. Background jobs (subscribers,
// leader-elected work) run alongside.
func (p *Process) Run(ctx context.Context, background ...func(context.Context) error) error {
	// A contract whose access rules would hand plain data to a person of another department (or break
	// the platform's other access rules) never serves.
	if err := p.Server.CheckContracts(); err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	closers := p.closers
	p.closers = nil
	return lifecycle.Run(ctx, lifecycle.Options{
		Name: p.Name, Addr: p.cfg.Addr, Advertise: p.cfg.Advertise, Server: p.Server, Etcd: p.Etcd,
		Logger: p.cfg.Logger, Background: background, Closers: closers, Ready: p.cfg.Ready,
	})
}
