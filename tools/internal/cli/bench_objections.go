package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"fupin.dev/services/platform/auth"
	"github.com/golang-jwt/jwt/v5"
)

// flood counts what the objection flood sent.
type flood struct {
	sent, limited int64
}

// underObjectionFlood starts a public posting (公示) of one of the county's households, then runs measure
// while one address (this process, 127.0.0.1) posts objection forms to its notice at perMinute a minute
// through the gateway's public page, as a script would: the gateway's per-client rate limit refuses it
// after its allowance (429). It returns what measure measured and what the flood sent.
func underObjectionFlood(ctx context.Context, client *http.Client, base, data string, names, tokens []string, perMinute int,
	measure func() loadResult) (loadResult, flood, error) {
	link, err := benchNotice(ctx, client, base, data, names[0], tokens[0])
	if err != nil {
		return loadResult{}, flood{}, fmt.Errorf("start a posting for the objection flood: %w", err)
	}
	var f flood
	fctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Minute / time.Duration(perMinute))
		defer tick.Stop()
		form := url.Values{"content": {"该户不符合条件"}, "token": {"x.1.x"}, "answer": {"1"}}.Encode()
		for {
			select {
			case <-fctx.Done():
				return
			case <-tick.C:
			}
			req, _ := http.NewRequestWithContext(fctx, http.MethodPost, base+link+"/objection", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			atomic.AddInt64(&f.sent, 1)
			if resp.StatusCode == http.StatusTooManyRequests {
				atomic.AddInt64(&f.limited, 1)
			}
		}
	}()
	res := measure()
	stop()
	<-done
	return res, flood{sent: atomic.LoadInt64(&f.sent), limited: atomic.LoadInt64(&f.limited)}, nil
}

var noticeLink = regexp.MustCompile(`/gongshi/n/identification/[0-9a-z]+`)

// benchNotice takes a household through an identification case to its posting (as 乡村振兴局 staff) and
// returns the path of its public notice.
func benchNotice(ctx context.Context, client *http.Client, base, data, household, reader string) (string, error) {
	signer, err := devSigner(data, "")
	if err != nil {
		return "", err
	}
	staff, err := signer.Sign(auth.Claims{Department: "rural_revitalization", Role: "department_staff",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "bench-posting"}}, time.Hour)
	if err != nil {
		return "", err
	}
	call := func(method, path, token, body string) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s %s: %s", method, path, b)
		}
		return string(b), nil
	}
	h, err := call(http.MethodGet, "/v1/"+household, reader, "")
	if err != nil {
		return "", err
	}
	region := regexp.MustCompile(`"region_code":"([0-9]{12})"`).FindStringSubmatch(h)
	if region == nil {
		return "", fmt.Errorf("no region in %s", household)
	}
	k, err := call(http.MethodPost, "/v1/cases", staff, `{"kind":"identification","household":"`+household+`"}`)
	if err != nil {
		return "", err
	}
	name := regexp.MustCompile(`"name":"(cases/[^"]+)"`).FindStringSubmatch(k)
	if name == nil {
		return "", fmt.Errorf("no case name in %s", k)
	}
	for _, step := range []struct{ verb, body string }{
		{":recordSurvey", `{"team":["甲","乙"],"household_survey":{"per_capita_income_fen":250000,"house_safety_grade":"HOUSE_SAFETY_GRADE_B",` +
			`"safe_drinking_water":true,"school_dropout":"SCHOOL_DROPOUT_NONE","household_labour":"HOUSEHOLD_LABOUR_ABLE"}}`},
		{":recordVillageReview", `{"registered_representatives":30,"present":20,"votes_for":11}`},
		{":startPosting", `{}`},
	} {
		if _, err := call(http.MethodPost, "/v1/"+name[1]+step.verb, staff, step.body); err != nil {
			return "", err
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/gongshi/r/"+region[1], nil)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	link := noticeLink.FindString(string(b))
	if link == "" {
		return "", fmt.Errorf("the village's public page lists no notice")
	}
	return link, nil
}
