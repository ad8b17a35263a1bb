package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/regionset"
)

// RequestIDHeader correlates a client's request with the logs of every service it reaches.
const RequestIDHeader = "x-request-id"

// forwardedHeaders are the request headers, besides Authorization (which grpc-gateway always forwards),
// passed to the services as gRPC metadata. Everything else is dropped: in particular a client cannot set
// auth.OnBehalfOfHeader, which only services calling services may send, nor any other metadata a service
// trusts. Trace context travels through the otel propagators, not through this list.
var forwardedHeaders = []string{auth.PurposeHeader, RequestIDHeader}

// Public paths, served without a token.
const (
	healthzPath = "/healthz"
	openAPIPath = "/openapi.json"
	docsPath    = "/docs/"
	// publicPath ("/gongshi", public.go) is public too: the notices anyone may read.
)

// NewHandler returns the gateway's whole HTTP handler, with connections dialed to every configured service,
// and a function that closes those connections. Run uses it; tests mount it on an httptest server.
//
// ctx is used while registering the routes only; the connections live until close is called.
func NewHandler(ctx context.Context, cfg Config) (http.Handler, func() error, error) {
	return newHandler(ctx, cfg, knownServices())
}

// newHandler is NewHandler with the table of known services given, so tests can add services of their own.
func newHandler(ctx context.Context, cfg Config, known map[string]service) (http.Handler, func() error, error) {
	if err := validate(cfg, known); err != nil {
		return nil, nil, err
	}
	logger := loggerOf(cfg)
	docs, err := docsHandler()
	if err != nil {
		return nil, nil, err
	}
	portal, err := newPortalSite(cfg.Portal)
	if err != nil {
		return nil, nil, err
	}
	// W3C trace context is fupin's one propagation format (DESIGN.md, Telemetry), so it is stated here rather
	// than taken from otel's global propagator, which is a no-op until a process installs one. The tracer and
	// meter providers are the global ones, installed by the process's telemetry set-up.
	propagators := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

	conns, err := dialServices(cfg, known, propagators)
	if err != nil {
		return nil, nil, err
	}
	closeConns := func() error { return closeServices(conns, closeTimeout) }

	fail := func(ctx context.Context, w http.ResponseWriter, st *status.Status, httpStatus int) {
		writeError(ctx, logger, w, nil, st, httpStatus)
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newMarshaler(logger)),
		runtime.WithIncomingHeaderMatcher(matchIncomingHeader),
		runtime.WithErrorHandler(errorHandler(logger)),
		runtime.WithStreamErrorHandler(streamErrorHandler(logger)),
		runtime.WithRoutingErrorHandler(routingErrorHandler(logger)),
		runtime.WithForwardResponseOption(noStore),
		runtime.WithMiddlewares(nameSpanByRoute, limitBody(fail)),
	)
	for _, c := range conns {
		for _, register := range known[c.name].register {
			if err := register(ctx, mux, c.conn); err != nil {
				return nil, nil, errors.Join(fmt.Errorf("gateway: register %s routes: %w", c.name, err), closeConns())
			}
		}
	}

	// The region master data, as identification publishes it to etcd. Followed in the background: the
	// gateway starts and serves /healthz while etcd is away, refusing tokens that name a region until the
	// regions are known.
	regions := regionset.OpenInBackground(cfg.Etcd, logger)
	closeConns = func() error { regions.Close(); return closeServices(conns, closeTimeout) }
	verifier := cfg.Verifier.WithRegions(regions)
	api := authenticate(verifier, logger, mux)
	var signIn *signIn
	if cfg.SignIn != nil {
		if signIn, err = newSignIn(*cfg.SignIn, cfg.Etcd, verifier, regions, logger); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("gateway: invalid config: sign-in: %w", err), closeConns())
		}
		api = signIn.api(api)
	}
	health := healthHandler(conns, logger)
	public := newNoticePages(conns, known, regions, cfg.Limits.withDefaults().Public, logger)
	openAPI := openAPIHandler()

	// A plain switch rather than an http.ServeMux: otelhttp renames the span after the request from
	// http.Request.Pattern when it is set, which would turn every API span into "GET /" and undo
	// nameSpanByRoute.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		x := exchangeFrom(r.Context())
		if sc := trace.SpanContextFromContext(r.Context()); sc.HasTraceID() {
			x.traceID = sc.TraceID().String()
		}
		switch p := r.URL.Path; {
		case p == healthzPath:
			x.route, x.quiet = r.Method+" "+healthzPath, true
			health.ServeHTTP(w, r)
		case p == openAPIPath:
			x.route, x.quiet = r.Method+" "+openAPIPath, true
			openAPI.ServeHTTP(w, r)
		case p == strings.TrimSuffix(docsPath, "/"):
			x.route, x.quiet = r.Method+" "+docsPath, true
			http.Redirect(w, r, docsPath, http.StatusMovedPermanently)
		case strings.HasPrefix(p, docsPath):
			x.route, x.quiet = r.Method+" "+docsPath, true
			docs.ServeHTTP(w, r)
		case mounted(cfg.Mounts, p) != "":
			x.route = r.Method + " " + mounted(cfg.Mounts, p)
			cfg.Mounts[mounted(cfg.Mounts, p)].ServeHTTP(w, r)
		case p == publicPath || strings.HasPrefix(p, publicPath+"/"):
			// The public notices: no token, rate limited per client; never a
			// sign-in redirect.
			public.ServeHTTP(w, r)
		case signIn != nil && strings.HasPrefix(p, authPath):
			signIn.ServeHTTP(w, r)
		case signIn != nil && signIn.signedOutPage(r):
			signIn.toSignIn(w, r)
		case isPortalPath(r):
			// The portal's files are public (the app holds no data); its API calls are not.
			portal.ServeHTTP(w, r)
		default:
			// Everything else needs a token, /v1/ and unknown API paths alike: new routes are private by default.
			api.ServeHTTP(w, r)
		}
	})
	h := otelhttp.NewHandler(root, "gateway",
		otelhttp.WithPropagators(propagators),
		otelhttp.WithSpanNameFormatter(spanName),
	)
	return edge(cfg.Limits.withDefaults(), &requestLog{logger: logger}, h), closeConns, nil
}

