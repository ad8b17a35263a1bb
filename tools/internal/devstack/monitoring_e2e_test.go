package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// TestMonitoringOverREST drives income assessment and monitoring through the gateway, as the county's
// portal and other departments' systems do: the routes, JSON field names and access rules of the contract.
func TestMonitoringOverREST(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: t.TempDir(), DeployDir: "../../../deploy", FastEtcd: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	today := bizdate.Today(time.Now())

	code, body := c.do(t, http.MethodPost, "/v1/households", admin, household("990001002003", "MON-1", 71))
	expect(t, code, body, http.StatusOK, "")
	h := decode(t, body)["name"].(string)

	code, body = c.do(t, http.MethodPost, "/v1/"+h+"/incomeItems:batchCreate", admin, map[string]any{
		"items": []map[string]any{
			{"type": "INCOME_ITEM_TYPE_WAGES", "source": "INCOME_SOURCE_SURVEY", "period": today[:7], "amount_fen": 300000},
			{"type": "INCOME_ITEM_TYPE_RIGID_SPENDING", "rigid_spending_kind": "RIGID_SPENDING_KIND_MEDICAL",
				"source": "INCOME_SOURCE_SURVEY", "period": today, "amount_fen": 50000},
		}})
	expect(t, code, body, http.StatusOK, "")

	code, body = c.do(t, http.MethodPost, "/v1/"+h+":assessIncome", admin, map[string]any{"as_of_date": today})
	expect(t, code, body, http.StatusOK, "")
	if a := decode(t, body); a["net_fen"] != "300000" || a["per_capita_fen"] != "150000" || a["medical_spending_fen"] != "50000" {
		t.Errorf("assessment %v", a)
	}

	code, body = c.do(t, http.MethodPost, "/v1/clues", c.token("medical_security", "department_staff", ""), map[string]any{
		"id_number": idNumber("19650304", 71),
		"clue": map[string]any{"source": "CLUE_SOURCE_DEPARTMENT_SCREENING", "kind": "CLUE_KIND_ILLNESS",
			"facts": "住院", "external_reference": "YB-REST-1"}})
	expect(t, code, body, http.StatusOK, "")
	clue := decode(t, body)
	if clue["household"] != h || clue["department"] != "DEPARTMENT_MEDICAL_SECURITY" || clue["stage"] != "MONITORING_STAGE_OPEN" {
		t.Errorf("clue %v", clue)
	}
	code, body = c.do(t, http.MethodGet, "/v1/"+clue["name"].(string), admin, nil)
	expect(t, code, body, http.StatusOK, "")
	code, body = c.do(t, http.MethodGet, "/v1/clues:overdue?as_of_date="+today, admin, nil)
	expect(t, code, body, http.StatusOK, "")
	code, body = c.do(t, http.MethodGet, "/v1/clues?filter=kind%20%3D%20CLUE_KIND_ILLNESS", c.token("civil_affairs", "department_staff", ""), nil)
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")

	code, body = c.do(t, http.MethodPost, "/v1/screeningRuns", admin, map[string]any{})
	expect(t, code, body, http.StatusOK, "")
	if run := decode(t, body); run["income_clues"] != "1" {
		t.Errorf("screening run %v", run)
	}

	code, body = c.do(t, http.MethodPost, "/v1/"+clue["name"].(string)+":verify", admin, map[string]any{
		"verification": map[string]any{"outcome": true, "proposed_type": "MONITORING_TYPE_MARGINAL", "findings": "大病住院"}})
	expect(t, code, body, http.StatusOK, "")
	if v := decode(t, body); v["stage"] != "MONITORING_STAGE_VERIFIED" {
		t.Errorf("verified %v", v)
	}
	code, body = c.do(t, http.MethodPost, "/v1/"+clue["name"].(string)+":decide", admin, map[string]any{"confirm": true})
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")
}
