package devstack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// TestWelfarePostsEndToEnd walks 公益岗 through REST on the started county with 人社's tokens: a 脱贫
// household's member, on the labour ledger once employment has followed the register, is nominated by
// the village for a post starting last month (the paper records entered late, so the steps are back-dated
// with a reason), reviewed by the township, posted for 5 days, appointed by 人社, insured; last month's
// attendance is approved and paid on the month's wage roll, which 人社 approves and hands to 财政. Other
// departments writing are refused with 403.
func TestWelfarePostsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: t.TempDir(), DeployDir: "../../../deploy", FastEtcd: true, DemoHouseholds: 5,
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
	hrAdmin := c.token("human_resources", "county_admin", "")
	const village = "990001002003"
	villageOfficer := c.token("human_resources", "village_officer", village)
	township := c.token("human_resources", "township_officer", village[:9])
	civil := c.token("civil_affairs", "department_staff", "")

	now := time.Now().In(bizdate.Location)
	start := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, bizdate.Location) // the 1st of last month
	month := start.Format("2006-01")
	day := func(d time.Time) string { return d.Format(bizdate.Layout) }
	nominated, posted, completed := start.AddDate(0, 0, -12), start.AddDate(0, 0, -11), start.AddDate(0, 0, -6)
	late := "纸质材料补录"

	post := func(token, path string, req any) map[string]any {
		t.Helper()
		code, body := c.do(t, http.MethodPost, path, token, req)
		expect(t, code, body, http.StatusOK, "")
		return decode(t, body)
	}
	refused := func(token, path string, req any, want int, status string) {
		t.Helper()
		code, body := c.do(t, http.MethodPost, path, token, req)
		expect(t, code, body, want, status)
	}

	hh := post(register, "/v1/households", map[string]any{"region_code": village, "address": "一组", "household_number": "POST-1",
		"registration_date": day(nominated.AddDate(-1, 0, 0)), "registration_backdate_reason": late,
		"members": []map[string]any{
			{"full_name": "周桂兰", "id_number": idNumber("19640305", 71), "relation_to_head": "RELATION_HEAD",
				"labour_ability": "LABOUR_ABILITY_PARTIAL"},
		}})
	person := hh["members"].([]any)[0].(map[string]any)["person_id"].(string)
	post(register, "/v1/"+hh["name"].(string)+":setRegistryStatus", map[string]any{"registry_status": "REGISTRY_STATUS_EXITED",
		"effective_date": day(now), "reason": "县定"})
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := c.do(t, http.MethodGet, "/v1/employment/labourers/"+person, hr, nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ledger did not follow the register: HTTP %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}

	welfarePost := map[string]any{"region_code": village, "kind": "WELFARE_POST_KIND_RURAL", "title": "村道保洁员",
		"funding": "WELFARE_POST_FUNDING_LINKAGE", "funding_note": "衔接资金"}
	refused(civil, "/v1/employment/welfarePosts", welfarePost, http.StatusForbidden, "PERMISSION_DENIED")
	p := post(hr, "/v1/employment/welfarePosts", welfarePost)
	if p["monthly_fen"] != "30000" || p["min_days"] != float64(3) {
		t.Fatalf("post %v: want policy's 300 元 and 3 days", p)
	}
	a := post(villageOfficer, "/v1/employment/welfarePostAssignments", map[string]any{
		"welfare_post_assignment": map[string]any{"post": p["name"], "person_id": person, "start_date": day(start)},
		"occurred_at":             day(nominated), "backdate_reason": late})
	name := a["name"].(string)
	back := func(d time.Time) map[string]any {
		return map[string]any{"occurred_at": day(d), "backdate_reason": late}
	}
	review := back(nominated)
	review["approved"] = true
	post(township, "/v1/employment/"+name+":review", review)
	post(villageOfficer, "/v1/employment/"+name+":startPosting", back(posted))
	post(villageOfficer, "/v1/employment/"+name+":completePosting", back(completed))
	refused(civil, "/v1/employment/"+name+":appoint", map[string]any{"approved": true}, http.StatusForbidden, "PERMISSION_DENIED")
	a = post(hr, "/v1/employment/"+name+":appoint", map[string]any{"approved": true})
	if a["state"] != "WELFARE_POST_ASSIGNMENT_STATE_ACTIVE" || len(a["steps"].([]any)) != 4 || len(a["postings"].([]any)) != 1 {
		t.Fatalf("appointed %v", a)
	}
	post(township, "/v1/employment/"+name+":recordInsurance", map[string]any{"insurance": map[string]any{"insurer": "人保财险",
		"policy_number": "PA-E2E-1", "from_date": day(start), "to_date": a["end_date"]}})

	refused(civil, "/v1/employment/"+name+"/attendance", map[string]any{"month": month, "days": 20, "grade": "WELFARE_POST_GRADE_QUALIFIED"},
		http.StatusForbidden, "PERMISSION_DENIED")
	post(villageOfficer, "/v1/employment/"+name+"/attendance", map[string]any{"month": month, "days": 20, "grade": "WELFARE_POST_GRADE_QUALIFIED"})
	at := post(hr, "/v1/employment/"+name+"/attendance/"+month+":approve", map[string]any{})
	if at["pay_fen"] != "30000" || at["state"] != "WELFARE_POST_ATTENDANCE_STATE_APPROVED" {
		t.Fatalf("approved %v", at)
	}
	_, body := c.do(t, http.MethodGet, fmt.Sprintf("/v1/employment/welfarePostAttendance?month=%s&region_code=%s", month, village), villageOfficer, nil)
	if sheet := decode(t, body); len(sheet["attendance"].([]any)) != 1 {
		t.Fatalf("the village's sheet %v", sheet)
	}

	// The wage roll of last month (paid in arrears), as every department's roll JSON.
	refused(civil, "/v1/employment/paymentRolls:compute", map[string]any{"program": "PROGRAM_WELFARE_POST_WAGE", "month": month},
		http.StatusForbidden, "PERMISSION_DENIED")
	roll := post(hr, "/v1/employment/paymentRolls:compute", map[string]any{"program": "PROGRAM_WELFARE_POST_WAGE", "month": month})
	if totals := roll["totals"].(map[string]any); totals["regular_fen"] != "30000" {
		t.Fatalf("roll %v", roll)
	}
	roll = post(hrAdmin, "/v1/employment/"+roll["name"].(string)+":approve", map[string]any{"etag": roll["etag"]})
	roll = post(hrAdmin, "/v1/employment/"+roll["name"].(string)+":handOff", map[string]any{})
	if roll["state"] != "ROLL_STATE_HANDED_OFF" {
		t.Fatalf("handed off %v", roll)
	}
}
