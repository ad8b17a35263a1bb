package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

var (
	_ domain.DibaoStore               = (*Store)(nil)
	_ domain.EligibilityCheckStore    = (*Store)(nil)
	_ domain.TemporaryAssistanceStore = (*Store)(nil)
	_ domain.DestituteStore           = (*Store)(nil)
)

var (
	errCoverageNotFound = apperr.NotFound("dibao coverage")
	errCheckNotFound    = apperr.NotFound("eligibility check")
)

const coverageCols = `id, household_id, person_id, beneficiary, region_code, urban, state, amount_fen, entitlement_id,
	from_month, income, household_size, irregular_income, frequent_review, next_review_date, last_review_date,
	taper_last_month, end_month, end_reason, version, created_us, updated_us`

func scanCoverage(r interface{ Scan(dest ...any) error }) (*domain.DibaoCoverage, error) {
	var c domain.DibaoCoverage
	var beneficiary, income string
	var created, updated int64
	err := r.Scan(&c.ID, &c.HouseholdID, &c.PersonID, &beneficiary, &c.RegionCode, &c.Urban, &c.State, &c.AmountFen,
		&c.EntitlementID, &c.FromMonth, &income, &c.HouseholdSize, &c.IrregularIncome, &c.FrequentReview, &c.NextReviewDate,
		&c.LastReviewDate, &c.TaperLastMonth, &c.EndMonth, &c.EndReason, &c.Version, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(income), &c.Income); err != nil {
		return nil, fmt.Errorf("coverage %s income: %w", c.ID, err)
	}
	c.CreateTime, c.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &c, nil
}

func scanCoverageRows(r *sql.Rows) (*domain.DibaoCoverage, error) { return scanCoverage(r) }

func coverageArgs(c *domain.DibaoCoverage) ([]any, error) {
	income, err := json.Marshal(c.Income)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.HouseholdID, c.PersonID, c.Beneficiary(), c.RegionCode, c.Urban, int32(c.State), c.AmountFen,
		c.EntitlementID, c.FromMonth, string(income), c.HouseholdSize, c.IrregularIncome, c.FrequentReview, c.NextReviewDate,
		c.LastReviewDate, c.TaperLastMonth, c.EndMonth, c.EndReason, c.Version, c.CreateTime.UnixMicro(), c.UpdateTime.UnixMicro()}, nil
}

// CreateDibaoCoverage inserts a coverage and its members. A second coverage that has not ended for the
// same beneficiary is refused by the database's partial unique index.
func (s *Store) CreateDibaoCoverage(ctx context.Context, c *domain.DibaoCoverage) error {
	args, err := coverageArgs(c)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, `INSERT INTO dibao_coverages (`+coverageCols+`) VALUES (`+sqldb.Placeholders(1, len(args))+`)`, args...)
		if sqldb.IsUniqueViolation(err) {
			open, _ := s.OpenDibaoCoverageOf(ctx, c.Beneficiary())
			id := ""
			if open != nil {
				id = open.ID
			}
			return domain.ErrAlreadyCovered(c.Beneficiary(), id)
		}
		if err != nil {
			return fmt.Errorf("create dibao coverage: %w", err)
		}
		if err := s.saveMembers(ctx, c); err != nil {
			return err
		}
		return s.publishCoverage(ctx, nil, c)
	})
}

// saveMembers writes a coverage's members, inserting new ones and updating the rest.
func (s *Store) saveMembers(ctx context.Context, c *domain.DibaoCoverage) error {
	for _, m := range c.Members {
		_, err := s.db.Exec(ctx, `INSERT INTO dibao_members (coverage_id, person_id, id_index, birth_date, severely_disabled,
			seriously_ill, can_work, from_month, to_month, end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (coverage_id, person_id) DO UPDATE SET id_index = excluded.id_index, birth_date = excluded.birth_date,
			severely_disabled = excluded.severely_disabled, seriously_ill = excluded.seriously_ill, can_work = excluded.can_work,
			to_month = excluded.to_month, end_reason = excluded.end_reason`,
			c.ID, m.PersonID, m.IDIndex, m.BirthDate, m.SeverelyDisabled, m.SeriouslyIll, m.CanWork, m.FromMonth, m.ToMonth, m.EndReason)
		if err != nil {
			return fmt.Errorf("save dibao member: %w", err)
		}
	}
	return nil
}

// loadMembers fills the members of coverages, each in the order they were covered.
func (s *Store) loadMembers(ctx context.Context, cs []*domain.DibaoCoverage) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]any, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return s.membersWhere(ctx, cs, `coverage_id IN (`+sqldb.Placeholders(1, len(ids))+`)`, ids...)
}

