// Package app wires the subsidies service by hand: store → domain → api on the platform's process, with
// the identification service dialed through etcd.
package app

import (
	"context"
	"fmt"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/subsidies/internal/store"
	"github.com/google/uuid"
	"google.golang.org/grpc"
)

// Name is the service's name.
const Name = "subsidies"

// Department is the department the service belongs to and calls other services as (民政).
const Department = commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS

// IdentificationService is the name the register is dialed by.
const IdentificationService = "identification"

// Config configures the subsidies service.
type Config struct {
	boot.Config
}

// wiring is what every area of the service is built from.
type wiring struct {
	p   *boot.Process
	st  *store.Store
	now func() time.Time
	// register is the connection to the identification service (household register, income, change feed).
	register *grpc.ClientConn
}

// area registers one area's gRPC services on the process and returns its background jobs (subscribers,
// leader-elected work), which run for as long as the service does.
type area func(w *wiring) ([]func(context.Context) error, error)

// areas are the service's areas, one file each in this package.
var areas = []area{certificatesArea, comparisonArea, followArea, dibaoArea, rollsArea, auditArea, decisionsArea}

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	p, err := boot.Start(ctx, Name, Department, cfg.Config, store.Migrate)
	if err != nil {
		return err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	w := &wiring{p: p, st: store.New(p.DB, p.Feed), now: now}
	if w.register, err = p.Dial(IdentificationService); err != nil {
		p.Close()
		return err
	}
	var background []func(context.Context) error
	for _, a := range areas {
		jobs, err := a(w)
		if err != nil {
			p.Close()
			return fmt.Errorf("%s: %w", Name, err)
		}
		background = append(background, jobs...)
	}
	return p.Run(ctx, background...)
}

// newID makes record ids: UUIDv7, so ids sort by creation time and pages stay stable.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
