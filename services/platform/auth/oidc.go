package auth

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
)

// IssuerConfig is one OpenID Connect provider whose people's tokens fupin accepts besides its own, e.g. the
// county's Keycloak realm (FUPIN_OIDC_ISSUERS holds a JSON array of them). Accounts live in the provider;
// fupin reads who a person is from their access token: its signature by a key of the provider's published
// key set (JWKS: RS256, ES256 or EdDSA), its issuer and audience, and the claims named here, mapped to
// fupin's department, role and region. An issuer signs people's tokens only: a token of it that claims the
// service role, or a "service:" subject, is refused, as for the key of people's tokens in the key file.
type IssuerConfig struct {
	// Issuer is the provider's issuer URL, exactly as its tokens' `iss` and its discovery document
	// (<issuer>/.well-known/openid-configuration, which names the JWKS) give it. HTTPS, or HTTP on a
	// loopback address (`fupin dev`'s provider).
	Issuer string `json:"issuer"`
	// Audience is the `aud` every token of the issuer must carry: the client id the provider puts there
	// (Keycloak: an audience mapper on the client). Empty means the county's token audience
	// (FUPIN_TOKEN_AUDIENCE, default "fupin").
	Audience string `json:"audience,omitempty"`
	// Claims names the token's claims that say who the person is; empty names take the defaults.
	Claims ClaimNames `json:"claims,omitzero"`
	// Groups, when set, takes the department and role from a list claim of group or role names instead
	// of Claims.Department and Claims.Role.
	Groups *GroupMapping `json:"groups,omitempty"`
}

// ClaimNames are the claims of an issuer's tokens fupin reads. A name with dots reaches into nested
// objects ("fupin.dept" is {"fupin":{"dept":…}}), as Keycloak writes a claim name with dots.
type ClaimNames struct {
	// Subject is the person's stable identifier as audit rows and trails record it (default "sub";
	// Keycloak's "preferred_username" reads better in the audit log, if usernames are never reused).
	Subject string `json:"subject,omitempty"`
	// Department holds a department code such as "civil_affairs" (default "dept").
	Department string `json:"department,omitempty"`
	// Role holds a role code such as "township_officer" (default "role").
	Role string `json:"role,omitempty"`
	// Region holds the person's region scope: 9 digits for a township officer, 12 for a village officer,
	// absent or empty for the whole county (default "region").
	Region string `json:"region,omitempty"`
}

// GroupMapping reads department and role from a list of names, such as Keycloak's group membership mapper
// ("groups": ["/民政局/业务人员"]) or its realm roles ("realm_access.roles"). The person's names that Map
// knows must all give the same department and role; names it does not know are ignored.
type GroupMapping struct {
	// Claim is the list claim, e.g. "groups" or "realm_access.roles".
	Claim string `json:"claim"`
	// Map gives each group or role name the department and role it stands for.
	Map map[string]GroupRole `json:"map"`
}

// GroupRole is a department and role, as claim codes ("civil_affairs", "department_staff").
type GroupRole struct {
	Department string `json:"department"`
	Role       string `json:"role"`
}

// Default claim names of an issuer's tokens: fupin's own.
const (
	defaultSubjectClaim    = "sub"
	defaultDepartmentClaim = "dept"
	defaultRoleClaim       = "role"
	defaultRegionClaim     = "region"
)

// ParseIssuers reads FUPIN_OIDC_ISSUERS: a JSON array of IssuerConfig, each checked (an issuer URL over
// HTTPS or on loopback, no issuer twice, none named "fupin", claim names and group mappings that make
// sense). Every problem is reported at once. Empty input is no issuer.
func ParseIssuers(b []byte) ([]IssuerConfig, error) {
	if strings.TrimSpace(string(b)) == "" {
		return nil, nil
	}
	var cfgs []IssuerConfig
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfgs); err != nil {
		return nil, fmt.Errorf("not a JSON array of issuers: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.check(); err != nil {
			errs = append(errs, fmt.Errorf("issuer %d: %w", i+1, err))
		}
		if seen[c.Issuer] {
			errs = append(errs, fmt.Errorf("issuer %d: %s is listed twice", i+1, c.Issuer))
		}
		seen[c.Issuer] = true
	}
	return cfgs, errors.Join(errs...)
}

