// Package pagetoken is the one envelope of every List method's page_token (AIP-158): opaque to callers, a
// kind naming the list ("h1", "dc", …) and the cursor's parts joined by "|", in base64url. Each list names
// its kind, so a token from one list is refused by another.
package pagetoken

import (
	"encoding/base64"
	"strings"

	"fupin.dev/services/platform/apperr"
)

// Encode returns the token of kind for the cursor parts. A single empty part (no next cursor) is the last
// page: "".
func Encode(kind string, parts ...string) string {
	if len(parts) == 1 && parts[0] == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strings.Join(parts, "|")))
}

// Decode reads a token of kind with exactly n non-empty parts; the empty token (the first page) gives nil.
func Decode(tok, kind string, n int) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ok {
		return nil, Invalid()
	}
	parts := strings.Split(rest, "|")
	if len(parts) != n {
		return nil, Invalid()
	}
	for _, p := range parts {
		if p == "" {
			return nil, Invalid()
		}
	}
	return parts, nil
}

// After reads a token of kind holding one cursor part; the empty token gives "".
func After(tok, kind string) (string, error) {
	parts, err := Decode(tok, kind, 1)
	if err != nil || parts == nil {
		return "", err
	}
	return parts[0], nil
}

// Invalid refuses a token this service did not issue for the list: INVALID_ARGUMENT on page_token.
func Invalid() error {
	return apperr.Invalid("INVALID_FIELD", "page_token", "not a token this service issued")
}
