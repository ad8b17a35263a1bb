package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
)

// The bulk path of the ledger import. Lookups take a whole batch in one query: a JSON array expanded by
// json_each on SQLite (one parameter, where a long list of numbered parameters costs SQLite quadratic
// time), an array with = ANY on PostgreSQL. Inserts are prepared once per transaction and run once per
// row on SQLite (statements are cheap there, there is no round trip), and are one statement per table
// with unnest over column arrays on PostgreSQL (one round trip per table and batch instead of one per row).

var _ domain.LedgerImportStore = (*Store)(nil)

// inList returns the SQL that tests column against a list held in one parameter $n, and that parameter.
func (s *Store) inList(column string, n int, values []string) (string, any) {
	if s.db.Dialect == sqldb.Postgres {
		return fmt.Sprintf("%s = ANY($%d)", column, n), values
	}
	b, _ := json.Marshal(values)
	return fmt.Sprintf("%s IN (SELECT value FROM json_each($%d))", column, n), string(b)
}

// HouseholdsByNumber returns the households registered under these numbers, with their members.
func (s *Store) HouseholdsByNumber(ctx context.Context, numbers []string) (map[string]*domain.Household, error) {
	out := map[string]*domain.Household{}
	if len(numbers) == 0 {
		return out, nil
	}
	cond, arg := s.inList("number", 1, numbers)
	hs, err := s.householdsWhere(ctx, "number <> '' AND "+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("households by number: %w", err)
	}
	for _, h := range hs {
		out[h.Number] = h
	}
	return out, nil
}

// PersonsByIndex returns the persons known by these blind indexes and whether each is held by an active
// household.
func (s *Store) PersonsByIndex(ctx context.Context, indexes []string) (map[string]domain.KnownPerson, error) {
	out := map[string]domain.KnownPerson{}
	if len(indexes) == 0 {
		return out, nil
	}
	cond, arg := s.inList("p.id_index", 1, indexes)
	// At most one membership holds a person (a partial unique index), so the join adds no rows.
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT p.id_index, p.id, COALESCE(h.id, ''), COALESCE(h.region_code, '')
		FROM persons p LEFT JOIN memberships m ON m.person_id = p.id AND m.holds = 1
		LEFT JOIN households h ON h.id = m.household_id WHERE `+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("persons by blind index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx string
		var p domain.KnownPerson
		if err := rows.Scan(&idx, &p.ID, &p.Holder, &p.HolderRegion); err != nil {
			return nil, err
		}
		p.Held = p.Holder != ""
		out[idx] = p
	}
	return out, rows.Err()
}

// CreateHouseholds inserts checked households in the transaction in ctx (see domain.LedgerImportStore).
func (s *Store) CreateHouseholds(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	return s.createHouseholds(ctx, hs, existing, true)
}

// LoadHouseholds inserts the checked households of a bulk load, without a change per household.
func (s *Store) LoadHouseholds(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	return s.createHouseholds(ctx, hs, existing, false)
}

// CountHouseholds returns the number of households in the register.
func (s *Store) CountHouseholds(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM households`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count households: %w", err)
	}
	return n, nil
}

// BeginBulkLoad holds the register's other writers until the transaction in ctx ends: every write of the
// register appends to the change feed, and the load takes the feed's order lock first. end is called
// when the load's transaction has ended; until then a write of this process that waited for it until its
// deadline is told so (BULK_LOAD_IN_PROGRESS).
func (s *Store) BeginBulkLoad(ctx context.Context) (end func(), err error) {
	if err := s.feed.Hold(ctx); err != nil {
		return nil, err
	}
	restore := func() {}
	if s.db.Dialect == sqldb.SQLite {
		// The load's transaction touches every page of the register's indexes, the persons' random blind
		// indexes above all: with the writer's usual 32 MiB cache, pages are spilled to the WAL and read
		// back again and again within the one transaction. A 96 MiB cache for the load (the county
		// process stays under 512 MB) keeps more of them.
		if _, err := s.db.Q(ctx).ExecContext(ctx, `PRAGMA cache_size = -98304`); err != nil {
			return nil, fmt.Errorf("bulk load cache: %w", err)
		}
		restore = func() { _, _ = s.db.Exec(context.Background(), `PRAGMA cache_size = -32768`) }
	}
	if s.db.Dialect == sqldb.Postgres {
		if err := s.deferForeignKeys(ctx); err != nil {
			return nil, err
		}
	}
	s.loads.Add(1)
	return func() {
		s.loads.Add(-1)
		restore()
		s.deferredMu.Lock()
		s.keysDeferred = false
		s.deferredMu.Unlock()
	}, nil
}

