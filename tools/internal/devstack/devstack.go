// Package devstack starts the whole county on one machine: an in-process etcd, every service as its
// own gRPC server on loopback with SQLite files under a data directory, and the REST gateway. `fupin dev`
// (make run) and the end-to-end tests both use it, so what the tests exercise is what people run.
package devstack

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fupin.dev/gateway"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/subsidies"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"
)

// Options configure a stack.
type Options struct {
	// DataDir holds etcd's data, the SQLite files and the dev keys; a second start reuses them.
	DataDir string
	// DeployDir holds deploy/policy/defaults.json and deploy/regions/demo-county.json.
	DeployDir string
	// GatewayAddr is where the REST gateway listens (127.0.0.1:8080 for make run, :0 in tests).
	GatewayAddr string
	// EtcdClientURL is the in-process etcd's client URL (default http://127.0.0.1:0).
	EtcdClientURL string
	// DemoHouseholds is the size of the synthetic county seeded on a first start.
	DemoHouseholds int
	// DemoSubsidies, with DemoHouseholds, also seeds the subsidies service through its API once the county
	// is up, when it holds no 低保 case yet: 低保 cases, disability certificates with care subsidies and this
	// month's draft rolls (see demo_subsidies.go). `fupin dev` sets it; the end-to-end tests do not.
	DemoSubsidies bool
	// FastEtcd trades durability for speed (tests only).
	FastEtcd bool
	// DatabaseURLs puts a service's database elsewhere than sqlite:<DataDir>/<name>.db (by service name),
	// e.g. on PostgreSQL for `fupin bench import --postgres`.
	DatabaseURLs map[string]string
	// GatewayLimits bound the gateway's requests (zero fields: the defaults; `fupin dev` reads them from
	// FUPIN_GATEWAY_* like the gateway binary).
	GatewayLimits gateway.Limits
	// Logger is the one logger of every part of the stack (etcd, services, gateway), each line labelled
	// with its service.
	Logger *slog.Logger
}

// Stack is a running county.
type Stack struct {
	GatewayURL    string
	EtcdEndpoints []string
	Services      map[string]string // name → gRPC address
	Signer        *auth.Signer
	PublicKey     ed25519.PublicKey
	Etcd          *clientv3.Client

	mu   sync.Mutex
	done chan error
}

// KeyFiles are where a data directory keeps the dev keys.
func KeyFiles(dataDir string) (signing, public, piiKey string) {
	k := filepath.Join(dataDir, "keys")
	return filepath.Join(k, "signing.pem"), filepath.Join(k, "signing.pub.pem"), filepath.Join(k, "pii.key")
}

// Start brings the county up and returns once the gateway and every service answer. The stack runs
// until ctx ends; Wait returns when it has stopped.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.GatewayAddr == "" {
		o.GatewayAddr = "127.0.0.1:0"
	}
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, err
	}
	signingFile, publicFile, piiFile := KeyFiles(o.DataDir)
	priv, err := auth.LoadOrCreateKey(signingFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	pubPEM, err := auth.EncodePublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(publicFile, pubPEM, 0o644); err != nil {
		return nil, err
	}
	piiKey, err := pii.LoadOrCreateMasterKey(piiFile)
	if err != nil {
		return nil, fmt.Errorf("personal-data key: %w", err)
	}
	etcd, err := etcdx.StartEmbedded(ctx, etcdx.EmbeddedOptions{Dir: filepath.Join(o.DataDir, "etcd"),
		ClientURL: o.EtcdClientURL, Fast: o.FastEtcd, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	cli, err := etcdx.Dial(etcd.Endpoints())
	if err != nil {
		etcd.Close()
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	entries, err := policy.LoadDefaultsFile(filepath.Join(o.DeployDir, "policy", "defaults.json"))
	if err == nil {
		_, err = policy.SeedDefaults(ctx, cli, entries)
	}
	if err != nil {
		cli.Close()
		etcd.Close()
		return nil, fmt.Errorf("policy defaults: %w", err)
	}
	s := &Stack{EtcdEndpoints: etcd.Endpoints(), Services: map[string]string{}, Signer: auth.NewSigner(priv),
		PublicKey: pub, Etcd: cli, done: make(chan error, 1)}
	verifier := auth.NewVerifier(pub)
	base := func(name string) boot.Config {
		return boot.Config{
			DatabaseURL: cmp.Or(o.DatabaseURLs[name], "sqlite:"+filepath.Join(o.DataDir, name+".db")), Etcd: cli, Verifier: verifier,
			PIIKey: piiKey, Logger: o.Logger.With("service", name),
			Ready: func(addr string) { s.mu.Lock(); s.Services[name] = addr; s.mu.Unlock() },
		}
	}
	lis, err := net.Listen("tcp", o.GatewayAddr)
	if err != nil {
		cli.Close()
		etcd.Close()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.GatewayURL = "http://" + lis.Addr().String()

	ready := make(chan string, 8)
	g, gctx := errgroup.WithContext(ctx)
	idCfg := identification.Config{Config: base(identification.Name),
		RegionsFile: filepath.Join(o.DeployDir, "regions", "demo-county.json"), DemoHouseholds: o.DemoHouseholds}
	idReady := idCfg.Ready
	idCfg.Ready = func(addr string) { idReady(addr); ready <- identification.Name }
	g.Go(func() error { return identification.Run(gctx, idCfg) })
	// The subsidies service calls the register, as a service signed with the dev key.
	subCfg := subsidies.Config{Config: base(subsidies.Name)}
	subCfg.ServiceKey = priv
	subReady := subCfg.Ready
	subCfg.Ready = func(addr string) { subReady(addr); ready <- subsidies.Name }
	g.Go(func() error { return subsidies.Run(gctx, subCfg) })
	g.Go(func() error {
		return gateway.Run(gctx, gateway.Config{Listener: lis, Etcd: cli, Verifier: verifier,
			Services: []string{identification.Name, subsidies.Name}, Logger: o.Logger.With("service", "gateway"),
			Limits: o.GatewayLimits})
	})
	go func() {
		err := g.Wait()
		cli.Close()
		etcd.Close()
		s.done <- err
	}()
	deadline := time.After(5 * time.Minute)
	for waiting := 2; waiting > 0; waiting-- {
		select {
		case <-ready:
		case err := <-s.done:
			if err == nil {
				err = errors.New("the stack stopped while starting")
			}
			return nil, err
		case <-deadline:
			return nil, errors.New("the stack did not become ready within 5 minutes")
		}
	}
	if o.DemoSubsidies && o.DemoHouseholds > 0 {
		s.seedDemoSubsidies(ctx, o.Logger)
	}
	return s, nil
}

// Wait blocks until the stack has stopped (after its context ended) and returns the first error.
func (s *Stack) Wait() error { return <-s.done }

// Token signs a dev token.
func (s *Stack) Token(sub, dept, role, region string, ttl time.Duration) (string, error) {
	return s.Signer.Sign(auth.Claims{Department: dept, Role: role, Region: region,
		RegisteredClaims: jwtSubject(sub)}, ttl)
}