// membersWhere fills the members of coverages from the member rows matching where (rows of other
// coverages are skipped), each coverage's in the order they were covered.
func (s *Store) membersWhere(ctx context.Context, cs []*domain.DibaoCoverage, where string, args ...any) error {
	byID := make(map[string]*domain.DibaoCoverage, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT coverage_id, person_id, id_index, birth_date, severely_disabled,
		seriously_ill, can_work, from_month, to_month, end_reason FROM dibao_members
		WHERE `+where+` ORDER BY coverage_id, from_month, person_id`, args...)
	if err != nil {
		return fmt.Errorf("load dibao members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var m domain.CoverageMember
		if err := rows.Scan(&id, &m.PersonID, &m.IDIndex, &m.BirthDate, &m.SeverelyDisabled, &m.SeriouslyIll, &m.CanWork,
			&m.FromMonth, &m.ToMonth, &m.EndReason); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Members = append(c.Members, m)
		}
	}
	return rows.Err()
}

func (s *Store) coverages(ctx context.Context, where string, args ...any) ([]*domain.DibaoCoverage, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+coverageCols+` FROM dibao_coverages WHERE `+where, args...)
	cs, err := sqldb.Collect(rows, err, scanCoverageRows)
	if err != nil {
		return nil, fmt.Errorf("dibao coverages: %w", err)
	}
	return cs, s.loadMembers(ctx, cs)
}

// GetDibaoCoverage returns a coverage with its members.
func (s *Store) GetDibaoCoverage(ctx context.Context, id string) (*domain.DibaoCoverage, error) {
	cs, err := s.coverages(ctx, `id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errCoverageNotFound
	}
	return cs[0], nil
}

// UpdateDibaoCoverage changes a coverage with fn in a transaction (locking the row on PostgreSQL; SQLite
// has one writer) and saves it with its members and its version raised by one.
func (s *Store) UpdateDibaoCoverage(ctx context.Context, id string, fn func(c *domain.DibaoCoverage) error) (*domain.DibaoCoverage, error) {
	var out *domain.DibaoCoverage
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockRow(ctx, "dibao_coverages", "id", id); err != nil {
			return err
		}
		c, err := s.GetDibaoCoverage(ctx, id)
		if err != nil {
			return err
		}
		version := c.Version
		before := *c
		before.Members = slices.Clone(c.Members)
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.Version = id, version+1
		income, err := json.Marshal(c.Income)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, `UPDATE dibao_coverages SET state = $3, amount_fen = $4, entitlement_id = $5, income = $6,
			household_size = $7, irregular_income = $8, frequent_review = $9, next_review_date = $10, last_review_date = $11,
			taper_last_month = $12, end_month = $13, end_reason = $14, version = $15, updated_us = $16
			WHERE id = $1 AND version = $2`, id, version, int32(c.State), c.AmountFen, c.EntitlementID, string(income),
			c.HouseholdSize, c.IrregularIncome, c.FrequentReview, c.NextReviewDate, c.LastReviewDate, c.TaperLastMonth,
			c.EndMonth, c.EndReason, c.Version, c.UpdateTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("update dibao coverage %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		out = c
		if err := s.saveMembers(ctx, c); err != nil {
			return err
		}
		return s.publishCoverage(ctx, &before, c)
	})
	return out, err
}