// deferForeignKeys makes PostgreSQL skip the row-by-row foreign-key checks for the rest of the load's
// transaction (SET LOCAL session_replication_role = replica: PostgreSQL checks a foreign key with a
// trigger per row, an index lookup per key, ≈20 s of the backend's CPU for a county's 1.2 million
// memberships); FinishBulkLoad checks the same keys set-wise before the load commits. It takes no lock,
// concerns only this transaction (readers and other writers keep their checks), and no table of the
// register has other triggers. Setting the parameter needs a superuser; with a plain role the keys are
// checked row by row as for every other write.
func (s *Store) deferForeignKeys(ctx context.Context) error {
	var super bool
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT current_setting('is_superuser') = 'on'`).Scan(&super); err != nil {
		return fmt.Errorf("bulk load: role: %w", err)
	}
	if !super {
		return nil
	}
	if _, err := s.db.Q(ctx).ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return fmt.Errorf("bulk load: defer foreign keys: %w", err)
	}
	s.deferredMu.Lock()
	s.keysDeferred = true
	s.deferredMu.Unlock()
	return nil
}

// bulkForeignKeys are the register's foreign keys a bulk load writes rows under, each as the rows that
// break it: rows of a table with a key that names no row of the referenced table.
var bulkForeignKeys = []string{
	`SELECT count(*) FROM households h WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.code = h.region_code)`,
	`SELECT count(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.id = m.household_id)`,
	`SELECT count(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = m.person_id)`,
	`SELECT count(*) FROM status_history e WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.id = e.household_id)`,
}

// FinishBulkLoad completes the bulk load in ctx before it commits, in its transaction: on PostgreSQL it
// turns the foreign-key checks back on and checks the keys the load skipped, set-wise (one anti-join per
// key over the register, hash joins rather than a lookup per row); a broken key fails the load, which
// then writes nothing. Nothing on SQLite, which checks its keys row by row.
func (s *Store) FinishBulkLoad(ctx context.Context) error {
	s.deferredMu.Lock()
	keys := s.keysDeferred
	s.keysDeferred = false
	s.deferredMu.Unlock()
	if keys {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `SET LOCAL session_replication_role = DEFAULT`); err != nil {
			return fmt.Errorf("bulk load: foreign keys: %w", err)
		}
		for _, q := range bulkForeignKeys {
			var broken int64
			if err := s.db.Q(ctx).QueryRowContext(ctx, q).Scan(&broken); err != nil {
				return fmt.Errorf("bulk load: check foreign keys: %w", err)
			}
			if broken > 0 {
				return fmt.Errorf("bulk load: %d rows break a foreign key of the register (%s); nothing was written", broken, q)
			}
		}
	}
	return nil
}

// PublishBulkLoad appends register.bulk_loaded in the transaction in ctx.
func (s *Store) PublishBulkLoad(ctx context.Context, load domain.BulkLoad) error {
	return s.feed.Append(ctx, outbox.Event{Topic: TopicRegisterBulkLoaded, Resource: "imports/" + load.ImportID,
		RegionCode: load.RegionCode, Payload: &identificationv1.RegisterBulkLoad{Load: "imports/" + load.ImportID,
			Households: load.Households, Persons: load.Persons}})
}

func (s *Store) createHouseholds(ctx context.Context, hs []*domain.Household, existing map[string]bool, publish bool) error {
	if len(hs) == 0 {
		return nil
	}
	if !sqldb.InTransaction(ctx) {
		return fmt.Errorf("create households: needs the batch's transaction")
	}
	var err error
	switch {
	case !publish:
		err = s.loadHouseholds(ctx, hs, existing)
	case s.db.Dialect == sqldb.Postgres:
		err = s.createHouseholdsPostgres(ctx, hs, existing)
	default:
		err = s.createHouseholdsSQLite(ctx, hs, existing)
	}
	if err != nil {
		return err
	}
	if !publish {
		return nil
	}
	events := make([]outbox.Event, 0, len(hs))
	for _, h := range hs {
		events = append(events, householdEvents(nil, h)...)
	}
	return s.feed.Append(ctx, events...)
}

const (
	insertHouseholdSQL = `INSERT INTO households (` + householdCols + `, size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`
	insertPersonSQL = `INSERT INTO persons (id, id_index, id_cipher, id_masked, full_name, sex, birth_date,
		ethnicity, education, health, labour_ability) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	updatePersonSQL = `UPDATE persons SET full_name = $2, ethnicity = $3, education = $4, health = $5,
		labour_ability = $6 WHERE id = $1`
	insertMembershipSQL = `INSERT INTO memberships (household_id, seq, person_id, relation, state, start_date,
		end_date, end_reason, holds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	insertHistorySQL = `INSERT INTO status_history (household_id, effective_date, registry_status,
		monitoring_type, monitoring_status, reason, actor, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
)

func (s *Store) createHouseholdsSQLite(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	household, err := s.db.Prepare(ctx, insertHouseholdSQL)
	if err != nil {
		return err
	}
	person, err := s.db.Prepare(ctx, insertPersonSQL)
	if err != nil {
		return err
	}
	update, err := s.db.Prepare(ctx, updatePersonSQL)
	if err != nil {
		return err
	}
	membership, err := s.db.Prepare(ctx, insertMembershipSQL)
	if err != nil {
		return err
	}
	history, err := s.db.Prepare(ctx, insertHistorySQL)
	if err != nil {
		return err
	}
	// The rows run under a context that cannot be cancelled: for a cancellable one the driver starts a
	// watcher goroutine per statement, a tenth of the bulk path's CPU. Cancellation is checked per household.
	rowCtx := context.WithoutCancel(ctx)
	for _, h := range hs {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := household.ExecContext(rowCtx, h.ID, h.RegionCode, h.Address, h.Number, boolInt(h.Urban),
			int32(h.Status.Registry), h.Status.RegistryDate, h.Status.ExitYear, int32(h.Status.MonitoringType),
			int32(h.Status.MonitoringStatus), h.Status.MonitoringDate, int32(h.State), h.ArchiveReason, h.Version,
			h.CreateTime.UnixMicro(), h.UpdateTime.UnixMicro(), h.Size())
		if err != nil {
			return bulkError("insert household", err, domain.ErrNumberTaken)
		}
		for i := range h.Members {
			m := &h.Members[i]
			if existing[m.PersonID] {
				_, err = update.ExecContext(rowCtx, m.PersonID, m.FullName, m.Ethnicity, int32(m.Education), int32(m.Health),
					int32(m.LabourAbility))
			} else {
				_, err = person.ExecContext(rowCtx, m.PersonID, m.IDIndex, m.IDCipher, m.IDMasked, m.FullName, int32(m.Sex),
					m.BirthDate, m.Ethnicity, int32(m.Education), int32(m.Health), int32(m.LabourAbility))
			}
			if err != nil {
				return bulkError("write person", err, domain.ErrPersonTaken)
			}
			_, err = membership.ExecContext(rowCtx, h.ID, i, m.PersonID, int32(m.Relation), int32(m.State), m.StartDate,
				m.EndDate, m.EndReason, holds(h, m))
			if err != nil {
				return bulkError("insert membership", err, domain.ErrPersonTaken)
			}
		}
		for _, c := range h.History {
			_, err := history.ExecContext(rowCtx, h.ID, c.EffectiveDate, int32(c.Registry), int32(c.MonitoringType),
				int32(c.MonitoringStatus), c.Reason, c.Actor, c.RecordTime.UnixMicro())
			if err != nil {
				return fmt.Errorf("insert status history: %w", err)
			}
		}
	}
	return nil
}

// bulkError turns a unique violation into the domain's refusal (the import decides the batch again).
func bulkError(what string, err error, unique error) error {
	if sqldb.IsUniqueViolation(err) {
		return unique
	}
	return fmt.Errorf("%s: %w", what, err)
}

// The column arrays of one batch, per table, for INSERT … SELECT FROM unnest($1::text[], …).
type (
	householdColumns struct {
		id, region, address, number, registryDate, monitoringDate, archiveReason []string
		urban, registry, exitYear, monitoringType, monitoringStatus, state, size []int64
		version, created, updated                                                []int64
	}
	personColumns struct {
		id, index, masked, name, birth, ethnicity []string
		cipher                                    [][]byte
		sex, education, health, labour            []int64
	}
	personUpdateColumns struct {
		id, name, ethnicity       []string
		education, health, labour []int64
	}
	membershipColumns struct {
		household, person, start, end, endReason []string
		seq, relation, state, holds              []int64
	}
	historyColumns struct {
		household, date, reason, actor                     []string
		registry, monitoringType, monitoringStatus, record []int64
	}
)

func (c *householdColumns) add(h *domain.Household) {
	c.id, c.region, c.address, c.number = append(c.id, h.ID), append(c.region, h.RegionCode), append(c.address, h.Address), append(c.number, h.Number)
	c.urban = append(c.urban, int64(boolInt(h.Urban)))
	c.registry, c.registryDate = append(c.registry, int64(h.Status.Registry)), append(c.registryDate, h.Status.RegistryDate)
	c.exitYear = append(c.exitYear, int64(h.Status.ExitYear))
	c.monitoringType = append(c.monitoringType, int64(h.Status.MonitoringType))
	c.monitoringStatus = append(c.monitoringStatus, int64(h.Status.MonitoringStatus))
	c.monitoringDate = append(c.monitoringDate, h.Status.MonitoringDate)
	c.state, c.archiveReason = append(c.state, int64(h.State)), append(c.archiveReason, h.ArchiveReason)
	c.version = append(c.version, h.Version)
	c.created, c.updated = append(c.created, h.CreateTime.UnixMicro()), append(c.updated, h.UpdateTime.UnixMicro())
	c.size = append(c.size, int64(h.Size()))
}

func (c *personColumns) add(m *domain.Member) {
	c.id, c.index, c.cipher, c.masked = append(c.id, m.PersonID), append(c.index, m.IDIndex), append(c.cipher, m.IDCipher), append(c.masked, m.IDMasked)
	c.name, c.sex, c.birth = append(c.name, m.FullName), append(c.sex, int64(m.Sex)), append(c.birth, m.BirthDate)
	c.ethnicity, c.education = append(c.ethnicity, m.Ethnicity), append(c.education, int64(m.Education))
	c.health, c.labour = append(c.health, int64(m.Health)), append(c.labour, int64(m.LabourAbility))
}

func (c *personUpdateColumns) add(m *domain.Member) {
	c.id, c.name, c.ethnicity = append(c.id, m.PersonID), append(c.name, m.FullName), append(c.ethnicity, m.Ethnicity)
	c.education, c.health, c.labour = append(c.education, int64(m.Education)), append(c.health, int64(m.Health)), append(c.labour, int64(m.LabourAbility))
}

func (c *membershipColumns) add(h *domain.Household, seq int) {
	m := &h.Members[seq]
	c.household, c.seq, c.person = append(c.household, h.ID), append(c.seq, int64(seq)), append(c.person, m.PersonID)
	c.relation, c.state, c.start = append(c.relation, int64(m.Relation)), append(c.state, int64(m.State)), append(c.start, m.StartDate)
	c.end, c.endReason, c.holds = append(c.end, m.EndDate), append(c.endReason, m.EndReason), append(c.holds, int64(holds(h, m)))
}

func (c *historyColumns) add(householdID string, e domain.StatusChange) {
	c.household, c.date, c.registry = append(c.household, householdID), append(c.date, e.EffectiveDate), append(c.registry, int64(e.Registry))
	c.monitoringType, c.monitoringStatus = append(c.monitoringType, int64(e.MonitoringType)), append(c.monitoringStatus, int64(e.MonitoringStatus))
	c.reason, c.actor, c.record = append(c.reason, e.Reason), append(c.actor, e.Actor), append(c.record, e.RecordTime.UnixMicro())
}

func (s *Store) createHouseholdsPostgres(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	var (
		households householdColumns
		persons    personColumns
		updates    personUpdateColumns
		members    membershipColumns
		history    historyColumns
	)
	for _, h := range hs {
		households.add(h)
		for i := range h.Members {
			if existing[h.Members[i].PersonID] {
				updates.add(&h.Members[i])
			} else {
				persons.add(&h.Members[i])
			}
			members.add(h, i)
		}
		for _, e := range h.History {
			history.add(h.ID, e)
		}
	}
	q := s.db.Q(ctx)
	c := &households
	if _, err := q.ExecContext(ctx, `INSERT INTO households (`+householdCols+`, size)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::int[],
			$9::int[], $10::int[], $11::text[], $12::int[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::int[])`,
		c.id, c.region, c.address, c.number, c.urban, c.registry, c.registryDate, c.exitYear, c.monitoringType,
		c.monitoringStatus, c.monitoringDate, c.state, c.archiveReason, c.version, c.created, c.updated, c.size); err != nil {
		return bulkError("insert households", err, domain.ErrNumberTaken)
	}
	if p := &persons; len(p.id) > 0 {
		if _, err := q.ExecContext(ctx, `INSERT INTO persons (id, id_index, id_cipher, id_masked, full_name, sex, birth_date,
			ethnicity, education, health, labour_ability)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[],
				$9::int[], $10::int[], $11::int[])`,
			p.id, p.index, p.cipher, p.masked, p.name, p.sex, p.birth, p.ethnicity, p.education, p.health, p.labour); err != nil {
			return bulkError("insert persons", err, domain.ErrPersonTaken)
		}
	}
	if u := &updates; len(u.id) > 0 {
		if _, err := q.ExecContext(ctx, `UPDATE persons p SET full_name = u.full_name, ethnicity = u.ethnicity,
			education = u.education, health = u.health, labour_ability = u.labour_ability
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[])
				AS u (id, full_name, ethnicity, education, health, labour_ability)
			WHERE p.id = u.id`, u.id, u.name, u.ethnicity, u.education, u.health, u.labour); err != nil {
			return fmt.Errorf("update persons: %w", err)
		}
	}
	m := &members
	if _, err := q.ExecContext(ctx, `INSERT INTO memberships (household_id, seq, person_id, relation, state, start_date,
		end_date, end_reason, holds)
		SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::int[])`,
		m.household, m.seq, m.person, m.relation, m.state, m.start, m.end, m.endReason, m.holds); err != nil {
		return bulkError("insert memberships", err, domain.ErrPersonTaken)
	}
	e := &history
	if _, err := q.ExecContext(ctx, `INSERT INTO status_history (household_id, effective_date, registry_status,
		monitoring_type, monitoring_status, reason, actor, recorded_us)
		SELECT h, d, r, mt, ms, re, a, t FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[],
			$7::text[], $8::bigint[]) WITH ORDINALITY AS u (h, d, r, mt, ms, re, a, t, n) ORDER BY n`,
		e.household, e.date, e.registry, e.monitoringType, e.monitoringStatus, e.reason, e.actor, e.record); err != nil {
		return fmt.Errorf("insert status history: %w", err)
	}
	return nil
}

// The columns a bulk load copies, per table.
var (
	copyHouseholdCols = []string{"id", "region_code", "address", "number", "urban", "registry_status", "registry_date",
		"exit_year", "monitoring_type", "monitoring_status", "monitoring_date", "state", "archive_reason", "version",
		"created_us", "updated_us", "size"}
	copyPersonCols = []string{"id", "id_index", "id_cipher", "id_masked", "full_name", "sex", "birth_date", "ethnicity",
		"education", "health", "labour_ability"}
	copyMembershipCols = []string{"household_id", "seq", "person_id", "relation", "state", "start_date", "end_date",
		"end_reason", "holds"}
	copyHistoryCols = []string{"household_id", "effective_date", "registry_status", "monitoring_type",
		"monitoring_status", "reason", "actor", "recorded_us"}
)

// loadHouseholds writes a bulk load's batch into the register's tables with sqldb.InsertRows, in the
// load's one transaction: COPY on PostgreSQL (no SQL text, parameters or arrays to build and parse, the
// rows stream in PostgreSQL's binary format), multi-row INSERTs of 256 rows on SQLite. The tables'
// constraints still hold (a duplicate number or person fails as a unique violation, as the INSERT
// would), and readers see nothing until the load commits. A member whose person the register knows
// already updates that person, as CreateHouseholds does.
func (s *Store) loadHouseholds(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	type member struct {
		h   *domain.Household
		seq int
	}
	type history struct {
		h *domain.Household
		e *domain.StatusChange
	}
	var members []member
	var fresh []*domain.Member
	var updates personUpdateColumns
	var entries []history
	for _, h := range hs {
		for i := range h.Members {
			m := &h.Members[i]
			if existing[m.PersonID] {
				updates.add(m)
			} else {
				fresh = append(fresh, m)
			}
			members = append(members, member{h, i})
		}
		for i := range h.History {
			entries = append(entries, history{h, &h.History[i]})
		}
	}
	if err := s.db.InsertRows(ctx, "households", copyHouseholdCols, len(hs), func(i int) ([]any, error) {
		h := hs[i]
		return []any{h.ID, h.RegionCode, h.Address, h.Number, int32(boolInt(h.Urban)), int32(h.Status.Registry),
			h.Status.RegistryDate, int32(h.Status.ExitYear), int32(h.Status.MonitoringType), int32(h.Status.MonitoringStatus),
			h.Status.MonitoringDate, int32(h.State), h.ArchiveReason, h.Version, h.CreateTime.UnixMicro(),
			h.UpdateTime.UnixMicro(), int32(h.Size())}, nil
	}); err != nil {
		return bulkError("load households", err, domain.ErrNumberTaken)
	}
	if len(fresh) > 0 {
		if err := s.db.InsertRows(ctx, "persons", copyPersonCols, len(fresh), func(i int) ([]any, error) {
			m := fresh[i]
			return []any{m.PersonID, m.IDIndex, m.IDCipher, m.IDMasked, m.FullName, int32(m.Sex), m.BirthDate,
				m.Ethnicity, int32(m.Education), int32(m.Health), int32(m.LabourAbility)}, nil
		}); err != nil {
			return bulkError("load persons", err, domain.ErrPersonTaken)
		}
	}
	if u := &updates; len(u.id) > 0 && s.db.Dialect == sqldb.Postgres {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE persons p SET full_name = u.full_name, ethnicity = u.ethnicity,
			education = u.education, health = u.health, labour_ability = u.labour_ability
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[])
				AS u (id, full_name, ethnicity, education, health, labour_ability)
			WHERE p.id = u.id`, u.id, u.name, u.ethnicity, u.education, u.health, u.labour); err != nil {
			return fmt.Errorf("update persons: %w", err)
		}
	} else {
		for i := range u.id {
			if _, err := s.db.Q(ctx).ExecContext(ctx, updatePersonSQL, u.id[i], u.name[i], u.ethnicity[i], u.education[i],
				u.health[i], u.labour[i]); err != nil {
				return fmt.Errorf("update persons: %w", err)
			}
		}
	}
	if err := s.db.InsertRows(ctx, "memberships", copyMembershipCols, len(members), func(i int) ([]any, error) {
		h, seq := members[i].h, members[i].seq
		m := &h.Members[seq]
		return []any{h.ID, int32(seq), m.PersonID, int32(m.Relation), int32(m.State), m.StartDate, m.EndDate,
			m.EndReason, int32(holds(h, m))}, nil
	}); err != nil {
		return bulkError("load memberships", err, domain.ErrPersonTaken)
	}
	// Both keep the rows' order, so the entries' ids (the history's order) follow the file's.
	if err := s.db.InsertRows(ctx, "status_history", copyHistoryCols, len(entries), func(i int) ([]any, error) {
		h, e := entries[i].h, entries[i].e
		return []any{h.ID, e.EffectiveDate, int32(e.Registry), int32(e.MonitoringType), int32(e.MonitoringStatus),
			e.Reason, e.Actor, e.RecordTime.UnixMicro()}, nil
	}); err != nil {
		return fmt.Errorf("load status history: %w", err)
	}
	return nil
}

var _ domain.LedgerImportRecords = (*Store)(nil)

// importCols are household_imports' columns in the order scanImport reads them.
const importCols = `id, actor, source, state, started_us, finished_us, updated_us, rows_read, households_read,
	households_imported, persons_imported, already_imported, conflicting, rejected, last_number, last_row, message,
	request_id, size_bytes, bytes_read`

// SaveImport inserts or updates an import record.
func (s *Store) SaveImport(ctx context.Context, r *domain.LedgerImport) error {
	sum := r.Summary
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO household_imports (`+importCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, finished_us = excluded.finished_us,
		updated_us = excluded.updated_us, rows_read = excluded.rows_read, households_read = excluded.households_read,
		households_imported = excluded.households_imported, persons_imported = excluded.persons_imported,
		already_imported = excluded.already_imported, conflicting = excluded.conflicting, rejected = excluded.rejected,
		last_number = excluded.last_number, last_row = excluded.last_row, message = excluded.message,
		bytes_read = excluded.bytes_read`,
		r.ID, r.Actor, r.Source, int32(r.State), r.Started.UnixMicro(), microsOrZero(r.Finished), microsOrZero(r.Updated),
		sum.Rows, sum.Households, sum.Imported, sum.Persons, sum.AlreadyImported, sum.Conflicting, sum.Rejected,
		r.LastNumber, r.LastRow, r.Message, r.RequestID, r.SizeBytes, r.BytesRead)
	if err != nil {
		return fmt.Errorf("save import %s: %w", r.ID, err)
	}
	return nil
}

// TouchImport sets the updated time of a running import (its heartbeat).
func (s *Store) TouchImport(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE household_imports SET updated_us = $2 WHERE id = $1 AND state = $3`,
		id, at.UnixMicro(), int32(domain.LedgerImportRunning))
	if err != nil {
		return fmt.Errorf("touch import %s: %w", id, err)
	}
	return nil
}

