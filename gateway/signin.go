package gateway

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/regionset"
)

// SignIn lets people sign in to the county portal through the county's OpenID Connect provider (Keycloak,
// or `fupin dev`'s development provider). The gateway is the OIDC client: authorization code flow with
// PKCE, state and nonce; the provider's tokens stay in the gateway's session in etcd (session.go) and the
// browser holds only a cookie with the session's random id. Requests of the portal to /v1/ carry that
// cookie; the gateway sends the session's access token on to the services as `Authorization: Bearer`, so
// the services verify it as any other token (the issuer must be in the verifier's FUPIN_OIDC_ISSUERS).
type SignIn struct {
	// Issuer is the provider's issuer URL (FUPIN_GATEWAY_OIDC_ISSUER).
	Issuer string
	// ClientID is the gateway's client id at the provider (FUPIN_GATEWAY_OIDC_CLIENT_ID).
	ClientID string
	// ClientSecret is the client's secret (FUPIN_GATEWAY_OIDC_CLIENT_SECRET_FILE); empty for a public
	// client, which PKCE alone protects.
	ClientSecret string
	// PublicURL is the gateway's address as browsers reach it (FUPIN_GATEWAY_PUBLIC_URL), e.g.
	// https://fupin.county.gov.cn. The provider sends people back to PublicURL/auth/callback (and, after a
	// sign-out, to PublicURL/auth/login); an https URL (TLS here or at a proxy in front) makes every
	// cookie Secure.
	PublicURL string
	// Scopes asked for; nil means openid, profile and offline_access (a refresh token).
	Scopes []string
	// SessionKey seals the provider's tokens in etcd and makes CSRF tokens (FUPIN_GATEWAY_SESSION_KEY,
	// base64, at least 32 bytes). Every replica of the gateway must have the same key.
	SessionKey []byte
	// MaxSession bounds a session's life (FUPIN_GATEWAY_SESSION_MAX_TTL, default 12h, a working day): it
	// ends then even if the provider would renew its tokens, or sooner when the provider's refresh token
	// ends sooner, or when its access token does and it gave no refresh token.
	MaxSession time.Duration
	// HTTPClient talks to the provider; nil means a client with a 10-second timeout.
	HTTPClient *http.Client
}

// DefaultMaxSession is SignIn.MaxSession's default.
const DefaultMaxSession = 12 * time.Hour

// SignInFromEnv reads the FUPIN_GATEWAY_OIDC_*, FUPIN_GATEWAY_PUBLIC_URL and FUPIN_GATEWAY_SESSION_*
// variables. It is nil when FUPIN_GATEWAY_OIDC_ISSUER is unset: the gateway then serves bearer clients
// only. Every problem is reported at once.
func SignInFromEnv() (*SignIn, error) {
	issuer := strings.TrimSpace(os.Getenv("FUPIN_GATEWAY_OIDC_ISSUER"))
	if issuer == "" {
		return nil, nil
	}
	s := &SignIn{Issuer: issuer, ClientID: os.Getenv("FUPIN_GATEWAY_OIDC_CLIENT_ID"),
		PublicURL: os.Getenv("FUPIN_GATEWAY_PUBLIC_URL")}
	var errs []error
	if f := os.Getenv("FUPIN_GATEWAY_OIDC_CLIENT_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("FUPIN_GATEWAY_OIDC_CLIENT_SECRET_FILE: %w", err))
		}
		s.ClientSecret = strings.TrimSpace(string(b))
	}
	if v := strings.TrimSpace(os.Getenv("FUPIN_GATEWAY_SESSION_KEY")); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			errs = append(errs, errors.New("FUPIN_GATEWAY_SESSION_KEY is not base64 (make one with: openssl rand -base64 32)"))
		}
		s.SessionKey = key
	}
	if v := os.Getenv("FUPIN_GATEWAY_SESSION_MAX_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("FUPIN_GATEWAY_SESSION_MAX_TTL=%q: want a duration of a minute or more, such as 8h", v))
		}
		s.MaxSession = d
	}
	if err := s.check(); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// check reports every problem of the configuration.
