package subsidies

import (
	"context"

	"fupin.dev/services/subsidies/internal/app"
)

// RollBenchOptions configure BenchRoll.
type RollBenchOptions = app.RollBenchOptions

// RollBenchResult is what BenchRoll measured.
type RollBenchResult = app.RollBenchResult

// BenchRoll seeds a program's entitlements into an empty database and times the monthly payment roll's
// computation on it (`fupin bench roll`).
func BenchRoll(ctx context.Context, o RollBenchOptions) (*RollBenchResult, error) {
	return app.BenchRoll(ctx, o)
}

// RollBenchRun is one measured computation of BenchRoll.
type RollBenchRun = app.RollBenchRun
