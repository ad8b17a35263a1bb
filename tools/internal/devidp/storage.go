package devidp

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the provider's state, in memory (a restart of `fupin dev` signs everyone out of the
// provider; the gateway's sessions end when their refresh tokens are refused): the sign-ins under way,
// the tokens issued and the demo users. It implements op.Storage with what fupin's sign-in uses: the
// authorization code flow with PKCE, JWT access tokens, refresh tokens (rotated), end_session.
type storage struct {
	key                  ed25519.PrivateKey
	kid                  string
	client               *client
	users                map[string]User
	tokenTTL, refreshTTL time.Duration
	now                  func() time.Time

	mu       sync.Mutex
	requests map[string]*authRequest // by id
	codes    map[string]string       // code → request id
	tokens   map[string]*token       // access tokens by id (jti)
	refresh  map[string]*token       // refresh tokens by their value
	// grants counts the token responses by grant type, for tests.
	grants map[string]int
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

// requestTTL is how long a sign-in may take at the provider.
const requestTTL = 10 * time.Minute

// authRequest is one sign-in at the provider, from /authorize until the code is exchanged.
type authRequest struct {
	id       string
	created  time.Time
	req      oidc.AuthRequest
	userID   string
	authTime time.Time
}

func (a *authRequest) GetID() string          { return a.id }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return []string{"dev"} }
func (a *authRequest) GetAudience() []string  { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }
func (a *authRequest) GetClientID() string    { return a.req.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.userID }
func (a *authRequest) Done() bool                         { return a.userID != "" }

// token is an access token or a refresh token issued.
type token struct {
	id, subject, clientID string
	audience, scopes      []string
	authTime, expires     time.Time
	refresh               string // of an access token: the refresh token issued with it
}

// refreshRequest is a refresh token presented at the token endpoint.
type refreshRequest struct{ t *token }

func (r *refreshRequest) GetAMR() []string                 { return []string{"dev"} }
func (r *refreshRequest) GetAudience() []string            { return r.t.audience }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.t.authTime }
func (r *refreshRequest) GetClientID() string              { return r.t.clientID }
func (r *refreshRequest) GetScopes() []string              { return r.t.scopes }
func (r *refreshRequest) GetSubject() string               { return r.t.subject }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.t.scopes = scopes }

func errNotFound(what string) error { return fmt.Errorf("%s not found", what) }

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	maps.DeleteFunc(s.requests, func(_ string, a *authRequest) bool { return now.Sub(a.created) > requestTTL })
	a := &authRequest{id: rand.Text(), created: now, req: *req, userID: userID}
	s.requests[a.id] = a
	return a, nil
}

// choose records who signed in for a sign-in under way (the login page's choice).
func (s *storage) choose(requestID, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[requestID]
	if !ok || s.now().Sub(a.created) > requestTTL {
		return errNotFound("sign-in")
	}
	if _, ok := s.users[username]; !ok {
		return errNotFound("user")
	}
	a.userID, a.authTime = username, s.now()
	return nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[id]; ok {
		return a, nil
	}
	return nil, errNotFound("sign-in")
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound("code")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	maps.DeleteFunc(s.codes, func(_, rid string) bool { return rid == id })
	return nil
}

// issue records an access token (and a refresh token when refresh is not "") for the request.
func (s *storage) issue(req op.TokenRequest, clientID string, authTime time.Time, refresh string) *token {
	now := s.now()
	t := &token{id: rand.Text(), subject: req.GetSubject(), clientID: clientID, audience: req.GetAudience(),
		scopes: req.GetScopes(), authTime: authTime, expires: now.Add(s.tokenTTL), refresh: refresh}
	maps.DeleteFunc(s.tokens, func(_ string, t *token) bool { return now.After(t.expires) })
	s.tokens[t.id] = t
	if refresh != "" {
		rt := *t
		rt.expires = now.Add(s.refreshTTL)
		s.refresh[refresh] = &rt
	}
	return t
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var clientID string
	var authTime time.Time
	if a, ok := req.(*authRequest); ok {
		clientID, authTime = a.GetClientID(), a.authTime
	}
	s.grants["authorization_code"]++
	t := s.issue(req, clientID, authTime, "")
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues an access token and a new refresh token; a refresh token
// presented (currentRefreshToken) is used up: refresh tokens are rotated, as Keycloak can be set to.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var clientID string
	var authTime time.Time
	switch r := req.(type) {
	case *authRequest:
		clientID, authTime = r.GetClientID(), r.authTime
		s.grants["authorization_code"]++
	case *refreshRequest:
		clientID, authTime = r.t.clientID, r.t.authTime
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		delete(s.refresh, current)
		s.grants["refresh_token"]++
	default:
		return "", "", time.Time{}, errors.New("unsupported token request")
	}
	refresh := rand.Text()
	t := s.issue(req, clientID, authTime, refresh)
	return t.id, refresh, t.expires, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, refresh string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[refresh]
	if !ok || s.now().After(t.expires) {
		return nil, errNotFound("refresh token")
	}
	cp := *t
	return &refreshRequest{t: &cp}, nil
}

