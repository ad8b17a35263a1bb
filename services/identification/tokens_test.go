package identification_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/regionset"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"github.com/golang-jwt/jwt/v5"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// bearerCtx calls with token as the bearer (and, when given, a person's token on whose behalf).
func bearerCtx(t *testing.T, token string, onBehalfOf ...string) context.Context {
	md := []string{"authorization", "Bearer " + token}
	if len(onBehalfOf) > 0 {
		md = append(md, auth.OnBehalfOfHeader, "Bearer "+onBehalfOf[0])
	}
	return metadata.AppendToOutgoingContext(t.Context(), md...)
}

// TestTokensAtTheServiceEdge sends the service, over real gRPC, the tokens of issue 8 items 4 and 10:
// each is refused as UNAUTHENTICATED saying why, before any handler runs; the right ones pass.
func TestTokensAtTheServiceEdge(t *testing.T) {
	h := start(t, sqldb.SQLite)
	people := h.keys.Private
	subsidiesKey := h.keys.Service("subsidies", commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS)
	now := time.Now()
	claims := func(dept, role, region string, mod ...func(*auth.Claims)) auth.Claims {
		return servicetest.Claims(dept, role, region, "u-forged", mod...)
	}
	forge := func(key ed25519.PrivateKey, c auth.Claims) string { return servicetest.Forge(t, key, c) }
	// A township officer of 青山乡 with `"region":""` written after the real region: encoding/json keeps
	// the last, which would make them a county-wide officer.
	duplicated := servicetest.ForgeJSON(people, fmt.Sprintf(`{"sub":"u-forged","dept":"rural_revitalization","role":"township_officer","region":"990001002",`+
		`"iss":"fupin","aud":"fupin","iat":%d,"exp":%d,"region":""}`, now.Unix(), now.Add(time.Hour).Unix()))
	sign := func(c auth.Claims) string {
		tok, err := h.keys.Signer.Sign(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	township := func(region string) auth.Claims {
		return auth.Claims{Department: "rural_revitalization", Role: "township_officer", Region: region,
			RegisteredClaims: jwt.RegisteredClaims{Subject: "u-township"}}
	}

	tests := []struct {
		name  string
		ctx   context.Context
		wants string
	}{
		{name: "the region claim given twice", ctx: bearerCtx(t, duplicated), wants: `gives the claim "region" twice`},
		{name: "a township officer with an empty region", ctx: bearerCtx(t, sign(township(""))),
			wants: `a township officer's token needs a 9-digit region code as its region, not ""`},
		{name: "a village officer with a 6-digit region", wants: `a village officer's token needs a 12-digit region code as its region, not "990001"`,
			ctx: bearerCtx(t, sign(auth.Claims{Department: "rural_revitalization", Role: "village_officer", Region: "990001",
				RegisteredClaims: jwt.RegisteredClaims{Subject: "u-village"}}))},
		{name: "a township not in the master data", ctx: bearerCtx(t, sign(township("990001099"))),
			wants: `region "990001099" is not a county, township or village of the region master data`},
		{name: "a foreign audience", wants: "token has invalid audience",
			ctx: bearerCtx(t, forge(people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"elsewhere"} })))},
		{name: "an expiry a century ahead", wants: "longer than the 12h0m0s allowed for a person's token",
			ctx: bearerCtx(t, forge(people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) {
				c.ExpiresAt = jwt.NewNumericDate(now.AddDate(100, 0, 0))
			})))},
		{name: "issued an hour in the future", wants: "in the future (iat)",
			ctx: bearerCtx(t, forge(people, claims("rural_revitalization", "county_admin", "", func(c *auth.Claims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
				c.ExpiresAt = jwt.NewNumericDate(now.Add(2 * time.Hour))
			})))},
		{name: "the subsidies service's key minting a county admin", wants: "the key of service subsidies signs only",
			ctx: bearerCtx(t, forge(subsidiesKey, claims("rural_revitalization", "county_admin", "")))},
		{name: "the subsidies service's key minting identification's own subject", wants: "the key of service subsidies signs only",
			ctx: bearerCtx(t, forge(subsidiesKey, claims("rural_revitalization", "service", "", func(c *auth.Claims) { c.Subject = "service:identification" })))},
		{name: "the people's key minting a service", wants: "a key of people's tokens signed a service's token",
			ctx: bearerCtx(t, forge(people, claims("civil_affairs", "service", "", func(c *auth.Claims) { c.Subject = "service:subsidies" })))},
		{name: "a service acting for a township officer without a region", wants: `a township officer's token needs a 9-digit region`,
			ctx: bearerCtx(t, forge(subsidiesKey, claims("civil_affairs", "service", "", func(c *auth.Claims) { c.Subject = "service:subsidies" })),
				sign(township("")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.regions.GetRegion(tt.ctx, &identificationv1.GetRegionRequest{Name: "regions/990001002000"})
			if code := status.Code(err); code != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), tt.wants) {
				t.Errorf("GetRegion: %v; want UNAUTHENTICATED saying %q", err, tt.wants)
			}
		})
	}

	t.Run("the right tokens pass", func(t *testing.T) {
		for name, ctx := range map[string]context.Context{
			"a township officer of 青山乡":            bearerCtx(t, sign(township("990001002"))),
			"the subsidies service":                bearerCtx(t, forge(subsidiesKey, claims("civil_affairs", "service", "", func(c *auth.Claims) { c.Subject = "service:subsidies" }))),
			"the subsidies service for an officer": bearerCtx(t, forge(subsidiesKey, claims("civil_affairs", "service", "", func(c *auth.Claims) { c.Subject = "service:subsidies" })), sign(township("990001002"))),
		} {
			if _, err := h.regions.GetRegion(ctx, &identificationv1.GetRegionRequest{Name: "regions/990001002000"}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestPublishesRegionMasterData: identification publishes the regions of its master data to etcd on start
// (nothing else puts them there in this test), and from then on its verifier knows them.
func TestPublishesRegionMasterData(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		cli := etcdtest.New(t)
		entries, err := policy.LoadDefaultsFile("../../deploy/policy/defaults.json")
		if err == nil {
			_, err = policy.SeedDefaults(t.Context(), cli, entries)
		}
		if err != nil {
			t.Fatal(err)
		}
		// A region published by mistake earlier: identification's master data replaces the whole set.
		if _, err := cli.Put(t.Context(), regionset.Prefix+"990001099000", `{"level":"township"}`); err != nil {
			t.Fatal(err)
		}
		keys := servicetest.NewKeys()
		servicetest.Run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
			return identification.Run(ctx, identification.Config{Config: boot.Config{DatabaseURL: sqldbtest.URL(t, d), Etcd: cli,
				Verifier: keys.Verifier(), PIIKey: keys.PII, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: ready},
				RegionsFile: "../../deploy/regions/demo-county.json"})
		})
		want, err := regionset.LoadFile("../../deploy/regions/demo-county.json")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cli.Get(t.Context(), regionset.Prefix, clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, kv := range resp.Kvs {
			got[strings.TrimPrefix(string(kv.Key), regionset.Prefix)] = string(kv.Value)
		}
		if len(got) != len(want) {
			t.Errorf("%d regions in etcd, want the %d of the master data", len(got), len(want))
		}
		for _, r := range want {
			if v := got[r.Code]; v != `{"level":"`+r.Level+`","name":"`+r.Name+`"}` {
				t.Errorf("region %s: %q in etcd, want level %s and name %s", r.Code, v, r.Level, r.Name)
			}
		}
		if _, ok := got["990001099000"]; ok {
			t.Error("a region outside the master data stayed published")
		}
		// The service's own verifier follows etcd's watch: it knows the published regions within moments.
		regions := identificationv1.NewRegionServiceClient(servicetest.Dial(t, cli, identification.Name))
		get := func(township string) error {
			_, err := regions.GetRegion(keys.As(t, t.Context(), "rural_revitalization", "township_officer", township),
				&identificationv1.GetRegionRequest{Name: "regions/990001002000"})
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			published, unpublished := get("990001002"), get("990001099")
			if published == nil && status.Code(unpublished) == codes.Unauthenticated {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a township officer of a published township: %v; of the unpublished one: %v (want UNAUTHENTICATED)", published, unpublished)
			}
		}
	})
}
