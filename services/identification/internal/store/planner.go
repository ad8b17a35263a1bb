package store

import (
	"context"
	"fmt"

	"fupin.dev/services/platform/sqldb"
)

// RefreshPlannerStatistics updates the query planner's statistics of the database (ANALYZE) after a bulk
// load. Without them a register filled by an import is planned as if empty: SQLite then joins the
// statistics' tables in an order that probes every household (a township's statistics over a
// 350,000-household county did not answer within 90 s, against 0.35 s with statistics; docs/BENCHMARKS.md, "The dashboard in
// the browser"). Plain ANALYZE on both backends: it samples, and runs in a transaction.
func (s *Store) RefreshPlannerStatistics(ctx context.Context) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze (%s): %w", dialectName(s.db.Dialect), err)
		}
		return nil
	})
}

func dialectName(d sqldb.Dialect) string {
	if d == sqldb.Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}
