package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/api"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// BenchmarkGetHousehold compares GetHousehold through the full platform chain (JWT verification,
// authorization from the contract, protovalidate, audit, error mapping, OpenTelemetry) with a bare gRPC
// server running the same handler on the same SQLite store, in one run:
//
//	go test ./services/identification/internal/app -run '^$' -bench GetHousehold -benchtime 10x
//
// Each iteration is one round: one second of closed-loop load from 16 callers over loopback against the
// chain, then one second against the bare server. Alternating rounds keep drift in the machine's speed
// from favouring either side. It reports both rates and their ratio.
func BenchmarkGetHousehold(b *testing.B) {
	env := newBenchEnv(b)
	chain, bare := newLoad(b, env, env.chainAddr), newLoad(b, env, env.bareAddr)
	var chainN, bareN int64
	var chainT, bareT time.Duration
	for b.Loop() {
		n, d := chain.run(time.Second)
		chainN, chainT = chainN+n, chainT+d
		n, d = bare.run(time.Second)
		bareN, bareT = bareN+n, bareT+d
	}
	chainRate, bareRate := float64(chainN)/chainT.Seconds(), float64(bareN)/bareT.Seconds()
	b.ReportMetric(chainRate, "chain_req/s")
	b.ReportMetric(bareRate, "bare_req/s")
	b.ReportMetric(chainRate/bareRate, "chain/bare")
}

type load struct {
	b      *testing.B
	env    *benchEnv
	client identificationv1.HouseholdServiceClient
}

func newLoad(b *testing.B, env *benchEnv, addr string) *load {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &load{b: b, env: env, client: identificationv1.NewHouseholdServiceClient(conn)}
}

// run sends requests from 16 callers, each as soon as its previous one answered, for d.
func (l *load) run(d time.Duration) (int64, time.Duration) {
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for time.Now().Before(end) {
				ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+l.env.tokens[rng.IntN(len(l.env.tokens))])
				if _, err := l.client.GetHousehold(ctx, &identificationv1.GetHouseholdRequest{Name: l.env.names[rng.IntN(len(l.env.names))]}); err != nil {
					l.b.Error(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return count.Load(), time.Since(start)
}

type benchEnv struct {
	chainAddr, bareAddr string
	names, tokens       []string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	keys := servicetest.NewKeys()
	signer := keys.Signer
	dbURL := "sqlite:" + filepath.Join(b.TempDir(), "identification.db")
	cfg := Config{
		Config: boot.Config{DatabaseURL: dbURL, Etcd: etcdtest.New(b), Verifier: keys.Verifier(),
			PIIKey: make([]byte, 32), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		RegionsFile: "../../../../deploy/regions/demo-county.json", DemoHouseholds: 2000,
	}
	ready := make(chan string, 1)
	cfg.Ready = func(a string) { ready <- a }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	env := &benchEnv{}
	select {
	case env.chainAddr = <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); <-done })

	// The bare server: the same handler on the same database, with only a caller put in the context.
	db, err := sqldb.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	protector, _ := pii.NewProtector(make([]byte, 32))
	svc := domain.NewService(store.New(db, outbox.New(db, nil)), protector, time.Now, newID)
	county := &auth.Caller{Subject: "bench", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, Role: commonv1.Role_ROLE_COUNTY_ADMIN}
	bare := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(auth.NewContext(ctx, county), req)
	}))
	identificationv1.RegisterHouseholdServiceServer(bare, api.NewHouseholds(svc, time.Now))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = bare.Serve(lis) }()
	b.Cleanup(bare.Stop)
	env.bareAddr = lis.Addr().String()

	hs, _, err := svc.ListHouseholds(ctx, domain.Caller{}, "", "", 1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, h := range hs {
		env.names = append(env.names, "households/"+h.ID)
	}
	for i, c := range [][2]string{{"rural_revitalization", "county_admin"}, {"civil_affairs", "department_staff"},
		{"human_resources", "department_staff"}, {"county_government", "auditor"}} {
		tok, err := signer.Sign(auth.Claims{Department: c[0], Role: c[1], RegisteredClaims: jwt.RegisteredClaims{Subject: fmt.Sprint("bench-", i)}}, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		env.tokens = append(env.tokens, tok)
	}
	// Warm both servers' connections and page caches, so neither side pays for a cold start.
	for _, addr := range []string{env.chainAddr, env.bareAddr} {
		warm(b, addr, env)
	}
	return env
}

func warm(b *testing.B, addr string, env *benchEnv) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := identificationv1.NewHouseholdServiceClient(conn)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(env.names)*3; i += 16 {
				ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.tokens[0])
				_, _ = client.GetHousehold(ctx, &identificationv1.GetHouseholdRequest{Name: env.names[i%len(env.names)]})
			}
		}()
	}
	wg.Wait()
}
