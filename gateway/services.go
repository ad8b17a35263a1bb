package gateway

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/discovery"
)

// maxResponseBytes bounds one response from a service (see the dial options).
const maxResponseBytes = 128 << 20

// registerFunc adds one gRPC service's REST routes to the mux, calling it over conn.
type registerFunc func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error

// service is what the gateway knows about one fupin service: the gRPC services it exposes over REST.
type service struct {
	register []registerFunc
	// notices: the service runs public postings and serves fupin.common.v1.PublicNoticeService, which
	// the public pages (/gongshi) call.
	notices bool
}

// knownServices maps each service name, as registered in etcd under fupin/services/<name>, to its routes.
// A new service adds one entry here.
func knownServices() map[string]service {
	return map[string]service{
		"identification": {register: []registerFunc{
			identificationv1.RegisterHouseholdServiceHandler,
			identificationv1.RegisterRegionServiceHandler,
			identificationv1.RegisterCaseServiceHandler,
			identificationv1.RegisterVisitServiceHandler,
			identificationv1.RegisterStatisticsServiceHandler,
			identificationv1.RegisterTrailServiceHandler,
			identificationv1.RegisterIncomeServiceHandler,
			identificationv1.RegisterMonitoringServiceHandler,
			identificationv1.RegisterImportServiceHandler,
			// The ledger upload (upload.go): a client stream, so a route of the gateway's own.
			registerLedgerUpload,
			// Every service serves the county's live policy; the gateway asks the register's.
			commonv1.RegisterPolicyServiceHandler,
			identificationv1.RegisterObjectionTriageServiceHandler,
			identificationv1.RegisterInboxServiceHandler,
			identificationv1.RegisterAuditServiceHandler,
		}, notices: true},
		"subsidies": {register: []registerFunc{subsidiesv1.RegisterCertificateServiceHandler, subsidiesv1.RegisterDisabilitySubsidyServiceHandler,
			subsidiesv1.RegisterComparisonServiceHandler,
			subsidiesv1.RegisterDibaoServiceHandler, subsidiesv1.RegisterDestituteServiceHandler, subsidiesv1.RegisterTemporaryAssistanceServiceHandler,
			subsidiesv1.RegisterPaymentRollServiceHandler, subsidiesv1.RegisterReliefObjectionTriageServiceHandler,
			subsidiesv1.RegisterReliefAuditServiceHandler, subsidiesv1.RegisterReliefInboxServiceHandler}, notices: true},
		// 人社: the labour ledger; each employment area adds its services' handlers here.
		"employment": {register: []registerFunc{employmentv1.RegisterLabourLedgerServiceHandler,
			employmentv1.RegisterEmploymentAidServiceHandler, employmentv1.RegisterEmploymentInboxServiceHandler,
			employmentv1.RegisterWorkshopServiceHandler, employmentv1.RegisterEmploymentSubsidyServiceHandler,
			employmentv1.RegisterWelfarePostServiceHandler, employmentv1.RegisterEmploymentPaymentRollServiceHandler,
			employmentv1.RegisterEmploymentObjectionTriageServiceHandler,
			// The labour file upload (labour_upload.go): a client stream, so a route of the gateway's own.
			registerLabourUpload}, notices: true},
	}
}

func sortedNames(known map[string]service) []string {
	return slices.Sorted(maps.Keys(known))
}

// dialed is an open connection to one service.
type dialed struct {
	name string
	conn *grpc.ClientConn
}

// closeTimeout bounds closing the service connections at shutdown. grpc's Close waits for a channel that
// is leaving idle mode, and etcd's resolver leaves it with an etcd read that only ends when etcd answers: with
// etcd down, Close would never return.
const closeTimeout = 5 * time.Second

// dialServices opens one connection per configured service through etcd discovery and starts resolving
// them in the background. A service that is not up yet makes its requests and /healthz fail, not the
// gateway's start.
func dialServices(cfg Config, known map[string]service, propagators propagation.TextMapPropagator) ([]dialed, error) {
	creds := cfg.TransportCredentials
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// The client stats handler starts a span per call and injects its W3C trace context into the
		// outgoing metadata, so one trace runs from the HTTP request through every service it reaches.
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithPropagators(propagators))),
		// Never idle: an idle channel drops its resolver and with it the last known instances, and leaving
		// idle mode again reads etcd (blocking, see closeTimeout). Kept resolved, the gateway goes on routing
		// to the instances it knows while etcd is unreachable (DESIGN.md, Discovery).
		grpc.WithIdleTimeout(0),
		// File downloads come back as one google.api.HttpBody: a county's monthly payment roll exported to
		// CSV or XLSX (200,000 lines) is tens of megabytes, beyond grpc's default 4 MiB.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxResponseBytes)),
	}
	conns := make([]dialed, 0, len(cfg.Services))
	for _, name := range cfg.Services {
		if _, ok := known[name]; !ok {
			continue // validate has refused this config already
		}
		conn, err := discovery.Dial(cfg.Etcd, name, opts...)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("gateway: dial %s: %w", name, err), closeServices(conns, closeTimeout))
		}
		conns = append(conns, dialed{name: name, conn: conn})
	}
	for _, c := range conns {
		// Resolve now rather than on the first request; in a goroutine because it blocks while etcd is
		// unreachable.
		go c.conn.Connect()
	}
	return conns, nil
}

// closeServices closes every connection, giving up after timeout (see closeTimeout). Connections still
// closing then are left to the process's exit.
func closeServices(conns []dialed, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, c := range conns {
			if err := c.conn.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s connection: %w", c.name, err))
			}
		}
		done <- errors.Join(errs...)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("service connections not closed after %s (is etcd unreachable?)", timeout)
	}
}