// OpenDibaoCoverageOf returns the beneficiary's coverage that has not ended, or nil.
func (s *Store) OpenDibaoCoverageOf(ctx context.Context, beneficiary string) (*domain.DibaoCoverage, error) {
	cs, err := s.coverages(ctx, `beneficiary = $1 AND state <> $2`, beneficiary, int32(domain.CoverageEnded))
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

// OpenDibaoCoveragesOfHousehold returns the household's coverages that have not ended.
func (s *Store) OpenDibaoCoveragesOfHousehold(ctx context.Context, householdID string) ([]*domain.DibaoCoverage, error) {
	return s.coverages(ctx, `household_id = $1 AND state <> $2 ORDER BY id`, householdID, int32(domain.CoverageEnded))
}

// CoveredPersons returns, of personIDs, those covered now by a coverage that has not ended.
func (s *Store) CoveredPersons(ctx context.Context, personIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(personIDs) == 0 {
		return out, nil
	}
	args := []any{int32(domain.CoverageEnded)}
	for _, p := range personIDs {
		args = append(args, p)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT m.person_id, m.coverage_id FROM dibao_members m
		JOIN dibao_coverages c ON c.id = m.coverage_id
		WHERE m.to_month = '' AND c.state <> $1 AND m.person_id IN (`+sqldb.Placeholders(2, len(personIDs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("covered persons: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, c string
		if err := rows.Scan(&p, &c); err != nil {
			return nil, err
		}
		out[p] = c
	}
	return out, rows.Err()
}

// OverdueDibaoReviews returns a page of active coverages in scope due for review on or before the date,
// earliest due first. The cursor is the last row's due date and id.
func (s *Store) OverdueDibaoReviews(ctx context.Context, q domain.OverdueQuery) ([]*domain.DibaoCoverage, string, error) {
	afterDate, afterID := "", ""
	if q.After != "" {
		var ok bool
		if afterDate, afterID, ok = cutCursor(q.After); !ok {
			return nil, "", apperr.Invalid("INVALID_FIELD", "page_token", "not a token this service issued")
		}
	}
	limit := max(q.Limit, 1)
	cs, err := s.coverages(ctx, `state = $1 AND next_review_date <> '' AND next_review_date <= $2
		AND substr(region_code, 1, `+strconv.Itoa(len(q.Scope))+`) = $3
		AND (next_review_date > $4 OR (next_review_date = $4 AND id > $5))
		ORDER BY next_review_date, id LIMIT `+strconv.Itoa(limit+1),
		int32(domain.CoverageActive), q.AsOf, q.Scope, afterDate, afterID)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(cs) > limit {
		cs = cs[:limit]
		last := cs[limit-1]
		next = last.NextReviewDate + "|" + last.ID
	}
	return cs, next, nil
}

// CountOverdueDibaoReviews counts the active coverages in scope due for review on or before the date.
func (s *Store) CountOverdueDibaoReviews(ctx context.Context, q domain.OverdueQuery) (int64, error) {
	var n int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM dibao_coverages WHERE state = $1 AND next_review_date <> ''
		AND next_review_date <= $2 AND substr(region_code, 1, `+strconv.Itoa(len(q.Scope))+`) = $3`,
		int32(domain.CoverageActive), q.AsOf, q.Scope).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count overdue dibao reviews: %w", err)
	}
	return n, nil
}

// cutCursor splits a "date|id" cursor.
func cutCursor(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '|' {
			return s[:i], s[i+1:], s[i+1:] != ""
		}
	}
	return "", "", false
}

// AddDibaoReview inserts a review.
func (s *Store) AddDibaoReview(ctx context.Context, r *domain.DibaoReview) error {
	computed, err := json.Marshal(r.Computed)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO dibao_reviews (id, coverage_id, review_date, outcome, amount_before, amount_after,
		effective_month, computed, actor, note, created_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.CoverageID, r.ReviewDate, int32(r.Outcome), r.AmountBefore, r.AmountAfter, r.EffectiveMonth, string(computed),
		r.Actor, r.Note, r.CreateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("add dibao review: %w", err)
	}
	return nil
}

// DibaoReviews returns a coverage's reviews, oldest first.
func (s *Store) DibaoReviews(ctx context.Context, coverageID string) ([]*domain.DibaoReview, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, coverage_id, review_date, outcome, amount_before, amount_after,
		effective_month, computed, actor, note, created_us FROM dibao_reviews WHERE coverage_id = $1 ORDER BY review_date, id`, coverageID)
	return sqldb.Collect(rows, err, func(r *sql.Rows) (*domain.DibaoReview, error) {
		var v domain.DibaoReview
		var computed string
		var created int64
		if err := r.Scan(&v.ID, &v.CoverageID, &v.ReviewDate, &v.Outcome, &v.AmountBefore, &v.AmountAfter, &v.EffectiveMonth,
			&computed, &v.Actor, &v.Note, &created); err != nil {
			return nil, err
		}
		v.CreateTime = time.UnixMicro(created)
		return &v, json.Unmarshal([]byte(computed), &v.Computed)
	})
}

// FollowedStatus returns the statuses last seen of a household.
func (s *Store) FollowedStatus(ctx context.Context, householdID string) (domain.FollowedStatus, error) {
	f := domain.FollowedStatus{}
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT household_id, registry_status, monitoring_type, monitoring_status, sequence
		FROM dibao_followed_households WHERE household_id = $1`, householdID).
		Scan(&f.HouseholdID, &f.RegistryStatus, &f.MonitoringType, &f.MonitoringStatus, &f.Sequence)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.FollowedStatus{}, nil
	}
	if err != nil {
		return f, fmt.Errorf("followed status: %w", err)
	}
	return f, nil
}

