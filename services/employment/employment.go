// Package employment is the employment service of 人社 (human resources and social security): the labour
// ledger (劳动力台账) of the 脱贫, 监测 and 低保 households' working-age members with their employment
// spells, the quarterly file from the provincial 人社 platform, the facts served to other departments,
// and (added by its areas) 零就业 aid, 公益岗, 帮扶车间 and employment subsidies. Its public face is Config and
// Run, so `fupin dev` and end-to-end tests can start it in-process; the rest lives under internal/.
package employment

import (
	"context"

	"fupin.dev/services/employment/internal/app"
)

// Name is the service's name in etcd and in error domains.
const Name = app.Name

// Department is the department the service belongs to: its own token (when it calls others) names it,
// and its key is bound to it.
const Department = app.Department

// Config configures the service.
type Config = app.Config

// Run serves the employment service until ctx ends.
func Run(ctx context.Context, cfg Config) error { return app.Run(ctx, cfg) }