func (s *SignIn) check() error {
	var errs []error
	if u, err := url.Parse(s.Issuer); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("the OIDC issuer %q is not an absolute URL", s.Issuer))
	}
	if s.ClientID == "" {
		errs = append(errs, errors.New("no OIDC client id (FUPIN_GATEWAY_OIDC_CLIENT_ID)"))
	}
	if u, err := url.Parse(s.PublicURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		errs = append(errs, fmt.Errorf("the gateway's public URL %q is not http(s)://host[:port] (FUPIN_GATEWAY_PUBLIC_URL)", s.PublicURL))
	}
	if len(s.SessionKey) < MinSessionKeyBytes {
		errs = append(errs, fmt.Errorf("the session key has %d bytes, want %d or more (FUPIN_GATEWAY_SESSION_KEY)", len(s.SessionKey), MinSessionKeyBytes))
	}
	if s.MaxSession < 0 {
		errs = append(errs, errors.New("a negative session maximum"))
	}
	return errors.Join(errs...)
}

// Cookie and header names of the sign-in. Over HTTPS the cookies carry the __Host- / __Secure- prefixes,
// so no other site of the domain (nor a man in the middle on plain HTTP) can plant one.
const (
	sessionCookie = "fupin_session"
	signInCookie  = "fupin_sign_in"
	signOutCookie = "fupin_sign_out"
	// CSRFHeader carries the session's CSRF token (GET /auth/me) on every request that changes something.
	CSRFHeader = "X-CSRF-Token"
	authPath   = "/auth/"
)

// How long the steps of a sign-in may take.
const (
	// signInTTL bounds the time from /auth/login to /auth/callback (the person types their password).
	signInTTL = 10 * time.Minute
	// signOutTTL bounds the time from POST /auth/logout to the browser's next /auth/login.
	signOutTTL = 5 * time.Minute
	// discoveryRetry is the least time between two attempts to read a provider's discovery document that
	// failed: while the provider is down, sign-in pages answer at once.
	discoveryRetry = 2 * time.Second
)

// signIn serves /auth/ and turns session cookies into bearer tokens for the API.
type signIn struct {
	cfg      SignIn
	secure   bool
	store    *sessionStore
	verifier *auth.Verifier
	regions  *regionset.Set
	logger   *slog.Logger
	client   *http.Client
	now      func() time.Time

	mu        sync.Mutex
	provider  *provider // nil until discovery succeeds
	lastError error
	lastTry   time.Time

	refreshes singleflight.Group
}

// provider is what discovery told the gateway about the OIDC provider.
type provider struct {
	oauth      oauth2.Config
	idTokens   *oidc.IDTokenVerifier
	endSession string
}

func newSignIn(cfg SignIn, etcd *clientv3.Client, verifier *auth.Verifier, regions *regionset.Set, logger *slog.Logger) (*signIn, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if !slices.Contains(verifier.Issuers(), cfg.Issuer) {
		return nil, fmt.Errorf("the sign-in provider %s is not an issuer the verifier trusts: add it to FUPIN_OIDC_ISSUERS, as for every service", cfg.Issuer)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess}
	}
	if cfg.MaxSession == 0 {
		cfg.MaxSession = DefaultMaxSession
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &signIn{
		cfg:      cfg,
		secure:   strings.HasPrefix(cfg.PublicURL, "https://"),
		store:    &sessionStore{etcd: etcd, key: cfg.SessionKey, now: time.Now},
		verifier: verifier,
		regions:  regions,
		logger:   logger,
		client:   client,
		now:      time.Now,
	}, nil
}

// discover returns the provider, reading its discovery document the first time it answers. The gateway
// starts and serves the API while the provider is down; sign-in pages say so until it is back.
func (s *signIn) discover(ctx context.Context) (*provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	if s.lastError != nil && s.now().Sub(s.lastTry) < discoveryRetry {
		return nil, s.lastError
	}
	s.lastTry = s.now()
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client), 5*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		s.lastError = fmt.Errorf("discovery of %s: %w", s.cfg.Issuer, err)
		return nil, s.lastError
	}
	var doc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&doc)
	s.provider = &provider{
		oauth: oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: s.cfg.PublicURL + authPath + "callback", Scopes: s.cfg.Scopes},
		idTokens:   p.VerifierContext(oidc.ClientContext(context.Background(), s.client), &oidc.Config{ClientID: s.cfg.ClientID}),
		endSession: doc.EndSession,
	}
	s.lastError = nil
	return s.provider, nil
}

// clientContext is ctx with the HTTP client the provider is reached with.
func (s *signIn) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}

