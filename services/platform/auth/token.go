package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
)

// Issuer is the `iss` of tokens fupin signs itself.
const Issuer = "fupin"

// DefaultAudience is the `aud` every token must carry unless the county sets FUPIN_TOKEN_AUDIENCE.
const DefaultAudience = "fupin"

// ServiceTokenTTL is how long a service's own token lives (platform/peer signs them); the county's
// FUPIN_SERVICE_TOKEN_MAX_TTL may not be shorter.
const ServiceTokenTTL = 10 * time.Minute

// IssuedAtSkew is how far in the future a token's `iat` may lie: the clocks of the issuer and the
// verifier differ by a little, never by more.
const IssuedAtSkew = time.Minute

// ErrInvalidClaims is wrapped by every refusal of what a token says (role, region, audience, lifetime,
// a repeated claim) as opposed to who signed it. The gateway shows these to the caller; signature and key
// problems it only logs.
var ErrInvalidClaims = errors.New("invalid token claims")

// Settings are the county's token rules, the same in the gateway and in every service.
type Settings struct {
	// Audience is the `aud` every token must carry (FUPIN_TOKEN_AUDIENCE, default "fupin").
	Audience string
	// MaxTTL bounds a person's token's lifetime, exp − iat (FUPIN_TOKEN_MAX_TTL, default 12h).
	MaxTTL time.Duration
	// MaxServiceTTL bounds a service's own token's lifetime (FUPIN_SERVICE_TOKEN_MAX_TTL, default 1h).
	MaxServiceTTL time.Duration
}

// DefaultSettings are the rules when the county sets none: audience "fupin", people's tokens up to 12
// hours (a working day), services' up to an hour (they sign 10-minute tokens and renew them).
func DefaultSettings() Settings {
	return Settings{Audience: DefaultAudience, MaxTTL: 12 * time.Hour, MaxServiceTTL: time.Hour}
}

// SettingsFromEnv reads FUPIN_TOKEN_AUDIENCE, FUPIN_TOKEN_MAX_TTL and FUPIN_SERVICE_TOKEN_MAX_TTL (Go
// durations, e.g. 8h), the defaults where unset. Every problem is reported at once.
func SettingsFromEnv() (Settings, error) {
	s := DefaultSettings()
	if a := os.Getenv("FUPIN_TOKEN_AUDIENCE"); a != "" {
		s.Audience = a
	}
	var errs []error
	duration := func(name string, into *time.Duration, least time.Duration) {
		v := os.Getenv(name)
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		case d < least:
			errs = append(errs, fmt.Errorf("%s: %s is shorter than %s", name, d, least))
		default:
			*into = d
		}
	}
	duration("FUPIN_TOKEN_MAX_TTL", &s.MaxTTL, time.Minute)
	duration("FUPIN_SERVICE_TOKEN_MAX_TTL", &s.MaxServiceTTL, ServiceTokenTTL)
	return s, errors.Join(errs...)
}

