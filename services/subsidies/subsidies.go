// Package subsidies is the subsidies service: 低保, 特困供养 and 临时救助 of 民政 (civil affairs), the
// disability certificates and 两项补贴 of 残联 (the disabled persons' federation), and the monthly payment
// rolls of both. Its public face is Config and Run, so `fupin dev` and end-to-end tests can start it
// in-process; the rest lives under internal/.
package subsidies

import (
	"context"

	"fupin.dev/services/subsidies/internal/app"
)

// Name is the service's name in etcd and in error domains.
const Name = app.Name

// Department is the department the service belongs to: its own token (when it calls others) names it,
// and its key is bound to it.
const Department = app.Department

// FundsService is the name of the service whose change feed carries the payment results subsidies
// applies to its roll lines (funds, 财政).
const FundsService = app.FundsService

// Config configures the service.
type Config = app.Config

// Run serves the subsidies service until ctx ends.
func Run(ctx context.Context, cfg Config) error { return app.Run(ctx, cfg) }
