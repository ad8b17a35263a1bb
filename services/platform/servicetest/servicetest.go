// Package servicetest starts fupin services for tests the way `fupin dev` runs them: an in-process etcd
// with the county's default policy, keys for tokens and personal data, each service on its own gRPC socket
// reached through etcd discovery, and callers with signed tokens. Every service's API tests build on it.
package servicetest

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/services/platform/sqldb"
	"github.com/golang-jwt/jwt/v5"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Etcd starts an in-process etcd for the test with the default policy of deployDir/policy/defaults.json
// seeded, as a fresh install has it, and the regions of the demo county (deployDir/regions/demo-county.json)
// published as the identification service publishes its master data, so that tokens naming a township or
// village of it are accepted by services started before (or without) identification.
func Etcd(t testing.TB, deployDir string) *clientv3.Client {
	t.Helper()
	cli := etcdtest.New(t)
	entries, err := policy.LoadDefaultsFile(deployDir + "/policy/defaults.json")
	if err == nil {
		_, err = policy.SeedDefaults(context.Background(), cli, entries)
	}
	if err != nil {
		t.Fatal(err)
	}
	regions, err := regionset.LoadFile(deployDir + "/regions/demo-county.json")
	if err == nil {
		err = regionset.Publish(context.Background(), cli, regions)
	}
	if err != nil {
		t.Fatal(err)
	}
	return cli
}

// Keys are a test county's secrets: the key of people's tokens, each service's own key (bound to that
// service, made when a test first asks for it) and the personal-data master key.
type Keys struct {
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey
	PII     []byte
	// Signer signs people's tokens.
	Signer *auth.Signer

	set      *auth.KeySet
	services *serviceKeys
}

type serviceKeys struct {
	mu   sync.Mutex
	keys map[string]ed25519.PrivateKey
}

// NewKeys makes fresh keys.
func NewKeys() Keys {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return Keys{Public: pub, Private: priv, PII: key, Signer: auth.NewSigner(priv, auth.DefaultAudience),
		set:      auth.NewKeySet(auth.NewKey(pub, auth.People)),
		services: &serviceKeys{keys: map[string]ed25519.PrivateKey{}}}
}

// Verifier checks the tokens Keys sign, under the default rules. Its key set grows as services get
// their keys (Service).
func (k Keys) Verifier() *auth.Verifier { return auth.NewVerifier(auth.DefaultSettings(), k.set) }

