// Package identification is the household register and poverty identification service of 乡村振兴局.
// Its public face is Config and Run, so `fupin dev` and end-to-end tests can start it in-process; the
// rest lives under internal/.
package identification

import (
	"context"

	"fupin.dev/services/identification/internal/app"
	"fupin.dev/services/platform/boot"
)

// Name is the service's name in etcd and in error domains.
const Name = app.Name

// Department is the department the service belongs to: its own token (when it calls others) names it,
// and its key is bound to it.
const Department = app.Department

// Config configures the service.
type Config = app.Config

// Base is the part of Config every service shares.
type Base = boot.Config

// Run serves the identification service until ctx ends.
func Run(ctx context.Context, cfg Config) error { return app.Run(ctx, cfg) }
