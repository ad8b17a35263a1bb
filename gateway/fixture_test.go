package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/servicetest"
)

// spans records every span the tests make. The gateway takes its tracer provider from otel's global, as in
// production, so the provider is installed once for the whole test binary.
var spans = tracetest.NewSpanRecorder()

func TestMain(m *testing.M) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	os.Exit(m.Run())
}

// tokens signs test tokens with fresh keys (servicetest.Keys); verifier accepts them.
type tokens struct {
	keys     servicetest.Keys
	signer   *auth.Signer
	verifier *auth.Verifier
}

func newTokens(t *testing.T) tokens {
	t.Helper()
	keys := servicetest.NewKeys()
	return tokens{keys: keys, signer: keys.Signer, verifier: keys.Verifier()}
}

func (k tokens) sign(t *testing.T, role string, ttl time.Duration) string {
	t.Helper()
	return k.signClaims(t, auth.Claims{Department: "rural_revitalization", Role: role}, ttl)
}

// signClaims signs c as a person's token (subject officer-1 unless c names one).
func (k tokens) signClaims(t *testing.T, c auth.Claims, ttl time.Duration) string {
	t.Helper()
	if c.Subject == "" {
		c.Subject = "officer-1"
	}
	tok, err := k.signer.Sign(c, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// backend is a real gRPC server for one service, registered in etcd the way services register.
type backend struct {
	name   string
	server *grpc.Server
	health *health.Server
	region *regionServer // set for identification only
	upload *uploadServer // set for identification only
}

func startBackend(t *testing.T, cli *clientv3.Client, name string) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	b := &backend{name: name, server: srv, health: health.NewServer()}
	healthpb.RegisterHealthServer(srv, b.health)
	if name == "identification" {
		b.region = &regionServer{}
		identificationv1.RegisterRegionServiceServer(srv, b.region)
		identificationv1.RegisterRegisterExportServiceServer(srv, exportServer{})
		b.upload = &uploadServer{}
		identificationv1.RegisterImportServiceServer(srv, b.upload)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	reg, err := discovery.Register(t.Context(), cli, name, lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close(t.Context()) })
	return b
}

// startGateway serves the gateway for services on an httptest server and returns its URL. extra names
// services the gateway knows only in this test, with health checks but no routes.
func startGateway(t *testing.T, cli *clientv3.Client, v *auth.Verifier, services []string, extra ...string) string {
	t.Helper()
	known := testServices()
	for _, name := range extra {
		known[name] = service{}
	}
	return startGatewayWith(t, Config{Etcd: cli, Verifier: v, Services: services, Logger: discardLogger(), Portal: testPortalBuild()}, known)
}

// startGatewayWith serves the gateway for cfg on an httptest server and returns its URL.
func startGatewayWith(t *testing.T, cfg Config, known map[string]service) string {
	t.Helper()
	h, closeConns, err := newHandler(t.Context(), cfg, known)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeConns(); err != nil {
			t.Error(err)
		}
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fixture is a gateway in front of a real identification backend found through a real etcd.
type fixture struct {
	url     string
	tokens  tokens
	token   string // a valid county admin token
	backend *backend
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	// etcd as a county has it: the demo county's regions published, so tokens naming them are known.
	cli := servicetest.Etcd(t, "../deploy")
	f := &fixture{tokens: newTokens(t)}
	f.token = f.tokens.sign(t, "county_admin", time.Hour)
	f.backend = startBackend(t, cli, "identification")
	f.url = startGateway(t, cli, f.tokens.verifier, []string{"identification"})
	waitHealthy(t, f.url)
	return f
}

// waitHealthy polls /healthz until the gateway has found every backend through etcd.
func waitHealthy(t *testing.T, url string) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		resp := get(t, url+healthzPath, nil)
		if resp.code != http.StatusOK {
			return fmt.Errorf("/healthz: %d %s", resp.code, resp.body)
		}
		return nil
	})
}

// eventually calls check until it succeeds, failing the test with check's last error after timeout.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %s: %v", timeout, err)
		}
		<-tick.C
	}
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, header http.Header) response {
	t.Helper()
	return do(t, http.MethodGet, url, header, nil)
}

func do(t *testing.T, method, url string, header http.Header, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: got}
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// apiError is the AIP-193 error body, decoded loosely so tests see exactly what a client sees.
type apiError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

func decodeError(t *testing.T, r response) apiError {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e apiError
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if e.Error.Code != r.code {
		t.Errorf("error.code = %d, HTTP status %d", e.Error.Code, r.code)
	}
	if e.Error.Details == nil {
		t.Errorf("error.details missing in %s", r.body)
	}
	return e
}

// Region names GetRegion answers with an error instead of a region.
const (
	regionInvalid         = "regions/400000000000"
	regionMissing         = "regions/404000000000"
	regionBroken          = "regions/500000000000"
	regionUnauthenticated = "regions/401000000000"
)

// brokenCause is what a careless service might put in an INTERNAL status; it must not reach the client.
const brokenCause = "pq: password authentication failed for user fupin at 10.0.0.7:5432"

// regionServer is a real RegionService over gRPC whose answers the tests choose by region name. It remembers
// the metadata of the last call, to show what the gateway forwards.
type regionServer struct {
	identificationv1.UnimplementedRegionServiceServer

	mu     sync.Mutex
	calls  int
	lastMD metadata.MD
}