// TerminateSession (end_session) ends every token of the person at the client.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := func(_ string, t *token) bool { return t.subject == userID && t.clientID == clientID }
	maps.DeleteFunc(s.tokens, drop)
	maps.DeleteFunc(s.refresh, drop)
	return nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, refresh string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[refresh]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, refresh, nil
}

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*token{s.tokens, s.refresh} {
		if t, ok := m[tokenOrID]; ok {
			if t.clientID != clientID {
				return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
			}
			delete(m, tokenOrID)
		}
	}
	return nil
}

// signingKey is the provider's Ed25519 key (EdDSA).
type signingKey struct {
	key ed25519.PrivateKey
	kid string
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.EdDSA }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.EdDSA }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key.Public() }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{key: s.key, kid: s.kid}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.EdDSA}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{key: s.key, kid: s.kid}}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errNotFound("client")
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return errors.New("wrong client id or secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token: the subject, and with scope profile the person's name.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.userinfo(info, req.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || s.now().After(t.expires) {
		return errNotFound("token")
	}
	return s.userinfo(info, t.subject, t.scopes)
}

func (s *storage) userinfo(info *oidc.UserInfo, userID string, scopes []string) error {
	u, ok := s.users[userID]
	if !ok {
		return errNotFound("user")
	}
	info.Subject = u.Username
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = u.Name, u.Username
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || s.now().After(t.expires) || !slices.Contains(t.audience, clientID) {
		return errNotFound("token")
	}
	info := new(oidc.UserInfo)
	if err := s.userinfo(info, subject, t.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope, resp.ClientID, resp.Expiration = t.scopes, t.clientID, oidc.FromTime(t.expires)
	return nil
}

// GetPrivateClaimsFromRequest puts fupin's claims into the JWT access token: dept, role, region (the
// claims FUPIN_OIDC_ISSUERS reads by default), and the name, as Keycloak's profile mappers do.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	return s.privateClaims(req.GetSubject())
}

func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, userID, _ string, _ []string) (map[string]any, error) {
	return s.privateClaims(userID)
}

func (s *storage) privateClaims(userID string) (map[string]any, error) {
	u, ok := s.users[userID]
	if !ok {
		return nil, errNotFound("user")
	}
	c := map[string]any{"dept": u.Department, "role": u.Role, "name": u.Name, "preferred_username": u.Username}
	if u.Region != "" {
		c["region"] = u.Region
	}
	return c, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile grants are not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grants are not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// grantCount is how many token responses of a grant type the provider gave.
func (s *storage) grantCount(grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[grant]
}

// client is the gateway, the one client of the development provider: a confidential web client whose
// redirect URIs are any loopback port's /auth/callback (and /auth/login after sign-out), so gateway
// replicas of tests on their own ports sign in through the same provider.
type client struct {
	id, secret, issuer string
}

var _ op.HasRedirectGlobs = (*client)(nil)

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return nil }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string            { return c.issuer + loginPath + "?authRequestID=" + id }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *client) DevMode() bool                        { return true }
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RedirectURIGlobs() []string           { return loopbacks("/auth/callback") }
func (c *client) PostLogoutRedirectURIGlobs() []string { return loopbacks("/auth/login*") }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func loopbacks(path string) []string {
	var out []string
	for _, scheme := range []string{"http", "https"} {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			out = append(out, scheme+"://"+host+":*"+path)
		}
	}
	return out
}