// ServeHTTP serves /auth/: login, callback, me and logout.
func (s *signIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if x := exchangeFrom(r.Context()); x != nil {
		x.route = r.Method + " " + authRoute(r.URL.Path)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	route := map[string]struct {
		method string
		serve  func(http.ResponseWriter, *http.Request)
	}{
		"login":    {http.MethodGet, s.login},
		"callback": {http.MethodGet, s.callback},
		"me":       {http.MethodGet, s.me},
		"logout":   {http.MethodPost, s.logout},
	}[strings.TrimPrefix(r.URL.Path, authPath)]
	switch {
	case route.serve == nil:
		s.fail(w, r, codes.NotFound, "no route for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	case r.Method != route.method && !(route.method == http.MethodGet && r.Method == http.MethodHead):
		h.Set("Allow", route.method)
		s.fail(w, r, codes.Unimplemented, "method "+r.Method+" not allowed on "+r.URL.Path, http.StatusMethodNotAllowed)
	default:
		route.serve(w, r)
	}
}

// authRoutes are the routes of /auth/.
var authRoutes = []string{authPath + "login", authPath + "callback", authPath + "me", authPath + "logout"}

// authRoute names a path of /auth/ for logs and spans: the route, or /auth/ for any other path (never
// the path a client made up).
func authRoute(p string) string {
	if slices.Contains(authRoutes, p) {
		return p
	}
	return authPath
}

// fail writes an AIP-193 error, as the API does.
func (s *signIn) fail(w http.ResponseWriter, r *http.Request, c codes.Code, msg string, httpStatus int) {
	writeError(r.Context(), s.logger, w, nil, status.New(c, msg), httpStatus)
}

// signInState is a sign-in under way, sealed in the sign-in cookie and bound to its OAuth state.
type signInState struct {
	Verifier string    `json:"verifier"` // PKCE code verifier
	Nonce    string    `json:"nonce"`
	Next     string    `json:"next"`
	Started  time.Time `json:"started"`
}

// signOutState is what etcd keeps for the provider's end_session after a sign-out.
type signOutState struct {
	IDToken string `json:"id_token"`
}

// login starts a sign-in: GET /auth/login?next=<a path of this site>. The state, nonce and PKCE verifier
// travel in a sealed cookie, so a sign-in costs etcd nothing until it succeeds. It always starts a new one (the
// provider's own session makes it quick), so a session the provider no longer renews can never bounce the
// browser between the portal and here. Right after a sign-out it first sends the browser to the
// provider's end_session, which comes back here.
func (s *signIn) login(w http.ResponseWriter, r *http.Request) {
	next, ok := localPath(r.URL.Query().Get("next"))
	if !ok {
		writePage(w, http.StatusBadRequest, pageBadNext, "")
		return
	}
	ctx := r.Context()
	if s.endProviderSession(w, r, next) {
		return
	}
	p, err := s.discover(ctx)
	if err != nil {
		s.logger.WarnContext(ctx, "sign-in: provider unavailable", "err", err)
		writePage(w, http.StatusServiceUnavailable, providerPage(err), signInURL(next))
		return
	}
	state, verifier, nonce := newID(), oauth2.GenerateVerifier(), newID()
	sealed, err := s.store.sealCookie(signInCookie, state, signInState{Verifier: verifier, Nonce: nonce, Next: next, Started: s.now()})
	if err != nil {
		s.logger.ErrorContext(ctx, "sign-in: seal state", "err", err)
		writePage(w, http.StatusServiceUnavailable, pageUnavailable, signInURL(next))
		return
	}
	s.setCookie(w, signInCookie, authPath, sealed, signInTTL)
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), http.StatusFound)
}

// endProviderSession sends the browser to the provider's end_session when it has just signed out here,
// and reports whether it did.
func (s *signIn) endProviderSession(w http.ResponseWriter, r *http.Request, next string) bool {
	c, err := r.Cookie(s.cookieName(signOutCookie, authPath))
	if err != nil {
		return false
	}
	s.clearCookie(w, signOutCookie, authPath)
	var st signOutState
	ok, err := s.store.take(r.Context(), signOutPrefix, c.Value, &st)
	if err != nil || !ok {
		return false
	}
	p, err := s.discover(r.Context())
	if err != nil || p.endSession == "" {
		return false
	}
	u, err := url.Parse(p.endSession)
	if err != nil {
		return false
	}
	q := u.Query()
	q.Set("id_token_hint", st.IDToken)
	q.Set("client_id", s.cfg.ClientID)
	q.Set("post_logout_redirect_uri", s.cfg.PublicURL+signInURL(next))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
	return true
}

