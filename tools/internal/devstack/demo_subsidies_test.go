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

// TestDemoSubsidies starts the county as `fupin dev` does, with DemoSubsidies, and checks through REST what
// the seed made through the API: approved 低保 cases of poor households, disability certificates with
// approved care subsidies, and this month's draft rolls of both programs. A second start on the same data
// directory seeds nothing again.
func TestDemoSubsidies(t *testing.T) {
	dir := t.TempDir()
	month := bizdate.Today(time.Now())[:7]
	start := func() (*client, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		stack, err := devstack.Start(ctx, devstack.Options{
			DataDir: dir, DeployDir: "../../../deploy", FastEtcd: true, DemoHouseholds: 400, DemoSubsidies: true,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		waitHealthy(t, stack.GatewayURL)
		return &client{t: t, base: stack.GatewayURL, stack: stack}, func() {
			cancel()
			if err := stack.Wait(); err != nil {
				t.Errorf("stack stopped with %v", err)
			}
		}
	}
	type counts struct{ cases, certificates, subsidies, workshops int }
	check := func(c *client) counts {
		t.Helper()
		civil := c.token("civil_affairs", "county_admin", "")
		federation := c.token("disabled_persons_federation", "county_admin", "")
		get := func(token, path string) map[string]any {
			t.Helper()
			code, body := c.do(t, http.MethodGet, path, token, nil)
			expect(t, code, body, http.StatusOK, "")
			return decode(t, body)
		}
		cases, _ := get(civil, "/v1/dibaoCases?page_size=100")["dibao_cases"].([]any)
		if len(cases) < 5 {
			t.Fatalf("%d demo 低保 cases, want at least 5", len(cases))
		}
		for _, k := range cases {
			k := k.(map[string]any)
			decision, _ := k["decision"].(map[string]any)
			postings, _ := k["postings"].([]any)
			// application, survey, village review, posting, township review, county decision; the posting
			// completed after its 7 days.
			if decision["outcome"] != "RELIEF_CASE_OUTCOME_APPROVED" || k["coverage"] == "" || len(k["steps"].([]any)) != 6 ||
				len(postings) != 1 || postings[0].(map[string]any)["state"] != "RELIEF_POSTING_STATE_COMPLETED" {
				t.Fatalf("demo 低保 case not approved through every step: %v", k)
			}
		}
		certs, _ := get(federation, "/v1/certificates")["certificates"].([]any)
		subs, _ := get(federation, "/v1/disabilitySubsidies")["disability_subsidies"].([]any)
		if len(certs) != 5 || len(subs) != 5 {
			t.Fatalf("%d certificates and %d care subsidies, want 5 and 5", len(certs), len(subs))
		}
		for _, s := range subs {
			if s := s.(map[string]any); s["outcome"] != "DISABILITY_SUBSIDY_OUTCOME_APPROVED" {
				t.Fatalf("demo care subsidy not approved: %v", s)
			}
		}
		for program, want := range map[string]int{"dibao": len(cases), "care-subsidy": len(subs)} {
			roll := get(civil, "/v1/paymentRolls/"+program+"-"+month)
			totals, _ := roll["totals"].(map[string]any)
			if roll["state"] != "ROLL_STATE_DRAFT" || totals["line_count"] != fmt.Sprint(want) || roll["computations"] != float64(1) {
				t.Fatalf("roll %s-%s: %v; want a draft computed once with %d lines", program, month, roll, want)
			}
		}
		// 人社's demo workshops, registered through the employment service's API.
		workshops, _ := get(c.token("human_resources", "department_staff", ""), "/v1/employment/workshops")["workshops"].([]any)
		if len(workshops) != 3 {
			t.Fatalf("%d demo workshops, want 3", len(workshops))
		}
		return counts{len(cases), len(certs), len(subs), len(workshops)}
	}

	c, stop := start()
	first := check(c)
	t.Logf("demo subsidies: %+v", first)
	stop()
	c, stop = start()
	defer stop()
	if again := check(c); again != first {
		t.Fatalf("a second start changed the demo: %+v, then %+v", first, again)
	}
}
