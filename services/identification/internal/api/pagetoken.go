package api

import (
	"encoding/base64"
	"strings"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
)

// Page tokens are opaque to callers: a kind prefix ("h1", "v1", …) and the cursor's parts joined by
// "|", in base64url. Each list names its kind so a token from one list is refused by another.

// pageToken makes the token of kind for the cursor parts.
func pageToken(kind string, parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strings.Join(parts, "|")))
}

// errPageToken refuses a token this service did not issue for the list.
func errPageToken() error {
	return apperr.Invalid(domain.ReasonInvalidField, "page_token", "not a token this service issued")
}

// pageTokenParts reads a token of kind with exactly n parts; the empty token (the first page) gives nil.
func pageTokenParts(tok, kind string, n int) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ok {
		return nil, errPageToken()
	}
	parts := strings.Split(rest, "|")
	if len(parts) != n {
		return nil, errPageToken()
	}
	return parts, nil
}
