package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// The bulk load's staging (docs/IMPORT.md, "Bulk load of a whole county"). The file's households are
// written into temporary tables of the load's transaction — no index, no foreign key, no constraint, and
// on PostgreSQL no WAL (temporary tables are not logged); on SQLite they live in the connection's temp
// database, outside the register's file and its WAL — by COPY on PostgreSQL and 256-row prepared INSERTs
// on SQLite (sqldb.InsertRows). The checks against the register and across the file then run once over
// the staged rows (StagedSuspects), and the merge writes the register's tables with one INSERT … SELECT
// each (MergeStaged). Readers see none of it before the
// load commits; a rollback (a crash at any stage) drops the staging tables with everything else.

// stageTables are the staging tables, created in the load's transaction. bulk_households.outcome: 0 to
// be written, 1 rejected for its rows (only its members with a readable 身份证号 are staged, to be checked
// against the register and the file). bulk_members.written: 1 for the members of a household to be
// written. bulk_skip: households the set-wise checks refused (their number is registered, or a person
// is held elsewhere); bulk_reuse: members who are a person the register knows already (not held), whose
// record the load updates instead of inserting one.
var stageTables = []string{
	`bulk_households (seq BIGINT NOT NULL, outcome INTEGER NOT NULL, registered TEXT NOT NULL,
		id TEXT NOT NULL, region_code TEXT NOT NULL, address TEXT NOT NULL, number TEXT NOT NULL, urban INTEGER NOT NULL,
		registry_status INTEGER NOT NULL, registry_date TEXT NOT NULL, exit_year INTEGER NOT NULL,
		monitoring_type INTEGER NOT NULL, monitoring_status INTEGER NOT NULL, monitoring_date TEXT NOT NULL,
		state INTEGER NOT NULL, archive_reason TEXT NOT NULL, version BIGINT NOT NULL, created_us BIGINT NOT NULL,
		updated_us BIGINT NOT NULL, size INTEGER NOT NULL)`,
	`bulk_members (hseq BIGINT NOT NULL, mseq INTEGER NOT NULL, row_number BIGINT NOT NULL, written INTEGER NOT NULL,
		household_id TEXT NOT NULL, id TEXT NOT NULL, id_index TEXT NOT NULL, id_cipher BYTEA NOT NULL,
		id_masked TEXT NOT NULL, full_name TEXT NOT NULL, sex INTEGER NOT NULL, birth_date TEXT NOT NULL,
		ethnicity TEXT NOT NULL, education INTEGER NOT NULL, health INTEGER NOT NULL, labour_ability INTEGER NOT NULL,
		relation INTEGER NOT NULL, state INTEGER NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
		end_reason TEXT NOT NULL, holds INTEGER NOT NULL)`,
	`bulk_history (hseq BIGINT NOT NULL, n INTEGER NOT NULL, household_id TEXT NOT NULL, effective_date TEXT NOT NULL,
		registry_status INTEGER NOT NULL, monitoring_type INTEGER NOT NULL, monitoring_status INTEGER NOT NULL,
		reason TEXT NOT NULL, actor TEXT NOT NULL, recorded_us BIGINT NOT NULL)`,
	`bulk_issues (row_number BIGINT NOT NULL, col INTEGER NOT NULL, phase INTEGER NOT NULL, n BIGINT NOT NULL,
		column_name TEXT NOT NULL, number TEXT NOT NULL, outcome INTEGER NOT NULL, reason TEXT NOT NULL,
		description TEXT NOT NULL)`,
	`bulk_involved (seq BIGINT PRIMARY KEY)`,
	`bulk_skip (seq BIGINT PRIMARY KEY)`,
	`bulk_reuse (hseq BIGINT NOT NULL, mseq INTEGER NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (hseq, mseq))`,
}

var (
	stageHouseholdCols = append([]string{"seq", "outcome", "registered"}, copyHouseholdCols...)
	stageMemberCols    = []string{"hseq", "mseq", "row_number", "written", "household_id", "id", "id_index", "id_cipher",
		"id_masked", "full_name", "sex", "birth_date", "ethnicity", "education", "health", "labour_ability", "relation",
		"state", "start_date", "end_date", "end_reason", "holds"}
	stageHistoryCols = []string{"hseq", "n", "household_id", "effective_date", "registry_status", "monitoring_type",
		"monitoring_status", "reason", "actor", "recorded_us"}
	stageIssueCols = []string{"row_number", "col", "phase", "n", "column_name", "number", "outcome", "reason", "description"}
)

