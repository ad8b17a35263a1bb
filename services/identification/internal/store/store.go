// Package store keeps the household register in SQL, on SQLite or PostgreSQL, behind domain.Store.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// MigrationsTable records the identification service's own migrations.
const MigrationsTable = "identification_migrations"

// Store implements domain.Store on a sqldb.DB.
type Store struct {
	db   *sqldb.DB
	feed *outbox.Feed
	// loads counts the bulk loads under way in this process (BeginBulkLoad): a write that waited for one
	// until its deadline is told so (waited).
	loads atomic.Int32
	// keysDeferred: the bulk load under way on PostgreSQL checks foreign keys at its end (BeginBulkLoad,
	// FinishBulkLoad); one bulk load runs at a time (the feed's hold).
	deferredMu   sync.Mutex
	keysDeferred bool
}

var _ domain.Store = (*Store)(nil)

// New returns a store on db publishing household changes to feed; call Migrate first on a new database.
func New(db *sqldb.DB, feed *outbox.Feed) *Store { return &Store{db: db, feed: feed} }

// Feed is the change feed the store publishes to.
func (s *Store) Feed() *outbox.Feed { return s.feed }

// Migrate brings the service's tables up to date.
func Migrate(ctx context.Context, db *sqldb.DB, logger *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, sub, MigrationsTable, logger)
}

// InTx runs fn in one transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

const householdCols = `id, region_code, address, number, urban, registry_status, registry_date, exit_year,
	monitoring_type, monitoring_status, monitoring_date, state, archive_reason, version, created_us, updated_us`

// householdReadCols are householdCols and, last, the registration effective date (登记日期): the effective
// date of the household's first status entry, found on the index status_history (household_id, id).
const householdReadCols = householdCols + `, COALESCE((SELECT sh.effective_date FROM status_history sh
	WHERE sh.household_id = households.id ORDER BY sh.id LIMIT 1), '')`

const memberCols = `m.household_id, m.seq, m.person_id, m.relation, m.state, m.start_date, m.end_date, m.end_reason,
	p.full_name, p.id_cipher, p.id_index, p.id_masked, p.sex, p.birth_date, p.ethnicity, p.education, p.health, p.labour_ability`

type scanner interface{ Scan(dest ...any) error }

func scanHousehold(r scanner) (*domain.Household, error) {
	var h domain.Household
	var urban int
	var created, updated int64
	err := r.Scan(&h.ID, &h.RegionCode, &h.Address, &h.Number, &urban, &h.Status.Registry, &h.Status.RegistryDate,
		&h.Status.ExitYear, &h.Status.MonitoringType, &h.Status.MonitoringStatus, &h.Status.MonitoringDate, &h.State,
		&h.ArchiveReason, &h.Version, &created, &updated, &h.Registered)
	if err != nil {
		return nil, err
	}
	h.Urban = urban == 1
	h.CreateTime, h.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &h, nil
}

func scanMember(r scanner) (string, domain.Member, error) {
	var m domain.Member
	var hid string
	var seq int
	err := r.Scan(&hid, &seq, &m.PersonID, &m.Relation, &m.State, &m.StartDate, &m.EndDate, &m.EndReason,
		&m.FullName, &m.IDCipher, &m.IDIndex, &m.IDMasked, &m.Sex, &m.BirthDate, &m.Ethnicity, &m.Education, &m.Health,
		&m.LabourAbility)
	return hid, m, err
}

