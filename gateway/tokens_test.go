package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/servicetest"
)

// TestEdgeRefusesWhatATokenMayNotSay: the gateway's edge check refuses, with 401 and a message the holder
// can act on, the tokens of issue 8 items 4 and 10, and no such request reaches a service.
func TestEdgeRefusesWhatATokenMayNotSay(t *testing.T) {
	f := newFixture(t)
	people := f.tokens.keys.Private
	subsidies := f.tokens.keys.Service("subsidies", commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS)
	now := time.Now()
	claims := func(dept, role, region string, mod ...func(*auth.Claims)) auth.Claims {
		return servicetest.Claims(dept, role, region, "officer-1", mod...)
	}
	forgeClaims := servicetest.Forge
	forgeJSON := servicetest.ForgeJSON
	tests := []struct {
		name        string
		token       string
		wantMessage string
	}{
		{name: "township officer with an empty region", wantMessage: `invalid bearer token: a township officer's token needs a 9-digit region code as its region, not ""`,
			token: f.tokens.signClaims(t, auth.Claims{Department: "rural_revitalization", Role: "township_officer"}, time.Hour)},
		{name: "village officer with a 6-digit region", wantMessage: `invalid bearer token: a village officer's token needs a 12-digit region code as its region, not "990001"`,
			token: f.tokens.signClaims(t, auth.Claims{Department: "rural_revitalization", Role: "village_officer", Region: "990001"}, time.Hour)},
		{name: "a township not in the master data", wantMessage: `invalid bearer token: region "990001099" is not a county, township or village of the region master data`,
			token: f.tokens.signClaims(t, auth.Claims{Department: "rural_revitalization", Role: "township_officer", Region: "990001099"}, time.Hour)},
		{name: "the region claim given twice", wantMessage: `invalid bearer token: the token's payload gives the claim "region" twice ("region" and "region")`,
			token: forgeJSON(people, fmt.Sprintf(`{"sub":"officer-1","dept":"rural_revitalization","role":"township_officer","region":"990001002",`+
				`"iss":"fupin","aud":"fupin","iat":%d,"exp":%d,"region":""}`, now.Unix(), now.Add(time.Hour).Unix()))},
		{name: "a foreign audience", wantMessage: "invalid bearer token: it is not meant for this county's services (aud)",
			token: forgeClaims(t, people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"elsewhere"} }))},
		{name: "an expiry a century ahead", wantMessage: "invalid bearer token: the token lives 876",
			token: forgeClaims(t, people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) {
				c.ExpiresAt = jwt.NewNumericDate(now.AddDate(100, 0, 0))
			}))},
		{name: "issued in the future", wantMessage: "invalid bearer token: the token is issued ",
			token: forgeClaims(t, people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
				c.ExpiresAt = jwt.NewNumericDate(now.Add(2 * time.Hour))
			}))},
		{name: "a service key minting a county admin", wantMessage: "invalid bearer token",
			token: forgeClaims(t, subsidies, claims("rural_revitalization", "county_admin", ""))},
		{name: "a service key minting another service", wantMessage: "invalid bearer token",
			token: forgeClaims(t, subsidies, claims("rural_revitalization", "service", "", func(c *auth.Claims) { c.Subject = "service:identification" }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.backend.region.callCount()
			r := get(t, f.url+"/v1/regions/990001002000", bearer(tt.token))
			if r.code != http.StatusUnauthorized {
				t.Fatalf("HTTP %d, want 401: %s", r.code, r.body)
			}
			e := decodeError(t, r)
			if e.Error.Status != "UNAUTHENTICATED" || !strings.HasPrefix(e.Error.Message, tt.wantMessage) {
				t.Errorf("error = %+v, want UNAUTHENTICATED %q", e.Error, tt.wantMessage)
			}
			if n := f.backend.region.callCount(); n != before {
				t.Errorf("the service was called %d times for a refused request", n-before)
			}
		})
	}

	t.Run("a township officer of a known township passes", func(t *testing.T) {
		tok := f.tokens.signClaims(t, auth.Claims{Department: "rural_revitalization", Role: "township_officer", Region: "990001002"}, time.Hour)
		if r := get(t, f.url+"/v1/regions/990001002000", bearer(tok)); r.code != http.StatusOK {
			t.Errorf("HTTP %d: %s", r.code, r.body)
		}
	})
}
