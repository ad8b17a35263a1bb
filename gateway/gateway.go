// Package gateway is fupin's REST front door: grpc-gateway v2 translating HTTP/JSON into gRPC calls to the
// services, which it finds through etcd like any other client.
//
// The gateway authenticates at the edge (a request without a verifiable bearer token never reaches a
// service) but forwards the Authorization header unchanged, so every service still checks the caller itself
// and applies its own authorization, validation and audit interceptors. It never registers service handlers
// in-process: that would skip those interceptors.
//
// Every request is bounded (Limits: body and header sizes, read and write timeouts) and logged once, by
// route template and never by content (requestlog.go); a request that does not decode is refused naming the
// field, never echoing the value (decode.go).
//
// Besides the API under /v1/ it serves, without a token: /healthz (the readiness of every routed service),
// /openapi.json (the merged OpenAPI document generated from the protos), /docs/ (an embedded Swagger UI) and
// the county portal at / (portal.go: the officials' web app built into portal/dist, with index.html for
// every path the app routes).
// With SignIn it is the portal's OpenID Connect client (signin.go): /auth/login, /auth/callback, /auth/me
// and /auth/logout, a session in etcd behind an HttpOnly cookie, and the API served to that cookie with the
// session's access token and a CSRF token for every change.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/credentials"

	"fupin.dev/services/platform/auth"
)

// Config is what the gateway needs to run.
type Config struct {
	// Addr is where to listen, e.g. "127.0.0.1:8080". Ignored when Listener is set.
	Addr string
	// Etcd finds the services (etcd:///fupin/services/<name>).
	Etcd *clientv3.Client
	// Verifier checks bearer tokens at the edge.
	Verifier *auth.Verifier
	// Services names the services to route, e.g. "identification"; each must be known to the gateway.
	Services []string
	// Logger receives the gateway's logs; nil means slog.Default().
	Logger *slog.Logger
	// Listener, when set, is served instead of listening on Addr (tests pass a listener on a free port).
	Listener net.Listener
	// Portal, when set, is served at / instead of the portal build embedded in the gateway (a folder as
	// `make portal` writes it; tests pass a fstest.MapFS).
	Portal fs.FS
	// TransportCredentials secure the connections to the services. Nil means plaintext, which is only
	// right on loopback (`fupin dev`) or inside a mesh that adds mTLS; production passes
	// credentials.NewTLS with the gateway's client certificate here.
	TransportCredentials credentials.TransportCredentials
	// Limits bound request bodies, headers and the time a client may take; zero fields take the defaults
	// (see Limits and LimitsFromEnv).
	Limits Limits
	// SignIn, when set, lets people sign in to the portal through the county's OIDC provider (SignIn,
	// SignInFromEnv); nil serves bearer clients only.
	SignIn *SignIn
	// Mounts serves handlers of the process's own at path prefixes (ending in "/"), without a token and
	// outside the API: `fupin dev` mounts its development identity provider at /dev-idp/. The gateway
	// binary mounts nothing.
	Mounts map[string]http.Handler
}

// shutdownTimeout bounds how long in-flight requests may finish once Run's context ends.
const shutdownTimeout = 15 * time.Second

// Run serves the gateway until ctx ends, then stops accepting requests, lets in-flight ones finish (for at
// most shutdownTimeout) and closes the connections to the services.
func Run(ctx context.Context, cfg Config) error { return run(ctx, cfg, knownServices()) }

// run is Run with the table of known services given, so tests can add routes of their own.
func run(ctx context.Context, cfg Config, known map[string]service) error {
	if cfg.Listener == nil && cfg.Addr == "" {
		return errors.New("gateway: invalid config: no listen address")
	}
	logger := loggerOf(cfg)
	handler, closeConns, err := newHandler(ctx, cfg, known)
	if err != nil {
		return err
	}
	defer func() {
		// Not an error of Run: the gateway has stopped serving as asked, and what is left goes with the process.
		if cerr := closeConns(); cerr != nil {
			logger.Warn("gateway: close service connections", "err", cerr)
		}
	}()

	lis := cfg.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("gateway: listen on %s: %w", cfg.Addr, err)
		}
	}
	srv := newServer(handler, cfg.Limits.withDefaults())
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		logger.Info("gateway listening", "addr", lis.Addr().String(), "services", cfg.Services)
		if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("gateway: serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("gateway shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			// Requests still running after the timeout are cut off.
			return errors.Join(fmt.Errorf("gateway: shutdown: %w", err), srv.Close())
		}
		return nil
	})
	return g.Wait()
}

func loggerOf(cfg Config) *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.Default()
}
