// Package devstack starts the whole county on one machine: an in-process etcd, every service as its
// own gRPC server on loopback with SQLite files under a data directory, the REST gateway, and the
// development identity provider (devidp) mounted under the gateway at /dev-idp, through which people sign
// in to the portal. `fupin dev` (make run) and the end-to-end tests both use it, so what the tests exercise
// is what people run.
package devstack

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fupin.dev/gateway"
	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/services/subsidies"
	"fupin.dev/tools/internal/devidp"
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
	// Reflection turns on gRPC reflection in every service (`fupin dev` does, for grpcurl and the like).
	Reflection bool
	// DatabaseURLs puts a service's database elsewhere than sqlite:<DataDir>/<name>.db (by service name),
	// e.g. on PostgreSQL for `fupin bench import --postgres`.
	DatabaseURLs map[string]string
	// GatewayLimits bound the gateway's requests (zero fields: the defaults; `fupin dev` reads them from
	// FUPIN_GATEWAY_* like the gateway binary).
	GatewayLimits gateway.Limits
	// Logger is the one logger of every part of the stack (etcd, services, gateway), each line labelled
	// with its service.
	Logger *slog.Logger
	// AccessTokenTTL is the life of the development provider's access tokens (default 15 minutes); tests
	// shorten it to see the gateway renew sessions.
	AccessTokenTTL time.Duration
	// SessionMaxTTL bounds a portal session (default the gateway's, 12 hours).
	SessionMaxTTL time.Duration
}

// Stack is a running county.
type Stack struct {
	GatewayURL    string
	EtcdEndpoints []string
	Services      map[string]string // name → gRPC address
	// Signer signs people's tokens with the dev key of people's tokens.
	Signer *auth.Signer
	Etcd   *clientv3.Client
	// IdP is the development identity provider, at GatewayURL/dev-idp.
	IdP *devidp.Provider
	// Gateway is the gateway's configuration (without its listener): tests start more replicas with it.
	Gateway gateway.Config

	mu   sync.Mutex
	done chan error
}

// KeyFiles are where a data directory keeps the dev keys: the key of people's tokens (`fupin token` signs
// with it), the key file every service and the gateway verify with (the public halves of that key and of
// each service's own key, each bound to what it may sign; the format of FUPIN_JWT_PUBLIC_KEY_FILE), and the
// personal-data key.
func KeyFiles(dataDir string) (signing, public, piiKey string) {
	k := filepath.Join(dataDir, "keys")
	return filepath.Join(k, "signing.pem"), filepath.Join(k, "public-keys.pem"), filepath.Join(k, "pii.key")
}

// IdPKeyFile is where a data directory keeps the development identity provider's signing key.
func IdPKeyFile(dataDir string) string { return filepath.Join(dataDir, "keys", "dev-idp.pem") }

// IdPPath is where the gateway serves the development identity provider; its issuer is the gateway's URL
// with this path.
const IdPPath = "/dev-idp"

// ClientID is the gateway's client id at the development identity provider, and the audience of its
// tokens (the county's default token audience).
const ClientID = auth.DefaultAudience

// ServiceKeyFile is where a data directory keeps service name's own key (its FUPIN_SERVICE_KEY_FILE).
func ServiceKeyFile(dataDir, name string) string {
	return filepath.Join(dataDir, "keys", "service-"+name+".pem")
}

// services are the services of the county, with their departments: each gets its own key.
var services = []struct {
	name string
	dept commonv1.Department
}{{identification.Name, identification.Department}, {subsidies.Name, subsidies.Department},
	{employment.Name, employment.Department}}

