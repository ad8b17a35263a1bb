package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// TestLabourLedgerEndToEnd walks the labour ledger through REST on the started county: 乡村振兴局 registers a
// household and confirms it poor; the ledger follows it (the 58-year-old spouse ACTIVE, the 61-year-old head
// outside the working age). 人社 records a spell, 民政 is refused (403); 人社's quarterly file is uploaded
// through the gateway's own route, a dry run first, then for real, its unmatched row reported; the
// person's record shows both spells; a township officer of another township does not find the person.
func TestLabourLedgerEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: t.TempDir(), DeployDir: "../../../deploy", FastEtcd: true, DemoHouseholds: 20,
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
	waitHealthy(t, stack.GatewayURL)
	c := &client{t: t, base: stack.GatewayURL, stack: stack}
	register := c.token("rural_revitalization", "county_admin", "")
	hr := c.token("human_resources", "department_staff", "")
	civil := c.token("civil_affairs", "department_staff", "")
	otherTownship := c.token("human_resources", "township_officer", "990001001")
	today := bizdate.Today(time.Now())
	call := func(token, method, path string, req any, want int) map[string]any {
		t.Helper()
		code, body := c.do(t, method, path, token, req)
		expect(t, code, body, want, "")
		return decode(t, body)
	}

	hh := call(register, http.MethodPost, "/v1/households", household("990001002003", "LAB-1", 71), http.StatusOK)
	name := hh["name"].(string)
	call(register, http.MethodPost, "/v1/"+name+":setRegistryStatus", map[string]any{"registry_status": "REGISTRY_STATUS_EXITED",
		"effective_date": today, "reason": "县定"}, http.StatusOK)
	q := "/v1/employment/labourers?filter=" + url.QueryEscape(`household = "`+strings.TrimPrefix(name, "households/")+`"`)
	var ls []any
	for deadline := time.Now().Add(30 * time.Second); len(ls) < 2; time.Sleep(100 * time.Millisecond) {
		ls = asList(call(hr, http.MethodGet, q, nil, http.StatusOK)["labourers"])
		if time.Now().After(deadline) {
			t.Fatalf("the ledger never followed %s: %v", name, ls)
		}
	}
	var spouse string
	for _, l := range ls {
		m := l.(map[string]any)
		switch m["state"] {
		case "LABOURER_STATE_ACTIVE":
			spouse = m["name"].(string)
		case "LABOURER_STATE_OUTSIDE_WORKING_AGE":
		default:
			t.Fatalf("record %v", m)
		}
	}
	if spouse == "" {
		t.Fatalf("no active record: %v", ls)
	}

	spell := map[string]any{"work_status": "WORK_STATUS_IN_COUNTY", "mode": "EMPLOYMENT_MODE_WORKSHOP", "employer": "县帮扶车间",
		"monthly_income_fen": 180000, "from_month": "2025-01", "to_month": "2025-06"}
	code, body := c.do(t, http.MethodPost, "/v1/employment/"+spouse+"/spells", civil, spell)
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	call(hr, http.MethodPost, "/v1/employment/"+spouse+"/spells", spell, http.StatusOK)
	code, body = c.do(t, http.MethodGet, "/v1/employment/"+spouse, otherTownship, nil)
	expect(t, code, body, http.StatusNotFound, "NOT_FOUND")

	file := "姓名,身份证号,务工状况,就业方式,就业单位,务工地点,月收入（元）,起始年月,截止年月,就业意愿\n" +
		"李秀英," + idNumber("19680512", 72) + ",04,务工,广东某厂,44,4500,2025-07,,是\n" +
		"某某," + idNumber("19800101", 99) + ",02,灵活就业,,,1000,2025-07,,\n"
	upload := func(token string, dryRun bool) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.base+"/v1/employment/labourImports:upload?file_name=2025Q3.csv&dry_run="+
			map[bool]string{true: "true", false: "false"}[dryRun], strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, decode(t, b)
	}
	if code, _ := upload(civil, false); code != http.StatusForbidden {
		t.Fatalf("民政's upload: HTTP %d", code)
	}
	for _, dry := range []bool{true, false} {
		code, resp := upload(hr, dry)
		sum, _ := resp["summary"].(map[string]any)
		if code != http.StatusOK || sum["applied"] != "1" || sum["unmatched"] != "1" || resp["issues_total"] != "1" {
			t.Fatalf("upload (dry run %v): HTTP %d %v", dry, code, resp)
		}
	}
	l := call(hr, http.MethodGet, "/v1/employment/"+spouse, nil, http.StatusOK)
	if spells := asList(l["spells"]); len(spells) != 2 || l["wants_work"] != true {
		t.Fatalf("the labourer after the upload: %v", l)
	}
}
