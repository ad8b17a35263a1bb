package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/tools/internal/devstack"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestCountyEndToEnd starts the county as `make run` does (in-process etcd, the identification service
// on its own gRPC socket, the gateway dialing it through etcd) and drives it only through REST.
func TestCountyEndToEnd(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})

	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: t.TempDir(), DeployDir: "../../../deploy", FastEtcd: true, DemoHouseholds: 40,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := stack.Wait(); err != nil {
			t.Errorf("stack stopped with %v", err)
		}
	})
	c := &client{t: t, base: stack.GatewayURL, stack: stack}
	waitHealthy(t, stack.GatewayURL)
	admin := c.token("rural_revitalization", "county_admin", "")
	const village = "990001002003"

	t.Run("no token is 401", func(t *testing.T) {
		code, body := c.do(t, http.MethodGet, "/v1/households", "", nil)
		expect(t, code, body, http.StatusUnauthorized, "UNAUTHENTICATED")
	})

	t.Run("a township officer's token names a township of the county's master data", func(t *testing.T) {
		for _, tc := range []struct {
			region string
			want   int
		}{{"", http.StatusUnauthorized}, {"990001099", http.StatusUnauthorized}, {"990001002", http.StatusOK}} {
			code, body := c.do(t, http.MethodGet, "/v1/households?page_size=1", c.token("rural_revitalization", "township_officer", tc.region), nil)
			if code != tc.want {
				t.Errorf("region %q: HTTP %d %s, want %d", tc.region, code, body, tc.want)
			}
		}
	})

	var created map[string]any
	t.Run("create and get a household; 身份证号 masked", func(t *testing.T) {
		code, body := c.do(t, http.MethodPost, "/v1/households", admin, household(village, "E2E-1", 1))
		expect(t, code, body, http.StatusOK, "")
		created = decode(t, body)
		member := created["members"].([]any)[0].(map[string]any)
		if member["id_number"] != pii.MaskIDNumber(idNumber("19650304", 1)) {
			t.Errorf("id_number %v is not masked", member["id_number"])
		}
		code, body = c.do(t, http.MethodGet, "/v1/"+created["name"].(string), admin, nil)
		expect(t, code, body, http.StatusOK, "")
		got := decode(t, body)
		if got["name"] != created["name"] || got["size"] != float64(2) || got["region_code"] != village {
			t.Errorf("got %v", got)
		}
		if strings.Contains(string(body), idNumber("19650304", 1)) {
			t.Error("a plain 身份证号 left the gateway without a purpose")
		}
	})

	t.Run("a wrong check digit is 400 naming the field", func(t *testing.T) {
		bad := household(village, "", 3)
		members := bad["members"].([]map[string]any)
		n := members[1]["id_number"].(string)
		members[1]["id_number"] = n[:17] + wrongCheck(n)
		code, body := c.do(t, http.MethodPost, "/v1/households", admin, bad)
		expect(t, code, body, http.StatusBadRequest, "INVALID_ARGUMENT")
		if !strings.Contains(string(body), `"field":"household.members[1].id_number"`) || !strings.Contains(string(body), "ID_NUMBER_INVALID") {
			t.Errorf("body does not name the field: %s", body)
		}
	})

	t.Run("a person already in another household is 409", func(t *testing.T) {
		dup := household("990001003001", "", 5)
		dup["members"].([]map[string]any)[1]["id_number"] = idNumber("19680512", 2) // the spouse of E2E-1
		code, body := c.do(t, http.MethodPost, "/v1/households", admin, dup)
		expect(t, code, body, http.StatusConflict, "ALREADY_EXISTS")
		if !strings.Contains(string(body), "PERSON_IN_OTHER_HOUSEHOLD") || strings.Contains(string(body), created["name"].(string)) {
			t.Errorf("conflict body names the other household or lacks the reason: %s", body)
		}
	})

	t.Run("403 for a role the contract does not allow and outside the township", func(t *testing.T) {
		civil := c.token("civil_affairs", "county_admin", "")
		code, body := c.do(t, http.MethodPost, "/v1/households", civil, household(village, "", 7))
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		township := c.token("rural_revitalization", "township_officer", "990001001")
		code, body = c.do(t, http.MethodGet, "/v1/"+created["name"].(string), township, nil)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		if !strings.Contains(string(body), "OUT_OF_REGION_SCOPE") {
			t.Errorf("body %s", body)
		}
	})

	t.Run("a retried create with the same request_id creates nothing new", func(t *testing.T) {
		req := household(village, "E2E-RETRY", 9)
		code, first := c.do(t, http.MethodPost, "/v1/households?request_id=e2e-retry-1", admin, req)
		expect(t, code, first, http.StatusOK, "")
		code, second := c.do(t, http.MethodPost, "/v1/households?request_id=e2e-retry-1", admin, req)
		expect(t, code, second, http.StatusOK, "")
		if decode(t, first)["name"] != decode(t, second)["name"] {
			t.Errorf("retry made %v, first %v", decode(t, second)["name"], decode(t, first)["name"])
		}
		code, body := c.do(t, http.MethodGet, `/v1/households?filter=household_number%20%3D%20%22E2E-RETRY%22`, admin, nil)
		expect(t, code, body, http.StatusOK, "")
		if n := len(decode(t, body)["households"].([]any)); n != 1 {
			t.Errorf("%d households with the retried number, want 1", n)
		}
	})

	t.Run("an update with a stale etag is refused", func(t *testing.T) {
		name := created["name"].(string)
		patch := map[string]any{"address": "三组", "etag": created["etag"]}
		code, body := c.do(t, http.MethodPatch, "/v1/"+name+"?update_mask=address", admin, patch)
		expect(t, code, body, http.StatusOK, "")
		code, body = c.do(t, http.MethodPatch, "/v1/"+name+"?update_mask=address", admin, patch)
		expect(t, code, body, http.StatusConflict, "ABORTED")
	})

	t.Run("one trace spans gateway and service", func(t *testing.T) {
		spans.Reset()
		code, body := c.do(t, http.MethodGet, "/v1/"+created["name"].(string), admin, nil)
		expect(t, code, body, http.StatusOK, "")
		deadline := time.Now().Add(5 * time.Second)
		for {
			var gatewaySpan, serviceSpan trace.SpanContext
			for _, s := range spans.Ended() {
				switch {
				case s.SpanKind() == trace.SpanKindServer && strings.HasPrefix(s.Name(), "GET "):
					gatewaySpan = s.SpanContext()
				case s.SpanKind() == trace.SpanKindServer && s.Name() == "fupin.identification.v1.HouseholdService/GetHousehold":
					serviceSpan = s.SpanContext()
				}
			}
			if gatewaySpan.IsValid() && serviceSpan.IsValid() {
				if gatewaySpan.TraceID() != serviceSpan.TraceID() {
					t.Errorf("gateway trace %s, service trace %s", gatewaySpan.TraceID(), serviceSpan.TraceID())
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("spans missing: gateway %v service %v", gatewaySpan.IsValid(), serviceSpan.IsValid())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("a policy change in etcd is served without restart", func(t *testing.T) {
		const path = "/v1/policy/identification.poverty_line_fen_per_year?region_code=990001002003"
		code, body := c.do(t, http.MethodGet, path, admin, nil)
		expect(t, code, body, http.StatusOK, "")
		if v := decode(t, body)["value"]; v != float64(299500) {
			t.Fatalf("default line %v", v)
		}
		today := bizdate.Today(time.Now())
		if err := policy.Set(t.Context(), stack.Etcd, "identification.poverty_line_fen_per_year", "990001002", today, json.RawMessage("320000")); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, body := c.do(t, http.MethodGet, path, admin, nil)
			got := decode(t, body)
			if got["value"] == float64(320000) {
				if got["region"] != "990001002" {
					t.Errorf("region %v", got["region"])
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the service still answers %v", got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("docs and OpenAPI are served without a token", func(t *testing.T) {
		code, body := c.do(t, http.MethodGet, "/openapi.json", "", nil)
		expect(t, code, body, http.StatusOK, "")
		if !strings.Contains(string(body), "/v1/households") {
			t.Error("OpenAPI lacks /v1/households")
		}
		code, body = c.do(t, http.MethodGet, "/docs/", "", nil)
		expect(t, code, body, http.StatusOK, "")
	})
}

type client struct {
	t     *testing.T
	base  string
	stack *devstack.Stack
}

func (c *client) token(dept, role, region string) string {
	tok, err := c.stack.Token("e2e-"+role, dept, role, region, time.Hour)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

func (c *client) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// expect checks the HTTP status and, for errors, the AIP-193 status name.
func expect(t *testing.T, code int, body []byte, want int, status string) {
	t.Helper()
	if code != want {
		t.Fatalf("HTTP %d, want %d: %s", code, want, body)
	}
	if status != "" {
		var e struct {
			Error struct {
				Code   int    `json:"code"`
				Status string `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Status != status || e.Error.Code != want {
			t.Fatalf("error body %s, want status %s", body, status)
		}
	}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// idNumber makes a valid 身份证号 born elsewhere (region 990002), so it never collides with the demo county.
func idNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("990002%s%03d", birth, seq)
	return first17 + string(pii.IDCheckChar(first17))
}

func wrongCheck(n string) string {
	for _, c := range "0123456789X" {
		if byte(c) != n[17] {
			return string(c)
		}
	}
	return "0"
}

func household(village, number string, seq int) map[string]any {
	return map[string]any{
		"region_code": village, "address": "一组", "household_number": number,
		"members": []map[string]any{
			{"full_name": "王大山", "id_number": idNumber("19650304", seq), "relation_to_head": "RELATION_HEAD", "ethnicity": "01"},
			{"full_name": "李秀英", "id_number": idNumber("19680512", seq+1), "relation_to_head": "RELATION_SPOUSE"},
		},
	}
}
