package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fupin.dev/gateway"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/tools/internal/devstack"
)

// The public notice pages (/gongshi) over HTTP against a whole county: a posting an officer starts through
// the API is listed on its township's and village's pages without a token, its A4 sheet and the village's
// print page render, the page holds no 18-character number and no phone of the household, an objection
// sent through the form gets a tracking number whose page tells its status, and a client over its rate gets
// 429 with Retry-After.
func TestPublicPagesOverHTTP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: t.TempDir(), DeployDir: "../../../deploy", FastEtcd: true,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		GatewayLimits: gateway.Limits{Public: gateway.PublicLimits{ObjectionsPerHour: 2}}})
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
	const village = "990001002003"
	officer := c.token("rural_revitalization", "village_officer", village)
	admin := c.token("rural_revitalization", "county_admin", "")
	daysAgo := func(n int) string {
		d, _ := bizdate.Parse(bizdate.Today(time.Now()))
		return bizdate.Today(d.AddDate(0, 0, -n))
	}

	hh := household(village, "GS-1", 81)
	hh["registration_date"], hh["registration_backdate_reason"] = daysAgo(30), "纸质台账"
	code, body := c.do(t, http.MethodPost, "/v1/households", admin, hh)
	expect(t, code, body, http.StatusOK, "")
	h := decode(t, body)["name"].(string)
	code, body = c.do(t, http.MethodPost, "/v1/cases", officer, map[string]any{"kind": "identification", "household": h,
		"occurred_at": daysAgo(12), "backdate_reason": "补录"})
	expect(t, code, body, http.StatusOK, "")
	k := decode(t, body)["name"].(string)
	steps := []struct {
		verb string
		body map[string]any
	}{
		{":recordSurvey", map[string]any{"team": []string{"张三", "李四"}, "occurred_at": daysAgo(11), "backdate_reason": "补录",
			"household_survey": map[string]any{"per_capita_income_fen": 250000, "house_safety_grade": "HOUSE_SAFETY_GRADE_B",
				"safe_drinking_water": true, "school_dropout": "SCHOOL_DROPOUT_NONE", "household_labour": "HOUSEHOLD_LABOUR_ABLE"}}},
		{":recordVillageReview", map[string]any{"registered_representatives": 30, "present": 20, "votes_for": 11,
			"occurred_at": daysAgo(10), "backdate_reason": "补录"}},
		{":startPosting", map[string]any{"occurred_at": daysAgo(2), "backdate_reason": "补录"}},
	}
	for _, s := range steps {
		code, body = c.do(t, http.MethodPost, "/v1/"+k+s.verb, officer, s.body)
		expect(t, code, body, http.StatusOK, "")
	}

	page := func(t *testing.T, path string, want int) string {
		t.Helper()
		resp, err := http.Get(stack.GatewayURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
		html := string(b)
		for _, bad := range []*regexp.Regexp{regexp.MustCompile(`[0-9]{17}[0-9Xx]`), regexp.MustCompile(`1[3-9][0-9]{9}`),
			regexp.MustCompile(`王大山|李秀英`)} {
			if m := bad.FindString(html); m != "" {
				t.Errorf("GET %s holds %q", path, m)
			}
		}
		return html
	}

	index := page(t, "/gongshi", http.StatusOK)
	if !strings.Contains(index, `href="/gongshi/r/990001002"`) {
		t.Errorf("the index does not link the township:\n%s", index)
	}
	township := page(t, "/gongshi/r/990001002", http.StatusOK)
	link := regexp.MustCompile(`/gongshi/n/identification/[0-9a-z]+`).FindString(township)
	if link == "" || !strings.Contains(township, "王*山") || !strings.Contains(township, "建档立卡贫困户识别公示") {
		t.Fatalf("the township page does not list the posting:\n%s", township)
	}
	resp, err := http.Get(stack.GatewayURL + "/gongshi/r/" + village)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control %q", cc)
	}
	sheet := page(t, link, http.StatusOK)
	for _, want := range []string{"12317", "盖章", "县乡村振兴局", "@page{size:A4", daysAgo(2)} {
		if !strings.Contains(sheet, want) {
			t.Errorf("the notice's sheet lacks %q", want)
		}
	}
	if print := page(t, "/gongshi/r/"+village+"/print", http.StatusOK); strings.Count(print, `class="sheet"`) != 1 {
		t.Errorf("the village's print page:\n%s", print)
	}

	form := page(t, link+"/objection", http.StatusOK)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(form)
	question := regexp.MustCompile(`请计算：([0-9]+) (?:\+|&#43;) ([0-9]+) = \?`).FindStringSubmatch(form)
	if token == nil || question == nil {
		t.Fatalf("the objection form:\n%s", form)
	}
	answer := atoi(question[1]) + atoi(question[2])
	post, err := http.PostForm(stack.GatewayURL+link+"/objection", url.Values{"content": {"该户有车"}, "phone": {"13900001111"},
		"name": {"赵小红"}, "token": {token[1]}, "answer": {strconv.Itoa(answer)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(post.Body)
	post.Body.Close()
	tracking := regexp.MustCompile(`查询码：<strong>([0-9A-Z-]+)</strong>`).FindStringSubmatch(string(b))
	if post.StatusCode != http.StatusOK || tracking == nil {
		t.Fatalf("objection: %d\n%s", post.StatusCode, b)
	}
	if status := page(t, "/gongshi/track?no="+tracking[1], http.StatusOK); !strings.Contains(status, "已收到") {
		t.Errorf("the tracking page:\n%s", status)
	}

	// The allowance of 2 objection pages an hour is spent (the form and the objection): refused.
	limited, err := http.Get(stack.GatewayURL + link + "/objection")
	if err != nil {
		t.Fatal(err)
	}
	limited.Body.Close()
	if limited.StatusCode != http.StatusTooManyRequests || limited.Header.Get("Retry-After") == "" {
		t.Errorf("over the rate: %d, Retry-After %q", limited.StatusCode, limited.Header.Get("Retry-After"))
	}
	// Reading goes on.
	page(t, link, http.StatusOK)
}
