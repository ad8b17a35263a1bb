package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthCheckTimeout bounds each service's health check, so /healthz answers quickly even when a service
// hangs or no instance is registered.
const healthCheckTimeout = 2 * time.Second

// healthReport is the body of /healthz. Services maps each routed service to its health: a
// grpc.health.v1 serving status ("SERVING", "NOT_SERVING") or, when the check itself failed, the gRPC
// code of the failure (e.g. "UNAVAILABLE" when no instance answers).
type healthReport struct {
	Status     string            `json:"status"`
	Services   map[string]string `json:"services"`
	NotServing []string          `json:"not_serving,omitempty"`
}

// healthHandler reports whether every routed service answers grpc.health.v1 Check (the server's overall
// health, service "") as SERVING through the connection the API uses: 200 if all do, 503 naming the others.
// Load balancers and `fupin dev` use it to know when the county's API is ready.
//
// It answers within healthCheckTimeout whatever happens downstream: a check whose RPC ignores its deadline
// (a channel still resolving through an unreachable etcd) is abandoned and reported as DEADLINE_EXCEEDED, and
// probes arriving meanwhile share that one check instead of piling up more.
func healthHandler(conns []dialed, logger *slog.Logger) http.Handler {
	var checks singleflight.Group
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		report := healthReport{Status: "SERVING", Services: make(map[string]string, len(conns))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				s := checkHealth(r.Context(), &checks, c)
				mu.Lock()
				defer mu.Unlock()
				report.Services[c.name] = s
				if s != healthpb.HealthCheckResponse_SERVING.String() {
					report.NotServing = append(report.NotServing, c.name)
				}
			})
		}
		wg.Wait()

		code := http.StatusOK
		if len(report.NotServing) > 0 {
			slices.Sort(report.NotServing)
			report.Status = healthpb.HealthCheckResponse_NOT_SERVING.String()
			code = http.StatusServiceUnavailable
			logger.WarnContext(r.Context(), "services not serving", "services", report.NotServing)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(report)
	})
}

// checkHealth returns c's serving status, or the gRPC code of the failed check.
func checkHealth(ctx context.Context, checks *singleflight.Group, c dialed) string {
	timer := time.NewTimer(healthCheckTimeout)
	defer timer.Stop()
	// The shared check outlives this request if it must; it keeps the request's trace, not its cancellation.
	ch := checks.DoChan(c.name, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthCheckTimeout)
		defer cancel()
		resp, err := healthpb.NewHealthClient(c.conn).Check(cctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return rpccode.Code(status.Code(err)).String(), nil
		}
		return resp.GetStatus().String(), nil
	})
	select {
	case res := <-ch:
		return res.Val.(string)
	case <-timer.C:
		return rpccode.Code_DEADLINE_EXCEEDED.String()
	case <-ctx.Done():
		return rpccode.Code_CANCELLED.String()
	}
}