// callback finishes a sign-in: the provider sends the browser back with a code and the state. The state
// must be this browser's (its sign-in cookie opens with it) and at most 10 minutes old; the code is exchanged with the PKCE verifier; the
// ID token must carry the nonce; the access token must be one the county's verifier accepts (a department,
// role and region of the county): it is what every service will check.
func (s *signIn) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	s.clearCookie(w, signInCookie, authPath)
	if e := q.Get("error"); e != "" {
		s.logger.InfoContext(ctx, "sign-in: the provider refused", "error", e)
		writePage(w, http.StatusForbidden, pageRefused, signInURL("/"))
		return
	}
	state := q.Get("state")
	c, err := r.Cookie(s.cookieName(signInCookie, authPath))
	var st signInState
	switch {
	case err != nil:
	case state == "":
		err = errors.New("no state")
	case s.store.openCookie(signInCookie, state, c.Value, &st) != nil:
		err = errors.New("the state is not this browser's sign-in")
	case s.now().Sub(st.Started) > signInTTL:
		err = errors.New("the sign-in is older than " + signInTTL.String())
	}
	if err != nil {
		// A state this browser did not start (login CSRF), expired, or no cookies. (A code used already is
		// refused by the provider.)
		s.logger.InfoContext(ctx, "sign-in: callback refused", "err", err)
		writePage(w, http.StatusBadRequest, pageStale, signInURL("/"))
		return
	}
	p, err := s.discover(ctx)
	if err != nil {
		writePage(w, http.StatusServiceUnavailable, providerPage(err), signInURL(st.Next))
		return
	}
	tok, err := p.oauth.Exchange(s.clientContext(ctx), q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.logger.WarnContext(ctx, "sign-in: code exchange", "err", err)
		status, pg := exchangeFailure(err)
		writePage(w, status, pg, signInURL(st.Next))
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := p.idTokens.Verify(ctx, rawID)
	if err == nil && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		err = errors.New("the ID token's nonce is not this sign-in's")
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "sign-in: ID token refused", "err", err)
		writePage(w, http.StatusServiceUnavailable, pageMisconfigured, signInURL(st.Next))
		return
	}
	rec, toks, err := s.identify(tok, rawID, "")
	if err != nil {
		s.logger.InfoContext(ctx, "sign-in: access token refused", "err", err)
		writePage(w, http.StatusForbidden, pageNoRole, signInURL(st.Next), refusal(err))
		return
	}
	var profile struct {
		Name     string `json:"name"`
		Username string `json:"preferred_username"`
	}
	_ = idt.Claims(&profile)
	rec.Name = cmp.Or(profile.Name, profile.Username, rec.Subject)
	rec.Created = s.now()
	rec.Expires = rec.Created.Add(s.cfg.MaxSession)
	rec.Until = s.until(tok, rec.Expires)
	id, err := s.store.create(ctx, rec, toks)
	if err != nil {
		s.logger.ErrorContext(ctx, "sign-in: store session", "err", err)
		writePage(w, http.StatusServiceUnavailable, pageUnavailable, signInURL(st.Next))
		return
	}
	// A session this browser had before ends: one person, one session per browser.
	if old, err := r.Cookie(s.cookieName(sessionCookie, "/")); err == nil {
		if ss, err := s.store.load(ctx, old.Value); err == nil {
			_ = s.store.end(ctx, ss)
		}
	}
	s.setCookie(w, sessionCookie, "/", id, 0)
	http.Redirect(w, r, st.Next, http.StatusSeeOther)
}

// providerPage is the page for a failed discovery: the provider down, or, when it answers with another
// issuer than the one configured, misconfigured.
func providerPage(err error) page {
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return pageMisconfigured
	}
	return pageProviderDown
}

// exchangeFailure is the status and page for a code the provider would not exchange: a code used or
// expired (invalid_grant) is this sign-in's problem, any other refusal (a wrong client secret, a client
// not allowed the flow) the configuration's, and no answer the provider being down.
func exchangeFailure(err error) (int, page) {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.ErrorCode == "invalid_grant":
		return http.StatusBadRequest, pageStale
	case errors.As(err, &re):
		return http.StatusServiceUnavailable, pageMisconfigured
	}
	return http.StatusServiceUnavailable, pageProviderDown
}

