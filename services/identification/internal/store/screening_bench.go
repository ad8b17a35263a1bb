package store

import (
	"context"
	"fmt"
	"strings"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// BenchLoadHouseholds writes households with their persons, memberships and first status entries as
// trusted bulk data, for the screening benchmark only: no rule is checked and nothing is published on the
// change feed. Run it inside InTx with many households per transaction.
func (s *Store) BenchLoadHouseholds(ctx context.Context, hs []*domain.Household) error {
	var households, persons, memberships, history [][]any
	for _, h := range hs {
		households = append(households, []any{h.ID, h.RegionCode, h.Address, h.Number, boolInt(h.Urban), h.Status.Registry,
			h.Status.RegistryDate, h.Status.ExitYear, h.Status.MonitoringType, h.Status.MonitoringStatus, h.Status.MonitoringDate,
			h.State, h.ArchiveReason, h.Version, h.CreateTime.UnixMicro(), h.UpdateTime.UnixMicro(), h.Size()})
		for i := range h.Members {
			m := &h.Members[i]
			persons = append(persons, []any{m.PersonID, m.IDIndex, m.IDCipher, m.IDMasked, m.FullName, m.Sex, m.BirthDate,
				m.Ethnicity, m.Education, m.Health, m.LabourAbility})
			memberships = append(memberships, []any{h.ID, i, m.PersonID, m.Relation, m.State, m.StartDate, m.EndDate,
				m.EndReason, holds(h, m)})
		}
		for _, c := range h.History {
			history = append(history, []any{h.ID, c.EffectiveDate, c.Registry, c.MonitoringType, c.MonitoringStatus, c.Reason,
				c.Actor, c.RecordTime.UnixMicro()})
		}
	}
	for _, b := range []struct {
		table, cols string
		rows        [][]any
	}{
		{"households", householdCols + ", size", households},
		{"persons", "id, id_index, id_cipher, id_masked, full_name, sex, birth_date, ethnicity, education, health, labour_ability", persons},
		{"memberships", "household_id, seq, person_id, relation, state, start_date, end_date, end_reason, holds", memberships},
		{"status_history", "household_id, effective_date, registry_status, monitoring_type, monitoring_status, reason, actor, recorded_us", history},
	} {
		if err := s.bulkInsert(ctx, b.table, b.cols, b.rows); err != nil {
			return err
		}
	}
	return nil
}

// bulkInsert writes rows with multi-row INSERTs of at most 200 rows.
func (s *Store) bulkInsert(ctx context.Context, table, cols string, rows [][]any) error {
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + s.rowPlaceholders(len(args)+1, len(r)) + ")")
			args = append(args, r...)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("bulk insert %s: %w", table, err)
		}
	}
	return nil
}

// Analyze readies a database after a bulk load, as a county's database is between loads: fresh planner
// statistics (ANALYZE on SQLite, VACUUM ANALYZE on PostgreSQL, so the first scan does not pay for hint
// bits), and on PostgreSQL a checkpoint, so a measurement does not compete with the load's writes being
// flushed.
func (s *Store) Analyze(ctx context.Context) error {
	if s.db.Dialect == sqldb.Postgres {
		if _, err := s.db.Q(ctx).ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return fmt.Errorf("vacuum analyze: %w", err)
		}
		// CHECKPOINT needs a superuser or pg_checkpoint; without the right the flush is left to the server.
		_, _ = s.db.Q(ctx).ExecContext(ctx, "CHECKPOINT")
		return nil
	}
	// SQLite checkpoints its WAL as it commits (wal_autocheckpoint).
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		return nil
	})
}
