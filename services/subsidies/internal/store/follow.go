package store

import (
	"context"
	"fmt"
	"strings"
	"time"

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