// VerifierFromEnv builds the token verifier of the gateway and of every service: the keys of keyFile
// (FUPIN_JWT_PUBLIC_KEY_FILE, each bound to what it may sign: ParseKeySet) and the OIDC issuers of
// FUPIN_OIDC_ISSUERS (ParseIssuers), under the county's token rules (SettingsFromEnv). Every problem is
// reported at once. The verifier learns the regions later, from etcd (WithRegions).
func VerifierFromEnv(keyFile string) (*Verifier, error) {
	var errs []error
	settings, err := SettingsFromEnv()
	if err != nil {
		errs = append(errs, err)
	}
	issuers, err := ParseIssuers([]byte(os.Getenv("FUPIN_OIDC_ISSUERS")))
	if err != nil {
		errs = append(errs, fmt.Errorf("FUPIN_OIDC_ISSUERS: %w", err))
	}
	var keys *KeySet
	if keyFile == "" {
		errs = append(errs, errors.New("FUPIN_JWT_PUBLIC_KEY_FILE is required (PEM Ed25519 public keys, each with its Fupin-Signs header)"))
	} else {
		b, err := os.ReadFile(keyFile)
		if err == nil {
			keys, err = ParseKeySet(b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("FUPIN_JWT_PUBLIC_KEY_FILE %s: %w", keyFile, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewVerifier(settings, keys).WithIssuers(issuers, nil), nil
}

// Claims are the JWT claims of a fupin token.
type Claims struct {
	Department string `json:"dept"`
	Role       string `json:"role"`
	Region     string `json:"region,omitempty"`
	jwt.RegisteredClaims
}

// scopeRE admits the region scopes the master data has: the county (6 digits), a township (9) or a
// village (12); empty is the whole county.
var scopeRE = regexp.MustCompile(`^([0-9]{6}|[0-9]{9}|[0-9]{12})?$`)

// Caller converts claims into a Caller, refusing unknown departments and roles and a region that does not
// fit the role: a township officer (乡镇干部) must name a 9-digit township, a village officer (村干部) a
// 12-digit village — without one they would see the whole county. Whether the region exists is the
// Verifier's check (the master data is not known here).
func (c *Claims) Caller() (*Caller, error) {
	dept, ok := ParseDepartment(c.Department)
	if !ok {
		return nil, fmt.Errorf("%w: unknown department %q", ErrInvalidClaims, c.Department)
	}
	role, ok := ParseRole(c.Role)
	if !ok {
		return nil, fmt.Errorf("%w: unknown role %q", ErrInvalidClaims, c.Role)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: token has no subject", ErrInvalidClaims)
	}
	switch want := regionDigits(role); {
	case want > 0 && (len(c.Region) != want || !scopeRE.MatchString(c.Region)):
		return nil, fmt.Errorf("%w: a %s's token needs a %d-digit region code as its region, not %q",
			ErrInvalidClaims, strings.ReplaceAll(RoleCode(role), "_", " "), want, c.Region)
	case !scopeRE.MatchString(c.Region):
		return nil, fmt.Errorf("%w: region %q is not a region code prefix: 6 (county), 9 (township) or 12 (village) digits, or empty for the whole county",
			ErrInvalidClaims, c.Region)
	}
	return &Caller{Subject: c.Subject, Department: dept, Role: role, Region: c.Region}, nil
}

// regionDigits is the length of region a role must carry, 0 when any scope (or none) will do.
func regionDigits(r commonv1.Role) int {
	switch r {
	case commonv1.Role_ROLE_TOWNSHIP_OFFICER:
		return 9
	case commonv1.Role_ROLE_VILLAGE_OFFICER:
		return 12
	}
	return 0
}

// Signer makes tokens with an Ed25519 private key.
type Signer struct {
	key      ed25519.PrivateKey
	kid      string
	audience string
}

// NewSigner returns a signer for key whose tokens carry audience ("" is DefaultAudience).
func NewSigner(key ed25519.PrivateKey, audience string) *Signer {
	if audience == "" {
		audience = DefaultAudience
	}
	return &Signer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), audience: audience}
}

// Sign returns a token for the claims, issued now and valid for ttl, naming its key in the kid header.
func (s *Signer) Sign(c Claims, ttl time.Duration) (string, error) {
	now := time.Now()
	c.Issuer = Issuer
	c.Audience = jwt.ClaimStrings{s.audience}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = s.kid
	return tok.SignedString(s.key)
}

// Regions is the county's region master data as the verifier needs it (platform/regionset.Set is one).
type Regions interface {
	// Known reports whether scope (6, 9 or 12 digits) names the county, a township or a village of the
	// master data; an error when the master data is not known.
	Known(scope string) (bool, error)
}

// Verifier checks tokens and returns their claims: the signature by a key of its sources that may sign
// those claims (or, for a token of a configured OIDC issuer, by a key of the issuer's JWKS, for people
// only), the issuer, the audience, expiry, a lifetime within the county's cap, an iat not in the future,
// no claim given twice, claims that fit the role, and a region of the master data. Verified tokens are
// remembered until they expire, so a busy caller's token costs one signature check, not one per request.
type Verifier struct {
	settings Settings
	sources  []KeySource
	issuers  map[string]*oidcIssuer
	regions  Regions
	parser   *jwt.Parser
	cache    *tokenCache
}

// NewVerifier returns a verifier of tokens signed by keys of the sources under the rules s (zero fields
// take DefaultSettings). It knows no regions until WithRegions: tokens that name one are refused.
func NewVerifier(s Settings, sources ...KeySource) *Verifier {
	d := DefaultSettings()
	if s.Audience == "" {
		s.Audience = d.Audience
	}
	if s.MaxTTL == 0 {
		s.MaxTTL = d.MaxTTL
	}
	if s.MaxServiceTTL == 0 {
		s.MaxServiceTTL = d.MaxServiceTTL
	}
	return &Verifier{
		settings: s,
		sources:  sources,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(Issuer),
			jwt.WithAudience(s.Audience), jwt.WithExpirationRequired()),
		cache: &tokenCache{m: make(map[[32]byte]*Claims)},
	}
}

// WithIssuers returns a verifier that also accepts people's tokens of the OIDC issuers cfgs (ParseIssuers
// has checked them), sharing v's keys, rules, regions and cache. client fetches the issuers' discovery
// documents and keys; nil is a client with a short timeout. The keys are fetched when a token of the
// issuer first arrives, so a process starts while the provider is away.
func (v *Verifier) WithIssuers(cfgs []IssuerConfig, client *http.Client) *Verifier {
	c := *v
	c.issuers = make(map[string]*oidcIssuer, len(v.issuers)+len(cfgs))
	maps.Copy(c.issuers, v.issuers)
	for _, cfg := range cfgs {
		c.issuers[cfg.Issuer] = newOIDCIssuer(cfg, v.settings.Audience, client)
	}
	return &c
}

// Issuers are the OIDC issuers the verifier trusts, by issuer URL.
func (v *Verifier) Issuers() []string {
	return slices.Sorted(maps.Keys(v.issuers))
}

// WithRegions returns a verifier that checks regions against r, sharing v's keys, rules and cache. Each
// service and the gateway give it their live region set (platform/regionset).
func (v *Verifier) WithRegions(r Regions) *Verifier {
	c := *v
	c.regions = r
	return &c
}

// Settings are the rules the verifier applies; services sign their own tokens for its audience.
func (v *Verifier) Settings() Settings { return v.settings }

// Verify checks a token (see Verifier) and returns its claims.
func (v *Verifier) Verify(token string) (*Claims, error) {
	c, err := v.verified(token)
	if err != nil {
		return nil, err
	}
	if c.Region != "" {
		if err := v.knownRegion(c.Region); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// knownRegion refuses a region scope the master data does not have. It is checked on every call, not
// cached with the token, so a region the master data drops is refused from then on.
func (v *Verifier) knownRegion(scope string) error {
	if v.regions == nil {
		return fmt.Errorf("%w: region %q cannot be checked: the verifier has no region master data", ErrInvalidClaims, scope)
	}
	ok, err := v.regions.Known(scope)
	switch {
	case err != nil:
		return fmt.Errorf("%w: region %q: %w", ErrInvalidClaims, scope, err)
	case !ok:
		return fmt.Errorf("%w: region %q is not a county, township or village of the region master data", ErrInvalidClaims, scope)
	}
	return nil
}

// verified checks everything but the region, from the cache when it can.
func (v *Verifier) verified(token string) (*Claims, error) {
	sum := sha256.Sum256([]byte(token))
	if c, ok := v.cache.get(sum); ok {
		return c, nil
	}
	kid, iss, err := inspect(token)
	if err != nil {
		return nil, err
	}
	if iss != Issuer {
		return v.verifiedOIDC(token, kid, iss, sum)
	}
	var lastErr error
	for _, src := range v.sources {
		for _, k := range src.Keys(kid) {
			claims := &Claims{}
			_, err := v.parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return k.Public, nil })
			if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				lastErr = err // not this key's signature: try the next
				continue
			}
			if err == nil {
				err = v.check(claims, k.Binding)
			}
			if err != nil {
				return nil, err
			}
			v.cache.put(sum, claims)
			return claims, nil
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no verification key configured")
	}
	return nil, lastErr
}

// verifiedOIDC verifies a token whose iss is not fupin's: by the configured OIDC issuer of that name, as
// a person's token.
func (v *Verifier) verifiedOIDC(token, kid, iss string, sum [32]byte) (*Claims, error) {
	is, ok := v.issuers[iss]
	if !ok {
		return nil, fmt.Errorf("%w: %w: %q is not an issuer the county trusts (FUPIN_OIDC_ISSUERS)", ErrInvalidClaims, jwt.ErrTokenInvalidIssuer, iss)
	}
	claims, err := is.verify(token, kid)
	if err == nil {
		err = v.check(claims, People)
	}
	if err != nil {
		return nil, err
	}
	v.cache.put(sum, claims)
	return claims, nil
}

// check applies the rules the JWT library does not know: what the key may sign, iat, the lifetime cap
// and the claims' own rules.
func (v *Verifier) check(c *Claims, b Binding) error {
	caller, err := c.Caller()
	if err != nil {
		return err
	}
	if err := b.permits(caller); err != nil {
		return err
	}
	if c.IssuedAt == nil {
		return fmt.Errorf("%w: the token has no iat (issued at): %w", ErrInvalidClaims, jwt.ErrTokenRequiredClaimMissing)
	}
	if late := c.IssuedAt.Sub(time.Now()); late > IssuedAtSkew {
		return fmt.Errorf("%w: the token is issued %s in the future (iat): %w", ErrInvalidClaims, late.Round(time.Second), jwt.ErrTokenUsedBeforeIssued)
	}
	limit, whose := v.settings.MaxTTL, "a person's token (FUPIN_TOKEN_MAX_TTL)"
	if caller.Role == commonv1.Role_ROLE_SERVICE {
		limit, whose = v.settings.MaxServiceTTL, "a service's token (FUPIN_SERVICE_TOKEN_MAX_TTL)"
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life > limit {
		return fmt.Errorf("%w: the token lives %s (exp − iat), longer than the %s allowed for %s", ErrInvalidClaims, life, limit, whose)
	}
	return nil
}

// tokenCache remembers verified tokens until they expire; it is cleared whole when full.
type tokenCache struct {
	mu sync.Mutex
	m  map[[32]byte]*Claims
}

// maxCachedTokens bounds the verified-token cache.
const maxCachedTokens = 10000

func (t *tokenCache) get(sum [32]byte) (*Claims, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.m[sum]
	if !ok {
		return nil, false
	}
	if c.ExpiresAt != nil && time.Now().Before(c.ExpiresAt.Time) {
		return c, true
	}
	delete(t.m, sum)
	return nil, false
}

func (t *tokenCache) put(sum [32]byte, c *Claims) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxCachedTokens {
		clear(t.m)
	}
	t.m[sum] = c
}

// inspect reads a token's header and payload before the JWT library does, refuses either when it gives
// a member twice, and returns the header's kid and the payload's iss (unverified: it only says which
// issuer's keys and rules to verify the token by). encoding/json keeps the last of repeated names, and
// matches names to fields case-insensitively, so `"region":"990001002","Region":""` would silently widen
// a township officer to the whole county: names are compared folded as encoding/json folds them. A
// token that is not three base64url segments is left to the library to refuse.
func inspect(token string) (kid, iss string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", Issuer, nil
	}
	for i, what := range []string{"header", "payload"} {
		// The library's own decoding of a segment, so both read the same bytes.
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return "", Issuer, nil
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := noRepeatedNames(dec); err != nil {
			return "", "", fmt.Errorf("%w: the token's %s %w", ErrInvalidClaims, what, err)
		}
		var fields struct {
			Kid string `json:"kid"`
			Iss any    `json:"iss"`
		}
		_ = json.Unmarshal(b, &fields)
		if i == 0 {
			kid = fields.Kid
		} else if s, ok := fields.Iss.(string); ok && s != "" {
			iss = s
		} else {
			iss = Issuer // no issuer: fupin's rules refuse it
		}
	}
	return kid, iss, nil
}

// noRepeatedNames walks one JSON value and refuses an object, at any depth, that gives a name twice.
func noRepeatedNames(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("is not JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]string{}
		for dec.More() {
			nameTok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("is not JSON: %w", err)
			}
			name, _ := nameTok.(string)
			folded := foldName(name)
			if first, dup := seen[folded]; dup {
				return fmt.Errorf("gives the claim %q twice (%q and %q)", first, first, name)
			}
			seen[folded] = name
			if err := noRepeatedNames(dec); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := noRepeatedNames(dec); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("is not JSON: %w", err)
	}
	return nil
}

// foldName folds a JSON member name the way encoding/json matches names to struct fields, so names it
// would take for the same field compare equal: "region", "Region" and "REGİON" all name the region
// claim, "sub" and "ſub" (with a long s) the subject.
func foldName(name string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, name)
}
