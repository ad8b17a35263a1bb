package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/etcdx/etcdtest"
)

func TestErrorsAreAIP193JSON(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		method     string
		path       string
		wantCode   int
		wantStatus string
		check      func(t *testing.T, e apiError, r response)
	}{
		{
			name: "invalid argument with field violations", method: http.MethodGet, path: "/v1/" + regionInvalid,
			wantCode: http.StatusBadRequest, wantStatus: "INVALID_ARGUMENT",
			check: func(t *testing.T, e apiError, _ response) {
				if e.Error.Message != "region code must have 12 digits" {
					t.Errorf("message = %q", e.Error.Message)
				}
				br := detail(t, e, "type.googleapis.com/google.rpc.BadRequest")
				violations, _ := br["field_violations"].([]any)
				if len(violations) != 1 {
					t.Fatalf("field_violations = %v, want one", br["field_violations"])
				}
				v := violations[0].(map[string]any)
				if v["field"] != "name" || v["reason"] != "REGION_CODE_INVALID" || v["description"] == "" {
					t.Errorf("field violation = %v", v)
				}
				if info := detail(t, e, "type.googleapis.com/google.rpc.ErrorInfo"); info["reason"] != "REGION_CODE_INVALID" {
					t.Errorf("ErrorInfo = %v", info)
				}
			},
		},
		{
			name: "not found with error info", method: http.MethodGet, path: "/v1/" + regionMissing,
			wantCode: http.StatusNotFound, wantStatus: "NOT_FOUND",
			check: func(t *testing.T, e apiError, _ response) {
				if info := detail(t, e, "type.googleapis.com/google.rpc.ErrorInfo"); info["reason"] != "REGION_NOT_FOUND" {
					t.Errorf("ErrorInfo = %v", info)
				}
			},
		},
		{
			name: "internal is masked", method: http.MethodGet, path: "/v1/" + regionBroken,
			wantCode: http.StatusInternalServerError, wantStatus: "INTERNAL",
			check: func(t *testing.T, e apiError, r response) {
				if e.Error.Message != "internal error" || strings.Contains(string(r.body), "password") {
					t.Errorf("internal cause leaked: %s", r.body)
				}
			},
		},
		{
			name: "unauthenticated by the service", method: http.MethodGet, path: "/v1/" + regionUnauthenticated,
			wantCode: http.StatusUnauthorized, wantStatus: "UNAUTHENTICATED",
			check: func(t *testing.T, _ apiError, r response) {
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate header")
				}
			},
		},
		{
			name: "no route", method: http.MethodGet, path: "/v1/nothing/here",
			wantCode: http.StatusNotFound, wantStatus: "NOT_FOUND",
		},
		{
			name: "method not allowed", method: http.MethodDelete, path: "/v1/regions",
			wantCode: http.StatusMethodNotAllowed, wantStatus: "UNIMPLEMENTED",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, f.url+tt.path, bearer(f.token), nil)
			if r.code != tt.wantCode {
				t.Fatalf("%s %s: HTTP %d, want %d: %s", tt.method, tt.path, r.code, tt.wantCode, r.body)
			}
			e := decodeError(t, r)
			if e.Error.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", e.Error.Status, tt.wantStatus)
			}
			if e.Error.Message == "" {
				t.Error("empty message")
			}
			if tt.check != nil {
				tt.check(t, e, r)
			}
		})
	}
}

// TestUnreachableServiceIsMasked: the transport's own UNAVAILABLE names hosts and ports; the client gets a
// generic message.
func TestUnreachableServiceIsMasked(t *testing.T) {
	f := newFixture(t)
	f.backend.server.Stop() // still registered in etcd: the gateway dials a dead address

	r := get(t, f.url+"/v1/regions/000000000001", bearer(f.token))
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d, want 503: %s", r.code, r.body)
	}
	e := decodeError(t, r)
	if e.Error.Status != "UNAVAILABLE" || strings.Contains(e.Error.Message, "127.0.0.1") {
		t.Errorf("error = %+v", e.Error)
	}
}

