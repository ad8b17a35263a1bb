package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

var errAssistanceNotFound = apperr.NotFound("temporary assistance")

const assistanceCols = `id, household_id, region_code, urban, kind, amount_fen, reason, application_date, cap_fen, policy,
	state, decision_date, decided_by, decision_note, payment_month, entitlement_id, created_by, version, created_us, updated_us`

func assistanceArgs(a *domain.TemporaryAssistance) ([]any, error) {
	pol, err := json.Marshal(a.Policy)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.HouseholdID, a.RegionCode, a.Urban, int32(a.Kind), a.AmountFen, a.Reason, a.ApplicationDate, a.CapFen,
		string(pol), int32(a.State), a.DecisionDate, a.DecidedBy, a.DecisionNote, a.PaymentMonth, a.EntitlementID, a.CreatedBy,
		a.Version, a.CreateTime.UnixMicro(), a.UpdateTime.UnixMicro()}, nil
}

// CreateTemporaryAssistance inserts an application.
func (s *Store) CreateTemporaryAssistance(ctx context.Context, a *domain.TemporaryAssistance) error {
	args, err := assistanceArgs(a)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO temporary_assistances (`+assistanceCols+`) VALUES (`+
		sqldb.Placeholders(1, len(args))+`)`, args...); err != nil {
		return fmt.Errorf("create temporary assistance: %w", err)
	}
	return nil
}

func scanAssistance(r interface{ Scan(dest ...any) error }) (*domain.TemporaryAssistance, error) {
	var a domain.TemporaryAssistance
	var pol string
	var created, updated int64
	if err := r.Scan(&a.ID, &a.HouseholdID, &a.RegionCode, &a.Urban, &a.Kind, &a.AmountFen, &a.Reason, &a.ApplicationDate,
		&a.CapFen, &pol, &a.State, &a.DecisionDate, &a.DecidedBy, &a.DecisionNote, &a.PaymentMonth, &a.EntitlementID,
		&a.CreatedBy, &a.Version, &created, &updated); err != nil {
		return nil, err
	}
	a.CreateTime, a.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	if err := json.Unmarshal([]byte(pol), &a.Policy); err != nil {
		return nil, fmt.Errorf("temporary assistance %s policy: %w", a.ID, err)
	}
	return &a, nil
}

// GetTemporaryAssistance returns one application.
func (s *Store) GetTemporaryAssistance(ctx context.Context, id string) (*domain.TemporaryAssistance, error) {
	a, err := scanAssistance(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+assistanceCols+` FROM temporary_assistances WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAssistanceNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get temporary assistance %s: %w", id, err)
	}
	return a, nil
}

var (
	assistanceRegionDigits = regexp.MustCompile(`^[0-9]{1,12}$`)
	assistanceDate         = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)
)

// assistanceFilter declares what ListTemporaryAssistances filters on: kinds and states as the contract
// writes them, the household by its resource name.
var assistanceFilter = filter.Fields{
	"kind":             {Column: "kind", Type: filter.Enum, Values: subsidiesv1.TemporaryAssistanceKind_value},
	"state":            {Column: "state", Type: filter.Enum, Values: subsidiesv1.TemporaryAssistanceState_value},
	"region_code":      {Column: "region_code", Type: filter.String, Pattern: assistanceRegionDigits.MatchString},
	"household":        {Column: "('households/' || household_id)", Type: filter.String},
	"application_date": {Column: "application_date", Type: filter.String, Pattern: assistanceDate.MatchString},
}

// ListTemporaryAssistances returns a page of the applications under q.Scope in id order (UUIDv7: the
// order they were recorded).
func (s *Store) ListTemporaryAssistances(ctx context.Context, q domain.AssistanceQuery) ([]*domain.TemporaryAssistance, string, error) {
	return assistancePage.List(ctx, s.db, q.Scope, q.After, q.Filter, q.Limit, nil)
}

var assistancePage = sqldb.ScopedPage[*domain.TemporaryAssistance]{Table: "temporary_assistances", Columns: assistanceCols,
	Fields: assistanceFilter, Scan: func(r *sql.Rows) (*domain.TemporaryAssistance, error) { return scanAssistance(r) },
	ID: func(a *domain.TemporaryAssistance) string { return a.ID }}

// UpdateTemporaryAssistance changes an application with fn in a transaction (locking the row on
// PostgreSQL) and saves it with its version raised by one.
func (s *Store) UpdateTemporaryAssistance(ctx context.Context, id string, fn func(a *domain.TemporaryAssistance) error) (*domain.TemporaryAssistance, error) {
	var out *domain.TemporaryAssistance
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockRow(ctx, "temporary_assistances", "id", id); err != nil {
			return err
		}
		a, err := s.GetTemporaryAssistance(ctx, id)
		if err != nil {
			return err
		}
		version := a.Version
		if err := fn(a); err != nil {
			return err
		}
		a.ID, a.Version = id, version+1
		pol, err := json.Marshal(a.Policy)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, `UPDATE temporary_assistances SET cap_fen = $3, policy = $4, state = $5, decision_date = $6,
			decided_by = $7, decision_note = $8, payment_month = $9, entitlement_id = $10, version = $11, updated_us = $12
			WHERE id = $1 AND version = $2`, id, version, a.CapFen, string(pol), int32(a.State), a.DecisionDate, a.DecidedBy,
			a.DecisionNote, a.PaymentMonth, a.EntitlementID, a.Version, a.UpdateTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("update temporary assistance %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		out = a
		return nil
	})
	return out, err
}
