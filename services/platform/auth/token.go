package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the `iss` of tokens fupin signs itself.
const Issuer = "fupin"

// Claims are the JWT claims of a fupin token.
type Claims struct {
	Department string `json:"dept"`
	Role       string `json:"role"`
	Region     string `json:"region,omitempty"`
	jwt.RegisteredClaims
}

var regionPrefix = regexp.MustCompile(`^[0-9]{0,12}$`)

// Caller converts verified claims into a Caller, rejecting unknown departments and roles.
func (c *Claims) Caller() (*Caller, error) {
	dept, ok := ParseDepartment(c.Department)
	if !ok {
		return nil, fmt.Errorf("unknown department %q", c.Department)
	}
	role, ok := ParseRole(c.Role)
	if !ok {
		return nil, fmt.Errorf("unknown role %q", c.Role)
	}
	if !regionPrefix.MatchString(c.Region) {
		return nil, fmt.Errorf("region %q is not a region code prefix", c.Region)
	}
	if c.Subject == "" {
		return nil, errors.New("token has no subject")
	}
	return &Caller{Subject: c.Subject, Department: dept, Role: role, Region: c.Region}, nil
}

// Signer makes tokens with an Ed25519 private key.
type Signer struct {
	key ed25519.PrivateKey
}

// NewSigner returns a signer for key.
func NewSigner(key ed25519.PrivateKey) *Signer { return &Signer{key: key} }

// Sign returns a token for the claims, valid for ttl from now.
func (s *Signer) Sign(c Claims, ttl time.Duration) (string, error) {
	now := time.Now()
	c.Issuer = Issuer
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	return tok.SignedString(s.key)
}

// Verifier checks tokens and returns their claims. Verified tokens are remembered until they expire, so
// a busy caller's token costs one signature check, not one per request.
type Verifier struct {
	keys   []ed25519.PublicKey
	parser *jwt.Parser

	mu    sync.Mutex
	cache map[[32]byte]*Claims
}

// maxCachedTokens bounds the verified-token cache; it is cleared whole when full.
const maxCachedTokens = 10000

// NewVerifier returns a verifier that accepts tokens signed by any of keys.
func NewVerifier(keys ...ed25519.PublicKey) *Verifier {
	return &Verifier{
		keys:   keys,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(Issuer), jwt.WithExpirationRequired()),
		cache:  make(map[[32]byte]*Claims),
	}
}

// Verify checks the token's signature, issuer and expiry and returns its claims.
func (v *Verifier) Verify(token string) (*Claims, error) {
	sum := sha256.Sum256([]byte(token))
	v.mu.Lock()
	c, ok := v.cache[sum]
	v.mu.Unlock()
	if ok {
		if c.ExpiresAt != nil && time.Now().Before(c.ExpiresAt.Time) {
			return c, nil
		}
		v.mu.Lock()
		delete(v.cache, sum)
		v.mu.Unlock()
	}
	var lastErr error
	for _, k := range v.keys {
		claims := &Claims{}
		_, err := v.parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return k, nil })
		if err == nil {
			v.mu.Lock()
			if len(v.cache) >= maxCachedTokens {
				clear(v.cache)
			}
			v.cache[sum] = claims
			v.mu.Unlock()
			return claims, nil
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = errors.New("no verification key configured")
	}
	return nil, lastErr
}

// LoadOrCreateKey reads the Ed25519 private key at path (PKCS#8 PEM), creating it with a fresh key when
// the file does not exist. `fupin dev` keeps its key in the data directory so tokens survive restarts.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		return ParsePrivateKey(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		return nil, err
	}
	return priv, nil
}

// ParsePrivateKey reads a PKCS#8 PEM Ed25519 private key.
func ParsePrivateKey(pemBytes []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block in private key file")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("private key is not Ed25519")
	}
	return priv, nil
}

// ParsePublicKeys reads every PKIX PEM Ed25519 public key in pemBytes (several allow key rotation).
func ParsePublicKeys(pemBytes []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for {
		var block *pem.Block
		block, pemBytes = pem.Decode(pemBytes)
		if block == nil {
			break
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New("public key is not Ed25519")
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return keys, nil
}

// EncodePublicKey writes pub as PKIX PEM, for services and the gateway to verify with.
func EncodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
