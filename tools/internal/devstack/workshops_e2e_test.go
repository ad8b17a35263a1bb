package devstack_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// TestWorkshopsAndSubsidiesOverREST drives 人社's 就业帮扶车间 and employment subsidies through the gateway,
// as the portal does: the routes, JSON field names and access rules of the contract. The labour ledger
// follows the register (a 脱贫 household registered here); its members' 车间 spells are recorded through the
// ledger's API.
func TestWorkshopsAndSubsidiesOverREST(t *testing.T) {
	stack := startStack(t, devstack.Options{})
	c := &client{t: t, base: stack.GatewayURL, stack: stack}
	hr := c.token("human_resources", "department_staff", "")
	township := c.token("human_resources", "township_officer", "990001002")
	register := c.token("rural_revitalization", "county_admin", "")
	month := bizdate.Today(time.Now())[:7]
	start := shiftMonth(month, -7)

	workshop := map[string]any{"display_name": "幸福扶贫车间", "credit_code": "91420602MA4KXY123R", "region_code": "990001002003",
		"address": "三组", "kind": "WORKSHOP_KIND_FACTORY", "registered_on": start + "-01"}
	code, body := c.do(t, http.MethodPost, "/v1/employment/workshops", c.token("civil_affairs", "department_staff", ""), map[string]any{"workshop": workshop})
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	bad := map[string]any{"display_name": "车间", "credit_code": "91420602MA4KXY123Q", "region_code": "990001002003", "address": "三组", "kind": "WORKSHOP_KIND_FACTORY"}
	code, body = c.do(t, http.MethodPost, "/v1/employment/workshops", hr, map[string]any{"workshop": bad})
	expect(t, code, body, http.StatusBadRequest, "INVALID_ARGUMENT")
	if !strings.Contains(string(body), `"workshop.credit_code"`) {
		t.Fatalf("the refusal does not name workshop.credit_code: %s", body)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/workshops", hr, map[string]any{"workshop": workshop})
	expect(t, code, body, http.StatusOK, "")
	w := decode(t, body)
	if w["state"] != "WORKSHOP_STATE_REGISTERED" || w["credit_code"] != "91420602MA4KXY123R" {
		t.Fatalf("workshop %v", w)
	}
	name := w["name"].(string)

	// A 脱贫 household of five working-age members: the ledger takes them from the register.
	members := []map[string]any{}
	relations := []string{"RELATION_HEAD", "RELATION_SPOUSE", "RELATION_SON", "RELATION_DAUGHTER", "RELATION_SON"}
	for i, rel := range relations {
		members = append(members, map[string]any{"full_name": fmt.Sprintf("王%d", i), "id_number": idNumber(fmt.Sprintf("19%02d0304", 70+i*3), 300+i),
			"relation_to_head": rel})
	}
	code, body = c.do(t, http.MethodPost, "/v1/households", register, map[string]any{"region_code": "990001002003", "address": "三组",
		"household_number": "WS-1", "members": members, "registration_date": "2020-01-01", "registration_backdate_reason": "纸质台账迁入"})
	expect(t, code, body, http.StatusOK, "")
	h := decode(t, body)
	code, body = c.do(t, http.MethodPost, "/v1/"+h["name"].(string)+":setRegistryStatus", register, map[string]any{
		"registry_status": "REGISTRY_STATUS_EXITED", "effective_date": bizdate.Today(time.Now()), "reason": "县定"})
	expect(t, code, body, http.StatusOK, "")
	var persons []string
	deadline := time.Now().Add(30 * time.Second)
	for len(persons) < 5 {
		code, body = c.do(t, http.MethodGet, "/v1/employment/labourers?filter="+url.QueryEscape(`state = ACTIVE`), hr, nil)
		expect(t, code, body, http.StatusOK, "")
		persons = persons[:0]
		ls, _ := decode(t, body)["labourers"].([]any)
		for _, l := range ls {
			persons = append(persons, l.(map[string]any)["person_id"].(string))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ledger has %d of the household's 5 members", len(persons))
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, p := range persons {
		code, body = c.do(t, http.MethodPost, "/v1/employment/labourers/"+p+"/spells", hr, map[string]any{
			"work_status": "WORK_STATUS_LOCAL_TOWNSHIP", "mode": "EMPLOYMENT_MODE_WORKSHOP", "employer": "91420602MA4KXY123R",
			"monthly_income_fen": "250000", "from_month": start})
		expect(t, code, body, http.StatusOK, "")
	}

	code, body = c.do(t, http.MethodPost, "/v1/employment/"+name+":recognise", hr, map[string]any{})
	expect(t, code, body, http.StatusOK, "")
	if r := decode(t, body); r["state"] != "WORKSHOP_STATE_RECOGNISED" {
		t.Fatalf("recognised %v", r)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+name+"/insurances", hr, map[string]any{"insurance": map[string]any{
		"policy_number": "PICC-E2E", "insurer": "人保财险", "from_month": start, "to_month": month, "premium_fen": "1500", "person_ids": persons}})
	expect(t, code, body, http.StatusOK, "")
	code, body = c.do(t, http.MethodGet, "/v1/employment/"+name+"/workers?month="+shiftMonth(month, -1), township, nil)
	expect(t, code, body, http.StatusOK, "")
	if ws := decode(t, body); len(ws["workers"].([]any)) != 5 || ws["reward_fen"] != "200000" {
		t.Fatalf("workers %v", ws)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+name+"/rewards:grant", township, map[string]any{"month": shiftMonth(month, -1)})
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+name+"/rewards:grant", hr, map[string]any{"month": shiftMonth(month, -1)})
	expect(t, code, body, http.StatusOK, "")
	if rs := decode(t, body)["rewards"].([]any); len(rs) != 5 {
		t.Fatalf("rewards %v", rs)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+name+"/rewards:grant", hr, map[string]any{"month": month})
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")

	// A training allowance: applied, checked by the township, approved by 人社, 15 元 a day attended.
	training := map[string]any{"kind": "EMPLOYMENT_SUBSIDY_KIND_TRAINING_ALLOWANCE", "person_id": persons[0], "training": map[string]any{
		"course": "电工", "provider": "县职业技术学校", "start_date": start + "-01", "end_date": start + "-10", "days_attended": 9}}
	code, body = c.do(t, http.MethodPost, "/v1/employment/employmentSubsidies", c.token("civil_affairs", "department_staff", ""), training)
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	code, body = c.do(t, http.MethodPost, "/v1/employment/employmentSubsidies", township, training)
	expect(t, code, body, http.StatusOK, "")
	s := decode(t, body)
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+s["name"].(string)+":check", township, map[string]any{"approved": true})
	expect(t, code, body, http.StatusOK, "")
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+s["name"].(string)+":review", hr, map[string]any{"approved": true})
	expect(t, code, body, http.StatusOK, "")
	if s = decode(t, body); s["outcome"] != "EMPLOYMENT_SUBSIDY_OUTCOME_APPROVED" || s["amount_fen"] != "13500" || s["paid_month"] != month {
		t.Fatalf("approved %v", s)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/employmentSubsidies", township, training)
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")
	code, body = c.do(t, http.MethodGet, "/v1/employment/employmentSubsidies?filter="+url.QueryEscape(`kind = "training_allowance"`), township, nil)
	expect(t, code, body, http.StatusOK, "")
	if list := decode(t, body)["employment_subsidies"].([]any); len(list) != 1 {
		t.Fatalf("list %v", list)
	}
}

// shiftMonth moves a YYYY-MM month by n months.
func shiftMonth(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, n, 0).Format("2006-01")
}