// BeginStaging creates the load's staging tables in the transaction in ctx (dropped at its end on
// PostgreSQL, undone by its rollback on both).
func (s *Store) BeginStaging(ctx context.Context) error {
	if !sqldb.InTransaction(ctx) {
		return fmt.Errorf("staging: needs the load's transaction")
	}
	if s.db.Dialect == sqldb.Postgres {
		// The set-wise checks group and join the whole staged file: with the server's default 4 MB per
		// sort or hash they would spill to disk in many passes.
		// The staged rows go through the session's own buffers for temporary tables (8 MB by default,
		// settable only before the session's first temporary table: on a connection that staged a load
		// before, the setting keeps that load's size).
		for _, set := range []string{`SET LOCAL work_mem = '128MB'`, `SET LOCAL temp_buffers = '128MB'`} {
			if _, err := s.db.Q(ctx).ExecContext(ctx, set); err != nil {
				return fmt.Errorf("staging: %w", err)
			}
		}
	}
	for _, t := range stageTables {
		name := t[:strings.IndexByte(t, ' ')]
		drop, create := `DROP TABLE IF EXISTS temp.`+name, `CREATE TEMP TABLE `+t
		if s.db.Dialect == sqldb.Postgres {
			drop, create = `DROP TABLE IF EXISTS pg_temp.`+name, create+` ON COMMIT DROP`
		} else {
			create = strings.ReplaceAll(create, "BYTEA", "BLOB")
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, drop); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, create); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
	}
	return nil
}

// StageHouseholds appends a batch of the file's households and findings to the staging tables.
func (s *Store) StageHouseholds(ctx context.Context, hs []domain.StagedHousehold, issues []domain.StagedIssue) error {
	type member struct {
		sh  *domain.StagedHousehold
		seq int
	}
	type entry struct {
		sh *domain.StagedHousehold
		n  int
	}
	var members []member
	var history []entry
	for i := range hs {
		sh := &hs[i]
		for j := range sh.Household.Members {
			if sh.Rows[j] > 0 {
				members = append(members, member{sh, j})
			}
		}
		for j := range sh.Household.History {
			history = append(history, entry{sh, j})
		}
	}
	if err := s.db.InsertRows(ctx, "bulk_households", stageHouseholdCols, len(hs), func(i int) ([]any, error) {
		sh := &hs[i]
		h := sh.Household
		return []any{sh.Seq, int32(boolInt(sh.Rejected)), sh.Registered, h.ID, h.RegionCode, h.Address, h.Number,
			int32(boolInt(h.Urban)), int32(h.Status.Registry), h.Status.RegistryDate, int32(h.Status.ExitYear),
			int32(h.Status.MonitoringType), int32(h.Status.MonitoringStatus), h.Status.MonitoringDate, int32(h.State),
			h.ArchiveReason, h.Version, h.CreateTime.UnixMicro(), h.UpdateTime.UnixMicro(), int32(h.Size())}, nil
	}); err != nil {
		return fmt.Errorf("stage households: %w", err)
	}
	if err := s.db.InsertRows(ctx, "bulk_members", stageMemberCols, len(members), func(i int) ([]any, error) {
		sh, seq := members[i].sh, members[i].seq
		h := sh.Household
		m := &h.Members[seq]
		cipher := m.IDCipher
		if cipher == nil {
			cipher = []byte{}
		}
		return []any{sh.Seq, int32(seq), sh.Rows[seq], int32(boolInt(!sh.Rejected)), h.ID, m.PersonID, m.IDIndex,
			cipher, m.IDMasked, m.FullName, int32(m.Sex), m.BirthDate, m.Ethnicity, int32(m.Education), int32(m.Health),
			int32(m.LabourAbility), int32(m.Relation), int32(m.State), m.StartDate, m.EndDate, m.EndReason,
			int32(holds(h, m))}, nil
	}); err != nil {
		return fmt.Errorf("stage members: %w", err)
	}
	if err := s.db.InsertRows(ctx, "bulk_history", stageHistoryCols, len(history), func(i int) ([]any, error) {
		sh, n := history[i].sh, history[i].n
		e := &sh.Household.History[n]
		return []any{sh.Seq, int32(n), sh.Household.ID, e.EffectiveDate, int32(e.Registry), int32(e.MonitoringType),
			int32(e.MonitoringStatus), e.Reason, e.Actor, e.RecordTime.UnixMicro()}, nil
	}); err != nil {
		return fmt.Errorf("stage status history: %w", err)
	}
	return s.stageIssues(ctx, issues)
}

