package identification

import (
	"context"

	"fupin.dev/services/identification/internal/app"
)

// ScreeningBenchOptions configure BenchScreening.
type ScreeningBenchOptions = app.ScreeningBenchOptions

// ScreeningBenchResult is what BenchScreening measured.
type ScreeningBenchResult = app.ScreeningBenchResult

// BenchScreening seeds a synthetic county with income items into an empty database and times the
// monitoring screening run on it (`fupin bench screening`).
func BenchScreening(ctx context.Context, o ScreeningBenchOptions) (*ScreeningBenchResult, error) {
	return app.BenchScreening(ctx, o)
}
