package devstack_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPortalAPIsOverREST drives the portal's APIs of issue 10 through the gateway, as the portal calls
// them: the member-name search, a plain read found by an auditor in the audit log of each service, and the
// 办理 inbox with its count.
func TestPortalAPIsOverREST(t *testing.T) {
	_, c := startCounty(t, slog.New(slog.DiscardHandler))
	admin := c.token("rural_revitalization", "county_admin", "")
	const village = "990001002003"
	hh := household(village, "E2E-SEARCH-1", 71)
	hh["members"].([]map[string]any)[0]["full_name"] = "欧阳娜娜"
	code, body := c.do(t, http.MethodPost, "/v1/households", admin, hh)
	expect(t, code, body, http.StatusOK, "")
	name := decode(t, body)["name"].(string)

	get := func(t *testing.T, path, token string, header ...string) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		expect(t, resp.StatusCode, b, http.StatusOK, "")
		var m map[string]any
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	households := func(m map[string]any) []string {
		var out []string
		list, _ := m["households"].([]any)
		for _, h := range list {
			out = append(out, h.(map[string]any)["name"].(string))
		}
		return out
	}

	t.Run("search by a member's name, exact or prefix, and by 户编号", func(t *testing.T) {
		township := c.token("rural_revitalization", "township_officer", village[:9])
		for _, f := range []string{`member_name = "欧阳娜娜"`, `member_name:"欧阳*"`, `household_number = "E2E-SEARCH-1"`} {
			if got := households(get(t, "/v1/households?filter="+url.QueryEscape(f), township)); len(got) != 1 || got[0] != name {
				t.Errorf("%s: %v, want [%s]", f, got, name)
			}
		}
		other := c.token("rural_revitalization", "township_officer", "990001001")
		if got := households(get(t, "/v1/households?filter="+url.QueryEscape(`member_name = "欧阳娜娜"`), other)); len(got) != 0 {
			t.Errorf("another township's officer found %v", got)
		}
	})

	t.Run("an auditor finds the plain read just made", func(t *testing.T) {
		get(t, "/v1/"+name, admin, "x-fupin-purpose", "verification")
		auditor := c.token("rural_revitalization", "auditor", "")
		filter := url.QueryEscape(`household = "` + name + `" AND action = AUDIT_ACTION_READ`)
		deadline := time.Now().Add(10 * time.Second)
		for {
			m := get(t, "/v1/auditRecords?filter="+filter, auditor)
			if rs, _ := m["audit_records"].([]any); len(rs) == 1 {
				r := rs[0].(map[string]any)
				if r["household"] != name || r["purpose"] != "verification" || r["action"] != "AUDIT_ACTION_READ" || m["total_size"] != float64(1) {
					t.Errorf("audit record %v (total %v)", r, m["total_size"])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no audit record of the plain read: %v", m)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// By 身份证号: the number in a POST body, then the person's reads by id.
		code, body := c.do(t, http.MethodPost, "/v1/auditRecords:lookupPerson", auditor, map[string]any{"id_number": idNumber("19650304", 71)})
		expect(t, code, body, http.StatusOK, "")
		person, _ := decode(t, body)["person_id"].(string)
		byPerson := get(t, "/v1/auditRecords?filter="+url.QueryEscape(`person_id = "`+person+`"`), auditor)
		if rs, _ := byPerson["audit_records"].([]any); person == "" || len(rs) == 0 {
			t.Errorf("reads of person %q: %v", person, byPerson)
		}
		code, body = c.do(t, http.MethodGet, "/v1/auditRecords", admin, nil)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		// The subsidies service's log, at its own route, for its own auditors.
		m := get(t, "/v1/reliefAuditRecords?page_size=5", c.token("civil_affairs", "auditor", ""))
		if _, ok := m["audit_records"]; !ok && m["total_size"] != nil {
			t.Errorf("reliefAuditRecords: %v", m)
		}
		code, body = c.do(t, http.MethodGet, "/v1/reliefAuditRecords", c.token("rural_revitalization", "auditor", ""), nil)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	})

	t.Run("the inbox counts the cases waiting for the caller", func(t *testing.T) {
		m := get(t, "/v1/inboxItems?page_size=1", c.token("rural_revitalization", "village_officer", village))
		items, _ := m["inbox_items"].([]any)
		total, _ := m["total_size"].(float64)
		if int(total) < len(items) || len(items) > 1 {
			t.Errorf("inbox page %v", m)
		}
		for _, it := range items {
			if r := it.(map[string]any)["region_code"].(string); !strings.HasPrefix(r, village) {
				t.Errorf("an item of %s in a village officer's inbox", r)
			}
		}
		// 民政's inbox at subsidies' own route; the register's is not theirs.
		get(t, "/v1/reliefInboxItems?page_size=1", c.token("civil_affairs", "township_officer", village[:9]))
		code, body := c.do(t, http.MethodGet, "/v1/inboxItems", c.token("civil_affairs", "township_officer", village[:9]), nil)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	})
}