// check refuses a configuration that could not verify tokens or would map them wrongly.
func (c IssuerConfig) check() error {
	var errs []error
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		errs = append(errs, errors.New("no issuer URL"))
	case c.Issuer == Issuer:
		errs = append(errs, fmt.Errorf("the issuer %q is fupin's own (its keys are in the key file)", Issuer))
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("issuer %q is not an absolute URL without query", c.Issuer))
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		errs = append(errs, fmt.Errorf("issuer %q: HTTPS is required except on a loopback address", c.Issuer))
	case u.Scheme != "https" && u.Scheme != "http":
		errs = append(errs, fmt.Errorf("issuer %q: the scheme must be https", c.Issuer))
	}
	if g := c.Groups; g != nil {
		if g.Claim == "" {
			errs = append(errs, errors.New("groups: no claim named"))
		}
		if len(g.Map) == 0 {
			errs = append(errs, errors.New("groups: the map is empty"))
		}
		for name, gr := range g.Map {
			if err := gr.check(); err != nil {
				errs = append(errs, fmt.Errorf("groups: %q: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// check refuses a group mapped to an unknown department or role, or to the service role: an issuer of
// people's tokens may never make a service.
func (g GroupRole) check() error {
	if _, ok := ParseDepartment(g.Department); !ok {
		return fmt.Errorf("unknown department %q", g.Department)
	}
	r, ok := ParseRole(g.Role)
	switch {
	case !ok:
		return fmt.Errorf("unknown role %q", g.Role)
	case r == commonv1.Role_ROLE_SERVICE:
		return errors.New("the service role belongs to fupin's services, never to a person")
	}
	return nil
}

func loopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// oidcIssuer verifies the tokens of one configured issuer.
type oidcIssuer struct {
	cfg    IssuerConfig
	names  ClaimNames
	parser *jwt.Parser
	keys   *jwks
}

// issuerAlgorithms are the signature algorithms fupin accepts from an OIDC issuer.
var issuerAlgorithms = []string{"RS256", "ES256", "EdDSA"}

func newOIDCIssuer(c IssuerConfig, audience string, client *http.Client) *oidcIssuer {
	if c.Audience == "" {
		c.Audience = audience
	}
	n := c.Claims
	n.Subject = cmp.Or(n.Subject, defaultSubjectClaim)
	n.Department = cmp.Or(n.Department, defaultDepartmentClaim)
	n.Role = cmp.Or(n.Role, defaultRoleClaim)
	n.Region = cmp.Or(n.Region, defaultRegionClaim)
	return &oidcIssuer{
		cfg:   c,
		names: n,
		parser: jwt.NewParser(jwt.WithValidMethods(issuerAlgorithms), jwt.WithIssuer(c.Issuer),
			jwt.WithAudience(c.Audience), jwt.WithExpirationRequired()),
		keys: newJWKS(c.Issuer, client),
	}
}

// verify checks the token's signature by a key of the issuer's JWKS, its issuer, audience and expiry, and
// maps its claims.
func (is *oidcIssuer) verify(token, kid string) (*Claims, error) {
	mc := jwt.MapClaims{}
	_, err := is.parser.ParseWithClaims(token, mc, func(t *jwt.Token) (any, error) {
		alg, _ := t.Header["alg"].(string)
		return is.keys.lookup(kid, alg)
	})
	if err != nil {
		return nil, err
	}
	return is.claims(mc)
}

// claims maps a verified token's claims to fupin's: the subject, department and role (from their claims
// or the group mapping) and the region, with the registered claims the lifetime rules read.
func (is *oidcIssuer) claims(mc jwt.MapClaims) (*Claims, error) {
	c := &Claims{}
	var errs []error
	str := func(name string, required bool) string {
		v, err := stringClaim(mc, name)
		switch {
		case err != nil:
			errs = append(errs, err)
		case required && v == "":
			errs = append(errs, fmt.Errorf("the token has no %q claim", name))
		}
		return v
	}
	c.Subject = str(is.names.Subject, true)
	c.Region = str(is.names.Region, false)
	if g := is.cfg.Groups; g != nil {
		gr, err := groupRole(mc, g)
		if err != nil {
			errs = append(errs, err)
		}
		c.Department, c.Role = gr.Department, gr.Role
	} else {
		c.Department = str(is.names.Department, true)
		c.Role = str(is.names.Role, true)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidClaims, errors.Join(errs...))
	}
	c.Issuer = is.cfg.Issuer
	c.Audience = jwt.ClaimStrings{is.cfg.Audience}
	c.ID, _ = mc["jti"].(string)
	c.ExpiresAt, _ = mc.GetExpirationTime()
	c.IssuedAt, _ = mc.GetIssuedAt()
	c.NotBefore, _ = mc.GetNotBefore()
	return c, nil
}

// groupRole is the department and role the token's groups map to.
func groupRole(mc jwt.MapClaims, g *GroupMapping) (GroupRole, error) {
	v, _ := claimAt(mc, g.Claim)
	var names []string
	switch list := v.(type) {
	case nil:
	case string:
		names = []string{list}
	case []any:
		for _, n := range list {
			if s, ok := n.(string); ok {
				names = append(names, s)
			}
		}
	default:
		return GroupRole{}, fmt.Errorf("the %q claim is not a list of names", g.Claim)
	}
	var found []string
	var gr GroupRole
	for _, n := range names {
		m, ok := g.Map[n]
		if !ok {
			continue
		}
		if len(found) > 0 && m != gr {
			return GroupRole{}, fmt.Errorf("the groups %q and %q of the %q claim map to different departments or roles", found[0], n, g.Claim)
		}
		gr = m
		found = append(found, n)
	}
	if len(found) == 0 {
		return GroupRole{}, fmt.Errorf("no name of the %q claim maps to a fupin department and role", g.Claim)
	}
	return gr, nil
}

// stringClaim reads a string claim at a dotted path: "" when absent; a list of exactly one string (a
// multivalued attribute with one value) counts as that string.
func stringClaim(mc jwt.MapClaims, path string) (string, error) {
	v, ok := claimAt(mc, path)
	if !ok || v == nil {
		return "", nil
	}
	switch s := v.(type) {
	case string:
		return s, nil
	case []any:
		if len(s) == 1 {
			if one, ok := s[0].(string); ok {
				return one, nil
			}
		}
	}
	return "", fmt.Errorf("the %q claim is not one string", path)
}

// claimAt follows a dotted path through nested objects; a claim whose own name has the dots wins.
func claimAt(mc jwt.MapClaims, path string) (any, bool) {
	if v, ok := mc[path]; ok {
		return v, true
	}
	var cur any = map[string]any(mc)
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// issuerFetchTimeout bounds one discovery or JWKS request to a provider.
const issuerFetchTimeout = 5 * time.Second