func TestEdgeAuthentication(t *testing.T) {
	f := newFixture(t)
	otherKey := newTokens(t)
	tests := []struct {
		name        string
		path        string
		header      http.Header
		wantMessage string
	}{
		{name: "no token", path: "/v1/regions/000000000001", wantMessage: "missing bearer token"},
		{name: "garbage token", path: "/v1/regions/000000000001", header: bearer("garbage"), wantMessage: "invalid bearer token"},
		{name: "basic auth", path: "/v1/regions/000000000001", header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, wantMessage: "missing bearer token"},
		{name: "signed by another key", path: "/v1/regions/000000000001", header: bearer(otherKey.sign(t, "county_admin", time.Hour)), wantMessage: "invalid bearer token"},
		{name: "expired", path: "/v1/regions/000000000001", header: bearer(f.tokens.sign(t, "county_admin", -time.Minute)), wantMessage: "bearer token expired"},
		{name: "unknown role", path: "/v1/regions/000000000001", header: bearer(f.tokens.sign(t, "mayor", time.Hour)), wantMessage: `invalid bearer token: unknown role "mayor"`},
		{name: "unknown API path is private too", path: "/v1/admin", wantMessage: "missing bearer token"},
		{name: "the gateway's sign-in paths are not the portal's", path: "/auth/me", wantMessage: "missing bearer token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.backend.region.callCount()
			r := get(t, f.url+tt.path, tt.header)
			if r.code != http.StatusUnauthorized {
				t.Fatalf("HTTP %d, want 401: %s", r.code, r.body)
			}
			e := decodeError(t, r)
			if e.Error.Status != "UNAUTHENTICATED" || e.Error.Message != tt.wantMessage {
				t.Errorf("error = %+v, want UNAUTHENTICATED %q", e.Error, tt.wantMessage)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
			if n := f.backend.region.callCount(); n != before {
				t.Errorf("the service was called %d times for a refused request", n-before)
			}
		})
	}

	t.Run("lower-case scheme", func(t *testing.T) {
		r := get(t, f.url+"/v1/regions/000000000001", http.Header{"Authorization": {"bearer " + f.token}})
		if r.code != http.StatusOK {
			t.Fatalf("HTTP %d: %s", r.code, r.body)
		}
	})
}

