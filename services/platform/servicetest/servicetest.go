// Package servicetest starts fupin services for tests the way `fupin dev` runs them: an in-process etcd
// with the county's default policy, keys for tokens and personal data, each service on its own gRPC socket
// reached through etcd discovery, and callers with signed tokens. Every service's API tests build on it.
package servicetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/policy"
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
// seeded, as a fresh install has it.
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
	return cli
}

// Keys are a test county's secrets: the token signing key pair (services also sign their own calls with
// it) and the personal-data master key.
type Keys struct {
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey
	PII     []byte
	Signer  *auth.Signer
}

// NewKeys makes fresh keys.
func NewKeys() Keys {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return Keys{Public: pub, Private: priv, PII: key, Signer: auth.NewSigner(priv)}
}

// Verifier checks the tokens Keys sign.
func (k Keys) Verifier() *auth.Verifier { return auth.NewVerifier(k.Public) }

// As returns a context whose calls carry a token of the given department, role and region ("" = the whole
// county) signed by k, and the purpose header when one is given.
func (k Keys) As(t testing.TB, ctx context.Context, dept, role, region string, purpose ...string) context.Context {
	t.Helper()
	c := Caller{Subject: "u-" + dept + "-" + role, Department: dept, Role: role, Region: region}
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
	tok, err := k.Signer.Sign(auth.Claims{Department: c.Department, Role: c.Role, Region: c.Region,
		RegisteredClaims: jwt.RegisteredClaims{Subject: c.Subject}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
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