// mounted is the prefix of cfg.Mounts that path lies under, "" when none.
func mounted(mounts map[string]http.Handler, path string) string {
	for prefix := range mounts {
		if strings.HasPrefix(path, prefix) {
			return prefix
		}
	}
	return ""
}

func validate(cfg Config, known map[string]service) error {
	var errs []error
	if cfg.Etcd == nil {
		errs = append(errs, errors.New("no etcd client"))
	}
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("no token verifier"))
	}
	if len(cfg.Services) == 0 {
		errs = append(errs, errors.New("no services to route"))
	}
	for prefix := range cfg.Mounts {
		if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || prefix == "/" ||
			strings.HasPrefix(prefix, "/v1/") || strings.HasPrefix(prefix, authPath) {
			errs = append(errs, fmt.Errorf("mount %q: want a path prefix such as /dev-idp/, outside /v1/ and /auth/", prefix))
		}
	}
	for i, name := range cfg.Services {
		if _, ok := known[name]; !ok {
			errs = append(errs, fmt.Errorf("unknown service %q (known: %s)", name, strings.Join(sortedNames(known), ", ")))
		}
		if slices.Contains(cfg.Services[:i], name) {
			errs = append(errs, fmt.Errorf("service %q listed twice", name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gateway: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// newMarshaler is the JSON of the whole API. A marshaler given to runtime.WithMarshalerOption replaces all of
// grpc-gateway's defaults, so each one fupin relies on is stated: proto field names (DESIGN.md: "JSON uses
// proto field names", matching the OpenAPI document), every field present even when zero (a client can tell
// "0" and "false" from a missing field without knowing proto3 rules), and unknown request fields ignored (an
// older gateway accepts a newer client's request). HTTPBodyMarshaler keeps google.api.HttpBody responses raw;
// jsonAPI (decode.go) decodes without echoing values and writes streamed errors as AIP-193.
func newMarshaler(logger *slog.Logger) runtime.Marshaler {
	pb := &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{
			UseProtoNames:   true,
			EmitUnpopulated: true,
		},
		UnmarshalOptions: protojson.UnmarshalOptions{
			DiscardUnknown: true,
		},
	}
	return &jsonAPI{
		Marshaler: &runtime.HTTPBodyMarshaler{Marshaler: pb},
		pb:        pb,
		errorJSON: func(st *status.Status) []byte {
			return errorJSON(context.Background(), logger, st, runtime.HTTPStatusFromCode(st.Code()))
		},
	}
}

// matchIncomingHeader forwards exactly forwardedHeaders. It does not fall back to
// runtime.DefaultHeaderMatcher: nothing but the listed headers should reach a service from the outside.
func matchIncomingHeader(key string) (string, bool) {
	for _, h := range forwardedHeaders {
		if textproto.CanonicalMIMEHeaderKey(key) == textproto.CanonicalMIMEHeaderKey(h) {
			return h, true
		}
	}
	return "", false
}

// noStore keeps API responses, which carry personal data, out of browser and proxy caches. It runs for
// every response a service gave, so it also notes the gRPC method for the request log.
func noStore(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	noteRPC(ctx)
	w.Header().Set("Cache-Control", "no-store")
	return nil
}

// spanName names the server span when the request arrives. For API requests the route is not known yet, so
// the name is the method alone (as OpenTelemetry's HTTP conventions say) until nameSpanByRoute renames it.
func spanName(_ string, r *http.Request) string {
	switch p := r.URL.Path; {
	case p == healthzPath || p == openAPIPath:
		return r.Method + " " + p
	case strings.HasPrefix(p, docsPath):
		return r.Method + " " + docsPath
	case p == publicPath || strings.HasPrefix(p, publicPath+"/"):
		return r.Method + " " + publicPath
	case strings.HasPrefix(p, authPath):
		return r.Method + " " + authRoute(p)
	case isPortalPath(r):
		// Never the concrete path: a portal route may hold a household's id.
		return r.Method + " /{portal}"
	}
	return r.Method
}

// nameSpanByRoute runs once grpc-gateway has matched a route: it names the span after the route template
// (e.g. "GET /v1/{name=households/*}"), never the concrete path, which holds ids, and labels the request
// metrics with it.
func nameSpanByRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if x := exchangeFrom(r.Context()); x != nil {
			x.route = routeKey(r)
		}
		if pat, ok := runtime.HTTPPattern(r.Context()); ok {
			route := pat.String()
			routeAttr := attribute.String("http.route", route)
			span := trace.SpanFromContext(r.Context())
			span.SetName(r.Method + " " + route)
			span.SetAttributes(routeAttr)
			if l, ok := otelhttp.LabelerFromContext(r.Context()); ok {
				l.Add(routeAttr)
			}
		}
		next(w, r, params)
	}
}
