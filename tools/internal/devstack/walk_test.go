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

// TestHouseholdWalkEndToEnd walks one household through REST from registration to a county decision
// that includes it (精准识别) and then to its exit (脱贫退出), and checks what the trail and the village
// statistics say afterwards. The township's posting period is set to 0 days in etcd for the walk (a
// policy change the running service takes without restart), so the walk happens on one day.
func TestHouseholdWalkEndToEnd(t *testing.T) {
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
	admin := c.token("rural_revitalization", "county_admin", "")
	staff := c.token("rural_revitalization", "department_staff", "")
	township := c.token("rural_revitalization", "township_officer", "990001002")
	today := bizdate.Today(time.Now())
	year := today[:4]

	for _, p := range []string{"identification.posting_days", "identification.exit.posting_days"} {
		if err := policy.Set(ctx, stack.Etcd, p, "990001002", today, json.RawMessage("0")); err != nil {
			t.Fatal(err)
		}
	}
	waitPolicy(t, c, admin, "identification.exit.posting_days", "990001002003", 0)

	code, body := c.do(t, http.MethodPost, "/v1/households", admin, household("990001002003", "WALK-1", 21))
	expect(t, code, body, http.StatusOK, "")
	hh := decode(t, body)["name"].(string)

	post := func(token, path string, req map[string]any) map[string]any {
		t.Helper()
		code, body := c.do(t, http.MethodPost, path, token, req)
		expect(t, code, body, http.StatusOK, "")
		return decode(t, body)
	}
	caseName := func(kind string) string {
		k := post(staff, "/v1/cases", map[string]any{"kind": kind, "household": hh, "year": year, "note": "户报"})
		return k["name"].(string)
	}

	// 精准识别: application → survey → village review → posting → township review → county decision.
	id := caseName("identification")
	post(staff, "/v1/"+id+":recordSurvey", map[string]any{"team": []string{"张三", "李四"}, "household_survey": map[string]any{
		"per_capita_income_fen": 250000, "house_safety_grade": "HOUSE_SAFETY_GRADE_B", "safe_drinking_water": true,
		"school_dropout": "SCHOOL_DROPOUT_NONE", "household_labour": "HOUSEHOLD_LABOUR_ABLE"}})
	post(staff, "/v1/"+id+":recordVillageReview", map[string]any{"registered_representatives": 40, "present": 30, "votes_for": 20})
	post(staff, "/v1/"+id+":startPosting", map[string]any{"note": "村务公开栏"})
	// A decision before the township has reviewed is refused, naming the step expected.
	code, body = c.do(t, http.MethodPost, "/v1/"+id+":decide", admin, map[string]any{"outcome": "CASE_OUTCOME_APPROVED"})
	expect(t, code, body, http.StatusBadRequest, "FAILED_PRECONDITION")
	post(staff, "/v1/"+id+":completePosting", map[string]any{"note": "公示期满无异议"})
	post(township, "/v1/"+id+":recordTownshipReview", map[string]any{"approved": true, "note": "同意"})
	decided := post(admin, "/v1/"+id+":decide", map[string]any{"outcome": "CASE_OUTCOME_APPROVED", "note": "县级审定"})
	if d := decided["decision"].(map[string]any); d["outcome"] != "CASE_OUTCOME_APPROVED" || !strings.Contains(d["explanation"].(string), "2,995") {
		t.Errorf("decision %v", d)
	}
	code, body = c.do(t, http.MethodGet, "/v1/"+hh, admin, nil)
	expect(t, code, body, http.StatusOK, "")
	if got := decode(t, body)["registry_status"]; got != "REGISTRY_STATUS_POOR" {
		t.Fatalf("after inclusion the household is %v", got)
	}

	// 脱贫退出: income above the line, 两不愁三保障 + 饮水安全, consent, posting, township, county.
	exit := caseName("exit")
	post(staff, "/v1/"+exit+":recordSurvey", map[string]any{"team": []string{"张三", "李四"}, "exit_survey": map[string]any{
		"per_capita_income_fen": 560000, "food_and_clothing": true, "compulsory_education": true,
		"basic_medical_insurance": true, "safe_housing": true, "safe_drinking_water": true, "consent_signed": true}})
	post(staff, "/v1/"+exit+":startPosting", map[string]any{})
	post(staff, "/v1/"+exit+":completePosting", map[string]any{})
	post(township, "/v1/"+exit+":recordTownshipReview", map[string]any{"approved": true})
	post(admin, "/v1/"+exit+":decide", map[string]any{"outcome": "CASE_OUTCOME_APPROVED"})
	code, body = c.do(t, http.MethodGet, "/v1/"+hh, admin, nil)
	expect(t, code, body, http.StatusOK, "")
	after := decode(t, body)
	if after["registry_status"] != "REGISTRY_STATUS_EXITED" || after["exit_year"] != json.Number(year) && after["exit_year"] != float64(atoi(year)) {
		t.Fatalf("after exit: status %v, exit year %v", after["registry_status"], after["exit_year"])
	}

	// The trail holds every step of both cases and the status changes, with actors.
	code, body = c.do(t, http.MethodGet, "/v1/"+hh+"/trail", admin, nil)
	expect(t, code, body, http.StatusOK, "")
	trail := string(body)
	for _, kind := range []string{"identification.application", "identification.village_review", "identification.county_decision",
		"exit.survey", "exit.county_decision", "status_changed"} {
		if !strings.Contains(trail, `"`+kind+`"`) {
			t.Errorf("trail lacks %s", kind)
		}
	}

	// The village's statistics count the exit of this year.
	code, body = c.do(t, http.MethodGet, "/v1/regions/990001002003/statistics?as_of_date="+today, admin, nil)
	expect(t, code, body, http.StatusOK, "")
	var stats struct {
		Regions []struct {
			RegionCode string `json:"region_code"`
			Exits      []struct {
				Year       int32 `json:"year"`
				Households int64 `json:"households,string"`
			} `json:"exits"`
		} `json:"regions"`
	}
	if err := json.Unmarshal(body, &stats); err != nil {
		t.Fatalf("statistics %s: %v", body, err)
	}
	found := false
	for _, r := range stats.Regions {
		for _, e := range r.Exits {
			if r.RegionCode == "990001002003" && e.Year == int32(atoi(year)) && e.Households >= 1 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no exit counted in %s", body)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func waitPolicy(t *testing.T, c *client, token, parameter, region string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := c.do(t, http.MethodGet, "/v1/policy/"+parameter+"?region_code="+region, token, nil)
		if decode(t, body)["value"] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy %s still %s", parameter, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
