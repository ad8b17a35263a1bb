package pii

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyEnv is the environment variable holding the production master key, base64-encoded.
const MasterKeyEnv = "FUPIN_PII_KEY"

// newKeyLength is the length of a master key made by [LoadOrCreateMasterKey].
const newKeyLength = 32

// MasterKeyFromEnv reads the master key from FUPIN_PII_KEY (base64, standard or URL alphabet, padded or
// not; at least 32 bytes once decoded). ok is false when the variable is unset or empty; an invalid value
// is an error, never silently ignored.
func MasterKeyFromEnv() (key []byte, ok bool, err error) {
	v := strings.TrimSpace(os.Getenv(MasterKeyEnv))
	if v == "" {
		return nil, false, nil
	}
	key, err = decodeKey(v)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", MasterKeyEnv, err)
	}
	return key, true, nil
}

// LoadOrCreateMasterKey reads a base64 master key from path, or, when the file does not exist, creates it
// with 32 random bytes (mode 0600, parent directories 0700). Used by `fupin dev` in its data directory; a
// production installation sets FUPIN_PII_KEY instead. Concurrent callers end up with the same key: the
// file is written under a temporary name and linked into place only if no other process got there first.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pii: master key directory: %w", err)
	}
	key = make([]byte, newKeyLength)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".pii-key-*")
	if err != nil {
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first: use theirs
			return readKeyFile(path)
		}
		// No hard links on this file system: create the file exclusively instead.
		if err := writeKeyExclusive(path, key); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return readKeyFile(path)
			}
			return nil, fmt.Errorf("pii: master key: %w", err)
		}
	}
	return key, nil
}

func writeKeyExclusive(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("pii: master key: %w", err)
	}
	key, err := decodeKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("pii: master key file %s: %w", path, err)
	}
	return key, nil
}

// decodeKey decodes base64 in any of the usual alphabets and paddings; the error never echoes the value.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) < MinMasterKeyLength {
				return nil, fmt.Errorf("%w (got %d bytes)", ErrMasterKey, len(key))
			}
			return key, nil
		}
	}
	return nil, errors.New("pii: master key is not valid base64")
}
