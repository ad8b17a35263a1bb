package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

// RecordRegisterChange journals one change of the register as the service followed it, in the
// transaction in ctx (the one that moves the feed's cursor and holds the followers' writes). The feed's
// sequence is the key: a change journalled twice is refused by the database.
func (s *Store) RecordRegisterChange(ctx context.Context, c domain.HouseholdChange, received time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO register_changes (sequence, topic, household_id, region_code, registry_status,
			monitoring_type, monitoring_status, effective_date, size, departed_person_ids, reason, received_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.Sequence, c.Topic, c.HouseholdID, c.RegionCode, c.RegistryStatus, c.MonitoringType, c.MonitoringStatus,
		c.EffectiveDate, c.Size, strings.Join(c.DepartedPersonIDs, ","), c.Reason, received.UnixMicro())
	if err != nil {
		return fmt.Errorf("journal register change %d: %w", c.Sequence, err)
	}
	return nil
}

// RegisterChanges returns the journalled changes of a household ("" for every household), oldest first,
// after the sequence after, at most limit.
func (s *Store) RegisterChanges(ctx context.Context, householdID string, after int64, limit int) ([]domain.HouseholdChange, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT sequence, topic, household_id, region_code, registry_status,
			monitoring_type, monitoring_status, effective_date, size, departed_person_ids, reason
		FROM register_changes WHERE ($1 = '' OR household_id = $1) AND sequence > $2 ORDER BY sequence LIMIT $3`,
		householdID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("register changes: %w", err)
	}
	defer rows.Close()
	var out []domain.HouseholdChange
	for rows.Next() {
		var c domain.HouseholdChange
		var departed string
		if err := rows.Scan(&c.Sequence, &c.Topic, &c.HouseholdID, &c.RegionCode, &c.RegistryStatus, &c.MonitoringType,
			&c.MonitoringStatus, &c.EffectiveDate, &c.Size, &departed, &c.Reason); err != nil {
			return nil, fmt.Errorf("register changes: %w", err)
		}
		if departed != "" {
			c.DepartedPersonIDs = strings.Split(departed, ",")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// KnownHouseholds returns what the journal last recorded of each of the households (those it never
// recorded are absent): the last change's state and every member recorded as departed. One query for
// the whole set, in the transaction in ctx.
func (s *Store) KnownHouseholds(ctx context.Context, ids []string) (map[string]*domain.KnownHousehold, error) {
	out := make(map[string]*domain.KnownHousehold, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT household_id, topic, region_code, registry_status, monitoring_type,
			monitoring_status, size, departed_person_ids
		FROM register_changes WHERE household_id IN (`+sqldb.Placeholders(1, len(ids))+`)
		ORDER BY household_id, sequence, received_us`, args...)
	if err != nil {
		return nil, fmt.Errorf("known households: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, departed string
		k := domain.KnownHousehold{}
		if err := rows.Scan(&id, &k.Topic, &k.RegionCode, &k.RegistryStatus, &k.MonitoringType, &k.MonitoringStatus, &k.Size,
			&departed); err != nil {
			return nil, fmt.Errorf("known households: %w", err)
		}
		prev := out[id]
		if prev != nil {
			k.Departed = prev.Departed
		}
		if departed != "" {
			if k.Departed == nil {
				k.Departed = map[string]bool{}
			}
			for _, p := range strings.Split(departed, ",") {
				k.Departed[p] = true
			}
		}
		out[id] = &k
	}
	return out, rows.Err()
}

