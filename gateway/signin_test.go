package gateway

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"golang.org/x/oauth2"

	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/services/platform/servicetest"
)

// The full sign-in (the gateway with the development identity provider, over HTTP) is tested end to end
// in tools/internal/devstack (TestPortalSignIn); these are the rules of its parts.

func TestLocalPath(t *testing.T) {
	tests := []struct {
		name, next string
		want       string // "" when refused
	}{
		{name: "empty goes home", next: "", want: "/"},
		{name: "a portal page", next: "/households", want: "/households"},
		{name: "a page with a query", next: "/cases/12?tab=steps&x=%2F", want: "/cases/12?tab=steps&x=%2F"},
		{name: "Chinese in the path", next: "/农户", want: "/农户"},
		{name: "another site", next: "https://evil.example/", want: ""},
		{name: "a scheme-relative URL", next: "//evil.example/x", want: ""},
		{name: "a backslash browsers read as a slash", next: "/\\evil.example", want: ""},
		{name: "two backslashes", next: "\\\\evil.example", want: ""},
		{name: "a relative path", next: "households", want: ""},
		{name: "javascript", next: "javascript:alert(1)", want: ""},
		{name: "a scheme without slashes", next: "http:evil.example", want: ""},
		{name: "a line break (header injection)", next: "/\r\nSet-Cookie: a=b", want: ""},
		{name: "a tab", next: "/\t/evil.example", want: ""},
		{name: "DEL", next: "/\x7f", want: ""},
		{name: "the longest path kept", next: "/" + strings.Repeat("a", 2047), want: "/" + strings.Repeat("a", 2047)},
		{name: "a path too long to keep", next: "/" + strings.Repeat("a", 2048), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := localPath(tt.next)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("localPath(%q) = %q, %v; want %q", tt.next, got, ok, tt.want)
			}
		})
	}
}

func testStore(key string) *sessionStore {
	return &sessionStore{key: []byte(strings.Repeat(key, 32)), now: time.Now}
}

func TestSealing(t *testing.T) {
	s := testStore("k")
	toks := sessionTokens{Access: "eyJ-access", Refresh: "refresh-1", ID: "eyJ-id", AccessExpiry: time.Unix(1e9, 0).UTC()}
	sealed, err := s.seal("session tokens", "id-1", "/fupin/sessions/x", toks)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("access")) || bytes.Contains(sealed, []byte("refresh-1")) {
		t.Fatal("the sealed tokens can be read")
	}
	var got sessionTokens
	if err := s.unseal("session tokens", "id-1", "/fupin/sessions/x", sealed, &got); err != nil || got != toks {
		t.Fatalf("unseal = %+v, %v", got, err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name             string
		store            *sessionStore
		purpose, id, key string
		sealed           []byte
	}{
		{name: "another session's id", store: s, purpose: "session tokens", id: "id-2", key: "/fupin/sessions/x", sealed: sealed},
		{name: "another etcd key", store: s, purpose: "session tokens", id: "id-1", key: "/fupin/sessions/y", sealed: sealed},
		{name: "another purpose", store: s, purpose: signOutPrefix, id: "id-1", key: "/fupin/sessions/x", sealed: sealed},
		{name: "another session key", store: testStore("o"), purpose: "session tokens", id: "id-1", key: "/fupin/sessions/x", sealed: sealed},
		{name: "a changed byte", store: s, purpose: "session tokens", id: "id-1", key: "/fupin/sessions/x", sealed: flipped},
		{name: "too short", store: s, purpose: "session tokens", id: "id-1", key: "/fupin/sessions/x", sealed: sealed[:5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v sessionTokens
			if err := tt.store.unseal(tt.purpose, tt.id, tt.key, tt.sealed, &v); err == nil {
				t.Errorf("unsealed %+v", v)
			}
		})
	}
}

