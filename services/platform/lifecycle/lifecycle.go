// Package lifecycle runs a fupin service process from start to a clean stop.
//
// Start: listen, serve, register in etcd, report SERVING. Stop (when ctx ends): report NOT_SERVING,
// deregister from etcd so peers stop picking this instance, wait a moment for them to notice, drain
// in-flight calls with GracefulStop (bounded by a timeout), then close resources in reverse order of
// opening. Background jobs run under the same errgroup and end with the process.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/server"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Options describe one service process.
type Options struct {
	// Name is the service name peers dial (etcd:///fupin/services/<Name>).
	Name string
	// Listener to serve on; when nil, Addr is listened on (default 127.0.0.1:0).
	Listener net.Listener
	Addr     string
	// Advertise is the address registered in etcd; defaults to the listener's address.
	Advertise string
	Server    *server.Server
	Etcd      *clientv3.Client
	Logger    *slog.Logger
	// Background jobs run until ctx ends; an error from one stops the process.
	Background []func(ctx context.Context) error
	// Closers are closed in reverse order after the server has stopped.
	Closers []func() error
	// Ready, when set, is told the address once the service is registered and serving.
	Ready func(addr string)
	// DrainDelay is how long to wait after deregistering before draining (default 300ms), so clients'
	// resolvers drop this instance before it stops accepting calls.
	DrainDelay time.Duration
	// StopTimeout bounds the graceful drain (default 10s); calls still running then are cut.
	StopTimeout time.Duration
}

// Run serves until ctx ends, then stops cleanly. It returns nil after a clean stop.
func Run(ctx context.Context, o Options) (err error) {
	if o.DrainDelay == 0 {
		o.DrainDelay = 300 * time.Millisecond
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 10 * time.Second
	}
	defer func() {
		for i := len(o.Closers) - 1; i >= 0; i-- {
			if cerr := o.Closers[i](); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()
	lis := o.Listener
	if lis == nil {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if lis, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("%s: listen: %w", o.Name, err)
		}
	}
	advertise := o.Advertise
	if advertise == "" {
		advertise = lis.Addr().String()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := o.Server.GRPC().Serve(lis); err != nil {
			return fmt.Errorf("%s: serve: %w", o.Name, err)
		}
		return nil
	})
	reg, err := discovery.Register(gctx, o.Etcd, o.Name, advertise)
	if err != nil {
		o.Server.GRPC().Stop()
		_ = g.Wait()
		return fmt.Errorf("%s: register: %w", o.Name, err)
	}
	for _, job := range o.Background {
		g.Go(func() error { return job(gctx) })
	}
	o.Server.Health().SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	o.Logger.Info("service ready", "service", o.Name, "addr", advertise)
	if o.Ready != nil {
		o.Ready(advertise)
	}
	g.Go(func() error {
		<-gctx.Done()
		o.Server.Health().Shutdown()
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := reg.Close(dctx); err != nil {
			o.Logger.Warn("deregister", "service", o.Name, "err", err)
		}
		cancel()
		time.Sleep(o.DrainDelay)
		stopped := make(chan struct{})
		go func() { o.Server.GRPC().GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(o.StopTimeout):
			o.Logger.Warn("drain timed out; cutting remaining calls", "service", o.Name)
			o.Server.GRPC().Stop()
		}
		o.Logger.Info("service stopped", "service", o.Name)
		return nil
	})
	return g.Wait()
}