// CreateHousehold inserts the household, its persons, memberships and first status entry.
func (s *Store) CreateHousehold(ctx context.Context, h *domain.Household) error {
	return s.waited(s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if err := s.checkFree(ctx, h.Members, "household.members"); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `INSERT INTO households (`+householdCols+`, size)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			h.ID, h.RegionCode, h.Address, h.Number, boolInt(h.Urban), h.Status.Registry, h.Status.RegistryDate,
			h.Status.ExitYear, h.Status.MonitoringType, h.Status.MonitoringStatus, h.Status.MonitoringDate, h.State,
			h.ArchiveReason, h.Version, h.CreateTime.UnixMicro(), h.UpdateTime.UnixMicro(), h.Size())
		if err != nil {
			if sqldb.IsUniqueViolation(err) && h.Number != "" {
				return domain.ErrNumberTaken
			}
			return fmt.Errorf("insert household: %w", err)
		}
		for i := range h.Members {
			if err := s.insertMember(ctx, h, i); err != nil {
				return err
			}
		}
		if err := s.insertHistory(ctx, h.ID, h.History); err != nil {
			return err
		}
		return s.feed.Append(ctx, householdEvents(nil, h)...)
	}))
}

// waited tells a write that waited for a bulk load until its deadline why it waited.
func (s *Store) waited(err error) error {
	if err != nil && errors.Is(err, context.DeadlineExceeded) && s.loads.Load() > 0 {
		return apperr.Unavailable(domain.ReasonBulkLoadInProgress, "a bulk load of the register is under way and holds "+
			"the register's writes until it commits; try again after it")
	}
	return err
}

// checkFree refuses members who are current in another active household, naming the request's field
// and never the other household's data (the refusal carries the holders for the domain only: see
// domain.PersonTaken).
func (s *Store) checkFree(ctx context.Context, members []domain.Member, path string) error {
	var idx []any
	for _, m := range members {
		if m.Current() {
			idx = append(idx, m.IDIndex)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT p.id_index, p.id, h.id, h.region_code FROM memberships m
		JOIN persons p ON p.id = m.person_id JOIN households h ON h.id = m.household_id
		WHERE m.holds = 1 AND p.id_index IN (`+sqldb.Placeholders(1, len(idx))+`)`, idx...)
	if err != nil {
		return fmt.Errorf("check memberships: %w", err)
	}
	defer rows.Close()
	taken := map[string]domain.Holder{}
	for rows.Next() {
		var ix string
		var h domain.Holder
		if err := rows.Scan(&ix, &h.PersonID, &h.HouseholdID, &h.RegionCode); err != nil {
			return err
		}
		taken[ix] = h
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(taken) == 0 {
		return nil
	}
	return personTaken(members, taken, path)
}

// personTaken is the refusal of the members held elsewhere (taken, by blind index), one field each.
func personTaken(members []domain.Member, taken map[string]domain.Holder, path string) error {
	e := *domain.ErrPersonTaken
	var holders []domain.Holder
	for i, m := range members {
		if h, ok := taken[m.IDIndex]; ok {
			e.Fields = append(e.Fields, apperr.FieldViolation{Field: fmt.Sprintf("%s[%d].id_number", path, i),
				Description: "this person is already a member of another household", Reason: domain.ReasonPersonInOtherHousehold})
			holders = append(holders, h)
		}
	}
	if len(e.Fields) > 0 {
		e.Message = e.Fields[0].Field + ": " + e.Fields[0].Description
	}
	return &domain.PersonTaken{Refusal: &e, Holders: holders}
}

// insertMember writes member i: the person (reusing the id of a person already known by blind index,
// so a person's identity is stable across households) and the membership.
func (s *Store) insertMember(ctx context.Context, h *domain.Household, i int) error {
	q := s.db.Q(ctx)
	m := &h.Members[i]
	var existing string
	err := q.QueryRowContext(ctx, `SELECT id FROM persons WHERE id_index = $1`, m.IDIndex).Scan(&existing)
	switch {
	case err == nil:
		m.PersonID = existing
		if err := s.updatePerson(ctx, m); err != nil {
			return err
		}
	case errors.Is(err, sql.ErrNoRows):
		_, err = q.ExecContext(ctx, `INSERT INTO persons (id, id_index, id_cipher, id_masked, full_name, sex, birth_date,
			ethnicity, education, health, labour_ability) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			m.PersonID, m.IDIndex, m.IDCipher, m.IDMasked, m.FullName, m.Sex, m.BirthDate, m.Ethnicity, m.Education,
			m.Health, m.LabourAbility)
		if err != nil {
			return fmt.Errorf("insert person: %w", err)
		}
	default:
		return fmt.Errorf("find person: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO memberships (household_id, seq, person_id, relation, state, start_date,
		end_date, end_reason, holds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		h.ID, i, m.PersonID, m.Relation, m.State, m.StartDate, m.EndDate, m.EndReason, holds(h, m))
	if err != nil {
		if sqldb.IsUniqueViolation(err) {
			// A concurrent request took the person; where is unknown (the transaction is spent).
			return personTaken(h.Members[i:i+1], map[string]domain.Holder{m.IDIndex: {PersonID: m.PersonID}}, "members")
		}
		return fmt.Errorf("insert membership: %w", err)
	}
	return nil
}

func (s *Store) updatePerson(ctx context.Context, m *domain.Member) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE persons SET full_name = $2, ethnicity = $3, education = $4, health = $5,
		labour_ability = $6 WHERE id = $1`, m.PersonID, m.FullName, m.Ethnicity, m.Education, m.Health, m.LabourAbility)
	if err != nil {
		return fmt.Errorf("update person: %w", err)
	}
	return nil
}

func holds(h *domain.Household, m *domain.Member) int {
	return boolInt(h.State == domain.HouseholdActive && m.Current())
}

func (s *Store) insertHistory(ctx context.Context, id string, changes []domain.StatusChange) error {
	for _, c := range changes {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO status_history (household_id, effective_date, registry_status,
			monitoring_type, monitoring_status, reason, actor, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, c.EffectiveDate, c.Registry, c.MonitoringType, c.MonitoringStatus, c.Reason, c.Actor, c.RecordTime.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert status history: %w", err)
		}
	}
	return nil
}

// GetHousehold loads a household with members and history.
func (s *Store) GetHousehold(ctx context.Context, id string) (*domain.Household, error) {
	q := s.db.Q(ctx)
	h, err := scanHousehold(q.QueryRowContext(ctx, `SELECT `+householdReadCols+` FROM households WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrHouseholdNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get household: %w", err)
	}
	members, err := q.QueryContext(ctx, `SELECT `+memberCols+` FROM memberships m JOIN persons p ON p.id = m.person_id
		WHERE m.household_id = $1 ORDER BY m.seq`, id)
	if err != nil {
		return nil, fmt.Errorf("get members: %w", err)
	}
	for members.Next() {
		_, m, err := scanMember(members)
		if err != nil {
			members.Close()
			return nil, fmt.Errorf("scan member: %w", err)
		}
		h.Members = append(h.Members, m)
	}
	members.Close()
	if err := members.Err(); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT effective_date, registry_status, monitoring_type, monitoring_status, reason,
		actor, recorded_us FROM status_history WHERE household_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("get status history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c domain.StatusChange
		var rec int64
		if err := rows.Scan(&c.EffectiveDate, &c.Registry, &c.MonitoringType, &c.MonitoringStatus, &c.Reason, &c.Actor, &rec); err != nil {
			return nil, err
		}
		c.RecordTime = time.UnixMicro(rec)
		h.History = append(h.History, c)
	}
	return h, rows.Err()
}

// loadMembers fills the members of several households with one query.
func (s *Store) loadMembers(ctx context.Context, hs []*domain.Household) error {
	if len(hs) == 0 {
		return nil
	}
	byID := make(map[string]*domain.Household, len(hs))
	args := make([]any, len(hs))
	for i, h := range hs {
		byID[h.ID] = h
		args[i] = h.ID
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+memberCols+` FROM memberships m JOIN persons p ON p.id = m.person_id
		WHERE m.household_id IN (`+sqldb.Placeholders(1, len(args))+`) ORDER BY m.household_id, m.seq`, args...)
	if err != nil {
		return fmt.Errorf("load members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		hid, m, err := scanMember(rows)
		if err != nil {
			return fmt.Errorf("scan member: %w", err)
		}
		byID[hid].Members = append(byID[hid].Members, m)
	}
	return rows.Err()
}

// UpdateHousehold loads, changes and saves a household in one transaction, increasing its version.
func (s *Store) UpdateHousehold(ctx context.Context, id string, fn func(h *domain.Household) error) (*domain.Household, error) {
	var out *domain.Household
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockRow(ctx, "households", "id", id); err != nil {
			return err
		}
		h, err := s.GetHousehold(ctx, id)
		if err != nil {
			return err
		}
		before := len(h.Members)
		historyBefore := len(h.History)
		version := h.Version
		old := *h
		old.Members = append([]domain.Member(nil), h.Members...)
		if err := fn(h); err != nil {
			return err
		}
		h.Version = version + 1
		if err := s.checkFree(ctx, h.Members[before:], "member"); err != nil {
			return err
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE households SET region_code = $3, address = $4, number = $5,
			urban = $6, registry_status = $7, registry_date = $8, exit_year = $9, monitoring_type = $10,
			monitoring_status = $11, monitoring_date = $12, state = $13, archive_reason = $14, size = $15, version = $16,
			updated_us = $17 WHERE id = $1 AND version = $2`,
			h.ID, version, h.RegionCode, h.Address, h.Number, boolInt(h.Urban), h.Status.Registry, h.Status.RegistryDate,
			h.Status.ExitYear, h.Status.MonitoringType, h.Status.MonitoringStatus, h.Status.MonitoringDate, h.State,
			h.ArchiveReason, h.Size(), h.Version, h.UpdateTime.UnixMicro())
		if err != nil {
			if sqldb.IsUniqueViolation(err) {
				return domain.ErrNumberTaken
			}
			return fmt.Errorf("update household: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		for i := range h.Members[:before] {
			m := &h.Members[i]
			if err := s.updatePerson(ctx, m); err != nil {
				return err
			}
			_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE memberships SET relation = $3, state = $4, end_date = $5,
				end_reason = $6, holds = $7 WHERE household_id = $1 AND seq = $2`,
				h.ID, i, m.Relation, m.State, m.EndDate, m.EndReason, holds(h, m))
			if err != nil {
				return fmt.Errorf("update membership: %w", err)
			}
		}
		for i := before; i < len(h.Members); i++ {
			if err := s.insertMember(ctx, h, i); err != nil {
				return err
			}
		}
		if err := s.insertHistory(ctx, h.ID, h.History[historyBefore:]); err != nil {
			return err
		}
		if err := s.feed.Append(ctx, householdEvents(&old, h)...); err != nil {
			return err
		}
		out = h
		return nil
	})
	return out, s.waited(err)
}

var digits = regexp.MustCompile(`^[0-9]{1,12}$`)

// listFields are the fields ListHouseholds filters on, mapped to columns.
var listFields = filter.Fields{
	"region_code": {Column: "region_code", Type: filter.String, Pattern: digits.MatchString},
	// "number <> ''" lets both databases use the partial index households_number for a bound value.
	"household_number": {Column: "number", Type: filter.String, Within: "(%s AND number <> '')"},
	"registry_status":  {Column: "registry_status", Type: filter.Enum, Values: identificationv1.RegistryStatus_value},
	"monitoring_type":  {Column: "monitoring_type", Type: filter.Enum, Values: identificationv1.MonitoringType_value},
	"state":            {Column: "state", Type: filter.Enum, Values: identificationv1.HouseholdState_value},
	// A current (在户) member's name, exact or a prefix ("王*"), normalised as names are stored; served by
	// persons_full_name (migration 00010). A name or prefix few persons have drives the query from the
	// index (the households of the matching persons); a common one ("王*": a tenth of the county) is
	// probed household by household in id order, which stops at the page's end (memberBroad judges).
	"member_name": {Column: "p.full_name", Type: filter.String, Wildcard: true, Normalize: pii.NormalizeName,
		Within: "id IN (SELECT m.household_id FROM persons p JOIN memberships m ON m.person_id = p.id WHERE m.state = " +
			strconv.Itoa(int(domain.MemberActive)) + " AND %s)",
		Broad: "EXISTS (SELECT 1 FROM memberships m JOIN persons p ON p.id = m.person_id WHERE m.household_id = households.id AND m.state = " +
			strconv.Itoa(int(domain.MemberActive)) + " AND %s)"},
}

// broadNames is how many persons a member_name must match to be probed household by household: below it,
// reading every match costs less than a probe of each household until the page is full.
const broadNames = 3000

// memberBroad counts, up to broadNames, the persons a member_name comparison matches.
func memberBroad(ctx context.Context, db *sqldb.DB, field string, args []any) (bool, error) {
	if field != "member_name" {
		return false, nil
	}
	cond := "full_name = $1"
	if len(args) == 2 {
		cond = "full_name >= $1 AND full_name < $2"
	}
	var n int
	err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM persons WHERE `+cond+
		` LIMIT `+strconv.Itoa(broadNames)+`) matches`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count member names: %w", err)
	}
	return n >= broadNames, nil
}

// ListHouseholds returns a page of households in ID order, members included, history left out.
func (s *Store) ListHouseholds(ctx context.Context, lq domain.ListQuery) ([]*domain.Household, string, error) {
	hs, next, err := householdPage.List(ctx, s.db, lq.Scope, lq.After, lq.Filter, lq.Limit, nil)
	if err != nil {
		return nil, "", err
	}
	return hs, next, s.loadMembers(ctx, hs)
}

var householdPage = sqldb.ScopedPage[*domain.Household]{Table: "households", Columns: householdReadCols, Fields: listFields,
	Scan: func(r *sql.Rows) (*domain.Household, error) { return scanHousehold(r) },
	ID:   func(h *domain.Household) string { return h.ID }, Broad: memberBroad}

// GetHouseholds loads the households with these IDs that exist, with one query for the households (the
// IDs in one parameter, as the import's lookups) and one for all their members; history is left out.
func (s *Store) GetHouseholds(ctx context.Context, ids []string) (map[string]*domain.Household, error) {
	if len(ids) == 0 {
		return map[string]*domain.Household{}, nil
	}
	cond, arg := s.inList("id", 1, ids)
	hs, err := s.householdsWhere(ctx, cond, arg)
	if err != nil {
		return nil, fmt.Errorf("get households: %w", err)
	}
	out := make(map[string]*domain.Household, len(hs))
	for _, h := range hs {
		out[h.ID] = h
	}
	return out, nil
}

// householdsWhere loads the households matching cond with their members: one query for the households and
// one for all their members; history is left out.
func (s *Store) householdsWhere(ctx context.Context, cond string, args ...any) ([]*domain.Household, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+householdReadCols+` FROM households WHERE `+cond, args...)
	hs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (*domain.Household, error) { return scanHousehold(r) })
	if err != nil {
		return nil, err
	}
	return hs, s.loadMembers(ctx, hs)
}

// PersonOfIndex finds a person by blind index, whatever their memberships.
func (s *Store) PersonOfIndex(ctx context.Context, idIndex string) (string, error) {
	var id string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM persons WHERE id_index = $1`, idIndex).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.ErrPersonNotFound
	}
	if err != nil {
		return "", fmt.Errorf("find person: %w", err)
	}
	return id, nil
}

// HouseholdOfPerson finds the active household holding the person.
func (s *Store) HouseholdOfPerson(ctx context.Context, idIndex string) (*domain.Household, error) {
	var id string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT m.household_id FROM memberships m JOIN persons p ON p.id = m.person_id
		WHERE p.id_index = $1 AND m.holds = 1`, idIndex).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrHouseholdNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find household of person: %w", err)
	}
	return s.GetHousehold(ctx, id)
}