func TestForwardsHeadersAndProtoJSON(t *testing.T) {
	f := newFixture(t)
	header := bearer(f.token)
	header.Set(auth.PurposeHeader, "case_handling")
	header.Set(RequestIDHeader, "req-42")
	header.Set(auth.OnBehalfOfHeader, "forged")
	header.Set("Grpc-Metadata-X-Fupin-On-Behalf-Of", "forged")
	header.Set("X-Internal-Secret", "s3cret")

	r := get(t, f.url+"/v1/regions/000000000001", header)
	if r.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}

	md := f.backend.region.metadata()
	for key, want := range map[string]string{
		"authorization":    "Bearer " + f.token, // unchanged, so the service verifies it again
		auth.PurposeHeader: "case_handling",
		RequestIDHeader:    "req-42",
	} {
		if got := md.Get(key); !slices.Equal(got, []string{want}) {
			t.Errorf("metadata %s = %q, want [%q]", key, got, want)
		}
	}
	for _, key := range []string{auth.OnBehalfOfHeader, "x-internal-secret", "grpc-metadata-x-fupin-on-behalf-of"} {
		if got := md.Get(key); len(got) > 0 {
			t.Errorf("metadata %s = %q forwarded from a client header", key, got)
		}
	}

	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":         "regions/000000000001",
		"code":         "000000000001",
		"display_name": "示范村",                      // proto field names
		"parent_code":  "000000000000",             // proto field names
		"level":        "REGION_LEVEL_UNSPECIFIED", // zero values are present
		"urban":        false,
		"populations":  []any{},
		"valid_from":   "",
		"valid_to":     "",
	}
	for k, v := range want {
		got, ok := body[k]
		if !ok {
			t.Errorf("field %q missing from %s", k, r.body)
			continue
		}
		if gj, _ := json.Marshal(got); string(gj) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, gj, mustJSON(t, v))
		}
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestMarshalerDiscardsUnknownFields(t *testing.T) {
	var req identificationv1.ListRegionsRequest
	if err := newMarshaler(discardLogger()).Unmarshal([]byte(`{"page_size": 5, "added_by_a_newer_client": true}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.GetPageSize() != 5 {
		t.Errorf("page_size = %d, want 5", req.GetPageSize())
	}
}

// TestTraceSpansGatewayAndService checks that a client's W3C trace context reaches the service through the
// gateway, and that the gateway's span is named by route, not by the path with its ids.
func TestTraceSpansGatewayAndService(t *testing.T) {
	f := newFixture(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	header := bearer(f.token)
	header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")

	r := get(t, f.url+"/v1/regions/000000000001", header)
	if r.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}
	tp := f.backend.region.metadata().Get("traceparent")
	if len(tp) != 1 || !strings.HasPrefix(tp[0], "00-"+traceID+"-") {
		t.Fatalf("service got traceparent %q, want trace %s", tp, traceID)
	}

	eventually(t, 5*time.Second, func() error {
		var names []string
		for _, s := range spans.Ended() {
			if s.SpanContext().TraceID().String() == traceID {
				names = append(names, s.Name())
			}
		}
		for _, want := range []string{"GET /v1/{name=regions/*}", "fupin.identification.v1.RegionService/GetRegion"} {
			if !slices.Contains(names, want) {
				return errors.New("no span " + want + " in trace, have " + strings.Join(names, ", "))
			}
		}
		return nil
	})
}

func TestOpenAPI(t *testing.T) {
	f := newFixture(t)
	r := get(t, f.url+openAPIPath, nil)
	if r.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var doc struct {
		Swagger string                     `json:"swagger"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if _, ok := doc.Paths["/v1/households"]; !ok || doc.Swagger != "2.0" {
		t.Errorf("swagger %q, paths %d: no /v1/households", doc.Swagger, len(doc.Paths))
	}
}

func TestSwaggerUI(t *testing.T) {
	f := newFixture(t)

	if r := get(t, f.url+"/docs", nil); r.code != http.StatusMovedPermanently || r.header.Get("Location") != docsPath {
		t.Errorf("/docs: HTTP %d to %q, want 301 to %s", r.code, r.header.Get("Location"), docsPath)
	}

	r := get(t, f.url+docsPath, nil)
	if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTTP %d, Content-Type %q", r.code, r.header.Get("Content-Type"))
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	external := regexp.MustCompile(`(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/`)
	if m := external.FindString(string(r.body)); m != "" {
		t.Errorf("index.html refers to an external URL (%q)", m)
	}

	// Every asset the page loads is served from the embedded copy.
	refs := regexp.MustCompile(`(?:src|href)="\./([^"]+)"`).FindAllStringSubmatch(string(r.body), -1)
	if len(refs) < 5 {
		t.Fatalf("index.html loads %d local assets, want the CSS, scripts and icon", len(refs))
	}
	for _, ref := range refs {
		a := get(t, f.url+docsPath+ref[1], nil)
		if a.code != http.StatusOK || len(a.body) == 0 {
			t.Errorf("%s: HTTP %d, %d bytes", ref[1], a.code, len(a.body))
		}
		if ref[1] == "swagger-initializer.js" {
			if m := external.FindString(string(a.body)); m != "" {
				t.Errorf("swagger-initializer.js refers to an external URL (%q)", m)
			}
			if !strings.Contains(string(a.body), "openapi.json") {
				t.Error("swagger-initializer.js does not load openapi.json")
			}
		}
	}

	if r := get(t, f.url+docsPath+"missing.js", nil); r.code != http.StatusNotFound {
		t.Errorf("missing asset: HTTP %d, want 404", r.code)
	}
}

func TestHealthz(t *testing.T) {
	t.Run("all serving, then one not", func(t *testing.T) {
		f := newFixture(t) // waits for 200
		r := get(t, f.url+healthzPath, nil)
		rep := decodeHealth(t, r)
		if r.code != http.StatusOK || rep.Status != "SERVING" || rep.Services["identification"] != "SERVING" {
			t.Fatalf("HTTP %d %s", r.code, r.body)
		}

		f.backend.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		r = get(t, f.url+healthzPath, nil)
		rep = decodeHealth(t, r)
		if r.code != http.StatusServiceUnavailable || rep.Status != "NOT_SERVING" ||
			!slices.Equal(rep.NotServing, []string{"identification"}) || rep.Services["identification"] != "NOT_SERVING" {
			t.Fatalf("HTTP %d %s, want 503 naming identification", r.code, r.body)
		}
	})

	t.Run("names only the services not serving", func(t *testing.T) {
		cli := etcdtest.New(t)
		keys := newTokens(t)
		startBackend(t, cli, "identification")
		subsidies := startBackend(t, cli, "subsidies")
		subsidies.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		// employment is routed but no instance is registered.
		url := startGateway(t, cli, keys.verifier, []string{"identification", "subsidies", "employment"}, "subsidies", "employment")

		var r response
		var rep healthReport
		eventually(t, 10*time.Second, func() error {
			r = get(t, url+healthzPath, nil)
			rep = decodeHealth(t, r)
			if rep.Services["identification"] != "SERVING" || rep.Services["subsidies"] != "NOT_SERVING" {
				return errors.New(string(r.body)) // discovery still catching up
			}
			return nil
		})
		if r.code != http.StatusServiceUnavailable || !slices.Equal(rep.NotServing, []string{"employment", "subsidies"}) {
			t.Fatalf("HTTP %d %s, want 503 naming employment and subsidies", r.code, r.body)
		}
		if s := rep.Services["employment"]; s == "SERVING" || s == "" {
			t.Errorf("employment = %q, want the failure's code", s)
		}
	})
}

func decodeHealth(t *testing.T, r response) healthReport {
	t.Helper()
	var rep healthReport
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatalf("/healthz body %s: %v", r.body, err)
	}
	return rep
}

func TestNewHandlerReportsEveryConfigProblem(t *testing.T) {
	_, _, err := NewHandler(t.Context(), Config{Services: []string{"nope", "nope"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"no etcd client", "no token verifier", `unknown service "nope"`, `"nope" listed twice`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestRunServesUntilCanceled(t *testing.T) {
	cli := etcdtest.New(t)
	keys := newTokens(t)
	startBackend(t, cli, "identification")
	addr, stop := runGateway(t, Config{Etcd: cli, Verifier: keys.verifier, Services: []string{"identification"}, Logger: discardLogger()})
	waitHealthy(t, "http://"+addr)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still accepting connections after Run returned")
	}
}

func detail(t *testing.T, e apiError, typ string) map[string]any {
	t.Helper()
	for _, d := range e.Error.Details {
		if d["@type"] == typ {
			return d
		}
	}
	t.Fatalf("no %s in details %v", typ, e.Error.Details)
	return nil
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEtcdUnreachable: etcd's resolver blocks reading etcd, ignoring the caller's deadline, until etcd
// answers. /healthz must still answer in time and Run must still stop.
func TestEtcdUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadEtcd := lis.Addr().String()
	lis.Close()
	cli, err := etcdx.Dial([]string{deadEtcd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })

	gw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Etcd: cli, Verifier: newTokens(t).verifier, Services: []string{"identification"}, Listener: gw, Logger: discardLogger()})
	}()

	start := time.Now()
	r := get(t, "http://"+gw.Addr().String()+healthzPath, nil)
	if took := time.Since(start); took > healthCheckTimeout+time.Second {
		t.Errorf("/healthz took %s", took)
	}
	if rep := decodeHealth(t, r); r.code != http.StatusServiceUnavailable || rep.Services["identification"] != "DEADLINE_EXCEEDED" {
		t.Errorf("HTTP %d %s, want 503 with identification DEADLINE_EXCEEDED", r.code, r.body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(closeTimeout + 5*time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
