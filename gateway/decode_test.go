package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestDecodingErrorsNameFieldNotValue: a body or query value of the wrong type is refused with 400 naming
// the field (as the service would name it) and the type expected, never echoing the value, which can be a
// 身份证号 that clients and proxies then log.
func TestDecodingErrorsNameFieldNotValue(t *testing.T) {
	f := newLimitedFixture(t, Limits{})
	const secret = "990002196503040012"
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		wantField string
		wantDesc  string
	}{
		{name: "a number where a string is expected", method: http.MethodPost, path: "/v1/households",
			body:      `{"region_code":"990001002003","members":[{"full_name":"王大山","id_number":` + secret + `}]}`,
			wantField: "household.members[0].id_number", wantDesc: "expected a string"},
		{name: "by its JSON name", method: http.MethodPost, path: "/v1/households",
			body:      `{"regionCode":"990001002003","members":[{},{"idNumber":` + secret + `}]}`,
			wantField: "household.members[1].id_number", wantDesc: "expected a string"},
		{name: "a string where a list is expected", method: http.MethodPost, path: "/v1/households",
			body: `{"members":"` + secret + `"}`, wantField: "household.members", wantDesc: "expected a list"},
		{name: "an object where an enum is expected", method: http.MethodPost, path: "/v1/households",
			body:      `{"members":[{"relation_to_head":{"id":"` + secret + `"}}]}`,
			wantField: "household.members[0].relation_to_head", wantDesc: "expected one of the enum's names"},
		{name: "a whole-request body (body: \"*\")", method: http.MethodPost, path: "/v1/households:lookup",
			body: `{"id_number":` + secret + `}`, wantField: "id_number", wantDesc: "expected a string"},
		{name: "a query value out of range", method: http.MethodGet, path: "/v1/households?page_size=" + secret,
			wantField: "page_size", wantDesc: "expected a whole number (32-bit)"},
		{name: "a query value twice", method: http.MethodGet, path: "/v1/households?filter=a&filter=" + secret,
			wantField: "filter", wantDesc: "expected one value"},
		{name: "not JSON at all", method: http.MethodPost, path: "/v1/households", body: `{"id_number": ` + secret + `x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			if tt.method == http.MethodPost {
				r = post(t, f.url+tt.path, bearer(f.token), strings.NewReader(tt.body))
			} else {
				r = get(t, f.url+tt.path, bearer(f.token))
			}
			if r.code != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.code, r.body)
			}
			if strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), "9900021965") {
				t.Fatalf("the answer echoes the value: %s", r.body)
			}
			e := decodeError(t, r)
			if info := detail(t, e, "type.googleapis.com/google.rpc.ErrorInfo"); info["reason"] != "INVALID_FIELD" || info["domain"] != gatewayDomain {
				t.Errorf("ErrorInfo %v", info)
			}
			if tt.wantField == "" {
				return
			}
			v := detail(t, e, "type.googleapis.com/google.rpc.BadRequest")["field_violations"].([]any)[0].(map[string]any)
			if v["field"] != tt.wantField || v["description"] != tt.wantDesc {
				t.Errorf("violation %v, want field %s: %s", v, tt.wantField, tt.wantDesc)
			}
			if !strings.Contains(e.Error.Message, tt.wantField) {
				t.Errorf("message %q does not name the field", e.Error.Message)
			}
		})
	}
	if strings.Contains(f.logs.String(), secret) {
		t.Errorf("the gateway's log holds the value:\n%s", f.logs.String())
	}
}

// TestStreamErrorsAreAIP193: a streaming method's error through the gateway has the AIP-193 shape of every
// other error, whether it comes before the first message (the HTTP status says it) or after (the response
// is already 200; the error is the stream's last chunk), and INTERNAL keeps its cause to the log.
func TestStreamErrorsAreAIP193(t *testing.T) {
	f := newLimitedFixture(t, Limits{})
	chunks := func(t *testing.T, body []byte) []map[string]any {
		t.Helper()
		var out []map[string]any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			out = append(out, m)
		}
		return out
	}
	t.Run("before the first message", func(t *testing.T) {
		r := get(t, f.url+"/v1/households:export?region_code="+exportDenied, bearer(f.token))
		if r.code != http.StatusForbidden {
			t.Fatalf("status %d: %s", r.code, r.body)
		}
		e := decodeError(t, r)
		if e.Error.Status != "PERMISSION_DENIED" || detail(t, e, "type.googleapis.com/google.rpc.ErrorInfo")["reason"] != "ACCESS_DENIED" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("after the first message", func(t *testing.T) {
		r := get(t, f.url+"/v1/households:export?region_code="+exportBrokenLater, bearer(f.token))
		if r.code != http.StatusOK {
			t.Fatalf("status %d: %s", r.code, r.body)
		}
		cs := chunks(t, r.body)
		if len(cs) != 2 || cs[0]["result"] == nil {
			t.Fatalf("chunks %v, want a result and an error", cs)
		}
		var e apiError
		b, _ := json.Marshal(cs[1])
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("error chunk %s: %v", b, err)
		}
		if e.Error.Code != http.StatusInternalServerError || e.Error.Status != "INTERNAL" || e.Error.Message != "internal error" || e.Error.Details == nil {
			t.Errorf("error chunk %s", b)
		}
		if strings.Contains(string(r.body), brokenCause) || !strings.Contains(f.logs.String(), brokenCause) {
			t.Errorf("the cause must reach the log only: body %s", r.body)
		}
	})
	t.Run("a whole stream", func(t *testing.T) {
		r := get(t, f.url+"/v1/households:export", bearer(f.token))
		if cs := chunks(t, r.body); r.code != http.StatusOK || len(cs) != 2 || cs[1]["result"] == nil {
			t.Errorf("status %d, chunks %v", r.code, cs)
		}
	})
}

// TestGatewayRequestLog: one line per request, naming the route template, never the path's ids or the
// query's values, with the caller's department and role and the trace id.
func TestGatewayRequestLog(t *testing.T) {
	f := newLimitedFixture(t, Limits{})
	r := get(t, f.url+"/v1/regions/990001002003?view=王大山", bearer(f.token))
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	r = get(t, f.url+"/v1/"+regionMissing, bearer(f.token))
	if r.code != http.StatusNotFound {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	get(t, f.url+"/v1/regions/1", nil)

	var lines []map[string]any
	for _, l := range f.logs.Find(t, "http request") {
		if l["level"] == "INFO" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(lines), f.logs.String())
	}
	want := []map[string]any{
		{"http_method": "GET", "route": "GET /v1/{name=regions/*}", "status": 200.0, "rpc": "/fupin.identification.v1.RegionService/GetRegion",
			"code": "OK", "dept": "rural_revitalization", "role": "county_admin"},
		{"route": "GET /v1/{name=regions/*}", "status": 404.0, "code": "NotFound", "dept": "rural_revitalization"},
		{"route": "unmatched", "status": 401.0, "code": "Unauthenticated", "dept": nil},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, lines[i][k], v)
			}
		}
		if id, _ := lines[i]["trace_id"].(string); len(id) != 32 {
			t.Errorf("line %d: trace_id %q", i, id)
		}
	}
	for _, hidden := range []string{"990001002003", "王大山", "view", regionMissing} {
		if strings.Contains(f.logs.String(), hidden) {
			t.Errorf("the log holds %q", hidden)
		}
	}
}