// RegisteredHouseholds returns the households whose last journalled change is not an archiving, in id
// order: those the service believes registered.
func (s *Store) RegisteredHouseholds(ctx context.Context) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT r.household_id FROM register_changes r
		WHERE NOT EXISTS (SELECT 1 FROM register_changes l WHERE l.household_id = r.household_id AND l.sequence > r.sequence)
		GROUP BY r.household_id HAVING MAX(CASE WHEN r.topic = $1 THEN 1 ELSE 0 END) = 0 ORDER BY r.household_id`,
		domain.TopicHouseholdArchived)
	if err != nil {
		return nil, fmt.Errorf("registered households: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// rowsPerInsert bounds a multi-row INSERT's rows (SQLite allows 32,766 parameters, PostgreSQL 65,535).
const rowsPerInsert = 500

// insertRows inserts rows (each of len(cols) values). On PostgreSQL in multi-row statements of
// rowsPerInsert: one round trip per 500 rows instead of one per row. On SQLite, where there is no round
// trip, one single-row statement prepared once per transaction (sqldb) and run per row: the driver binds
// $N parameters by a linear search each, so a statement of 6,000 of them costs more than 500 runs of one
// (measured: the resync's journal 41 s of CPU for a county with multi-row statements).
func (s *Store) insertRows(ctx context.Context, table, cols string, ncols int, suffix string, rows [][]any) error {
	if s.db.Dialect == sqldb.SQLite {
		query := "INSERT INTO " + table + " (" + cols + ") VALUES (" + sqldb.Placeholders(1, ncols) + ")" + suffix
		return s.db.InTx(ctx, func(ctx context.Context) error {
			for _, r := range rows {
				if _, err := s.db.Q(ctx).ExecContext(ctx, query, r...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for start := 0; start < len(rows); start += rowsPerInsert {
		part := rows[start:min(start+rowsPerInsert, len(rows))]
		var b strings.Builder
		args := make([]any, 0, len(part)*ncols)
		b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + sqldb.Placeholders(len(args)+1, ncols) + ")")
			args = append(args, r...)
		}
		b.WriteString(suffix)
		if _, err := s.db.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// RecordRegisterChanges journals many changes at once (a resync's chunk), as RecordRegisterChange each.
func (s *Store) RecordRegisterChanges(ctx context.Context, cs []domain.HouseholdChange, received time.Time) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.Sequence, c.Topic, c.HouseholdID, c.RegionCode, c.RegistryStatus, c.MonitoringType, c.MonitoringStatus,
			c.EffectiveDate, c.Size, strings.Join(c.DepartedPersonIDs, ","), c.Reason, received.UnixMicro()}
	}
	if err := s.insertRows(ctx, "register_changes", `sequence, topic, household_id, region_code, registry_status,
			monitoring_type, monitoring_status, effective_date, size, departed_person_ids, reason, received_us`, 12, "", rows); err != nil {
		return fmt.Errorf("journal %d register changes: %w", len(cs), err)
	}
	return nil
}

// FollowedStatuses returns the statuses last seen of the households, by id (those never seen are absent).
func (s *Store) FollowedStatuses(ctx context.Context, ids []string) (map[string]domain.FollowedStatus, error) {
	out := make(map[string]domain.FollowedStatus, len(ids))
	for start := 0; start < len(ids); start += rowsPerInsert {
		part := ids[start:min(start+rowsPerInsert, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT household_id, registry_status, monitoring_type, monitoring_status, sequence
			FROM dibao_followed_households WHERE household_id IN (`+sqldb.Placeholders(1, len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("followed statuses: %w", err)
		}
		for rows.Next() {
			var f domain.FollowedStatus
			if err := rows.Scan(&f.HouseholdID, &f.RegistryStatus, &f.MonitoringType, &f.MonitoringStatus, &f.Sequence); err != nil {
				rows.Close()
				return nil, fmt.Errorf("followed statuses: %w", err)
			}
			out[f.HouseholdID] = f
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetFollowedStatuses remembers many households' statuses (each household once).
func (s *Store) SetFollowedStatuses(ctx context.Context, fs []domain.FollowedStatus) error {
	rows := make([][]any, len(fs))
	for i, f := range fs {
		rows[i] = []any{f.HouseholdID, f.RegistryStatus, f.MonitoringType, f.MonitoringStatus, f.Sequence}
	}
	if err := s.insertRows(ctx, "dibao_followed_households", `household_id, registry_status, monitoring_type,
		monitoring_status, sequence`, 5, ` ON CONFLICT (household_id) DO UPDATE SET
		registry_status = excluded.registry_status, monitoring_type = excluded.monitoring_type,
		monitoring_status = excluded.monitoring_status, sequence = excluded.sequence`, rows); err != nil {
		return fmt.Errorf("set followed statuses: %w", err)
	}
	return nil
}

// OpenEligibilityChecks inserts checks, skipping those a change already opened (as OpenEligibilityCheck).
func (s *Store) OpenEligibilityChecks(ctx context.Context, cs []*domain.EligibilityCheck) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = checkArgs(c)
	}
	if err := s.insertRows(ctx, "eligibility_checks", checkCols, 12,
		" ON CONFLICT (source_sequence, household_id, reason) DO NOTHING", rows); err != nil {
		return fmt.Errorf("open eligibility checks: %w", err)
	}
	return nil
}
