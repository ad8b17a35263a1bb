package store

import (
	"context"
	"fmt"
	"time"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

var _ domain.MoveStore = (*Store)(nil)

// MoveHouseholdRecords sets regionCode on the household's current records that are elsewhere: valid
// certificates, 低保 coverages active or in a 渐退期 paying in month or later, entitlements paying in month
// or later, pending 临时救助 applications and open eligibility checks. Certificates, coverages and
// applications get a new version (their etags change); entitlements only their update time.
func (s *Store) MoveHouseholdRecords(ctx context.Context, householdID, regionCode, month string, now time.Time) (domain.MovedRecords, error) {
	var m domain.MovedRecords
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		m.Certificates, err = s.affected(ctx, "certificates", `UPDATE certificates SET region_code = $2, version = version + 1,
			updated_us = $3 WHERE household_id = $1 AND status = $4 AND region_code <> $2`,
			householdID, regionCode, now.UnixMicro(), int32(domain.CertificateValid))
		if err != nil {
			return err
		}
		m.Coverages, err = s.affected(ctx, "dibao coverages", `UPDATE dibao_coverages SET region_code = $2, version = version + 1,
			updated_us = $3 WHERE household_id = $1 AND region_code <> $2
			AND (state = $4 OR (state = $5 AND (taper_last_month = '' OR taper_last_month >= $6)))`,
			householdID, regionCode, now.UnixMicro(), int32(domain.CoverageActive), int32(domain.CoverageTaper), month)
		if err != nil {
			return err
		}
		m.Entitlements, err = s.affected(ctx, "entitlements", `UPDATE payroll_entitlements SET region_code = $2, updated_us = $3
			WHERE household_id = $1 AND household_id <> '' AND region_code <> $2 AND (to_month = '' OR to_month >= $4)`,
			householdID, regionCode, now.UnixMicro(), month)
		if err != nil {
			return err
		}
		m.Assistances, err = s.affected(ctx, "temporary assistances", `UPDATE temporary_assistances SET region_code = $2,
			version = version + 1, updated_us = $3 WHERE household_id = $1 AND region_code <> $2 AND state = $4`,
			householdID, regionCode, now.UnixMicro(), int32(domain.AssistancePending))
		if err != nil {
			return err
		}
		m.Checks, err = s.affected(ctx, "eligibility checks", `UPDATE eligibility_checks SET region_code = $2
			WHERE household_id = $1 AND region_code <> $2 AND state = $3`, householdID, regionCode, int32(domain.CheckOpen))
		return err
	})
	return m, err
}

// affected runs one write and returns the rows it changed.
func (s *Store) affected(ctx context.Context, what, q string, args ...any) (int, error) {
	res, err := s.db.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("move %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("move %s: %w", what, err)
	}
	return int(n), nil
}

// OpenCasesOfHousehold returns, in id order, the open cases of kinds (the workflow engine's fupin_cases)
// whose subject is the household, or whose application (the first step, which has no guard in any of this
// service's kinds) records the household as household_id: every application of 低保, 特困 and 两项补贴 does,
// so the cases of members (单人保, 特困, 两项补贴, subject "persons/<id>") are found too.
func (s *Store) OpenCasesOfHousehold(ctx context.Context, householdID string, kinds []string) ([]string, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	household := `json_extract(st.data, '$.household_id')`
	if s.db.Dialect == sqldb.Postgres {
		household = `(st.data::jsonb ->> 'household_id')`
	}
	args := []any{"households/" + householdID, householdID, int32(workflow.StateClosed)}
	for _, k := range kinds {
		args = append(args, k)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT c.id FROM fupin_cases c
		JOIN fupin_case_steps st ON st.case_id = c.id AND st.seq = 1
		WHERE c.state <> $3 AND c.kind IN (`+sqldb.Placeholders(4, len(kinds))+`)
		AND (c.subject = $1 OR `+household+` = $2) ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("open cases of household: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
