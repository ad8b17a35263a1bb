package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// SaveDibaoCoverages inserts or replaces coverages as subsidies' decisions give them.
func (s *Store) SaveDibaoCoverages(ctx context.Context, cs []domain.DibaoCoverage, now time.Time) error {
	cols := []string{"id", "household_id", "state", "from_month", "last_month", "updated_us"}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(cs); start += saveChunk {
			chunk := cs[start:min(start+saveChunk, len(cs))]
			values := make([]string, len(chunk))
			args := make([]any, 0, len(chunk)*len(cols))
			for i, c := range chunk {
				values[i] = "(" + s.db.Params(i*len(cols)+1, len(cols)) + ")"
				args = append(args, c.ID, c.HouseholdID, c.State, c.FromMonth, c.LastMonth, now.UnixMicro())
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO dibao_coverages (`+strings.Join(cols, ", ")+`) VALUES `+
				strings.Join(values, ", ")+` ON CONFLICT (id) DO UPDATE SET household_id = excluded.household_id, state = excluded.state,
				from_month = excluded.from_month, last_month = excluded.last_month, updated_us = excluded.updated_us`, args...); err != nil {
				return fmt.Errorf("save 低保 coverages: %w", err)
			}
		}
		return nil
	})
}

// DibaoHouseholds returns which of the households have a 低保 coverage running in month: not ended, from
// on or before it, and no last month before it (a coverage in its 渐退期 runs to its last month).
func (s *Store) DibaoHouseholds(ctx context.Context, householdIDs []string, month string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(householdIDs); start += inChunk {
		chunk := householdIDs[start:min(start+inChunk, len(householdIDs))]
		args := make([]any, 0, len(chunk)+2)
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, int64(domain.DibaoEnded), month)
		n := len(chunk)
		rows, err := s.db.Q(ctx).QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT household_id FROM dibao_coverages
			WHERE household_id IN (%s) AND state <> $%d AND from_month <= $%d AND (last_month = '' OR last_month >= $%d)`,
			sqldb.Placeholders(1, n), n+1, n+2, n+2), args...)
		if err != nil {
			return nil, fmt.Errorf("低保 households: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