// SetFollowedStatus remembers a household's statuses.
func (s *Store) SetFollowedStatus(ctx context.Context, f domain.FollowedStatus) error {
	_, err := s.db.Exec(ctx, `INSERT INTO dibao_followed_households (household_id, registry_status, monitoring_type,
		monitoring_status, sequence) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (household_id) DO UPDATE SET
		registry_status = excluded.registry_status, monitoring_type = excluded.monitoring_type,
		monitoring_status = excluded.monitoring_status, sequence = excluded.sequence`,
		f.HouseholdID, f.RegistryStatus, f.MonitoringType, f.MonitoringStatus, f.Sequence)
	if err != nil {
		return fmt.Errorf("set followed status: %w", err)
	}
	return nil
}

const checkCols = `id, household_id, region_code, reason, source_sequence, effective_date, state, outcome, note, closed_by,
	created_us, closed_us`

func scanCheck(r interface{ Scan(dest ...any) error }) (*domain.EligibilityCheck, error) {
	var c domain.EligibilityCheck
	var created, closed int64
	if err := r.Scan(&c.ID, &c.HouseholdID, &c.RegionCode, &c.Reason, &c.SourceSequence, &c.EffectiveDate, &c.State, &c.Outcome,
		&c.Note, &c.ClosedBy, &created, &closed); err != nil {
		return nil, err
	}
	c.CreateTime = time.UnixMicro(created)
	if closed != 0 {
		c.CloseTime = time.UnixMicro(closed)
	}
	return &c, nil
}

func checkArgs(c *domain.EligibilityCheck) []any {
	var closed int64
	if !c.CloseTime.IsZero() {
		closed = c.CloseTime.UnixMicro()
	}
	return []any{c.ID, c.HouseholdID, c.RegionCode, int32(c.Reason), c.SourceSequence, c.EffectiveDate, int32(c.State),
		int32(c.Outcome), c.Note, c.ClosedBy, c.CreateTime.UnixMicro(), closed}
}

// OpenEligibilityCheck inserts a check unless the same change already opened one of its reason.
func (s *Store) OpenEligibilityCheck(ctx context.Context, c *domain.EligibilityCheck) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO eligibility_checks (`+checkCols+`) VALUES (`+sqldb.Placeholders(1, 12)+`)
		ON CONFLICT (source_sequence, household_id, reason) DO NOTHING`, checkArgs(c)...)
	if err != nil {
		return false, fmt.Errorf("open eligibility check: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// GetEligibilityCheck returns one check.
func (s *Store) GetEligibilityCheck(ctx context.Context, id string) (*domain.EligibilityCheck, error) {
	c, err := scanCheck(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+checkCols+` FROM eligibility_checks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCheckNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get eligibility check: %w", err)
	}
	return c, nil
}

// UpdateEligibilityCheck changes a check with fn in a transaction and saves it.
func (s *Store) UpdateEligibilityCheck(ctx context.Context, id string, fn func(c *domain.EligibilityCheck) error) (*domain.EligibilityCheck, error) {
	var out *domain.EligibilityCheck
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockRow(ctx, "eligibility_checks", "id", id); err != nil {
			return err
		}
		c, err := s.GetEligibilityCheck(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		c.ID = id
		var closed int64
		if !c.CloseTime.IsZero() {
			closed = c.CloseTime.UnixMicro()
		}
		if _, err := s.db.Exec(ctx, `UPDATE eligibility_checks SET state = $2, outcome = $3, note = $4, closed_by = $5,
			closed_us = $6 WHERE id = $1`, id, int32(c.State), int32(c.Outcome), c.Note, c.ClosedBy, closed); err != nil {
			return fmt.Errorf("update eligibility check: %w", err)
		}
		out = c
		return nil
	})
	return out, err
}

// ListEligibilityChecks returns a page of checks in scope in id order.
func (s *Store) ListEligibilityChecks(ctx context.Context, q domain.CheckQuery) ([]*domain.EligibilityCheck, string, error) {
	var extra []string
	var args []any
	if q.State != domain.CheckStateUnspecified {
		extra, args = []string{"state = $3"}, []any{int32(q.State)}
	}
	return checkPage.List(ctx, s.db, q.Scope, q.After, "", q.Limit, extra, args...)
}

var checkPage = sqldb.ScopedPage[*domain.EligibilityCheck]{Table: "eligibility_checks", Columns: checkCols,
	Scan: func(r *sql.Rows) (*domain.EligibilityCheck, error) { return scanCheck(r) },
	ID:   func(c *domain.EligibilityCheck) string { return c.ID }}
