// Package app wires the employment service (人社) by hand: store → domain → api on the platform's
// process, with the identification service (the register) dialed through etcd.
package app

import (
	"context"
	"fmt"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/boot"
	"github.com/google/uuid"
	"google.golang.org/grpc"
)

// Name is the service's name.
const Name = "employment"

// Department is the department the service belongs to and calls other services as (人社).
const Department = commonv1.Department_DEPARTMENT_HUMAN_RESOURCES

// IdentificationService is the name the register is dialed by.
const IdentificationService = "identification"

// Config configures the employment service.
type Config struct {
	boot.Config
}

// wiring is what every area of the service is built from.
type wiring struct {
	p   *boot.Process
	st  *store.Store
	now func() time.Time
	// register is the connection to the identification service (household register, change feed).
	register *grpc.ClientConn
	// aid is the 零就业 evaluation the ledger's changes call for their households (aidArea sets it);
	// aidNow asks its pass job for a pass of the county now (after a quarterly file).
	aid    *domain.Aid
	aidNow chan struct{}
	// posts are the 公益岗 use cases (postsArea), which the register's follower tells of deaths and moves.
	posts *domain.Posts
	// subsidies are the employment-subsidy use cases (employmentSubsidiesArea), told of moves likewise.
	subsidies *domain.EmploymentSubsidies
}

// area registers one area's gRPC services on the process and returns its background jobs (subscribers,
// leader-elected work), which run for as long as the service does.
type area func(w *wiring) ([]func(context.Context) error, error)

// areas are the service's areas, one file each in this package. An area adds itself here with one entry.
// postsArea comes before followArea: the register's follower tells 公益岗 of deaths and moves.
var areas = []area{ledgerArea, factsArea, postsArea, followArea, dibaoArea, importArea, aidArea, workshopsArea, employmentSubsidiesArea}

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