// Service returns service name's own key (boot.Config.ServiceKey), bound to the service and its
// department dept: the same key for the same name, made on first use.
func (k Keys) Service(name string, dept commonv1.Department) ed25519.PrivateKey {
	k.services.mu.Lock()
	defer k.services.mu.Unlock()
	if priv, ok := k.services.keys[name]; ok {
		return priv
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k.services.keys[name] = priv
	k.set.Add(auth.NewKey(pub, auth.ServiceBinding(name, dept)))
	return priv
}

// Subject is the subject of the person's token As signs for a department, role and region.
func Subject(dept, role, region string) string {
	return "u-" + dept + "-" + role + "-" + cmp.Or(region, "county")
}

// As returns a context whose calls carry a token of the given department, role and region ("" = the whole
// county), and the purpose header when one is given. A person's token is signed with the people's key
// and names a subject of its own for each department, role and region, as real officials have; role
// "service" calls as a test service named after the department (sub "service:<dept>"), signed with that
// service's own key.
func (k Keys) As(t testing.TB, ctx context.Context, dept, role, region string, purpose ...string) context.Context {
	t.Helper()
	c := Caller{Subject: Subject(dept, role, region), Department: dept, Role: role, Region: region}
	if role == auth.RoleCode(commonv1.Role_ROLE_SERVICE) {
		c.Subject = auth.ServiceSubjectPrefix + dept
	}
	if len(purpose) > 0 {
		c.Purpose = purpose[0]
	}
	return k.AsCaller(t, ctx, c)
}

// Caller is whom a test calls as: its token's claims, the purpose header ("" for none) and, for a
// service, the person it acts for (their token travels in the on-behalf-of header).
type Caller struct {
	Subject, Department, Role, Region string
	Purpose                           string
	OnBehalfOf                        *Caller
}

// AsCaller returns a context whose calls carry c's token signed by k (and the person's it acts for).
func (k Keys) AsCaller(t testing.TB, ctx context.Context, c Caller) context.Context {
	t.Helper()
	md := []string{"authorization", "Bearer " + k.token(t, c)}
	if c.Purpose != "" {
		md = append(md, auth.PurposeHeader, c.Purpose)
	}
	if c.OnBehalfOf != nil {
		md = append(md, auth.OnBehalfOfHeader, "Bearer "+k.token(t, *c.OnBehalfOf))
	}
	return metadata.AppendToOutgoingContext(ctx, md...)
}

func (k Keys) token(t testing.TB, c Caller) string {
	t.Helper()
	signer := k.Signer
	if c.Role == auth.RoleCode(commonv1.Role_ROLE_SERVICE) {
		// A service signs with its own key, bound to its name and department (Subject "service:<name>").
		d, ok := auth.ParseDepartment(c.Department)
		if !ok {
			t.Fatalf("servicetest: unknown department %q", c.Department)
		}
		name := cmp.Or(strings.TrimPrefix(c.Subject, auth.ServiceSubjectPrefix), c.Department)
		signer, c.Subject = auth.NewSigner(k.Service(name, d), auth.DefaultAudience), auth.ServiceSubjectPrefix+name
	}
	tok, err := signer.Sign(auth.Claims{Department: c.Department, Role: c.Role, Region: c.Region,
		RegisteredClaims: jwt.RegisteredClaims{Subject: c.Subject}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Claims are claims as fupin's Signer writes them (issuer, the default audience, issued now, an hour to
// live), changed by mod when given, for tests that sign them with Forge: tokens no Signer would make.
func Claims(dept, role, region, sub string, mod ...func(*auth.Claims)) auth.Claims {
	now := time.Now()
	c := auth.Claims{Department: dept, Role: role, Region: region, RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, Issuer: auth.Issuer, Audience: jwt.ClaimStrings{auth.DefaultAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}
	for _, m := range mod {
		m(&c)
	}
	return c
}

// Forge signs c exactly as given with key.
func Forge(t testing.TB, key ed25519.PrivateKey, c auth.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ForgeJSON signs a payload written by hand, JSON no library writes (a claim given twice), with key.
func ForgeJSON(key ed25519.PrivateKey, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." + enc([]byte(payload))
	return signing + "." + enc(ed25519.Sign(key, []byte(signing)))
}

// Run starts one service with serve and waits until it serves (serve calls ready with its address). The
// service stops at the end of the test, or earlier through the returned function, which waits for it and
// reports an error it stopped with.
func Run(t testing.TB, name string, serve func(ctx context.Context, ready func(addr string)) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, func(a string) { ready <- a }) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with %v", name, err)
		}
	}
	t.Cleanup(stop)
	select {
	case <-ready:
	case err := <-done:
		stopped = true
		t.Fatalf("%s did not start: %v", name, err)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within 60s", name)
	}
	return stop
}

// Dial connects to every instance of service through etcd, as other services and the gateway do; the
// connection closes at the end of the test.
func Dial(t testing.TB, cli *clientv3.Client, service string) *grpc.ClientConn {
	t.Helper()
	conn, err := discovery.Dial(cli, service, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Details splits a gRPC error into its code and its ErrorInfo, BadRequest and PreconditionFailure
// details (nil when absent).
func Details(err error) (codes.Code, *errdetails.ErrorInfo, *errdetails.BadRequest, *errdetails.PreconditionFailure) {
	st, _ := status.FromError(err)
	var (
		info *errdetails.ErrorInfo
		br   *errdetails.BadRequest
		pf   *errdetails.PreconditionFailure
	)
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			br = d
		case *errdetails.PreconditionFailure:
			pf = d
		}
	}
	return st.Code(), info, br, pf
}

// WaitAudit polls the audit log in the service database at dbURL until a row satisfies match and returns
// it (asynchronous rows are written in batches); the test fails when none does within 10 seconds.
func WaitAudit(t testing.TB, dbURL string, match func(audit.Record) bool) audit.Record {
	t.Helper()
	db, err := sqldb.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := audit.Recent(context.Background(), db, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if match(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching audit row among the %d newest", len(rows))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
