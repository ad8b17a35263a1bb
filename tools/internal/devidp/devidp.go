// Package devidp is `fupin dev`'s development identity provider: an OpenID Connect provider built on
// zitadel/oidc's op package (a well-kept library, not protocol code of fupin's own) with demo users of every
// department, role and region, and a sign-in page that lists them: click a person to sign in as them, no
// password. It stands in for the county's Keycloak, so the gateway and the services run exactly the sign-in
// and token checks they run in production (docs/PORTAL.md, "Sign-in"). Development only: it must never
// face a real network.
package devidp

import (
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"fupin.dev/services/platform/auth"
)

// Options configure the provider.
type Options struct {
	// Issuer is the provider's issuer URL, where it is served: `fupin dev` mounts it under the gateway, at
	// <gateway>/dev-idp.
	Issuer string
	// KeyFile holds the provider's Ed25519 signing key (EdDSA), made on first start.
	KeyFile string
	// RegionsFile is the county's region master data (deploy/regions/demo-county.json): the township and
	// village officers are of its largest township and of that township's largest village.
	RegionsFile string
	// ClientID and ClientSecret are the gateway's credentials at the provider.
	ClientID, ClientSecret string
	// AccessTokenTTL is an access token's life (default 15 minutes; the gateway renews it with the refresh
	// token). RefreshTokenTTL is a refresh token's (default 12 hours).
	AccessTokenTTL, RefreshTokenTTL time.Duration
}

// Default token lifetimes.
const (
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 12 * time.Hour
)

// loginPath is the sign-in page, under the issuer.
const loginPath = "/login"

// Provider is the development identity provider, an http.Handler served at its issuer URL's path.
type Provider struct {
	issuer   string
	clientID string
	users    []User
	store    *storage
	handler  http.Handler
}

// New makes the provider, loading (or making) its signing key and its demo users.
func New(o Options) (*Provider, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("devidp: issuer %q is not an absolute URL", o.Issuer)
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		return nil, errors.New("devidp: no client id or secret")
	}
	key, err := auth.LoadOrCreateKey(o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("devidp: signing key: %w", err)
	}
	users, err := DemoUsers(o.RegionsFile)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]User, len(users))
	for _, u := range users {
		byName[u.Username] = u
	}
	store := &storage{
		key: key, kid: auth.KeyID(key.Public().(ed25519.PublicKey)),
		client:   &client{id: o.ClientID, secret: o.ClientSecret, issuer: o.Issuer},
		users:    byName,
		tokenTTL: cmp.Or(o.AccessTokenTTL, DefaultAccessTokenTTL), refreshTTL: cmp.Or(o.RefreshTokenTTL, DefaultRefreshTokenTTL),
		now:      time.Now,
		requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]*token{},
		refresh: map[string]*token{}, grants: map[string]int{},
	}
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.SimplifiedChinese, language.English},
		// Where end_session goes without a post_logout_redirect_uri: the portal beside the provider.
		DefaultLogoutRedirectURI: "/",
	}, store, op.StaticIssuer(o.Issuer), op.WithAllowInsecure(),
		// The provider signs with Ed25519; its own verifiers (end_session's id_token_hint, userinfo's
		// access token) default to RS256 only.
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(string(jose.EdDSA))),
		op.WithAccessTokenVerifierOpts(op.WithSupportedAccessTokenSigningAlgorithms(string(jose.EdDSA))))
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}
	p := &Provider{issuer: o.Issuer, clientID: o.ClientID, users: users, store: store}
	callback := op.AuthCallbackURL(provider)
	issuerInContext := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+loginPath, p.loginPage)
	mux.HandleFunc("POST "+loginPath, issuerInContext.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, user := r.PostFormValue("id"), r.PostFormValue("user")
		if err := store.choose(id, user); err != nil {
			http.Error(w, "这次登录已失效，请回到门户重新登录 / This sign-in has expired: start again from the portal", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	p.handler = http.StripPrefix(strings.TrimSuffix(u.Path, "/"), mux)
	return p, nil
}

// ServeHTTP serves the provider: discovery, authorize, token, keys, userinfo, end_session, and the
// sign-in page.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Users are the demo users, in the order the sign-in page lists them.
func (p *Provider) Users() []User { return p.users }

// IssuerConfig is how the verifier of every service and of the gateway trusts the provider's tokens:
// fupin's default claim names (dept, role, region), the gateway's client id as the audience.
func (p *Provider) IssuerConfig() auth.IssuerConfig {
	return auth.IssuerConfig{Issuer: p.issuer, Audience: p.clientID}
}

// Grants is how many token responses the provider gave for a grant type ("authorization_code",
// "refresh_token"): tests see the gateway renew a session.
func (p *Provider) Grants(grant string) int { return p.store.grantCount(grant) }

// loginPage lists the demo users, by department; each is a button that signs in as them.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	if _, err := p.store.AuthRequestByID(r.Context(), id); err != nil {
		http.Error(w, "这次登录已失效，请回到门户重新登录 / This sign-in has expired: start again from the portal", http.StatusBadRequest)
		return
	}
	var groups []userGroup
	for _, u := range p.users {
		if len(groups) == 0 || groups[len(groups)-1].Department != u.DepartmentName {
			groups = append(groups, userGroup{Department: u.DepartmentName})
		}
		g := &groups[len(groups)-1]
		g.Users = append(g.Users, u)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_ = loginTemplate.Execute(w, struct {
		Action, ID string
		Groups     []userGroup
	}{Action: p.issuer + loginPath, ID: id, Groups: groups})
}

type userGroup struct {
	Department string
	Users      []User
}

// loginTemplate is the sign-in page. Each person is a submit button whose value is their username, so a
// script signs in headlessly by clicking `button[value="<username>"]` (docs/PORTAL.md).
var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>开发环境登录 / Development sign-in</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#303133}
.dev{background:#fdf6ec;border:1px solid #e6a23c;padding:.6em 1em;border-radius:4px}
h2{font-size:1.1em;margin-top:1.4em}ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5em}
button{font:inherit;padding:.5em 1em;border:1px solid #dcdfe6;border-radius:4px;background:#fff;cursor:pointer;text-align:left}
button:hover,button:focus{border-color:#409eff;color:#409eff}.who{display:block;font-weight:bold}.what{display:block;font-size:.85em;color:#606266}</style>
</head>
<body>
<main>
<h1>防返贫监测与帮扶工作平台 · 开发环境登录</h1>
<p class="dev" role="note"><strong>仅供开发和演示：</strong>以下均为演示用户，点击即以该身份登录，无需密码。正式环境由县统一身份认证（如 Keycloak）登录。<br>
<strong lang="en">Development only:</strong> <span lang="en">demo users; click one to sign in as them, no password. A county signs in through its own identity provider (e.g. Keycloak).</span></p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
{{range .Groups}}<section aria-label="{{.Department}}">
<h2>{{.Department}}</h2>
<ul>{{range .Users}}<li><button type="submit" name="user" value="{{.Username}}" data-username="{{.Username}}"><span class="who">{{.Name}}</span><span class="what">{{.RoleName}}{{if .RegionName}} · {{.RegionName}}{{end}} · {{.Username}}</span></button></li>{{end}}</ul>
</section>
{{end}}</form>
</main>
</body>
</html>
`))