// LedgerImport reads an import record.
func (s *Store) LedgerImport(ctx context.Context, id string) (*domain.LedgerImport, error) {
	r, err := scanImport(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+importCols+` FROM household_imports WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrImportNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", id, err)
	}
	return r, nil
}

// ListLedgerImports returns import records newest first (ids are UUIDv7: they sort by creation time).
func (s *Store) ListLedgerImports(ctx context.Context, before string, limit int) ([]*domain.LedgerImport, error) {
	q := `SELECT ` + importCols + ` FROM household_imports`
	args := []any{limit}
	if before != "" {
		q += ` WHERE id < $2`
		args = append(args, before)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q+` ORDER BY id DESC LIMIT $1`, args...)
	recs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (*domain.LedgerImport, error) { return scanImport(r) })
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return recs, nil
}

// LedgerImportsByRequest returns the records of the uploads with this request id, newest first.
func (s *Store) LedgerImportsByRequest(ctx context.Context, requestID string) ([]*domain.LedgerImport, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+importCols+` FROM household_imports
		WHERE request_id = $1 AND request_id <> '' ORDER BY id DESC LIMIT 100`, requestID)
	recs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (*domain.LedgerImport, error) { return scanImport(r) })
	if err != nil {
		return nil, fmt.Errorf("imports of request: %w", err)
	}
	return recs, nil
}

// InterruptImports marks running records that stopped reporting as interrupted.
func (s *Store) InterruptImports(ctx context.Context, staleBefore time.Time, message string) (int, error) {
	res, err := s.db.Exec(ctx, `UPDATE household_imports SET state = $1, finished_us = updated_us, message = $2
		WHERE state = $3 AND updated_us < $4`,
		int32(domain.LedgerImportInterrupted), message, int32(domain.LedgerImportRunning), staleBefore.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("interrupt imports: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanImport(row interface{ Scan(...any) error }) (*domain.LedgerImport, error) {
	var r domain.LedgerImport
	var started, finished, updated int64
	err := row.Scan(&r.ID, &r.Actor, &r.Source, &r.State, &started, &finished, &updated, &r.Summary.Rows,
		&r.Summary.Households, &r.Summary.Imported, &r.Summary.Persons, &r.Summary.AlreadyImported,
		&r.Summary.Conflicting, &r.Summary.Rejected, &r.LastNumber, &r.LastRow, &r.Message, &r.RequestID, &r.SizeBytes,
		&r.BytesRead)
	if err != nil {
		return nil, err
	}
	r.Summary.ImportID = r.ID
	r.Summary.Done = r.State == domain.LedgerImportDone
	r.Started, r.Finished, r.Updated = timeOrZero(started), timeOrZero(finished), timeOrZero(updated)
	return &r, nil
}

func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func timeOrZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}