func (s *Store) stageIssues(ctx context.Context, issues []domain.StagedIssue) error {
	return s.db.InsertRows(ctx, "bulk_issues", stageIssueCols, len(issues), func(i int) ([]any, error) {
		is := &issues[i]
		return []any{is.Row, int32(is.ColumnOrder), int32(is.Phase), is.N, is.Column, is.HouseholdNumber,
			int32(is.Outcome), is.Reason, is.Description}, nil
	})
}

// StagedSuspects runs the load's checks against the register and across the file set-wise, over every
// staged row at once: a person (blind index) in more than one household of the file, a person the
// register knows, a household number the register holds. It returns the persons the register knows
// among the file's (by blind index), and marks the households concerned (bulk_involved) for
// StagedHouseholds, which reads them back in file order; every other household of the file passes.
func (s *Store) StagedSuspects(ctx context.Context) (map[string]domain.KnownPerson, int64, error) {
	q := s.db.Q(ctx)
	if s.db.Dialect == sqldb.SQLite {
		// SQLite groups and joins through indexes: the staged members' blind index, built once in bulk
		// by a sort. PostgreSQL hashes instead (work_mem, BeginStaging), and needs only the row counts.
		if _, err := q.ExecContext(ctx, `CREATE INDEX bulk_members_index ON bulk_members (id_index, hseq)`); err != nil {
			return nil, 0, fmt.Errorf("staging: index: %w", err)
		}
	} else if _, err := q.ExecContext(ctx, `ANALYZE bulk_members, bulk_households`); err != nil {
		return nil, 0, fmt.Errorf("staging: analyze: %w", err)
	}
	known := map[string]domain.KnownPerson{}
	rows, err := q.QueryContext(ctx, `SELECT p.id_index, p.id, COALESCE(h.id, ''), COALESCE(h.region_code, '')
		FROM persons p LEFT JOIN memberships m ON m.person_id = p.id AND m.holds = 1
		LEFT JOIN households h ON h.id = m.household_id
		WHERE EXISTS (SELECT 1 FROM bulk_members b WHERE b.id_index = p.id_index)`)
	if err != nil {
		return nil, 0, fmt.Errorf("staging: known persons: %w", err)
	}
	for rows.Next() {
		var idx string
		var p domain.KnownPerson
		if err := rows.Scan(&idx, &p.ID, &p.Holder, &p.HolderRegion); err != nil {
			rows.Close()
			return nil, 0, err
		}
		p.Held = p.Holder != ""
		known[idx] = p
	}
	if err := rows.Close(); err != nil {
		return nil, 0, err
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// Joins and one grouping, each a single pass over the staged rows (hash joins, or the staged index),
	// rather than a lookup per row.
	res, err := q.ExecContext(ctx, `INSERT INTO bulk_involved (seq)
		SELECT hseq FROM bulk_members WHERE id_index IN (SELECT id_index FROM bulk_members GROUP BY id_index
			HAVING MIN(hseq) <> MAX(hseq))
		UNION
		SELECT b.hseq FROM bulk_members b JOIN persons p ON p.id_index = b.id_index
		UNION
		SELECT b.seq FROM bulk_households b JOIN households h ON h.number = b.number
			WHERE b.outcome = 0 AND b.number <> '' AND h.number <> ''`)
	if err != nil {
		return nil, 0, fmt.Errorf("staging: checks: %w", err)
	}
	n, err := res.RowsAffected()
	return known, n, err
}

// StagedHouseholds reads back the households StagedSuspects marked, in file order after seq, at most
// limit: what the checks need of each (number, village, address, status, registration date; the
// members' rows, blind indexes and attributes).
func (s *Store) StagedHouseholds(ctx context.Context, after int64, limit int) ([]domain.StagedHousehold, error) {
	q := s.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT b.seq, b.outcome, b.registered, b.id, b.region_code, b.address, b.number,
		b.registry_status, b.exit_year FROM bulk_households b JOIN bulk_involved i ON i.seq = b.seq
		WHERE b.seq > $1 ORDER BY b.seq LIMIT $2`, after, limit)
	hs, err := sqldb.Collect(rows, err, func(r *sql.Rows) (domain.StagedHousehold, error) {
		sh := domain.StagedHousehold{Household: &domain.Household{}}
		h := sh.Household
		err := r.Scan(&sh.Seq, &sh.Rejected, &sh.Registered, &h.ID, &h.RegionCode, &h.Address, &h.Number,
			&h.Status.Registry, &h.Status.ExitYear)
		return sh, err
	})
	if err != nil || len(hs) == 0 {
		return hs, err
	}
	bySeq := make(map[int64]*domain.StagedHousehold, len(hs))
	for i := range hs {
		bySeq[hs[i].Seq] = &hs[i]
	}
	rows, err = q.QueryContext(ctx, `SELECT hseq, mseq, row_number, id_index, full_name, relation, ethnicity, education,
		health, labour_ability FROM bulk_members WHERE hseq > $1 AND hseq <= $2 ORDER BY hseq, mseq`, after, hs[len(hs)-1].Seq)
	if err != nil {
		return nil, fmt.Errorf("staged members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hseq, row int64
		var seq int
		var m domain.Member
		if err := rows.Scan(&hseq, &seq, &row, &m.IDIndex, &m.FullName, &m.Relation, &m.Ethnicity, &m.Education,
			&m.Health, &m.LabourAbility); err != nil {
			return nil, err
		}
		sh := bySeq[hseq]
		if sh == nil {
			continue
		}
		for len(sh.Rows) <= seq {
			sh.Rows = append(sh.Rows, 0)
			sh.Household.Members = append(sh.Household.Members, domain.Member{})
		}
		sh.Rows[seq], sh.Household.Members[seq] = row, m
	}
	return hs, rows.Err()
}

// ResolveStaged records the checks' decisions: households not to write, members who are a person the
// register knows (by seq and member), and the findings.
func (s *Store) ResolveStaged(ctx context.Context, skip []int64, reuse []domain.StagedReuse, issues []domain.StagedIssue) error {
	if err := s.db.InsertRows(ctx, "bulk_skip", []string{"seq"}, len(skip), func(i int) ([]any, error) {
		return []any{skip[i]}, nil
	}); err != nil {
		return fmt.Errorf("staging: skip: %w", err)
	}
	if err := s.db.InsertRows(ctx, "bulk_reuse", []string{"hseq", "mseq", "person_id"}, len(reuse), func(i int) ([]any, error) {
		return []any{reuse[i].Seq, int32(reuse[i].Member), reuse[i].PersonID}, nil
	}); err != nil {
		return fmt.Errorf("staging: reuse: %w", err)
	}
	return s.stageIssues(ctx, issues)
}

// StagedIssuesAfter returns the load's findings in row order (then column, then the order they were
// found in), at most limit after the position after (nil: from the start).
func (s *Store) StagedIssuesAfter(ctx context.Context, after *domain.StagedIssue, limit int) ([]domain.StagedIssue, error) {
	var a domain.StagedIssue
	if after != nil {
		a = *after
	} else {
		a.Row, a.N = -1, -1
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT row_number, col, phase, n, column_name, number, outcome, reason,
		description FROM bulk_issues WHERE (row_number, col, phase, n) > ($1, $2, $3, $4)
		ORDER BY row_number, col, phase, n LIMIT $5`, a.Row, a.ColumnOrder, a.Phase, a.N, limit)
	return sqldb.Collect(rows, err, func(r *sql.Rows) (domain.StagedIssue, error) {
		var is domain.StagedIssue
		err := r.Scan(&is.Row, &is.ColumnOrder, &is.Phase, &is.N, &is.Column, &is.HouseholdNumber, &is.Outcome,
			&is.Reason, &is.Description)
		return is, err
	})
}

