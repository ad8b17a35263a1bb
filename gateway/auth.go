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
// that the verifier accepts: signed by a key that may sign those claims, for the county's audience, within
// the lifetime cap, naming a known department, a role and a region that fits it and exists in the region
// master data. Checking at the edge keeps anonymous traffic off the services, and it comes before anything
// reads the body: an anonymous request's body is never read. The header itself goes on unchanged, and each service verifies it again and decides what the caller may do.
func authenticate(v *auth.Verifier, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			writeError(r.Context(), logger, w, nil, status.New(codes.Unauthenticated, "missing bearer token"), 0)
			return
		}
		claims, err := v.Verify(token)
		if err != nil {
			writeError(r.Context(), logger, w, nil, status.New(codes.Unauthenticated, refusal(err)), 0)
			// The whole cause (bad signature, which key...) is for the operator.
			logger.DebugContext(r.Context(), "token refused", "err", err)
			return
		}
		if x := exchangeFrom(r.Context()); x != nil {
			// Verify has checked the claims already; the request log names the caller's department and role.
			if caller, err := claims.Caller(); err == nil {
				x.dept, x.role = auth.DepartmentCode(caller.Department), auth.RoleCode(caller.Role)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refusal is what the caller is told about a refused token. What the token says (its role, its region, its
// audience, its lifetime, a claim given twice) the holder may know and needs to hear to get a right one;
// why a signature does not verify helps only a forger, so it stays "invalid bearer token".
func refusal(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "bearer token expired"
	case errors.Is(err, auth.ErrInvalidClaims):
		return "invalid bearer token: " + strings.TrimPrefix(err.Error(), auth.ErrInvalidClaims.Error()+": ")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "invalid bearer token: it is not meant for this county's services (aud)"
	}
	return "invalid bearer token"
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