func TestCSRFToken(t *testing.T) {
	s := testStore("k")
	a, b := s.csrfToken("id-1"), s.csrfToken("id-2")
	if a == b || a != s.csrfToken("id-1") || a == testStore("o").csrfToken("id-1") {
		t.Errorf("CSRF tokens %q, %q: want one per session and key, stable", a, b)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(a); err != nil || len(raw) != 32 {
		t.Errorf("CSRF token %q: want 32 bytes in base64url", a)
	}
	si := &signIn{store: s}
	for _, tt := range []struct {
		name, header string
		want         bool
	}{{"the session's", a, true}, {"none", "", false}, {"another session's", b, false}, {"a prefix", a[:10], false}} {
		r := httptest.NewRequest(http.MethodPost, "/v1/households", nil)
		if tt.header != "" {
			r.Header.Set(CSRFHeader, tt.header)
		}
		if got := si.csrfOK(r, "id-1"); got != tt.want {
			t.Errorf("%s: csrfOK = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRefreshDue(t *testing.T) {
	issued := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		life time.Duration
		at   time.Duration // after issue
		want bool
	}{
		{name: "a fresh 5-minute token", life: 5 * time.Minute, at: time.Minute, want: false},
		{name: "31 s before a 5-minute token expires", life: 5 * time.Minute, at: 5*time.Minute - 31*time.Second, want: false},
		{name: "30 s before it expires", life: 5 * time.Minute, at: 5*time.Minute - 30*time.Second, want: true},
		{name: "expired", life: 5 * time.Minute, at: 6 * time.Minute, want: true},
		{name: "a 4-second token after 2 s", life: 4 * time.Second, at: 2 * time.Second, want: false},
		{name: "a 4-second token after 3 s (its last quarter)", life: 4 * time.Second, at: 3 * time.Second, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks := sessionTokens{AccessIssued: issued, AccessExpiry: issued.Add(tt.life)}
			if got := toks.refreshDue(issued.Add(tt.at)); got != tt.want {
				t.Errorf("refreshDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSignInFromEnv(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	good := map[string]string{
		"FUPIN_GATEWAY_OIDC_ISSUER": "https://sso.county.gov.cn/realms/fupin", "FUPIN_GATEWAY_OIDC_CLIENT_ID": "fupin",
		"FUPIN_GATEWAY_PUBLIC_URL": "https://fupin.county.gov.cn", "FUPIN_GATEWAY_SESSION_KEY": key,
	}
	tests := []struct {
		name   string
		change map[string]string
		off    bool     // no sign-in configured
		errs   []string // each must be in the error; none: it parses
	}{
		{name: "complete"},
		{name: "no issuer: no sign-in", change: map[string]string{"FUPIN_GATEWAY_OIDC_ISSUER": ""}, off: true},
		{name: "a session maximum", change: map[string]string{"FUPIN_GATEWAY_SESSION_MAX_TTL": "8h"}},
		{name: "everything missing at once", change: map[string]string{"FUPIN_GATEWAY_OIDC_CLIENT_ID": "", "FUPIN_GATEWAY_PUBLIC_URL": "",
			"FUPIN_GATEWAY_SESSION_KEY": ""}, errs: []string{"FUPIN_GATEWAY_OIDC_CLIENT_ID", "FUPIN_GATEWAY_PUBLIC_URL", "FUPIN_GATEWAY_SESSION_KEY"}},
		{name: "a short session key", change: map[string]string{"FUPIN_GATEWAY_SESSION_KEY": base64.StdEncoding.EncodeToString([]byte("short"))},
			errs: []string{"5 bytes"}},
		{name: "a session key not in base64", change: map[string]string{"FUPIN_GATEWAY_SESSION_KEY": "not base64!"}, errs: []string{"not base64"}},
		{name: "a public URL with a path", change: map[string]string{"FUPIN_GATEWAY_PUBLIC_URL": "https://county.gov.cn/fupin"},
			errs: []string{"FUPIN_GATEWAY_PUBLIC_URL"}},
		{name: "a session maximum under a minute", change: map[string]string{"FUPIN_GATEWAY_SESSION_MAX_TTL": "10s"},
			errs: []string{"FUPIN_GATEWAY_SESSION_MAX_TTL"}},
		{name: "a missing secret file", change: map[string]string{"FUPIN_GATEWAY_OIDC_CLIENT_SECRET_FILE": "/nonexistent/secret"},
			errs: []string{"FUPIN_GATEWAY_OIDC_CLIENT_SECRET_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range good {
				t.Setenv(k, v)
			}
			for k, v := range tt.change {
				t.Setenv(k, v)
			}
			s, err := SignInFromEnv()
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if (s == nil) != tt.off {
					t.Errorf("SignInFromEnv = %+v", s)
				}
				return
			}
			for _, want := range tt.errs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want one naming %s", err, want)
				}
			}
		})
	}
}

func TestSignInConfigRefusals(t *testing.T) {
	cli := etcdtest.New(t)
	base := SignIn{Issuer: "https://sso.county.gov.cn/realms/fupin", ClientID: "fupin", PublicURL: "https://fupin.county.gov.cn",
		SessionKey: bytes.Repeat([]byte{7}, 32)}
	v := auth.NewVerifier(auth.DefaultSettings())
	t.Run("the verifier must trust the provider, as every service must", func(t *testing.T) {
		_, err := newSignIn(base, cli, v, regionset.Of(), discardLogger())
		if err == nil || !strings.Contains(err.Error(), "FUPIN_OIDC_ISSUERS") {
			t.Errorf("newSignIn = %v, want a refusal naming FUPIN_OIDC_ISSUERS", err)
		}
		trusting := v.WithIssuers([]auth.IssuerConfig{{Issuer: base.Issuer}}, nil)
		if _, err := newSignIn(base, cli, trusting, regionset.Of(), discardLogger()); err != nil {
			t.Errorf("with the issuer trusted: %v", err)
		}
	})
	t.Run("mounts stay outside the API and sign-in", func(t *testing.T) {
		for _, prefix := range []string{"/v1/idp/", "/auth/idp/", "/", "dev-idp/", "/dev-idp"} {
			err := validate(Config{Etcd: cli, Verifier: v, Services: []string{"identification"},
				Mounts: map[string]http.Handler{prefix: http.NotFoundHandler()}}, knownServices())
			if err == nil {
				t.Errorf("mount %q accepted", prefix)
			}
		}
	})
}

func TestSignedOutPage(t *testing.T) {
	si := &signIn{store: testStore("k")}
	const html = "text/html,application/xhtml+xml,*/*;q=0.8"
	tests := []struct {
		name, method, path, accept, authorization string
		want                                      bool
	}{
		{name: "the portal's home", method: "GET", path: "/", accept: html, want: true},
		{name: "a portal page", method: "GET", path: "/households/abc", accept: html, want: true},
		{name: "HEAD of a page", method: "HEAD", path: "/cases", accept: html, want: true},
		{name: "a script's call", method: "GET", path: "/households", accept: "*/*"},
		{name: "a page with a bearer token", method: "GET", path: "/households", accept: html, authorization: "Bearer x"},
		{name: "the API", method: "GET", path: "/v1/households", accept: html},
		{name: "sign-in itself", method: "GET", path: "/auth/login", accept: html},
		{name: "the API docs", method: "GET", path: "/docs/", accept: html},
		{name: "health", method: "GET", path: "/healthz", accept: html},
		{name: "the OpenAPI document", method: "GET", path: "/openapi.json", accept: html},
		{name: "a fingerprinted file", method: "GET", path: "/assets/index-abc.js", accept: html},
		{name: "a file", method: "GET", path: "/favicon.ico", accept: html},
		{name: "the page saying sign-in does not work", method: "GET", path: "/sign-in-failed", accept: html},
		{name: "a POST", method: "POST", path: "/households", accept: html},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Header.Set("Accept", tt.accept)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			if got := si.signedOutPage(r); got != tt.want {
				t.Errorf("signedOutPage = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSignInPagesWhenTheProviderFails(t *testing.T) {
	cli := servicetest.Etcd(t, "../deploy")
	startBackend(t, cli, "identification")
	keys := newTokens(t)
	// A provider whose discovery document names another issuer: the gateway is configured wrong.
	other := &oidctest.Server{}
	srv := httptest.NewServer(other)
	t.Cleanup(srv.Close)
	other.SetIssuer("https://sso.elsewhere.example/realms/x")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + lis.Addr().String()
	lis.Close()
	tests := []struct {
		name, issuer, want string
	}{
		{name: "the provider is down", issuer: down, want: "统一身份认证服务暂时无法访问"},
		{name: "the provider names another issuer", issuer: srv.URL, want: "统一身份认证服务配置有误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := keys.verifier.WithIssuers([]auth.IssuerConfig{{Issuer: tt.issuer}}, nil)
			url := startGatewayWith(t, Config{Etcd: cli, Verifier: v, Services: []string{"identification"}, Logger: discardLogger(),
				SignIn: &SignIn{Issuer: tt.issuer, ClientID: "fupin", PublicURL: "http://127.0.0.1:8080", SessionKey: bytes.Repeat([]byte{1}, 32)}},
				knownServices())
			resp := get(t, url+"/auth/login?next=%2Fhouseholds", nil)
			body := string(resp.body)
			if resp.code != http.StatusServiceUnavailable || !strings.Contains(body, tt.want) || !strings.Contains(body, `href="/auth/login?next=%2Fhouseholds"`) {
				t.Errorf("HTTP %d %s", resp.code, body)
			}
			if ct := resp.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestExchangeFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		page page
	}{
		{name: "a code used or expired", err: &oauth2.RetrieveError{ErrorCode: "invalid_grant"}, code: http.StatusBadRequest, page: pageStale},
		{name: "a wrong client secret", err: &oauth2.RetrieveError{ErrorCode: "invalid_client"}, code: http.StatusServiceUnavailable, page: pageMisconfigured},
		{name: "a refusal without a code", err: &oauth2.RetrieveError{}, code: http.StatusServiceUnavailable, page: pageMisconfigured},
		{name: "no answer", err: errors.New("dial tcp: connection refused"), code: http.StatusServiceUnavailable, page: pageProviderDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, p := exchangeFailure(tt.err); code != tt.code || p != tt.page {
				t.Errorf("exchangeFailure = %d, %q; want %d, %q", code, p.TitleEn, tt.code, tt.page.TitleEn)
			}
		})
	}
}