// MergeStaged writes the staged households that passed into the register's tables, one INSERT … SELECT
// per table, in the staged (file) order: the ids, UUIDv7s given at staging, then grow at each primary
// key's right edge, and no sort is needed. Ordering persons by blind index instead (so that unique index
// grows at its right edge and the primary key takes the random inserts) was measured slower: the sort of
// 1.2 million rows costs more than it saves (docs/BENCHMARKS.md). The status history keeps the file's
// order, which its ids record. It returns what was written and the longest region prefix of the
// households written (the load's scope on the feed).
func (s *Store) MergeStaged(ctx context.Context) (domain.StagedMerge, error) {
	var out domain.StagedMerge
	q := s.db.Q(ctx)
	const written = `b.outcome = 0 AND NOT EXISTS (SELECT 1 FROM bulk_skip k WHERE k.seq = b.seq)`
	res, err := q.ExecContext(ctx, `INSERT INTO households (`+strings.Join(copyHouseholdCols, ", ")+`)
		SELECT `+prefixed("b.", copyHouseholdCols)+` FROM bulk_households b WHERE `+written)
	if err != nil {
		return out, bulkError("merge households", err, domain.ErrNumberTaken)
	}
	if out.Households, err = res.RowsAffected(); err != nil {
		return out, err
	}
	const members = `m.written = 1 AND NOT EXISTS (SELECT 1 FROM bulk_skip k WHERE k.seq = m.hseq)`
	if _, err := q.ExecContext(ctx, `INSERT INTO persons (`+strings.Join(copyPersonCols, ", ")+`)
		SELECT `+prefixed("m.", copyPersonCols)+` FROM bulk_members m WHERE `+members+`
			AND NOT EXISTS (SELECT 1 FROM bulk_reuse r WHERE r.hseq = m.hseq AND r.mseq = m.mseq)`); err != nil {
		return out, bulkError("merge persons", err, domain.ErrPersonTaken)
	}
	if _, err := q.ExecContext(ctx, `UPDATE persons SET full_name = u.full_name, ethnicity = u.ethnicity,
		education = u.education, health = u.health, labour_ability = u.labour_ability
		FROM (SELECT r.person_id, m.full_name, m.ethnicity, m.education, m.health, m.labour_ability
			FROM bulk_reuse r JOIN bulk_members m ON m.hseq = r.hseq AND m.mseq = r.mseq) AS u
		WHERE persons.id = u.person_id`); err != nil {
		return out, fmt.Errorf("merge: update persons: %w", err)
	}
	res, err = q.ExecContext(ctx, `INSERT INTO memberships (household_id, seq, person_id, relation, state, start_date,
		end_date, end_reason, holds)
		SELECT m.household_id, m.mseq, COALESCE(r.person_id, m.id), m.relation, m.state, m.start_date, m.end_date,
			m.end_reason, m.holds
		FROM bulk_members m LEFT JOIN bulk_reuse r ON r.hseq = m.hseq AND r.mseq = m.mseq
		WHERE `+members)
	if err != nil {
		return out, bulkError("merge memberships", err, domain.ErrPersonTaken)
	}
	if out.Persons, err = res.RowsAffected(); err != nil {
		return out, err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO status_history (household_id, effective_date, registry_status,
		monitoring_type, monitoring_status, reason, actor, recorded_us)
		SELECT e.household_id, e.effective_date, e.registry_status, e.monitoring_type, e.monitoring_status, e.reason,
			e.actor, e.recorded_us FROM bulk_history e
		WHERE NOT EXISTS (SELECT 1 FROM bulk_skip k WHERE k.seq = e.hseq) ORDER BY e.hseq, e.n`); err != nil {
		return out, fmt.Errorf("merge status history: %w", err)
	}
	var first, last sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT MIN(region_code), MAX(region_code) FROM bulk_households b WHERE `+written).
		Scan(&first, &last); err != nil {
		return out, fmt.Errorf("merge: region: %w", err)
	}
	out.RegionCode = commonRegion(first.String, last.String)
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), '') FROM bulk_households b WHERE seq = (SELECT MAX(seq)
		FROM bulk_households b WHERE `+written+`)`).Scan(&out.LastNumber); err != nil {
		return out, fmt.Errorf("merge: last number: %w", err)
	}
	return out, nil
}

// commonRegion is the longest common prefix of the smallest and the largest region code written, which
// is that of all of them.
func commonRegion(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

// EndStaging drops the staging tables before the load commits (on SQLite a temporary table outlives
// the transaction that made it; on PostgreSQL they would go at the commit anyway).
func (s *Store) EndStaging(ctx context.Context) error {
	for i := len(stageTables) - 1; i >= 0; i-- {
		t := stageTables[i]
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DROP TABLE `+t[:strings.IndexByte(t, ' ')]); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
	}
	return nil
}