// identify checks a token response's access token with the county's verifier and returns the session's
// identity and tokens. refresh is the refresh token to keep when the response has none.
func (s *signIn) identify(tok *oauth2.Token, idToken, refresh string) (sessionRecord, sessionTokens, error) {
	claims, err := s.verifier.Verify(tok.AccessToken)
	if err != nil {
		return sessionRecord{}, sessionTokens{}, err
	}
	caller, err := claims.Caller()
	if err != nil {
		return sessionRecord{}, sessionTokens{}, err
	}
	rec := sessionRecord{Subject: caller.Subject, Department: auth.DepartmentCode(caller.Department),
		Role: auth.RoleCode(caller.Role), Region: caller.Region}
	toks := sessionTokens{Access: tok.AccessToken, AccessIssued: s.now(), AccessExpiry: tok.Expiry,
		Refresh: cmp.Or(tok.RefreshToken, refresh), ID: idToken}
	if claims.IssuedAt != nil {
		toks.AccessIssued = claims.IssuedAt.Time
	}
	if toks.AccessExpiry.IsZero() && claims.ExpiresAt != nil {
		toks.AccessExpiry = claims.ExpiresAt.Time
	}
	return rec, toks, nil
}

// until is when a session ends unless renewed, after the token response tok: its absolute end expires,
// shortened to the refresh token's end when the provider says it (Keycloak's refresh_expires_in, its idle
// timeout), or to the access token's when there is no refresh token. Zero when tok says nothing new (a
// renewal without refresh_expires_in keeps the session's end).
func (s *signIn) until(tok *oauth2.Token, expires time.Time) time.Time {
	if secs, ok := tok.Extra("refresh_expires_in").(float64); ok && secs > 0 {
		return earliest(expires, s.now().Add(time.Duration(secs)*time.Second))
	}
	if tok.RefreshToken == "" && !tok.Expiry.IsZero() {
		return earliest(expires, tok.Expiry)
	}
	return expires
}

