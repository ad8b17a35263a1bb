package gateway

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"fupin.dev/services/platform/auth"
)

// authenticate refuses, with 401 UNAUTHENTICATED, every request without an `Authorization: Bearer <jwt>`
// that verifies and names a known department and role. Checking at the edge keeps anonymous traffic off the
// services, and it comes before anything reads the body: an anonymous request's body is never read. The
// header itself goes on unchanged, and each service verifies it again and decides what the caller may do.
func authenticate(v *auth.Verifier, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			writeError(r.Context(), logger, w, nil, status.New(codes.Unauthenticated, "missing bearer token"), 0)
			return
		}
		claims, err := v.Verify(token)
		var caller *auth.Caller
		if err == nil {
			caller, err = claims.Caller()
		}
		if err != nil {
			msg := "invalid bearer token"
			if errors.Is(err, jwt.ErrTokenExpired) {
				msg = "bearer token expired"
			}
			// The cause (bad signature, unknown role...) is for the operator, not for whoever holds the token.
			logger.DebugContext(r.Context(), "token refused", "err", err)
			writeError(r.Context(), logger, w, nil, status.New(codes.Unauthenticated, msg), 0)
			return
		}
		if x := exchangeFrom(r.Context()); x != nil {
			x.dept, x.role = auth.DepartmentCode(caller.Department), auth.RoleCode(caller.Role)
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the token of an RFC 6750 Authorization header; the scheme is case-insensitive.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
