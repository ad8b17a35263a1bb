package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// The 零就业 list and aid cases (migration 00004; domain/aid.go).

var _ domain.AidStore = (*Store)(nil)

// regionRange is the range of region codes a prefix selects: codes are digits, and ':' sorts right after
// '9', so [prefix, prefix+":") is every code starting with prefix, a range of a (region_code, …) index.
func regionRange(prefix string) (string, string) { return prefix, prefix + ":" }

// LockAidHouseholds serializes evaluations of the same households across replicas and jobs (the
// leader's pass, a ledger change, a request): on PostgreSQL it locks the households' ledger records and
// current listings, in id order, for the rest of the transaction, so the second evaluation reads what the
// first committed; SQLite's one writer already serializes them.
func (s *Store) LockAidHouseholds(ctx context.Context, householdIDs []string) error {
	if s.db.Dialect != sqldb.Postgres || len(householdIDs) == 0 {
		return nil
	}
	for start := 0; start < len(householdIDs); start += 500 {
		ids := householdIDs[start:min(start+500, len(householdIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		in := sqldb.Placeholders(1, len(ids))
		for _, q := range []string{
			`SELECT id FROM labourers WHERE household_id IN (` + in + `) ORDER BY id FOR UPDATE`,
			`SELECT id FROM zero_employment_households WHERE ended_on = '' AND household_id IN (` + in + `) ORDER BY id FOR UPDATE`,
		} {
			rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
			if _, err := sqldb.Collect(rows, err, scanString); err != nil {
				return fmt.Errorf("lock aid households: %w", err)
			}
		}
	}
	return nil
}

// CurrentZeroEmployment returns the current listings of the households, by household id.
func (s *Store) CurrentZeroEmployment(ctx context.Context, householdIDs []string) (map[string]*domain.ZeroEmploymentListing, error) {
	out := make(map[string]*domain.ZeroEmploymentListing, len(householdIDs))
	for start := 0; start < len(householdIDs); start += 500 {
		ids := householdIDs[start:min(start+500, len(householdIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+listingCols+` FROM zero_employment_households
			WHERE ended_on = '' AND household_id IN (`+sqldb.Placeholders(1, len(ids))+`)`, args...)
		ls, err := sqldb.Collect(rows, err, scanListing)
		if err != nil {
			return nil, fmt.Errorf("current zero-employment listings: %w", err)
		}
		for _, l := range ls {
			out[l.HouseholdID] = l
		}
	}
	return out, nil
}

const listingCols = `id, household_id, region_code, listed_on, month, finding, policy_hash, case_id, ended_on, end_reason`

func scanListing(rows *sql.Rows) (*domain.ZeroEmploymentListing, error) {
	var l domain.ZeroEmploymentListing
	var finding string
	if err := rows.Scan(&l.ID, &l.HouseholdID, &l.RegionCode, &l.ListedOn, &l.Finding.Month, &finding, &l.PolicyHash,
		&l.CaseID, &l.EndedOn, &l.EndReason); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(finding), &l.Finding); err != nil {
		return nil, fmt.Errorf("listing %s finding: %w", l.ID, err)
	}
	return &l, nil
}

// InsertZeroEmployment lists a household.
func (s *Store) InsertZeroEmployment(ctx context.Context, l *domain.ZeroEmploymentListing) error {
	finding, err := json.Marshal(l.Finding)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO zero_employment_households (id, household_id, region_code, listed_on, month, finding,
		policy_hash, case_id, created_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		l.ID, l.HouseholdID, l.RegionCode, l.ListedOn, l.Finding.Month, string(finding), l.PolicyHash, l.CaseID, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("list zero-employment household %s: %w", l.HouseholdID, err)
	}
	return nil
}

// EndZeroEmployment ends a current listing.
func (s *Store) EndZeroEmployment(ctx context.Context, id, endedOn, reason string) error {
	res, err := s.db.Exec(ctx, `UPDATE zero_employment_households SET ended_on = $2, end_reason = $3 WHERE id = $1 AND ended_on = ''`,
		id, endedOn, reason)
	if err != nil {
		return fmt.Errorf("end zero-employment listing %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("end zero-employment listing %s: not current", id)
	}
	return nil
}

// ListedHouseholds pages the ids of the households listed now.
func (s *Store) ListedHouseholds(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT household_id FROM zero_employment_households
		WHERE ended_on = '' AND household_id > $1 ORDER BY household_id LIMIT $2`, after, limit)
	return sqldb.Collect(rows, err, scanString)
}

func scanString(rows *sql.Rows) (string, error) {
	var s string
	err := rows.Scan(&s)
	return s, err
}

const aidCaseCols = `id, household_id, region_code, listing_id, opened_on, due_on, close_within_days, policy_hash, is_open,
	closed_on, outcome, reason, employed_person, closing_note`

func scanAidCase(rows *sql.Rows) (*domain.AidCase, error) {
	var c domain.AidCase
	var open int
	if err := rows.Scan(&c.ID, &c.HouseholdID, &c.RegionCode, &c.ListingID, &c.OpenedOn, &c.DueOn, &c.CloseWithinDays,
		&c.PolicyHash, &open, &c.ClosedOn, &c.Outcome, &c.Reason, &c.EmployedPerson, &c.ClosingNote); err != nil {
		return nil, err
	}
	c.Open = open == 1
	return &c, nil
}

// InsertAidCase records a new aid case.
func (s *Store) InsertAidCase(ctx context.Context, c *domain.AidCase) error {
	now := time.Now().UnixMicro()
	_, err := s.db.Exec(ctx, `INSERT INTO aid_cases (id, household_id, region_code, listing_id, opened_on, due_on,
		close_within_days, policy_hash, is_open, created_us, updated_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)`,
		c.ID, c.HouseholdID, c.RegionCode, c.ListingID, c.OpenedOn, c.DueOn, c.CloseWithinDays, c.PolicyHash, now)
	if err != nil {
		return fmt.Errorf("insert aid case %s: %w", c.ID, err)
	}
	return nil
}

// AidCase returns a case with its offers.
func (s *Store) AidCase(ctx context.Context, id string, lock bool) (*domain.AidCase, error) {
	var out *domain.AidCase
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if lock {
			if err := s.db.LockRow(ctx, "aid_cases", "id", id); err != nil {
				return err
			}
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+aidCaseCols+` FROM aid_cases WHERE id = $1`, id)
		cs, err := sqldb.Collect(rows, err, scanAidCase)
		if err != nil {
			return fmt.Errorf("aid case %s: %w", id, err)
		}
		if len(cs) == 0 {
			return domain.ErrAidCaseNotFound
		}
		out = cs[0]
		rows, err = s.db.Q(ctx).QueryContext(ctx, `SELECT id, case_id, kind, person_id, description, offered_on, response,
			recorded_by, recorded_us FROM aid_offers WHERE case_id = $1 ORDER BY offered_on, recorded_us, id`, id)
		out.Offers, err = sqldb.Collect(rows, err, func(rows *sql.Rows) (domain.AidOffer, error) {
			var o domain.AidOffer
			var us int64
			err := rows.Scan(&o.ID, &o.CaseID, &o.Kind, &o.PersonID, &o.Description, &o.OfferedOn, &o.Response, &o.RecordedBy, &us)
			o.RecordedAt = time.UnixMicro(us).UTC()
			return o, err
		})
		if err != nil {
			return fmt.Errorf("aid case %s offers: %w", id, err)
		}
		return nil
	})
	return out, err
}

// CloseAidCase writes a case's closing.
func (s *Store) CloseAidCase(ctx context.Context, c *domain.AidCase) error {
	res, err := s.db.Exec(ctx, `UPDATE aid_cases SET is_open = 0, closed_on = $2, outcome = $3, reason = $4, employed_person = $5,
		closing_note = $6, updated_us = $7 WHERE id = $1 AND is_open = 1`,
		c.ID, c.ClosedOn, c.Outcome, c.Reason, c.EmployedPerson, c.ClosingNote, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("close aid case %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("close aid case %s: not open", c.ID)
	}
	return nil
}

// InsertAidOffer records an offer.
func (s *Store) InsertAidOffer(ctx context.Context, o *domain.AidOffer) error {
	_, err := s.db.Exec(ctx, `INSERT INTO aid_offers (id, case_id, kind, person_id, description, offered_on, response,
		recorded_by, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		o.ID, o.CaseID, o.Kind, o.PersonID, o.Description, o.OfferedOn, o.Response, o.RecordedBy, o.RecordedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert aid offer: %w", err)
	}
	return nil
}

// MoveAid carries the household's current listing and open cases to region.
func (s *Store) MoveAid(ctx context.Context, householdID, region string) ([]string, error) {
	var ids []string
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `UPDATE zero_employment_households SET region_code = $2 WHERE household_id = $1 AND ended_on = ''`,
			householdID, region); err != nil {
			return fmt.Errorf("move zero-employment listing: %w", err)
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM aid_cases WHERE household_id = $1 AND is_open = 1`, householdID)
		if ids, err = sqldb.Collect(rows, err, scanString); err != nil {
			return fmt.Errorf("open aid cases of %s: %w", householdID, err)
		}
		if _, err := s.db.Exec(ctx, `UPDATE aid_cases SET region_code = $2, updated_us = $3 WHERE household_id = $1 AND is_open = 1`,
			householdID, region, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("move aid cases: %w", err)
		}
		return nil
	})
	return ids, err
}

// ListZeroEmployment pages the current listings by village (region code, household id), with their cases.
// The cursor is "region|household" of the last row.
func (s *Store) ListZeroEmployment(ctx context.Context, q domain.AidListQuery) ([]domain.ZeroEmploymentListing, int, error) {
	lo, hi := regionRange(q.RegionPrefix)
	var total int
	var out []domain.ZeroEmploymentListing
	err := s.db.ReadTx(ctx, func(ctx context.Context) error {
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM zero_employment_households
			WHERE ended_on = '' AND region_code >= $1 AND region_code < $2`, lo, hi).Scan(&total); err != nil {
			return fmt.Errorf("count zero-employment households: %w", err)
		}
		afterRegion, afterHousehold, _ := strings.Cut(q.After, "|")
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT z.id, z.household_id, z.region_code, z.listed_on, z.month, z.finding,
				z.policy_hash, z.case_id, z.ended_on, z.end_reason, c.is_open, c.due_on
			FROM zero_employment_households z JOIN aid_cases c ON c.id = z.case_id
			WHERE z.ended_on = '' AND z.region_code >= $1 AND z.region_code < $2
				AND (z.region_code > $3 OR (z.region_code = $3 AND z.household_id > $4))
			ORDER BY z.region_code, z.household_id LIMIT $5`, lo, hi, afterRegion, afterHousehold, max(q.Limit, 1))
		out, err = sqldb.Collect(rows, err, func(rows *sql.Rows) (domain.ZeroEmploymentListing, error) {
			var l domain.ZeroEmploymentListing
			var finding string
			var open int
			if err := rows.Scan(&l.ID, &l.HouseholdID, &l.RegionCode, &l.ListedOn, &l.Finding.Month, &finding, &l.PolicyHash,
				&l.CaseID, &l.EndedOn, &l.EndReason, &open, &l.CaseDueOn); err != nil {
				return l, err
			}
			l.CaseOpen = open == 1
			return l, json.Unmarshal([]byte(finding), &l.Finding)
		})
		if err != nil {
			return fmt.Errorf("list zero-employment households: %w", err)
		}
		return nil
	})
	return out, total, err
}

// ListAidCases pages cases by id (oldest first).
func (s *Store) ListAidCases(ctx context.Context, q domain.AidListQuery) ([]domain.AidCase, int, error) {
	lo, hi := regionRange(q.RegionPrefix)
	where := []string{"region_code >= $1", "region_code < $2"}
	args := []any{lo, hi}
	if q.OpenOnly {
		where = append(where, "is_open = 1")
	}
	if q.OverdueOn != "" {
		args = append(args, q.OverdueOn)
		where = append(where, fmt.Sprintf("due_on < $%d", len(args)))
	}
	cond := strings.Join(where, " AND ")
	var total int
	var out []domain.AidCase
	err := s.db.ReadTx(ctx, func(ctx context.Context) error {
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM aid_cases WHERE `+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("count aid cases: %w", err)
		}
		pargs := append(append([]any{}, args...), q.After, max(q.Limit, 1))
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+aidCaseCols+` FROM aid_cases WHERE `+cond+
			fmt.Sprintf(` AND id > $%d ORDER BY id LIMIT $%d`, len(args)+1, len(args)+2), pargs...)
		cs, err := sqldb.Collect(rows, err, scanAidCase)
		if err != nil {
			return fmt.Errorf("list aid cases: %w", err)
		}
		for _, c := range cs {
			out = append(out, *c)
		}
		return nil
	})
	return out, total, err
}