func (s *regionServer) GetRegion(ctx context.Context, req *identificationv1.GetRegionRequest) (*identificationv1.Region, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.calls++
	s.lastMD = md.Copy()
	s.mu.Unlock()

	switch req.GetName() {
	case regionInvalid:
		st, err := status.New(codes.InvalidArgument, "region code must have 12 digits").WithDetails(
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
				{Field: "name", Description: "must match regions/<12 digits>", Reason: "REGION_CODE_INVALID"},
			}},
			&errdetails.ErrorInfo{Reason: "REGION_CODE_INVALID", Domain: "identification.fupin.dev"},
		)
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	case regionMissing:
		st, err := status.New(codes.NotFound, "region not found").WithDetails(
			&errdetails.ErrorInfo{Reason: "REGION_NOT_FOUND", Domain: "identification.fupin.dev"})
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	case regionBroken:
		return nil, status.Error(codes.Internal, brokenCause)
	case regionUnauthenticated:
		return nil, status.Error(codes.Unauthenticated, "token revoked")
	}
	return &identificationv1.Region{
		Name:        req.GetName(),
		Code:        strings.TrimPrefix(req.GetName(), "regions/"),
		DisplayName: "示范村",
		ParentCode:  "000000000000",
	}, nil
}

func (s *regionServer) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *regionServer) metadata() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastMD
}

// exportServer is a real RegisterExportService whose stream the tests choose by region_code: it fails
// before its first message, after its first message, or sends two batches.
type exportServer struct {
	identificationv1.UnimplementedRegisterExportServiceServer
}

// Region codes ExportRegister answers with an error, or slowly.
const (
	exportDenied      = "400"
	exportBrokenLater = "500"
	// exportSlow sends exportSlowBatches batches exportSlowGap apart: an export that takes longer than a
	// short write timeout while it keeps moving.
	exportSlow        = "990"
	exportSlowBatches = 4
	exportSlowGap     = 250 * time.Millisecond
)

func (exportServer) ExportRegister(req *identificationv1.ExportRegisterRequest, stream identificationv1.RegisterExportService_ExportRegisterServer) error {
	if req.GetRegionCode() == exportDenied {
		st, err := status.New(codes.PermissionDenied, "role township_officer may not call ExportRegister").WithDetails(
			&errdetails.ErrorInfo{Reason: "ACCESS_DENIED", Domain: "identification.fupin.dev"})
		if err != nil {
			return err
		}
		return st.Err()
	}
	batch := &identificationv1.ExportRegisterResponse{Households: []*identificationv1.ExportedHousehold{
		{Household: "households/1", RegionCode: "990001002003", Size: 2}}}
	if err := stream.Send(batch); err != nil {
		return err
	}
	if req.GetRegionCode() == exportBrokenLater {
		return status.Error(codes.Internal, brokenCause)
	}
	if req.GetRegionCode() == exportSlow {
		for range exportSlowBatches - 1 {
			time.Sleep(exportSlowGap)
			if err := stream.Send(batch); err != nil {
				return err
			}
		}
		return nil
	}
	return stream.Send(batch)
}

// runGateway runs the gateway as Run does in production (net/http's own limits apply), on a free port.
// stop ends it and returns Run's error, failing the test if Run does not return.
func runGateway(t *testing.T, cfg Config) (addr string, stop func() error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listener = lis
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, testServices()) }()
	var once sync.Once
	var runErr error
	return lis.Addr().String(), func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
		return runErr
	}
}

// testServices are the gateway's known services plus a server-streaming REST route that only these tests
// have. No contract binds a streaming method to REST today (the register export is for services only), but
// the gateway must still answer any that a contract adds with AIP-193 errors, limits and one log line; this
// route is what protoc-gen-grpc-gateway generates for a server-streaming GET (the register export's binding
// as it was), calling the test backend's real RegisterExportService over gRPC.
func testServices() map[string]service {
	known := knownServices()
	id := known["identification"]
	id.register = append(slices.Clone(id.register), registerTestExportRoute)
	known["identification"] = id
	return known
}

// testExportPath is the test-only streaming route.
const testExportPath = "/v1/households:export"

func registerTestExportRoute(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := identificationv1.NewRegisterExportServiceClient(conn)
	pattern := runtime.MustPattern(runtime.NewPattern(1, []int{2, 0, 2, 1}, []string{"v1", "households"}, "export"))
	mux.Handle(http.MethodGet, pattern, func(w http.ResponseWriter, req *http.Request, _ map[string]string) {
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		_, outbound := runtime.MarshalerForRequest(mux, req)
		ctx, err := runtime.AnnotateContext(ctx, mux, req, identificationv1.RegisterExportService_ExportRegister_FullMethodName,
			runtime.WithHTTPPathPattern(testExportPath))
		if err != nil {
			runtime.HTTPError(ctx, mux, outbound, w, req, err)
			return
		}
		in := &identificationv1.ExportRegisterRequest{RegionCode: req.URL.Query().Get("region_code")}
		stream, err := client.ExportRegister(ctx, in)
		var header metadata.MD
		if err == nil {
			header, err = stream.Header()
		}
		ctx = runtime.NewServerMetadataContext(ctx, runtime.ServerMetadata{HeaderMD: header})
		if err != nil {
			runtime.HTTPError(ctx, mux, outbound, w, req, err)
			return
		}
		runtime.ForwardResponseStream(ctx, mux, outbound, w, req, func() (proto.Message, error) { return stream.Recv() },
			mux.GetForwardResponseOptions()...)
	})
	return nil
}
