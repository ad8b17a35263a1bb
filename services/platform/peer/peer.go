// Package peer is how one fupin service calls another: through discovery (etcd:///fupin/services/<name>,
// round robin), with the calling service's own token and, when it acts for a person, that person's token
// in the on-behalf-of header, so the owner checks both and audits both (DESIGN.md, Identity). Trace
// context travels with every call.
package peer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/discovery"
)

// tokenTTL is how long a service token lives; it is renewed when less than a quarter is left.
const tokenTTL = auth.ServiceTokenTTL

// Credentials sign the calling service's token (sub "service:<name>", role service, the whole county)
// and attach the end user's token when the outgoing call is made inside a request a person started.
// They implement credentials.PerRPCCredentials.
type Credentials struct {
	signer *auth.Signer
	claims auth.Claims
	now    func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewCredentials returns the credentials of service name, of department dept, signed with signer.
func NewCredentials(signer *auth.Signer, name string, dept commonv1.Department) *Credentials {
	c := auth.Claims{Department: auth.DepartmentCode(dept), Role: auth.RoleCode(commonv1.Role_ROLE_SERVICE)}
	c.Subject = "service:" + name
	return &Credentials{signer: signer, claims: c, now: time.Now}
}

// GetRequestMetadata returns the authorization header and, for a call made on a person's behalf, the
// on-behalf-of header.
func (c *Credentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := c.serviceToken()
	if err != nil {
		return nil, err
	}
	md := map[string]string{"authorization": "Bearer " + tok}
	if obo := OnBehalfOf(ctx); obo != "" {
		md[auth.OnBehalfOfHeader] = obo
	}
	return md, nil
}

// RequireTransportSecurity is false: services talk over the cluster network (mTLS is the deployment's).
func (c *Credentials) RequireTransportSecurity() bool { return false }

func (c *Credentials) serviceToken() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != "" && now.Add(tokenTTL/4).Before(c.expires) {
		return c.token, nil
	}
	tok, err := c.signer.Sign(c.claims, tokenTTL)
	if err != nil {
		return "", fmt.Errorf("peer: sign service token: %w", err)
	}
	c.token, c.expires = tok, now.Add(tokenTTL)
	return tok, nil
}

// OnBehalfOf returns the header value ("Bearer <token>") of the person an incoming request acts for: the on-behalf-of token a
// service passed on, or else the bearer token of a person calling directly. It is "" outside a request
// (background work acts as the service alone) and when the incoming caller is a service acting for
// nobody.
func OnBehalfOf(ctx context.Context) string {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ""
	}
	if v := md.Get(auth.OnBehalfOfHeader); len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if c, ok := auth.FromContext(ctx); ok && c.Role == commonv1.Role_ROLE_SERVICE {
		return ""
	}
	if v := md.Get("authorization"); len(v) > 0 && strings.HasPrefix(v[0], "Bearer ") {
		return v[0]
	}
	return ""
}

// Dial connects to every instance of service through etcd, calling with creds.
func Dial(cli *clientv3.Client, service string, creds *Credentials) (*grpc.ClientConn, error) {
	return discovery.Dial(cli, service,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
	)
}
