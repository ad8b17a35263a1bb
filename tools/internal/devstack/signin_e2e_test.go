package devstack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/gateway"
	"fupin.dev/services/platform/auth"
	"fupin.dev/tools/internal/devstack"
)

// TestPortalSignIn signs people in to the county as the portal does, over real HTTP, through the gateway
// and the development identity provider `fupin dev` runs: PKCE, state and nonce, the callback, the
// session cookie, /auth/me, the API with the cookie (answered as the signed-in person, in their region
// scope), CSRF, sign-out (also at the provider), renewal with the refresh token, expiry, a second gateway
// replica sharing etcd, cookies over TLS, refused open redirects and a provider that is down.
func TestPortalSignIn(t *testing.T) {
	// Access tokens of 4 seconds: sessions are renewed with the refresh token during the test.
	stack := startStack(t, devstack.Options{DemoHouseholds: 60, Logger: slog.New(slog.DiscardHandler), AccessTokenTTL: 4 * time.Second})
	const township, townshipName = "990001006", "龙泉镇" // the demo county's largest township

	t.Run("sign-in starts with PKCE, state and nonce in cookies that scripts cannot read", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		resp := b.get(stack.GatewayURL + "/auth/login?next=" + url.QueryEscape("/households?page=2"))
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("HTTP %d, want 302", resp.StatusCode)
		}
		to, _ := url.Parse(resp.Header.Get("Location"))
		if got := to.Scheme + "://" + to.Host + to.Path; got != stack.GatewayURL+devstack.IdPPath+"/authorize" {
			t.Errorf("sent to %s, want the provider's authorize endpoint", got)
		}
		q := to.Query()
		for name, want := range map[string]string{"response_type": "code", "client_id": devstack.ClientID,
			"redirect_uri": stack.GatewayURL + "/auth/callback", "code_challenge_method": "S256"} {
			if q.Get(name) != want {
				t.Errorf("%s=%q, want %q", name, q.Get(name), want)
			}
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(q.Get("code_challenge")) {
			t.Errorf("code_challenge %q is not a SHA-256 in base64url", q.Get("code_challenge"))
		}
		if len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 || q.Get("state") == q.Get("nonce") {
			t.Errorf("state %q, nonce %q: want two random values", q.Get("state"), q.Get("nonce"))
		}
		if scopes := strings.Fields(q.Get("scope")); !slices.Contains(scopes, "openid") || !slices.Contains(scopes, "offline_access") {
			t.Errorf("scope %q", q.Get("scope"))
		}
		c := setCookie(t, resp, "fupin_sign_in")
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth/" || c.Secure || c.MaxAge != 600 ||
			strings.Contains(c.Value, q.Get("state")) || strings.Contains(c.Value, "households") {
			t.Errorf("sign-in cookie %+v: want HttpOnly, Lax, /auth/, 10 minutes, sealed", c)
		}
		// A sign-in under way costs etcd nothing: anonymous requests write no keys.
		if n, err := stack.Etcd.Get(t.Context(), "/fupin/s", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || n.Count != 0 {
			t.Errorf("%v keys under /fupin/s… after a sign-in started (%v)", n, err)
		}
	})

	t.Run("a callback is taken only from the browser that started the sign-in", func(t *testing.T) {
		victim, attacker := newBrowser(t, stack.GatewayURL, nil), newBrowser(t, stack.GatewayURL, nil)
		callback := attacker.untilCallback("/", "finance.county_admin")
		resp := victim.get(callback) // the attacker's code, planted in the victim's browser (login CSRF)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(victim.body, "登录请求已失效") || victim.lastSet["fupin_session"] != nil {
			t.Errorf("HTTP %d, cookies %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
		}
		resp = attacker.get(callback)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the browser that started it: HTTP %d %s", resp.StatusCode, attacker.body)
		}
		// The same code twice: the provider refuses it.
		resp = attacker.get(callback)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a replayed callback: HTTP %d", resp.StatusCode)
		}
	})

	admin := newBrowser(t, stack.GatewayURL, nil)
	admin.signIn("/", "rural_revitalization.county_admin")

	t.Run("a township officer signs in and sees only their township", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		landed := b.signIn("/households?page=2", "rural_revitalization.township_officer")
		if landed != "/households?page=2" {
			t.Errorf("came back to %q, want the page asked for", landed)
		}
		c := b.cookie("fupin_session")
		if c == nil {
			t.Fatal("no session cookie")
		}
		me := b.me()
		want := map[string]string{"subject": "rural_revitalization.township_officer", "department": "rural_revitalization",
			"role": "township_officer", "region": township, "region_name": townshipName}
		for k, v := range want {
			if me[k] != v {
				t.Errorf("/auth/me %s = %v, want %q", k, me[k], v)
			}
		}
		if me["name"] == "" || len(me["csrf_token"].(string)) < 40 {
			t.Errorf("/auth/me %v: want a name and a CSRF token", me)
		}
		if exp, err := time.Parse(time.RFC3339, me["expires_at"].(string)); err != nil || time.Until(exp) < 11*time.Hour {
			t.Errorf("expires_at %v: want the 12-hour maximum ahead", me["expires_at"])
		}

		code, body := b.do(http.MethodGet, "/v1/households?page_size=100", nil, false)
		expect(t, code, body, http.StatusOK, "")
		mine := regionsOf(t, body)
		code, body = admin.do(http.MethodGet, "/v1/households?page_size=100", nil, false)
		expect(t, code, body, http.StatusOK, "")
		all := regionsOf(t, body)
		if len(mine) == 0 || len(mine) >= len(all) {
			t.Fatalf("the township officer sees %d households, the county admin %d", len(mine), len(all))
		}
		for _, r := range mine {
			if !strings.HasPrefix(r, township) {
				t.Errorf("the township officer sees a household of %s", r)
			}
		}
	})

	t.Run("a change needs the session's CSRF token, and is made as the signed-in person", func(t *testing.T) {
		code, body := admin.do(http.MethodPost, "/v1/households", household("990001006001", "SIGNIN-1", 701), false)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		if !strings.Contains(string(body), "CSRF_TOKEN_MISMATCH") {
			t.Errorf("refusal %s names no CSRF_TOKEN_MISMATCH", body)
		}
		admin.csrf = "not-the-token"
		code, body = admin.do(http.MethodPost, "/v1/households", household("990001006001", "SIGNIN-1", 701), true)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		admin.csrf = ""
		code, body = admin.do(http.MethodPost, "/v1/households", household("990001006001", "SIGNIN-1", 701), true)
		expect(t, code, body, http.StatusOK, "")
		if actors := valuesOf(decode(t, body), "actor"); !slices.Contains(actors, "rural_revitalization.county_admin") {
			t.Errorf("the household was recorded by %v, want the signed-in person", actors)
		}
		// A browser without a session is refused, not redirected, on the API.
		code, body = newBrowser(t, stack.GatewayURL, nil).do(http.MethodGet, "/v1/households", nil, false)
		expect(t, code, body, http.StatusUnauthorized, "UNAUTHENTICATED")
	})

	t.Run("a signed-out browser opening a page of the portal is sent to sign in", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		resp := b.get(stack.GatewayURL + "/cases/12?tab=steps")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/auth/login?next="+url.QueryEscape("/cases/12?tab=steps") {
			t.Errorf("HTTP %d to %q, want 302 to sign-in coming back to the page", resp.StatusCode, loc)
		}
		for _, path := range []string{"/sign-in-failed", "/assets/index-abc123.js", "/healthz"} {
			if resp := b.get(stack.GatewayURL + path); resp.StatusCode == http.StatusFound {
				t.Errorf("%s redirected to %s", path, resp.Header.Get("Location"))
			}
		}
	})

	t.Run("sign-in returns to a path of this site only", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		for _, next := range []string{"https://evil.example/x", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
			"javascript:alert(1)", "http:evil.example", "/\r\nSet-Cookie: x=1", "evil.example"} {
			resp := b.get(stack.GatewayURL + "/auth/login?next=" + url.QueryEscape(next))
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b.body, "无效的跳转地址") {
				t.Errorf("next=%q: HTTP %d (Location %q), want 400 with the page saying why", next, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})

	t.Run("a second gateway replica sharing etcd serves the session", func(t *testing.T) {
		replica := startReplica(t, stack, func(*gateway.Config) {})
		b := newBrowser(t, replica.URL, nil)
		b.jar.SetCookies(mustURL(t, replica.URL), []*http.Cookie{admin.cookie("fupin_session")})
		if me := b.me(); me["subject"] != "rural_revitalization.county_admin" || me["csrf_token"] != admin.me()["csrf_token"] {
			t.Errorf("the replica's /auth/me %v", me)
		}
		code, body := b.do(http.MethodGet, "/v1/households?page_size=1", nil, false)
		expect(t, code, body, http.StatusOK, "")
	})

	t.Run("the session's access token is renewed with the refresh token", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		b.signIn("/", "civil_affairs.department_staff")
		key := sessionKey(b.cookie("fupin_session").Value)
		before := etcdValue(t, stack, key)
		refreshes := stack.IdP.Grants("refresh_token")
		deadline := time.Now().Add(20 * time.Second)
		for stack.IdP.Grants("refresh_token") == refreshes {
			if time.Now().After(deadline) {
				t.Fatal("the gateway did not renew the session's access token once it expired")
			}
			code, body := b.do(http.MethodGet, "/v1/households?page_size=1", nil, false)
			expect(t, code, body, http.StatusOK, "")
			time.Sleep(100 * time.Millisecond)
		}
		code, body := b.do(http.MethodGet, "/v1/households?page_size=1", nil, false)
		expect(t, code, body, http.StatusOK, "")
		after := etcdValue(t, stack, key)
		// The record's fields, not its raw text: the sealed tokens are base64, which may hold any three
		// letters (such as a JWT's "eyJ") by chance.
		var was, is map[string]any
		if err := json.Unmarshal([]byte(before), &was); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(after), &is); err != nil {
			t.Fatal(err)
		}
		sealed, _ := is["sealed"].(string)
		if sealed == "" || sealed == was["sealed"] {
			t.Errorf("the record in etcd: sealed tokens before %.40q…, after %.40q…: want renewed tokens, sealed", was["sealed"], sealed)
		}
		for _, field := range []string{"access", "refresh", "id", "access_expiry"} {
			if _, plain := is[field]; plain {
				t.Errorf("the record in etcd has the token field %q in the clear", field)
			}
		}
		if raw, err := base64.StdEncoding.DecodeString(sealed); err != nil || bytes.Contains(raw, []byte("eyJ")) {
			t.Errorf("the sealed tokens are not sealed (decode error %v)", err)
		}
	})

	t.Run("sign-out ends the session here and at the provider", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		b.signIn("/", "civil_affairs.county_admin")
		old := b.cookie("fupin_session")
		key := sessionKey(old.Value)
		if etcdValue(t, stack, key) == "" {
			t.Fatal("no session in etcd")
		}
		code, body := b.do(http.MethodPost, "/auth/logout", nil, false)
		expect(t, code, body, http.StatusForbidden, "PERMISSION_DENIED")
		code, body = b.do(http.MethodPost, "/auth/logout", nil, true)
		if code != http.StatusNoContent {
			t.Fatalf("logout: HTTP %d %s", code, body)
		}
		if v := etcdValue(t, stack, key); v != "" {
			t.Errorf("the session is still in etcd: %.80q", v)
		}
		if code, _ := b.do(http.MethodGet, "/auth/me", nil, false); code != http.StatusUnauthorized {
			t.Errorf("/auth/me after sign-out: HTTP %d", code)
		}
		// The old cookie, replayed, opens nothing.
		replay := newBrowser(t, stack.GatewayURL, nil)
		replay.jar.SetCookies(mustURL(t, stack.GatewayURL), []*http.Cookie{old})
		code, body = replay.do(http.MethodGet, "/v1/households?page_size=1", nil, false)
		expect(t, code, body, http.StatusUnauthorized, "UNAUTHENTICATED")
		if !strings.Contains(string(body), "SESSION_ENDED") {
			t.Errorf("refusal %s names no SESSION_ENDED", body)
		}
		// The portal goes to /auth/login: first to the provider's end_session, which comes back to sign-in.
		resp := b.get(stack.GatewayURL + "/auth/login")
		end, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || end.Path != devstack.IdPPath+"/end_session" || end.Query().Get("id_token_hint") == "" ||
			end.Query().Get("post_logout_redirect_uri") != stack.GatewayURL+"/auth/login?next=%2F" {
			t.Fatalf("after sign-out /auth/login: HTTP %d to %s, want the provider's end_session", resp.StatusCode, end)
		}
		resp = b.get(end.String())
		if loc := resp.Header.Get("Location"); loc != stack.GatewayURL+"/auth/login?next=%2F" {
			t.Fatalf("end_session: HTTP %d to %q", resp.StatusCode, loc)
		}
		resp = b.get(resp.Header.Get("Location"))
		if to, _ := url.Parse(resp.Header.Get("Location")); to == nil || to.Path != devstack.IdPPath+"/authorize" {
			t.Errorf("then sign-in starts anew: HTTP %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("a session ends at its maximum", func(t *testing.T) {
		replica := startReplica(t, stack, func(c *gateway.Config) { c.SignIn.MaxSession = 2 * time.Second })
		b := newBrowser(t, replica.URL, nil)
		b.signIn("/", "finance.county_admin")
		key := sessionKey(b.cookie("fupin_session").Value)
		if exp, err := time.Parse(time.RFC3339, b.me()["expires_at"].(string)); err != nil || time.Until(exp) > 3*time.Second {
			t.Fatalf("expires_at %v, want within 2 s", exp)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			code, body := b.do(http.MethodGet, "/v1/households?page_size=1", nil, false)
			if code == http.StatusUnauthorized {
				if !strings.Contains(string(body), "SESSION_ENDED") {
					t.Errorf("refusal %s names no SESSION_ENDED", body)
				}
				break
			}
			expect(t, code, body, http.StatusOK, "")
			if time.Now().After(deadline) {
				t.Fatal("the session outlived its maximum")
			}
			time.Sleep(100 * time.Millisecond)
		}
		for etcdValue(t, stack, key) != "" {
			if time.Now().After(deadline) {
				t.Fatal("the expired session stayed in etcd")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("cookies are Secure over TLS", func(t *testing.T) {
		replica := startReplica(t, stack, nil)
		b := newBrowser(t, replica.URL, replica.Client().Transport)
		resp := b.get(replica.URL + "/auth/login")
		if c := setCookie(t, resp, "__Secure-fupin_sign_in"); !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("sign-in cookie %+v", c)
		}
		b.signIn("/", "rural_revitalization.auditor")
		c := b.lastSet["__Host-fupin_session"]
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("session cookie over TLS %+v", c)
		}
		if me := b.me(); me["role"] != "auditor" {
			t.Errorf("/auth/me over TLS %v", me)
		}
	})

	t.Run("a provider that is down gets a clear page; bearer clients are served", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + lis.Addr().String() + "/realms/fupin"
		lis.Close()
		replica := startReplica(t, stack, func(c *gateway.Config) {
			c.SignIn.Issuer = dead
			c.Verifier = c.Verifier.WithIssuers([]auth.IssuerConfig{{Issuer: dead}}, nil)
		})
		b := newBrowser(t, replica.URL, nil)
		resp := b.get(replica.URL + "/auth/login?next=%2Fhouseholds")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b.body, "统一身份认证服务暂时无法访问") ||
			!strings.Contains(b.body, "The sign-in service cannot be reached") || !strings.Contains(b.body, `href="/auth/login?next=%2Fhouseholds"`) {
			t.Errorf("HTTP %d %s", resp.StatusCode, b.body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		c := &client{t: t, base: replica.URL, stack: stack}
		code, body := c.do(t, http.MethodGet, "/v1/households?page_size=1", c.token("rural_revitalization", "county_admin", ""), nil)
		expect(t, code, body, http.StatusOK, "")
	})
}

// browser is a browser as far as sign-in goes: a cookie jar, redirects followed one at a time so each
// can be checked, and the CSRF token from /auth/me sent with changes.
type browser struct {
	t      *testing.T
	base   string
	jar    *cookiejar.Jar
	client *http.Client
	body   string // of the last response
	csrf   string // sent instead of the session's when set
	// lastSet are the cookies set by responses, by name, as the Set-Cookie headers said.
	lastSet map[string]*http.Cookie
}

func newBrowser(t *testing.T, base string, transport http.RoundTripper) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, jar: jar, lastSet: map[string]*http.Cookie{}, client: &http.Client{
		Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get fetches u as a browser navigating to it (Accept: text/html).
func (b *browser) get(u string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	return b.send(req)
}

func (b *browser) send(req *http.Request) *http.Response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.body = string(body)
	for _, c := range resp.Cookies() {
		b.lastSet[c.Name] = c
	}
	return resp
}

// signIn signs in as the demo user username, from /auth/login?next=next, clicking their button on the
// provider's sign-in page; it returns where the gateway sent the browser in the end.
func (b *browser) signIn(next, username string) string {
	b.t.Helper()
	resp := b.get(b.untilCallback(next, username))
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("callback: HTTP %d %.300s", resp.StatusCode, b.body)
	}
	return resp.Header.Get("Location")
}

// untilCallback goes through sign-in as signIn does, up to the provider's redirect to the gateway's
// callback, and returns the callback's URL (with the code and state) without opening it.
func (b *browser) untilCallback(next, username string) string {
	b.t.Helper()
	u := b.base + "/auth/login?next=" + url.QueryEscape(next)
	for hop := 0; hop < 10; hop++ {
		resp := b.get(u)
		switch {
		case resp.StatusCode == http.StatusOK && strings.Contains(b.body, `value="`+username+`"`):
			if !strings.Contains(b.body, "仅供开发") {
				b.t.Error("the provider's sign-in page does not say it is for development only")
			}
			action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(b.body)
			id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(b.body)
			if action == nil || id == nil {
				b.t.Fatalf("the sign-in page has no form: %s", b.body)
			}
			req, _ := http.NewRequestWithContext(b.t.Context(), http.MethodPost, action[1],
				strings.NewReader(url.Values{"id": {id[1]}, "user": {username}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp = b.send(req)
		case resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther:
			b.t.Fatalf("sign-in stopped at %s: HTTP %d %.300s", u, resp.StatusCode, b.body)
		}
		loc := resp.Header.Get("Location")
		if strings.HasPrefix(loc, b.base+"/auth/callback?") {
			return loc
		}
		next, err := url.Parse(u)
		if err != nil {
			b.t.Fatal(err)
		}
		to, err := next.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		u = to.String()
	}
	b.t.Fatal("sign-in did not reach the callback within 10 redirects")
	return ""
}

// cookie is the browser's cookie for the gateway with the name (any __Host-/__Secure- prefix added).
func (b *browser) cookie(name string) *http.Cookie {
	for _, c := range b.jar.Cookies(mustURL(b.t, b.base)) {
		if strings.TrimPrefix(strings.TrimPrefix(c.Name, "__Host-"), "__Secure-") == name {
			return c
		}
	}
	return nil
}

// me is GET /auth/me; it fails the test unless signed in.
func (b *browser) me() map[string]any {
	b.t.Helper()
	code, body := b.do(http.MethodGet, "/auth/me", nil, false)
	expect(b.t, code, body, http.StatusOK, "")
	return decode(b.t, body)
}

// do calls the gateway as the portal's JavaScript does: same origin, the cookies, JSON, and with csrf the
// session's token (from /auth/me) in X-CSRF-Token.
func (b *browser) do(method, path string, body any, csrf bool) (int, []byte) {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = strings.NewReader(string(j))
	}
	token := b.csrf
	if csrf && token == "" {
		token = b.me()["csrf_token"].(string)
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base+path, r)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if csrf {
		req.Header.Set(gateway.CSRFHeader, token)
	}
	resp := b.send(req)
	return resp.StatusCode, []byte(b.body)
}

// startReplica serves another gateway sharing the stack's etcd and configuration, changed by mod; with
// mod nil it serves HTTPS. Its sign-in comes back to its own address.
func startReplica(t *testing.T, stack *devstack.Stack, mod func(*gateway.Config)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	tls := mod == nil
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	cfg := stack.Gateway
	signIn := *cfg.SignIn
	signIn.PublicURL = srv.URL
	cfg.SignIn = &signIn
	cfg.Logger = slog.New(slog.DiscardHandler)
	if mod != nil {
		mod(&cfg)
	}
	h, closeConns, err := gateway.NewHandler(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeConns() })
	srv.Config.Handler = h
	return srv
}

// setCookie is the Set-Cookie of resp with the name.
func setCookie(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no Set-Cookie %s in %v", name, resp.Header.Values("Set-Cookie"))
	return nil
}

// sessionKey is the etcd key of a session id: the SHA-256 of the id, never the id itself.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "/fupin/sessions/" + hex.EncodeToString(sum[:])
}

// etcdValue is what etcd holds at key, "" when nothing.
func etcdValue(t *testing.T, stack *devstack.Stack, key string) string {
	t.Helper()
	resp, err := stack.Etcd.Get(t.Context(), key, clientv3.WithSerializable())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// regionsOf is the region_code of every household of a ListHouseholds response.
func regionsOf(t *testing.T, body []byte) []string {
	t.Helper()
	var resp struct {
		Households []struct {
			RegionCode string `json:"region_code"`
		} `json:"households"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range resp.Households {
		out = append(out, h.RegionCode)
	}
	return out
}

// valuesOf collects the string values of every member called name, at any depth of v.
func valuesOf(v any, name string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == name {
				out = append(out, s)
			}
			out = append(out, valuesOf(e, name)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, valuesOf(e, name)...)
		}
	}
	return out
}
