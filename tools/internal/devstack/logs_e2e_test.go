package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/logging/logtest"
	"fupin.dev/tools/internal/devstack"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// startCounty starts a small county (20 demo households) whose every part logs to logger, and stops it
// when the test ends.
func startCounty(t *testing.T, logger *slog.Logger) (*devstack.Stack, *client) {
	t.Helper()
	stack := startStack(t, devstack.Options{DemoHouseholds: 20, Logger: logger})
	return stack, &client{t: t, base: stack.GatewayURL, stack: stack}
}

// startStack starts a county with o in a temporary data directory, with the repository's deploy directory
// and a fast etcd, waits until its gateway is healthy and stops it when the test ends.
func startStack(t *testing.T, o devstack.Options) *devstack.Stack {
	t.Helper()
	o.DataDir, o.DeployDir, o.FastEtcd = t.TempDir(), "../../../deploy", true
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, o)
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
	waitHealthy(t, stack.GatewayURL)
	return stack
}

// TestFirstSessionLogs runs the README's "A first session" (its curl commands, through the gateway) with a
// helper's phone added, against a county whose every part logs into one JSON stream, and then reads that
// stream: each request is logged once at the gateway and once at the service it reached (joined by the
// trace id), and nothing the session sent — names, 身份证号, the certificate number, the address, the
// phone, query values — is found anywhere in the log.
func TestFirstSessionLogs(t *testing.T) {
	// Trace ids and W3C propagation, as telemetry.Setup gives every process.
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	otel.SetTextMapPropagator(propagation.TraceContext{})
	logger, logs := logtest.New(slog.LevelDebug)
	stack, c := startCounty(t, logger)

	// What the session sends that must never reach a log.
	const (
		head, spouse       = "王大山", "李秀英"
		headID, spouseID   = "990002196503040012", "990002196805120026"
		certificate        = "99000219650304001241"
		address            = "赵家坪村三组12号"
		helperName, phone  = "赵帮扶", "13812345678"
		requestID, filterQ = "readme-1", `region_code:"990001002"`
	)
	requests := 0
	call := func(method, path, token string, header http.Header, body string) map[string]any {
		t.Helper()
		requests++
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(t.Context(), method, stack.GatewayURL+path, r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m) // the CSV export is not JSON
		return m
	}

	// The README's session, command by command.
	admin := c.token("rural_revitalization", "county_admin", "")
	hh := call(http.MethodPost, "/v1/households?request_id="+requestID, admin, nil, fmt.Sprintf(`{"region_code":"990001002003","address":%q,
		"members":[
		  {"full_name":%q,"id_number":%q,"relation_to_head":"RELATION_HEAD","ethnicity":"01","health":"HEALTH_CHRONIC_DISEASE","labour_ability":"LABOUR_ABILITY_ORDINARY"},
		  {"full_name":%q,"id_number":%q,"relation_to_head":"RELATION_SPOUSE"}]}`, address, head, headID, spouse, spouseID))
	name := hh["name"].(string)
	call(http.MethodGet, "/v1/"+name, admin, nil, "")
	call(http.MethodGet, "/v1/"+name, admin, http.Header{"X-Fupin-Purpose": {"case_handling"}}, "")
	call(http.MethodGet, "/v1/households?"+url.Values{"filter": {filterQ + " AND registry_status = REGISTRY_STATUS_POOR"}, "page_size": {"5"}}.Encode(), admin, nil, "")
	call(http.MethodGet, "/v1/policy/identification.poverty_line_fen_per_year?region_code=990001002003", admin, nil, "")
	// A helper (帮扶责任人) with a phone, the one personal datum the README's session does not send.
	call(http.MethodPost, "/v1/"+name+"/helpers?request_id=logs-helper-1", admin, nil,
		fmt.Sprintf(`{"full_name":%q,"phone":%q,"work_unit":"县乡村振兴局","primary":true,"start_date":%q}`, helperName, phone, bizdate.Today(time.Now())))

	fed := c.token("disabled_persons_federation", "department_staff", "")
	cert := call(http.MethodPost, "/v1/certificates:register?request_id=readme-cert-1", fed, nil,
		fmt.Sprintf(`{"number":%q,"issue_date":"2020-05-10"}`, certificate))
	care := call(http.MethodPost, "/v1/disabilitySubsidies?request_id=readme-care-1", fed, nil,
		fmt.Sprintf(`{"kind":"DISABILITY_SUBSIDY_KIND_CARE","certificate":%q}`, cert["name"]))
	township := c.token("disabled_persons_federation", "township_officer", "990001002")
	call(http.MethodPost, "/v1/"+care["name"].(string)+":check", township, nil, `{"approved":true,"note":"乡镇初审同意"}`)
	fedAdmin := c.token("disabled_persons_federation", "county_admin", "")
	call(http.MethodPost, "/v1/"+care["name"].(string)+":review", fedAdmin, nil, `{"approved":true,"note":"残联审核同意"}`)
	month := bizdate.Today(time.Now())[:7]
	call(http.MethodPost, "/v1/paymentRolls:compute", fed, nil, fmt.Sprintf(`{"program":"PROGRAM_CARE_SUBSIDY","month":%q}`, month))
	call(http.MethodGet, "/v1/paymentRolls/care-subsidy-"+month+":export?format=ROLL_EXPORT_FORMAT_CSV", fed, nil, "")
	civil := c.token("civil_affairs", "county_admin", "")
	call(http.MethodPost, "/v1/comparisons", civil, nil, `{}`)
	call(http.MethodGet, "/v1/eligibilityChecks?page_size=2", civil, nil, "")

	// The last lines are written as the requests end; wait until the gateway has logged every one.
	var gatewayLines, serviceLines []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		gatewayLines, serviceLines = nil, nil
		for _, l := range logs.Lines(t) { // every line is JSON, whichever part wrote it
			switch {
			case l["msg"] == "http request" && l["level"] == "INFO":
				gatewayLines = append(gatewayLines, l)
			case l["msg"] == "rpc" && l["level"] == "INFO":
				serviceLines = append(serviceLines, l)
			}
		}
		if len(gatewayLines) >= requests || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	for _, secret := range []string{head, spouse, headID, spouseID, certificate, address, helperName, phone,
		requestID, filterQ, "REGISTRY_STATUS_POOR", strings.TrimPrefix(name, "households/")} {
		if l := logs.Holding(secret); l != "" {
			t.Errorf("the log holds %q: %s", secret, l)
		}
	}

	if len(gatewayLines) != requests {
		t.Fatalf("%d gateway request lines for %d requests", len(gatewayLines), requests)
	}
	for _, g := range gatewayLines {
		trace, rpc := g["trace_id"], g["rpc"]
		if trace == nil || rpc == nil || g["status"] != 200.0 || g["code"] != "OK" || g["dept"] == nil || g["role"] == nil {
			t.Errorf("gateway line %v: want trace_id, rpc, status, code, dept and role", g)
			continue
		}
		// Exactly one line at the service the route reached, for the person's own call (a service's calls
		// to others on their behalf have the same trace id, and their own lines).
		n := 0
		for _, s := range serviceLines {
			if s["trace_id"] == trace && s["method"] == rpc && s["role"] == g["role"] && s["dept"] == g["dept"] {
				n++
				if s["code"] != "OK" || s["duration_ms"] == nil {
					t.Errorf("service line %v", s)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s (%s): %d service lines, want 1", g["route"], rpc, n)
		}
	}
	// Calls a service makes on a person's behalf are logged at the owner, naming both.
	onBehalf := 0
	for _, s := range serviceLines {
		if s["role"] == "service" && s["on_behalf_of_role"] != nil {
			onBehalf++
		}
	}
	if onBehalf == 0 {
		t.Error("no line of a service calling the register on a person's behalf")
	}
	t.Logf("%d requests: %d gateway lines, %d service lines (%d on a person's behalf)", requests, len(gatewayLines), len(serviceLines), onBehalf)
}

// TestRegisterExportNotOverREST: the register export (a server stream for services only) has no REST route,
// so no person reaches it through the gateway, and asking for it gets the AIP-193 JSON of every other error.
// (Stream errors through the gateway are tested in the gateway's own tests on a test-only streaming route.)
func TestRegisterExportNotOverREST(t *testing.T) {
	_, c := startCounty(t, slog.New(slog.DiscardHandler))
	code, body := c.do(t, http.MethodGet, "/v1/households:export", c.token("rural_revitalization", "county_admin", ""), nil)
	expect(t, code, body, http.StatusNotFound, "NOT_FOUND")
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("body %s", body)
	}
}