// devKeys loads the data directory's keys, making those that are missing, and writes the key file of
// their public halves. It returns the key of people's tokens, each service's key and the verification keys.
func devKeys(dataDir string) (ed25519.PrivateKey, map[string]ed25519.PrivateKey, *auth.KeySet, error) {
	signingFile, publicFile, _ := KeyFiles(dataDir)
	priv, err := auth.LoadOrCreateKey(signingFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("signing key: %w", err)
	}
	keys := []auth.Key{auth.NewKey(priv.Public().(ed25519.PublicKey), auth.People)}
	own := map[string]ed25519.PrivateKey{}
	for _, svc := range services {
		k, err := auth.LoadOrCreateKey(ServiceKeyFile(dataDir, svc.name))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s service key: %w", svc.name, err)
		}
		own[svc.name] = k
		keys = append(keys, auth.NewKey(k.Public().(ed25519.PublicKey), auth.ServiceBinding(svc.name, svc.dept)))
	}
	file, err := auth.EncodeKeys(keys...)
	if err == nil {
		err = os.WriteFile(publicFile, file, 0o644)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("public key file: %w", err)
	}
	return priv, own, auth.NewKeySet(keys...), nil
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
	settings, err := auth.SettingsFromEnv()
	if err != nil {
		return nil, err
	}
	priv, serviceKeys, keySet, err := devKeys(o.DataDir)
	if err != nil {
		return nil, err
	}
	_, _, piiFile := KeyFiles(o.DataDir)
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
	if err := seedEtcd(ctx, cli, o.DeployDir); err != nil {
		cli.Close()
		etcd.Close()
		return nil, err
	}
	s := &Stack{EtcdEndpoints: etcd.Endpoints(), Services: map[string]string{}, Signer: auth.NewSigner(priv, settings.Audience),
		Etcd: cli, done: make(chan error, 1)}
	lis, err := net.Listen("tcp", o.GatewayAddr)
	if err != nil {
		cli.Close()
		etcd.Close()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.GatewayURL = "http://" + loopbackAddr(lis.Addr())
	// The development identity provider, mounted under the gateway; the gateway signs people in through it
	// and every service trusts its tokens, as a county's services trust its Keycloak.
	clientSecret := rand.Text()
	s.IdP, err = devidp.New(devidp.Options{Issuer: s.GatewayURL + IdPPath, KeyFile: IdPKeyFile(o.DataDir),
		RegionsFile: filepath.Join(o.DeployDir, "regions", "demo-county.json"), ClientID: ClientID, ClientSecret: clientSecret,
		AccessTokenTTL: o.AccessTokenTTL})
	if err != nil {
		lis.Close()
		cli.Close()
		etcd.Close()
		return nil, err
	}
	verifier := auth.NewVerifier(settings, keySet).WithIssuers([]auth.IssuerConfig{s.IdP.IssuerConfig()}, nil)
	sessionKey := make([]byte, gateway.MinSessionKeyBytes)
	_, _ = rand.Read(sessionKey)
	s.Gateway = gateway.Config{Etcd: cli, Verifier: verifier,
		Services: []string{identification.Name, subsidies.Name, employment.Name}, Logger: o.Logger.With("service", "gateway"),
		Limits: o.GatewayLimits,
		// A new session key on every start: sessions of an earlier run end (sign in again).
		SignIn: &gateway.SignIn{Issuer: s.GatewayURL + IdPPath, ClientID: ClientID, ClientSecret: clientSecret,
			PublicURL: s.GatewayURL, SessionKey: sessionKey, MaxSession: o.SessionMaxTTL},
		Mounts: map[string]http.Handler{IdPPath + "/": s.IdP}}
	base := func(name string) boot.Config {
		return boot.Config{
			DatabaseURL: cmp.Or(o.DatabaseURLs[name], "sqlite:"+filepath.Join(o.DataDir, name+".db")), Etcd: cli, Verifier: verifier,
			PIIKey: piiKey, ServiceKey: serviceKeys[name], Reflection: o.Reflection, Logger: o.Logger.With("service", name),
			Ready: func(addr string) { s.mu.Lock(); s.Services[name] = addr; s.mu.Unlock() },
		}
	}
	ready := make(chan string, 8)
	g, gctx := errgroup.WithContext(ctx)
	idCfg := identification.Config{Config: base(identification.Name),
		RegionsFile: filepath.Join(o.DeployDir, "regions", "demo-county.json"), DemoHouseholds: o.DemoHouseholds,
		// Income assessments count 人社's wages, read from the employment service as identification itself.
		EmploymentService: employment.Name}
	idReady := idCfg.Ready
	idCfg.Ready = func(addr string) { idReady(addr); ready <- identification.Name }
	g.Go(func() error { return identification.Run(gctx, idCfg) })
	// The subsidies service calls the register as itself, signing with its own key.
	subCfg := subsidies.Config{Config: base(subsidies.Name)}
	subReady := subCfg.Ready
	subCfg.Ready = func(addr string) { subReady(addr); ready <- subsidies.Name }
	g.Go(func() error { return subsidies.Run(gctx, subCfg) })
	// The employment service (人社) follows the register and calls it as itself.
	empCfg := employment.Config{Config: base(employment.Name)}
	empReady := empCfg.Ready
	empCfg.Ready = func(addr string) { empReady(addr); ready <- employment.Name }
	g.Go(func() error { return employment.Run(gctx, empCfg) })
	g.Go(func() error {
		cfg := s.Gateway
		cfg.Listener = lis
		return gateway.Run(gctx, cfg)
	})
	go func() {
		err := g.Wait()
		cli.Close()
		etcd.Close()
		s.done <- err
	}()
	deadline := time.After(5 * time.Minute)
	for waiting := 3; waiting > 0; waiting-- {
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
		s.seedDemoWorkshops(ctx, o.Logger)
	}
	return s, nil
}

// seedEtcd gives a fresh etcd what a county's has before its services start: the default policy (only
// the values not there yet) and the region master data of the demo county. The identification service
// publishes the regions itself on every start; seeding them first means no service or gateway started
// beside it refuses a township officer's token while it is still loading.
func seedEtcd(ctx context.Context, cli *clientv3.Client, deployDir string) error {
	entries, err := policy.LoadDefaultsFile(filepath.Join(deployDir, "policy", "defaults.json"))
	if err == nil {
		_, err = policy.SeedDefaults(ctx, cli, entries)
	}
	if err != nil {
		return fmt.Errorf("policy defaults: %w", err)
	}
	regions, err := regionset.LoadFile(filepath.Join(deployDir, "regions", "demo-county.json"))
	if err == nil {
		err = regionset.Publish(ctx, cli, regions)
	}
	if err != nil {
		return fmt.Errorf("region master data: %w", err)
	}
	return nil
}

// loopbackAddr is a listener's address as a browser on this machine reaches it: 127.0.0.1 for a listener
// on every interface.
func loopbackAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Wait blocks until the stack has stopped (after its context ended) and returns the first error.
func (s *Stack) Wait() error { return <-s.done }

// Token signs a dev token.
func (s *Stack) Token(sub, dept, role, region string, ttl time.Duration) (string, error) {
	return s.Signer.Sign(auth.Claims{Department: dept, Role: role, Region: region,
		RegisteredClaims: jwtSubject(sub)}, ttl)
}
