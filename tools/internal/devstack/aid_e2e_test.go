package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// TestZeroEmploymentAidEndToEnd walks 零就业 aid through REST on the started county: 乡村振兴局 registers a
// household and confirms it poor; the labour ledger follows it and, with no one working, the household
// appears on 人社's 零就业 list with an aid case at once. 人社 records an offer of a 公益岗; closing as
// employed is refused until the ledger holds the member's spell; recording the spell closes it as employed
// and takes the household off the list. 民政 writing is refused with 403; a township officer of another township does not see it.
func TestZeroEmploymentAidEndToEnd(t *testing.T) {
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

	hh := post(register, "/v1/households", household("990001002003", "AID-1", 61))
	name := hh["name"].(string)
	post(register, "/v1/"+name+":setRegistryStatus", map[string]any{"registry_status": "REGISTRY_STATUS_POOR",
		"effective_date": today, "reason": "县定"})

	// The follower lists it as the register's change arrives: wait for it.
	var listed map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := get(hr, "/v1/employment/zeroEmploymentHouseholds?region_code=990001002")
		if hs, _ := l["zero_employment_households"].([]any); len(hs) > 0 {
			for _, h := range hs {
				if h.(map[string]any)["household"] == name {
					listed = h.(map[string]any)
				}
			}
		}
		if listed != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("household %s never listed: %v", name, l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if listed["aid_case_open"] != true || listed["listed_on"] != today {
		t.Fatalf("listed %v", listed)
	}
	caseName := listed["aid_case"].(string)
	able := listed["able_members"].([]any)
	member := able[0].(string)
	if l := get(otherTownship, "/v1/employment/zeroEmploymentHouseholds"); l["total_size"] != nil && l["total_size"] != float64(0) {
		for _, h := range l["zero_employment_households"].([]any) {
			if h.(map[string]any)["household"] == name {
				t.Fatalf("another township sees the household: %v", l)
			}
		}
	}

	offer := map[string]any{"offer": map[string]any{"kind": "AID_OFFER_KIND_POST", "member": member, "description": "村道保洁公益岗",
		"response": "AID_OFFER_RESPONSE_ACCEPTED"}}
	code, body := c.do(t, http.MethodPost, "/v1/employment/"+caseName+":recordOffer", civil, offer)
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	k := post(hr, "/v1/employment/"+caseName+":recordOffer", offer)
	if offers := k["offers"].([]any); len(offers) != 1 {
		t.Fatalf("case after the offer %v", k)
	}

	closing := map[string]any{"outcome": "AID_OUTCOME_EMPLOYED", "employed_member": member}
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+caseName+":close", civil, closing)
	expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+caseName+":close", hr, closing)
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")
	if !strings.Contains(string(body), "AID_MEMBER_NOT_EMPLOYED") {
		t.Fatalf("refusal without a spell: %s", body)
	}

	// The member starts the post: 人社 records the spell in the labour ledger, which in the same
	// transaction takes the household off the list and closes the case as employed (援助成功).
	post(hr, "/v1/employment/"+member+"/spells", map[string]any{"work_status": "WORK_STATUS_LOCAL_TOWNSHIP",
		"mode": "EMPLOYMENT_MODE_WELFARE_POST", "employer": "村委会", "monthly_income_fen": 60000, "from_month": today[:7]})
	k = get(hr, "/v1/employment/"+caseName)
	if k["open"] == true || k["outcome"] != "AID_OUTCOME_EMPLOYED" || k["employed_member"] != member || k["closed_on"] != today {
		t.Fatalf("closed case %v", k)
	}
	code, body = c.do(t, http.MethodPost, "/v1/employment/"+caseName+":close", hr, closing)
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")
	l := get(hr, "/v1/employment/zeroEmploymentHouseholds?region_code=990001002")
	for _, h := range asList(l["zero_employment_households"]) {
		if h.(map[string]any)["household"] == name {
			t.Fatalf("the household is still listed after a member found work: %v", l)
		}
	}
	cases := get(hr, "/v1/employment/aidCases?overdue_on="+today)
	for _, k := range asList(cases["aid_cases"]) {
		if k.(map[string]any)["name"] == caseName {
			t.Fatalf("a closed case is overdue: %v", cases)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
