package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
)

// ServiceSubjectPrefix starts the subject of every service's own token: "service:<name>".
const ServiceSubjectPrefix = "service:"

// Binding is what a verification key may sign. A key of people's tokens (the county's token issuer, or
// `fupin dev`'s signing key) signs tokens of people only, never one of role service; a service's key
// signs that service's own token only: sub "service:<name>", role service, its department. So a leaked
// service key cannot mint a county administrator, nor pass for another service.
type Binding struct {
	// Service names the service whose own tokens the key signs; empty for a key of people's tokens.
	Service string
	// Department is the service's department; unspecified for a key of people's tokens.
	Department commonv1.Department
}

// People is the binding of a key that signs people's tokens.
var People = Binding{}

// ServiceBinding is the binding of service name's own key; dept is the department it calls as.
func ServiceBinding(name string, dept commonv1.Department) Binding {
	return Binding{Service: name, Department: dept}
}

// String is the binding as a key file's Fupin-Signs header has it: "people" or "service:<name>".
func (b Binding) String() string {
	if b.Service == "" {
		return "people"
	}
	return ServiceSubjectPrefix + b.Service
}

// permits refuses a caller this binding may not sign for.
func (b Binding) permits(c *Caller) error {
	service := c.Role == commonv1.Role_ROLE_SERVICE
	if b.Service == "" {
		if service || strings.HasPrefix(c.Subject, ServiceSubjectPrefix) {
			return fmt.Errorf("%w: a key of people's tokens signed a service's token (sub %q, role %s)",
				ErrKeyBinding, c.Subject, RoleCode(c.Role))
		}
		return nil
	}
	if !service || c.Subject != ServiceSubjectPrefix+b.Service || c.Department != b.Department {
		return fmt.Errorf("%w: the key of service %s signs only sub %q, role service, dept %s; not sub %q, role %s, dept %s",
			ErrKeyBinding, b.Service, ServiceSubjectPrefix+b.Service, DepartmentCode(b.Department),
			c.Subject, RoleCode(c.Role), DepartmentCode(c.Department))
	}
	return nil
}

// ErrKeyBinding is wrapped by the refusal of a token whose signing key may not sign its claims.
var ErrKeyBinding = errors.New("the signing key may not sign these claims")

// Key is one verification key and what it may sign.
type Key struct {
	// ID is the key's RFC 7638 JWK thumbprint; tokens fupin signs name it in their `kid` header, so the
	// verifier tries that key alone.
	ID      string
	Public  ed25519.PublicKey
	Binding Binding
}

// NewKey returns the verification key pub with its binding.
func NewKey(pub ed25519.PublicKey, b Binding) Key {
	return Key{ID: KeyID(pub), Public: pub, Binding: b}
}

// KeyID is the RFC 7638 thumbprint of an Ed25519 public key (as a JWK: kty OKP, crv Ed25519).
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeySource finds the keys that may have signed a token. The county's key file is one (KeySet); an
// issuer's JWKS fetched over OIDC would be another, added to the Verifier beside it.
type KeySource interface {
	// Keys returns the keys to try for a token whose header names kid ("" when it names none).
	Keys(kid string) []Key
}

// KeySet is a fixed list of keys: the county's key file, or the keys of `fupin dev` and tests. It is safe
// for concurrent use; Add lets test harnesses give each service its key as it starts.
type KeySet struct {
	mu   sync.RWMutex
	keys []Key
}

// NewKeySet returns a set of keys.
func NewKeySet(keys ...Key) *KeySet { return &KeySet{keys: keys} }

// Add adds keys to the set.
func (s *KeySet) Add(keys ...Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, keys...)
}

// Keys returns the key whose ID is kid, or every key when kid is empty or names none of them (a token
// of an issuer that names its keys its own way).
func (s *KeySet) Keys(kid string) []Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if kid != "" {
		for _, k := range s.keys {
			if k.ID == kid {
				return []Key{k}
			}
		}
	}
	return slices.Clone(s.keys)
}

