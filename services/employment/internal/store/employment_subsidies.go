package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
)

var _ domain.SubsidyStore = (*Store)(nil)

// SubsidyKeyHolder returns the case holding a once-only key, "" when none does.
func (s *Store) SubsidyKeyHolder(ctx context.Context, key string) (string, error) {
	var id string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT case_id FROM employment_subsidy_keys WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("subsidy key: %w", err)
	}
	return id, nil
}

// ClaimSubsidyKey records that caseID holds key; the primary key refuses a second holder.
func (s *Store) ClaimSubsidyKey(ctx context.Context, key, caseID string, now time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO employment_subsidy_keys (key, case_id, created_us) VALUES ($1, $2, $3)`,
		key, caseID, now.UnixMicro())
	if sqldb.IsUniqueViolation(err) {
		return apperr.Exists(domain.ReasonSubsidyAlreadyPaid, "paid already under "+key)
	}
	if err != nil {
		return fmt.Errorf("claim subsidy key: %w", err)
	}
	return nil
}
