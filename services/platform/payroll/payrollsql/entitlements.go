package payrollsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
)

var _ payroll.EntitlementStore = (*Store)(nil)

const entitlementCols = `id, program, beneficiary, household_id, person_id, region_code, source, from_month, to_month,
	amount_fen, covered, reason, end_reason, created_us, updated_us`

func scanEntitlement(r *sql.Rows) (*payroll.Entitlement, error) {
	var e payroll.Entitlement
	var created, updated int64
	err := r.Scan(&e.ID, &e.Program, &e.Beneficiary, &e.HouseholdID, &e.PersonID, &e.RegionCode, &e.Source,
		&e.FromMonth, &e.ToMonth, &e.AmountFen, &e.Covered, &e.Reason, &e.EndReason, &created, &updated)
	e.CreateTime, e.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &e, err
}

// GrantEntitlement inserts e.
func (s *Store) GrantEntitlement(ctx context.Context, e *payroll.Entitlement) error {
	if err := payroll.CheckEntitlement(e); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `INSERT INTO payroll_entitlements (`+entitlementCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		e.ID, int32(e.Program), e.Beneficiary, e.HouseholdID, e.PersonID, e.RegionCode, e.Source, e.FromMonth,
		e.ToMonth, e.AmountFen, e.Covered, e.Reason, e.EndReason, e.CreateTime.UnixMicro(), e.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("grant entitlement: %w", err)
	}
	return nil
}

// GrantEntitlements inserts many entitlements at once (sqldb.InsertRows: COPY on PostgreSQL), in the
// transaction in ctx: a month's attendance sheet approved as one.
func (s *Store) GrantEntitlements(ctx context.Context, es []*payroll.Entitlement) error {
	for _, e := range es {
		if err := payroll.CheckEntitlement(e); err != nil {
			return err
		}
	}
	cols := strings.Split(strings.Join(strings.Fields(entitlementCols), ""), ",")
	err := s.db.InsertRows(ctx, "payroll_entitlements", cols, len(es), func(i int) ([]any, error) {
		e := es[i]
		return []any{e.ID, int32(e.Program), e.Beneficiary, e.HouseholdID, e.PersonID, e.RegionCode, e.Source, e.FromMonth,
			e.ToMonth, e.AmountFen, e.Covered, e.Reason, e.EndReason, e.CreateTime.UnixMicro(), e.UpdateTime.UnixMicro()}, nil
	})
	if err != nil {
		return fmt.Errorf("grant entitlements: %w", err)
	}
	return nil
}

// EndEntitlement sets the last month paid, never later than the one already set.
func (s *Store) EndEntitlement(ctx context.Context, id, lastMonth, reason string, now time.Time) error {
	res, err := s.db.Exec(ctx, `UPDATE payroll_entitlements SET to_month = $2, end_reason = $3, updated_us = $4
		WHERE id = $1 AND (to_month = '' OR to_month > $2)`, id, lastMonth, reason, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("end entitlement %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT 1 FROM payroll_entitlements WHERE id = $1`, id).Scan(&exists); err != nil {
			return fmt.Errorf("end entitlement %s: %w", id, err)
		}
	}
	return nil
}

func (s *Store) entitlements(ctx context.Context, where string, args ...any) ([]*payroll.Entitlement, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+entitlementCols+` FROM payroll_entitlements WHERE `+where+
		` ORDER BY created_us, id`, args...)
	return sqldb.Collect(rows, err, scanEntitlement)
}

// OpenEntitlements returns the payroll_entitlements of a beneficiary that pay in month or later.
func (s *Store) OpenEntitlements(ctx context.Context, program payroll.Program, beneficiary, month string) ([]*payroll.Entitlement, error) {
	return s.entitlements(ctx, `program = $1 AND beneficiary = $2 AND (to_month = '' OR to_month >= $3)`,
		int32(program), beneficiary, month)
}

// EntitlementsBySource returns every entitlement granted from source.
func (s *Store) EntitlementsBySource(ctx context.Context, source string) ([]*payroll.Entitlement, error) {
	return s.entitlements(ctx, `source = $1`, source)
}

// EntitlementsOfPerson returns every entitlement paid to a person.
func (s *Store) EntitlementsOfPerson(ctx context.Context, personID string) ([]*payroll.Entitlement, error) {
	return s.entitlements(ctx, `person_id = $1 AND person_id <> ''`, personID)
}

// EntitlementsOfHousehold returns every entitlement of a household.
func (s *Store) EntitlementsOfHousehold(ctx context.Context, householdID string) ([]*payroll.Entitlement, error) {
	return s.entitlements(ctx, `household_id = $1 AND household_id <> ''`, householdID)
}