const regionCols = `code, name, level, urban, parent, valid_from, valid_to`

func scanRegion(r scanner) (*domain.Region, error) {
	var g domain.Region
	var urban int
	if err := r.Scan(&g.Code, &g.Name, &g.Level, &urban, &g.Parent, &g.ValidFrom, &g.ValidTo); err != nil {
		return nil, err
	}
	g.Urban = urban == 1
	return &g, nil
}

// Region returns one region with its populations.
func (s *Store) Region(ctx context.Context, code string) (*domain.Region, error) {
	g, err := scanRegion(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+regionCols+` FROM regions WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrRegionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get region: %w", err)
	}
	return g, s.loadPopulations(ctx, []*domain.Region{g})
}

// ListRegions lists regions under parent ("" = all) after the given code.
func (s *Store) ListRegions(ctx context.Context, parent, after string, limit int) ([]*domain.Region, error) {
	out, err := s.queryRegions(ctx, `SELECT `+regionCols+` FROM regions
		WHERE ($1 = '' OR parent = $1) AND code > $2 ORDER BY code LIMIT $3`, parent, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return out, s.loadPopulations(ctx, out)
}

// queryRegions runs a query selecting regionCols and scans every row (populations not loaded).
func (s *Store) queryRegions(ctx context.Context, query string, args ...any) ([]*domain.Region, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Region
	for rows.Next() {
		g, err := scanRegion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Store) loadPopulations(ctx context.Context, rs []*domain.Region) error {
	if len(rs) == 0 {
		return nil
	}
	byCode := map[string]*domain.Region{}
	args := make([]any, len(rs))
	for i, r := range rs {
		byCode[r.Code] = r
		args[i] = r.Code
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT code, year, residents FROM region_populations
		WHERE code IN (`+sqldb.Placeholders(1, len(args))+`) ORDER BY code, year`, args...)
	if err != nil {
		return fmt.Errorf("load populations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var p domain.Population
		if err := rows.Scan(&code, &p.Year, &p.Residents); err != nil {
			return err
		}
		byCode[code].Populations = append(byCode[code].Populations, p)
	}
	return rows.Err()
}

// UpsertRegions writes region master data, parents before children.
func (s *Store) UpsertRegions(ctx context.Context, regions []*domain.Region) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		for _, g := range regions {
			_, err := q.ExecContext(ctx, `INSERT INTO regions (`+regionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, urban = excluded.urban,
				parent = excluded.parent, valid_from = excluded.valid_from, valid_to = excluded.valid_to`,
				g.Code, g.Name, g.Level, boolInt(g.Urban), g.Parent, g.ValidFrom, g.ValidTo)
			if err != nil {
				return fmt.Errorf("upsert region %s: %w", g.Code, err)
			}
			for _, p := range g.Populations {
				_, err := q.ExecContext(ctx, `INSERT INTO region_populations (code, year, residents) VALUES ($1, $2, $3)
					ON CONFLICT (code, year) DO UPDATE SET residents = excluded.residents`, g.Code, p.Year, p.Residents)
				if err != nil {
					return fmt.Errorf("upsert population %s/%d: %w", g.Code, p.Year, err)
				}
			}
		}
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