// meResponse is GET /auth/me: the signed-in person as the portal shows them, and the CSRF token its
// requests that change something must send (docs/PORTAL.md).
type meResponse struct {
	Subject    string `json:"subject"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Role       string `json:"role"`
	Region     string `json:"region"`
	RegionName string `json:"region_name"`
	CSRFToken  string `json:"csrf_token"`
	ExpiresAt  string `json:"expires_at"`
}

// me answers who is signed in, or 401.
func (s *signIn) me(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.session(w, r, false)
	if !ok {
		return
	}
	if x := exchangeFrom(r.Context()); x != nil {
		x.dept, x.role = ss.record.Department, ss.record.Role
	}
	b, _ := json.Marshal(meResponse{Subject: ss.record.Subject, Name: ss.record.Name, Department: ss.record.Department,
		Role: ss.record.Role, Region: ss.record.Region, RegionName: s.regions.Name(ss.record.Region),
		CSRFToken: s.store.csrfToken(ss.id), ExpiresAt: ss.record.Until.UTC().Format(time.RFC3339)})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// logout ends the session (POST with the CSRF token); the browser's next /auth/login first ends the
// provider's own session when the provider offers end_session. A browser without a session gets 204 too.
func (s *signIn) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := r.Cookie(s.cookieName(sessionCookie, "/"))
	if err != nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ss, err := s.store.load(ctx, c.Value)
	switch {
	case errors.Is(err, errNoSession):
		s.clearCookie(w, sessionCookie, "/")
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil:
		s.unavailable(w, r, err)
		return
	case !s.csrfOK(r, ss.id):
		s.csrfRefused(w, r)
		return
	}
	if err := s.store.end(ctx, ss); err != nil {
		s.unavailable(w, r, err)
		return
	}
	s.clearCookie(w, sessionCookie, "/")
	if ss.tokens.ID != "" {
		id := newID()
		if err := s.store.put(ctx, signOutPrefix, id, signOutState{IDToken: ss.tokens.ID}, signOutTTL); err == nil {
			s.setCookie(w, signOutCookie, authPath, id, signOutTTL)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// session loads the request's session, renewing its access token when due (refresh); when there is
// none it writes 401 (and clears a stale cookie), 503 when etcd or the provider cannot be reached.
func (s *signIn) session(w http.ResponseWriter, r *http.Request, refresh bool) (*session, bool) {
	c, err := r.Cookie(s.cookieName(sessionCookie, "/"))
	if err != nil {
		s.fail(w, r, codes.Unauthenticated, "not signed in", http.StatusUnauthorized)
		return nil, false
	}
	ss, err := s.store.load(r.Context(), c.Value)
	if err == nil && refresh && ss.tokens.refreshDue(s.now()) {
		ss, err = s.renew(r.Context(), ss)
	}
	switch {
	case errors.Is(err, errNoSession):
		s.clearCookie(w, sessionCookie, "/")
		writeError(r.Context(), s.logger, w, nil, gatewayStatus(codes.Unauthenticated, commonv1.ErrorReason_SESSION_ENDED,
			"the session has ended: sign in again", nil), http.StatusUnauthorized)
		return nil, false
	case errors.Is(err, errProviderDown):
		writeError(r.Context(), s.logger, w, nil, gatewayStatus(codes.Unavailable, commonv1.ErrorReason_IDENTITY_PROVIDER_UNAVAILABLE,
			"the identity provider cannot be reached to renew the session; try again later", nil), http.StatusServiceUnavailable)
		return nil, false
	case err != nil:
		s.unavailable(w, r, err)
		return nil, false
	}
	return ss, true
}

func (s *signIn) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "sessions unavailable", "err", err)
	s.fail(w, r, codes.Unavailable, "sessions unavailable", http.StatusServiceUnavailable)
}

// errProviderDown means the provider could not be reached to renew a session's access token.
var errProviderDown = errors.New("identity provider unavailable")

// renew gets a new access token with the session's refresh token. Concurrent requests of one session in
// this gateway share one renewal; a renewal by another replica at the same moment wins the etcd
// compare-and-swap and is used. The session ends when the provider refuses the refresh token (it ended
// the person's session there) or the new token is refused by the verifier (the person lost their role).
func (s *signIn) renew(ctx context.Context, ss *session) (*session, error) {
	v, err, _ := s.refreshes.Do(ss.id, func() (any, error) {
		// Shared by the session's requests: not cancelled with the first, bounded on its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		cur, err := s.store.load(ctx, ss.id)
		if err != nil || !cur.tokens.refreshDue(s.now()) {
			return cur, err // gone, or renewed meanwhile
		}
		if cur.tokens.Refresh == "" {
			if s.now().Before(cur.tokens.AccessExpiry) {
				return cur, nil // nothing to renew with: use it while it lasts
			}
			_ = s.store.end(ctx, cur)
			return nil, errNoSession
		}
		p, err := s.discover(ctx)
		if err != nil {
			return s.stillValid(cur, err)
		}
		tok, err := p.oauth.TokenSource(s.clientContext(ctx), &oauth2.Token{RefreshToken: cur.tokens.Refresh, Expiry: time.Unix(1, 0)}).Token()
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re):
			if again, lerr := s.store.load(ctx, ss.id); lerr == nil && again.rev != cur.rev {
				return again, nil // another replica renewed it with the same refresh token first
			}
			s.logger.InfoContext(ctx, "session: the provider refused the refresh token", "err", err)
			_ = s.store.end(ctx, cur)
			return nil, errNoSession
		case err != nil:
			return s.stillValid(cur, err)
		}
		rec, toks, err := s.identify(tok, cmp.Or(idTokenOf(tok), cur.tokens.ID), cur.tokens.Refresh)
		if err != nil {
			s.logger.InfoContext(ctx, "session: the renewed access token is refused", "err", err)
			_ = s.store.end(ctx, cur)
			return nil, errNoSession
		}
		rec.Name = cur.record.Name
		if _, given := tok.Extra("refresh_expires_in").(float64); given {
			rec.Until = s.until(tok, cur.record.Expires)
		}
		ok, err := s.store.update(ctx, cur, rec, toks)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return s.store.load(ctx, ss.id) // renewed by another replica, or ended
		}
		return s.store.load(ctx, ss.id)
	})
	if err != nil {
		return nil, err
	}
	return v.(*session), nil
}

// stillValid keeps using a session's access token that has not quite expired when renewing it failed
// for want of the provider; an expired one cannot be used.
func (s *signIn) stillValid(cur *session, err error) (*session, error) {
	if s.now().Before(cur.tokens.AccessExpiry) {
		return cur, nil
	}
	s.logger.Warn("session: renewal failed", "err", err)
	return nil, errProviderDown
}

func idTokenOf(tok *oauth2.Token) string {
	s, _ := tok.Extra("id_token").(string)
	return s
}

// csrfOK reports whether a request carries the session's CSRF token.
func (s *signIn) csrfOK(r *http.Request, id string) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.store.csrfToken(id))) == 1
}

func (s *signIn) csrfRefused(w http.ResponseWriter, r *http.Request) {
	writeError(r.Context(), s.logger, w, nil, gatewayStatus(codes.PermissionDenied, commonv1.ErrorReason_CSRF_TOKEN_MISMATCH,
		"a request that changes something must carry the session's "+CSRFHeader+" header (GET /auth/me gives it)", nil), http.StatusForbidden)
}

// api lets the session cookie stand for a bearer token on the API: a request without an Authorization
// header but with a session's cookie goes on with the session's access token (renewed when due); a
// request that changes something must also carry the session's CSRF token. Requests with an
// Authorization header (API clients, scripts) are left to authenticate as they are.
func (s *signIn) api(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := r.Cookie(s.cookieName(sessionCookie, "/")); err != nil {
			next.ServeHTTP(w, r) // refused there: no bearer token
			return
		}
		ss, ok := s.session(w, r, true)
		if !ok {
			return
		}
		if !safeMethod(r.Method) && !s.csrfOK(r, ss.id) {
			s.csrfRefused(w, r)
			return
		}
		r.Header.Set("Authorization", "Bearer "+ss.tokens.Access)
		next.ServeHTTP(w, r)
	})
}

// safeMethod reports whether an HTTP method only reads (RFC 9110): those need no CSRF token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// publicPages are the portal's pages a signed-out browser may open: the page that says sign-in does not
// work (docs/PORTAL.md).
var publicPages = []string{"/sign-in-failed"}

// signedOutPage reports whether r is a browser opening a page of the portal (GET or HEAD of a path that is
// neither the API nor a file, asking for HTML) without a session: it is sent to sign in first.
func (s *signIn) signedOutPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/html") || r.Header.Get("Authorization") != "" {
		return false
	}
	p := r.URL.Path
	for _, reserved := range []string{"/v1", "/auth", "/docs", "/assets", healthzPath, openAPIPath} {
		if p == reserved || strings.HasPrefix(p, reserved+"/") {
			return false
		}
	}
	if slices.Contains(publicPages, p) || strings.Contains(p[strings.LastIndex(p, "/")+1:], ".") {
		return false
	}
	c, err := r.Cookie(s.cookieName(sessionCookie, "/"))
	if err != nil {
		return true
	}
	_, err = s.store.load(r.Context(), c.Value)
	return errors.Is(err, errNoSession)
}

// toSignIn redirects a signed-out browser to sign in, coming back to the page it asked for.
func (s *signIn) toSignIn(w http.ResponseWriter, r *http.Request) {
	if x := exchangeFrom(r.Context()); x != nil {
		x.route = r.Method + " /{page}"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, signInURL(r.URL.RequestURI()), http.StatusFound)
}

// signInURL is /auth/login coming back to next.
func signInURL(next string) string {
	return authPath + "login?next=" + url.QueryEscape(next)
}

// maxNext bounds the path a sign-in returns to: it travels in the sign-in cookie.
const maxNext = 2048

// localPath accepts next as a path of this site to return to after sign-in ("" is "/"), and refuses
// anything a browser could take to another site: a scheme or host, "//host" and "/\host" (browsers read a
// backslash as a slash), control characters and a path that does not start with "/"; and one longer than
// maxNext.
func localPath(next string) (string, bool) {
	if next == "" {
		return "/", true
	}
	if len(next) > maxNext {
		return "", false
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return "", false
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return next, true
}

// cookieName is base with the prefix that binds it to HTTPS: __Host- for a cookie of the whole site,
// __Secure- for one of a path.
func (s *signIn) cookieName(base, path string) string {
	switch {
	case !s.secure:
		return base
	case path == "/":
		return "__Host-" + base
	}
	return "__Secure-" + base
}

// setCookie sets an HttpOnly, SameSite=Lax cookie (Secure over HTTPS) for path; ttl 0 makes it last as
// long as the browser runs.
func (s *signIn) setCookie(w http.ResponseWriter, base, path, value string, ttl time.Duration) {
	c := &http.Cookie{Name: s.cookieName(base, path), Value: value, Path: path, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if ttl > 0 {
		c.MaxAge = int(ttl.Seconds())
	}
	http.SetCookie(w, c)
}

func (s *signIn) clearCookie(w http.ResponseWriter, base, path string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(base, path), Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}
