package devstack_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/tools/internal/devstack"
)

// TestSubsidiesEndToEnd walks the subsidies service through REST on the started county, with 民政 and 残联
// tokens: 残联 registers a disability certificate for a person of the register and grants a care subsidy
// (township first check, 残联 review); 民政 takes the household through a 低保 case to approval; each
// department computes and approves its own program's payment roll; 民政 runs the 两线合一 comparison. Each
// department writing the other's data is refused with 403.
func TestSubsidiesEndToEnd(t *testing.T) {
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
	civil := c.token("civil_affairs", "department_staff", "")
	civilAdmin := c.token("civil_affairs", "county_admin", "")
	federation := c.token("disabled_persons_federation", "department_staff", "")
	federationAdmin := c.token("disabled_persons_federation", "county_admin", "")
	federationTownship := c.token("disabled_persons_federation", "township_officer", "990001002")
	today := bizdate.Today(time.Now())
	month := today[:7]

	// The township posts 低保 cases for 0 days in this walk, so it happens on one day (policy in etcd,
	// taken by the running service without restart).
	if err := policy.Set(ctx, stack.Etcd, "subsidies.dibao.posting_days", "990001002", today, json.RawMessage("0")); err != nil {
		t.Fatal(err)
	}
	waitPolicy(t, c, register, "subsidies.dibao.posting_days", "990001002003", 0)

	post := func(token, path string, req any) map[string]any {
		t.Helper()
		code, body := c.do(t, http.MethodPost, path, token, req)
		expect(t, code, body, http.StatusOK, "")
		return decode(t, body)
	}
	get := func(token, path string) map[string]any {
		t.Helper()
		code, body := c.do(t, http.MethodGet, path, token, nil)
		expect(t, code, body, http.StatusOK, "")
		return decode(t, body)
	}
	forbidden := func(token, path string, req any) {
		t.Helper()
		code, body := c.do(t, http.MethodPost, path, token, req)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	}

	hh := post(register, "/v1/households", household("990001002003", "SUB-1", 41))
	household := hh["name"].(string)
	// The head's certificate: his 身份证号, category 4 (肢体, physical), grade 1.
	certNumber := idNumber("19650304", 41) + "41"

	// 残联: the certificate register and the care subsidy.
	forbidden(civil, "/v1/certificates:register", map[string]any{"number": certNumber, "issue_date": today})
	cert := post(federation, "/v1/certificates:register", map[string]any{"number": certNumber, "issue_date": today})
	if strings.Contains(string(mustJSON(t, cert)), idNumber("19650304", 41)) {
		t.Fatalf("the certificate came back with a plain 身份证号: %v", cert)
	}
	if cert["category"] != "DISABILITY_CATEGORY_PHYSICAL" || cert["grade"] != float64(1) || cert["status"] != "CERTIFICATE_STATUS_VALID" ||
		cert["household"] != household {
		t.Fatalf("certificate %v: want physical, grade 1, valid, of %s", cert, household)
	}
	apply := map[string]any{"kind": "DISABILITY_SUBSIDY_KIND_CARE", "certificate": cert["name"]}
	forbidden(civil, "/v1/disabilitySubsidies", apply)
	sub := post(federation, "/v1/disabilitySubsidies", apply)
	post(federationTownship, "/v1/"+sub["name"].(string)+":check", map[string]any{"approved": true, "note": "乡镇初审同意"})
	sub = post(federationAdmin, "/v1/"+sub["name"].(string)+":review", map[string]any{"approved": true, "note": "残联审核同意"})
	if sub["state"] != "DISABILITY_SUBSIDY_STATE_CLOSED" {
		t.Fatalf("care subsidy after review: %v", sub)
	}

	// 民政: a 低保 case from application to the county's decision.
	forbidden(federation, "/v1/dibaoCases", map[string]any{"household": household})
	k := post(civil, "/v1/dibaoCases", map[string]any{"household": household, "details": map[string]any{"note": "户主申请"}})
	name := k["name"].(string)
	post(civil, "/v1/"+name+":recordSurvey", map[string]any{"team": []string{"张", "李"},
		"income": map[string]any{"items": map[string]any{"items": []map[string]any{
			{"description": "务工", "amount_fen": 720_000, "months": 12}}}}})
	post(civil, "/v1/"+name+":recordVillageReview", map[string]any{"registered_representatives": 30, "present": 21, "votes_for": 18})
	post(civil, "/v1/"+name+":startPosting", map[string]any{})
	post(civil, "/v1/"+name+":completePosting", map[string]any{})
	post(civil, "/v1/"+name+":recordTownshipReview", map[string]any{"approved": true})
	k = post(civilAdmin, "/v1/"+name+":decide", map[string]any{"outcome": "RELIEF_CASE_OUTCOME_APPROVED"})
	if k["coverage"] == nil || k["coverage"] == "" {
		t.Fatalf("approved 低保 case without coverage: %v", k)
	}

	// Each department computes and approves its own program's roll, and only its own.
	forbidden(civil, "/v1/paymentRolls:compute", map[string]any{"program": "PROGRAM_CARE_SUBSIDY", "month": month})
	forbidden(federation, "/v1/paymentRolls:compute", map[string]any{"program": "PROGRAM_DIBAO", "month": month})
	care := post(federation, "/v1/paymentRolls:compute", map[string]any{"program": "PROGRAM_CARE_SUBSIDY", "month": month})
	dibao := post(civil, "/v1/paymentRolls:compute", map[string]any{"program": "PROGRAM_DIBAO", "month": month})
	for _, roll := range []map[string]any{care, dibao} {
		totals, _ := roll["totals"].(map[string]any)
		if totals == nil || totals["line_count"] == "0" || totals["line_count"] == nil {
			t.Fatalf("roll %s has no lines: %v", roll["name"], roll)
		}
	}
	lines := get(federation, "/v1/"+care["name"].(string)+"/lines")
	if ls, _ := lines["lines"].([]any); len(ls) != 1 || ls[0].(map[string]any)["amount_fen"] != "10000" {
		t.Fatalf("care subsidy roll lines %v, want one line of 100 元", lines)
	}
	forbidden(civilAdmin, "/v1/"+care["name"].(string)+":approve", map[string]any{})
	approved := post(federationAdmin, "/v1/"+care["name"].(string)+":approve", map[string]any{})
	if approved["state"] != "ROLL_STATE_APPROVED" {
		t.Fatalf("approved roll %v", approved)
	}
	code, body := c.do(t, http.MethodGet, "/v1/"+care["name"].(string)+":export?format=ROLL_EXPORT_FORMAT_CSV", federation, nil)
	expect(t, code, body, http.StatusOK, "")
	csv := string(body)
	if strings.Contains(csv, idNumber("19650304", 41)) || !strings.Contains(csv, "重度残疾人护理补贴") ||
		!strings.Contains(csv, ",10000,100.00,") || strings.Count(strings.TrimSpace(csv), "\n") != 1 {
		t.Fatalf("CSV export: want a header and one line of 100 元, no 身份证号:\n%s", csv)
	}

	// 两线合一: 民政 runs the comparison; the register's department reads it.
	forbidden(federation, "/v1/comparisons", map[string]any{"month": month})
	cmp := post(civilAdmin, "/v1/comparisons", map[string]any{"month": month})
	got := get(register, "/v1/"+cmp["name"].(string))
	if got["dibao_households"] != "1" && got["dibao_households"] != float64(1) {
		t.Fatalf("comparison %v: want the one 低保 household", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