// PEM headers of a key file: every PUBLIC KEY block says what its key signs.
const (
	signsHeader      = "Fupin-Signs"
	departmentHeader = "Fupin-Department"
)

var serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// ParseKeySet reads a key file (FUPIN_JWT_PUBLIC_KEY_FILE): PKIX PEM Ed25519 PUBLIC KEY blocks (several
// allow rotation), each with a header saying what the key signs:
//
//	-----BEGIN PUBLIC KEY-----
//	Fupin-Signs: people
//
//	MCowBQYDK2VwAyEA…
//	-----END PUBLIC KEY-----
//
// "Fupin-Signs: people" for the issuer of people's tokens, or "Fupin-Signs: service:<name>" with
// "Fupin-Department: <department code>" for a service's own key. A block without them is refused: no key
// may sign everything.
func ParseKeySet(pemBytes []byte) (*KeySet, error) {
	var keys []Key
	for n := 1; ; n++ {
		var block *pem.Block
		block, pemBytes = pem.Decode(pemBytes)
		if block == nil {
			break
		}
		k, err := parseKeyBlock(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return NewKeySet(keys...), nil
}

func parseKeyBlock(block *pem.Block) (Key, error) {
	if block.Type != "PUBLIC KEY" {
		return Key{}, fmt.Errorf("a %q block, want PUBLIC KEY", block.Type)
	}
	for h := range block.Headers {
		if h != signsHeader && h != departmentHeader {
			return Key{}, fmt.Errorf("unknown header %q (want %s and, for a service key, %s)", h, signsHeader, departmentHeader)
		}
	}
	pub, err := parsePKIX(block.Bytes)
	if err != nil {
		return Key{}, err
	}
	signs, dept := block.Headers[signsHeader], block.Headers[departmentHeader]
	switch name, isService := strings.CutPrefix(signs, ServiceSubjectPrefix); {
	case signs == "people" && dept == "":
		return NewKey(pub, People), nil
	case signs == "people":
		return Key{}, fmt.Errorf("a key of people's tokens has no %s", departmentHeader)
	case isService && serviceNameRE.MatchString(name):
		d, ok := ParseDepartment(dept)
		if !ok {
			return Key{}, fmt.Errorf("service key of %s: %s %q is not a department code", name, departmentHeader, dept)
		}
		return NewKey(pub, ServiceBinding(name, d)), nil
	default:
		return Key{}, fmt.Errorf("%s %q: want \"people\" or \"service:<name>\" (what may this key sign?)", signsHeader, signs)
	}
}

// parsePKIX reads a PKIX (SubjectPublicKeyInfo) Ed25519 public key.
func parsePKIX(der []byte) (ed25519.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("public key is not Ed25519")
	}
	return pub, nil
}

// PublicKeyOf reads the public key of a PEM Ed25519 key, private (PKCS#8) or public (PKIX): what
// `fupin pubkey` turns into a block of the key file.
func PublicKeyOf(pemBytes []byte) (ed25519.PublicKey, error) {
	if priv, err := ParsePrivateKey(pemBytes); err == nil {
		return priv.Public().(ed25519.PublicKey), nil
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("neither an Ed25519 private key nor a public key in PEM")
	}
	return parsePKIX(block.Bytes)
}

// EncodeKeys writes keys as a key file that ParseKeySet reads.
func EncodeKeys(keys ...Key) ([]byte, error) {
	var out []byte
	for _, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k.Public)
		if err != nil {
			return nil, err
		}
		headers := map[string]string{signsHeader: k.Binding.String()}
		if k.Binding.Service != "" {
			headers[departmentHeader] = DepartmentCode(k.Binding.Department)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: headers, Bytes: der})...)
	}
	return out, nil
}

// LoadOrCreateKey reads the Ed25519 private key at path (PKCS#8 PEM), creating it with a fresh key when
// the file does not exist. `fupin dev` keeps its keys in the data directory so tokens survive restarts.
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
