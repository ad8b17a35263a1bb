package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// MinMasterKeyLength is the shortest master key [NewProtector] accepts, in bytes.
const MinMasterKeyLength = 32

// DefaultKeyVersion is the key version of a Protector made without [WithKeyVersion].
const DefaultKeyVersion byte = 1

// HKDF parameters. Changing any of them changes every derived key: they are part of the stored format.
const (
	hkdfSalt      = "fupin.dev/platform/pii"
	infoSealKey   = "fupin pii v1 seal AES-256-GCM"
	infoIndexKey  = "fupin pii v1 blind index HMAC-SHA256"
	infoTokenKey  = "fupin v1 server-made tokens HMAC-SHA256"
	derivedKeyLen = 32
	// BlindIndexLength is the length of a blind index in hex characters (128 bits).
	BlindIndexLength = 32
)

var (
	// ErrMasterKey means a master key is missing or too short.
	ErrMasterKey = errors.New("pii: master key must be at least 32 bytes")
	// ErrCiphertext means a sealed value cannot be opened: it is truncated, was sealed under a key
	// version this Protector does not hold, or was altered (authentication failed).
	ErrCiphertext = errors.New("pii: cannot open sealed value")
)

// Protector encrypts personal data and computes blind indexes with keys derived from one master key.
// It is safe for concurrent use.
type Protector struct {
	version  byte
	aeads    map[byte]cipher.AEAD // by key version; includes the current one
	indexKey []byte
	macs     sync.Pool // of hash.Hash: HMAC-SHA256 under indexKey
	tokenKey []byte    // signs tokens a service makes and later checks (Sign)
}

// Option configures a Protector.
type Option func(*protectorConfig) error

type protectorConfig struct {
	version byte
	retired map[byte][]byte
}

// WithKeyVersion sets the key version of the master key (1-255; default 1). Values are sealed under this
// version; raise it when the master key is rotated.
func WithKeyVersion(v byte) Option {
	return func(c *protectorConfig) error {
		if v == 0 {
			return errors.New("pii: key version 0 is reserved")
		}
		c.version = v
		return nil
	}
}

// WithRetiredKey adds an earlier master key, used only to open values sealed under its version (for
// rotation jobs and for reading rows not yet re-sealed).
func WithRetiredKey(version byte, master []byte) Option {
	return func(c *protectorConfig) error {
		if version == 0 {
			return errors.New("pii: key version 0 is reserved")
		}
		if len(master) < MinMasterKeyLength {
			return fmt.Errorf("%w (retired key version %d)", ErrMasterKey, version)
		}
		if c.retired == nil {
			c.retired = map[byte][]byte{}
		}
		c.retired[version] = master
		return nil
	}
}

// NewProtector derives the sealing key and the blind-index key from master (at least 32 bytes, e.g. from
// [MasterKeyFromEnv] or [LoadOrCreateMasterKey]) with HKDF-SHA256.
func NewProtector(master []byte, opts ...Option) (*Protector, error) {
	if len(master) < MinMasterKeyLength {
		return nil, ErrMasterKey
	}
	cfg := protectorConfig{version: DefaultKeyVersion}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if _, clash := cfg.retired[cfg.version]; clash {
		return nil, fmt.Errorf("pii: retired key version %d is also the current version", cfg.version)
	}
	p := &Protector{version: cfg.version, aeads: make(map[byte]cipher.AEAD, 1+len(cfg.retired))}
	var err error
	if p.aeads[cfg.version], err = sealAEAD(master); err != nil {
		return nil, err
	}
	for v, key := range cfg.retired {
		if p.aeads[v], err = sealAEAD(key); err != nil {
			return nil, err
		}
	}
	if p.indexKey, err = hkdf.Key(sha256.New, master, []byte(hkdfSalt), infoIndexKey, derivedKeyLen); err != nil {
		return nil, fmt.Errorf("pii: derive blind-index key: %w", err)
	}
	p.macs.New = func() any { return hmac.New(sha256.New, p.indexKey) }
	if p.tokenKey, err = hkdf.Key(sha256.New, master, []byte(hkdfSalt), infoTokenKey, derivedKeyLen); err != nil {
		return nil, fmt.Errorf("pii: derive token key: %w", err)
	}
	return p, nil
}

// Sign returns the HMAC-SHA256 of msg under a key of its own derived from the master key: for tokens a
// service hands out and checks when they come back (the human check of an objection form), which every
// replica of every service of the county can check and nobody else can make.
func (p *Protector) Sign(msg []byte) []byte {
	m := hmac.New(sha256.New, p.tokenKey)
	m.Write(msg)
	return m.Sum(nil)
}

func sealAEAD(master []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, master, []byte(hkdfSalt), infoSealKey, derivedKeyLen)
	if err != nil {
		return nil, fmt.Errorf("pii: derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return aead, nil
}

// KeyVersion returns the version values are sealed under. A stored value whose first byte differs was
// sealed under another key and should be re-sealed.
func (p *Protector) KeyVersion() byte { return p.version }

// Seal encrypts plaintext with AES-256-GCM and a random 96-bit nonce. The result is
// version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes); the version byte is authenticated
// too. Two seals of the same plaintext differ. One key must not seal more than 2^32 values (rotate long
// before).
func (p *Protector) Seal(plaintext string) ([]byte, error) {
	aead := p.aeads[p.version]
	out := make([]byte, 1, 1+aead.Overhead()+len(plaintext))
	out[0] = p.version
	return aead.Seal(out, nil, []byte(plaintext), out[:1]), nil
}

// Open decrypts a value made by [Protector.Seal] under the current or a retired key version. It fails
// with ErrCiphertext when the value is truncated, of an unknown key version, or altered.
func (p *Protector) Open(sealed []byte) (string, error) {
	if len(sealed) < 1 {
		return "", fmt.Errorf("%w: empty", ErrCiphertext)
	}
	aead, ok := p.aeads[sealed[0]]
	if !ok {
		return "", fmt.Errorf("%w: unknown key version %d", ErrCiphertext, sealed[0])
	}
	if len(sealed) < 1+aead.Overhead() {
		return "", fmt.Errorf("%w: truncated", ErrCiphertext)
	}
	plain, err := aead.Open(nil, nil, sealed[1:], sealed[:1])
	if err != nil {
		return "", fmt.Errorf("%w: authentication failed", ErrCiphertext)
	}
	return string(plain), nil
}

// BlindIndex returns the blind index of a 身份证号: HMAC-SHA256 under the blind-index key over the
// normalised number ([NormalizeIDNumber]), hex-encoded and cut to 32 characters (128 bits). It is
// deterministic for a master key, so every service of the county computes the same index for the same
// person and can match persons without plain numbers. It does not validate the number.
func (p *Protector) BlindIndex(idNumber string) string {
	mac := p.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(NormalizeIDNumber(idNumber)))
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	p.macs.Put(mac)
	return hex.EncodeToString(sum[:BlindIndexLength/2])
}
