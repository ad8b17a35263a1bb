package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/sqldb"
)

// 公益性岗位 (area: posts, migration 00005): posts, assignments and attendance.

var _ domain.PostStore = (*Store)(nil)

type rowScanner interface{ Scan(dest ...any) error }

const postCols = `id, region_code, kind, title, duties, monthly_fen, min_days, term_months, funding, funding_note, state,
	policy_hash, created_us, updated_us`

func scanPost(r rowScanner) (*domain.PublicWelfarePost, error) {
	var p domain.PublicWelfarePost
	var created, updated int64
	err := r.Scan(&p.ID, &p.RegionCode, &p.Kind, &p.Title, &p.Duties, &p.MonthlyFen, &p.MinDays, &p.TermMonths, &p.Funding,
		&p.FundingNote, &p.State, &p.PolicyHash, &created, &updated)
	p.CreateTime, p.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &p, err
}

func scanPostRows(r *sql.Rows) (*domain.PublicWelfarePost, error) { return scanPost(r) }

// CreatePost inserts a post.
func (s *Store) CreatePost(ctx context.Context, p *domain.PublicWelfarePost) error {
	_, err := s.db.Exec(ctx, `INSERT INTO welfare_posts (`+postCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		p.ID, p.RegionCode, int32(p.Kind), p.Title, p.Duties, p.MonthlyFen, p.MinDays, p.TermMonths, int32(p.Funding),
		p.FundingNote, int32(p.State), p.PolicyHash, p.CreateTime.UnixMicro(), p.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("create welfare post: %w", err)
	}
	return nil
}

// GetPost returns a post or domain.ErrPostNotFound.
func (s *Store) GetPost(ctx context.Context, id string) (*domain.PublicWelfarePost, error) {
	p, err := scanPost(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+postCols+` FROM welfare_posts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrPostNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get welfare post %s: %w", id, err)
	}
	return p, nil
}

// LockPost returns a post locked until the transaction ends.
func (s *Store) LockPost(ctx context.Context, id string) (*domain.PublicWelfarePost, error) {
	if err := s.db.LockRow(ctx, "welfare_posts", "id", id); err != nil {
		return nil, err
	}
	return s.GetPost(ctx, id)
}

// SavePost writes a post's state.
func (s *Store) SavePost(ctx context.Context, p *domain.PublicWelfarePost) error {
	_, err := s.db.Exec(ctx, `UPDATE welfare_posts SET state = $2, updated_us = $3 WHERE id = $1`,
		p.ID, int32(p.State), p.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("save welfare post %s: %w", p.ID, err)
	}
	return nil
}

// ListPosts returns posts under a region prefix, by village and id.
func (s *Store) ListPosts(ctx context.Context, q domain.PostQuery) ([]*domain.PublicWelfarePost, error) {
	where, args := []string{"region_code LIKE $1"}, []any{likePrefix(q.RegionPrefix)}
	if q.State != 0 {
		args = append(args, int32(q.State))
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	if q.After != "" {
		args = append(args, q.After)
		where = append(where, fmt.Sprintf("id > $%d", len(args)))
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+postCols+` FROM welfare_posts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id`+limit(q.Limit), args...)
	return sqldb.Collect(rows, err, scanPostRows)
}

// likePrefix is a LIKE pattern for a prefix of digits (region codes hold no wildcard).
func likePrefix(prefix string) string { return prefix + "%" }

func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

const assignmentCols = `id, post_id, person_id, household_id, region_code, case_id, start_date, end_date, renews_id, home_bound,
	home_bound_note, state, insurer, insurance_policy, insured_from, insured_to, ended_on, end_reason, end_note,
	vacancy_reported_on, vacancy_late, forfeit_from, version, created_us, updated_us`

func scanAssignment(r rowScanner) (*domain.PostAssignment, error) {
	var a domain.PostAssignment
	var created, updated, homeBound, late int64
	var ins domain.PostInsurance
	err := r.Scan(&a.ID, &a.PostID, &a.PersonID, &a.HouseholdID, &a.RegionCode, &a.CaseID, &a.StartDate, &a.EndDate,
		&a.RenewsID, &homeBound, &a.HomeBoundNote, &a.State, &ins.Insurer, &ins.PolicyNumber, &ins.From, &ins.To,
		&a.EndedOn, &a.EndReason, &a.EndNote, &a.VacancyReportedOn, &late, &a.ForfeitFrom, &a.Version, &created, &updated)
	a.HomeBound, a.VacancyLate = homeBound == 1, late == 1
	if ins.PolicyNumber != "" {
		a.Insurance = &ins
	}
	a.CreateTime, a.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &a, err
}

func scanAssignmentRows(r *sql.Rows) (*domain.PostAssignment, error) { return scanAssignment(r) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// LockHolder serialises the assignments of one person: on PostgreSQL the person's row in
// welfare_post_holders is locked until the transaction ends (SQLite has one writer).
func (s *Store) LockHolder(ctx context.Context, personID string) error {
	if _, err := s.db.Exec(ctx, `INSERT INTO welfare_post_holders (person_id) VALUES ($1) ON CONFLICT DO NOTHING`, personID); err != nil {
		return fmt.Errorf("lock welfare post holder: %w", err)
	}
	return s.db.LockRow(ctx, "welfare_post_holders", "person_id", personID)
}

// CreateAssignment inserts an assignment (its holder's row exists: LockHolder made it).
func (s *Store) CreateAssignment(ctx context.Context, a *domain.PostAssignment) error {
	ins := a.Insurance
	if ins == nil {
		ins = &domain.PostInsurance{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO welfare_post_assignments (`+assignmentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
		a.ID, a.PostID, a.PersonID, a.HouseholdID, a.RegionCode, a.CaseID, a.StartDate, a.EndDate, a.RenewsID, b2i(a.HomeBound),
		a.HomeBoundNote, int32(a.State), ins.Insurer, ins.PolicyNumber, ins.From, ins.To, a.EndedOn, int32(a.EndReason), a.EndNote,
		a.VacancyReportedOn, b2i(a.VacancyLate), a.ForfeitFrom, a.Version, a.CreateTime.UnixMicro(), a.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("create welfare post assignment: %w", err)
	}
	return nil
}

// SaveAssignment writes everything of an assignment that changes after its nomination.
func (s *Store) SaveAssignment(ctx context.Context, a *domain.PostAssignment) error {
	ins := a.Insurance
	if ins == nil {
		ins = &domain.PostInsurance{}
	}
	res, err := s.db.Exec(ctx, `UPDATE welfare_post_assignments SET state = $2, insurer = $3, insurance_policy = $4,
		insured_from = $5, insured_to = $6, ended_on = $7, end_reason = $8, end_note = $9, vacancy_reported_on = $10,
		vacancy_late = $11, forfeit_from = $12, household_id = $13, version = $14, updated_us = $15 WHERE id = $1`,
		a.ID, int32(a.State), ins.Insurer, ins.PolicyNumber, ins.From, ins.To, a.EndedOn, int32(a.EndReason), a.EndNote,
		a.VacancyReportedOn, b2i(a.VacancyLate), a.ForfeitFrom, a.HouseholdID, a.Version, a.UpdateTime.UnixMicro())
	if err != nil {
		return fmt.Errorf("save welfare post assignment %s: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domain.ErrAssignmentNotFound
	}
	return nil
}

func (s *Store) oneAssignment(ctx context.Context, where string, arg any) (*domain.PostAssignment, error) {
	a, err := scanAssignment(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+assignmentCols+` FROM welfare_post_assignments WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrAssignmentNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get welfare post assignment: %w", err)
	}
	return a, nil
}

// GetAssignment returns an assignment or domain.ErrAssignmentNotFound.
func (s *Store) GetAssignment(ctx context.Context, id string) (*domain.PostAssignment, error) {
	return s.oneAssignment(ctx, "id = $1", id)
}

// AssignmentByCase returns the assignment of a workflow case.
func (s *Store) AssignmentByCase(ctx context.Context, caseID string) (*domain.PostAssignment, error) {
	return s.oneAssignment(ctx, "case_id = $1", caseID)
}

func (s *Store) assignments(ctx context.Context, where string, args ...any) ([]*domain.PostAssignment, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+assignmentCols+` FROM welfare_post_assignments WHERE `+where+
		` ORDER BY start_date, id`, args...)
	return sqldb.Collect(rows, err, scanAssignmentRows)
}

// HolderAssignments returns a person's nominated and active assignments.
func (s *Store) HolderAssignments(ctx context.Context, personID string) ([]*domain.PostAssignment, error) {
	return s.assignments(ctx, `person_id = $1 AND state IN (1, 2)`, personID)
}

// PostAssignments returns a post's nominated and active assignments.
func (s *Store) PostAssignments(ctx context.Context, postID string) ([]*domain.PostAssignment, error) {
	return s.assignments(ctx, `post_id = $1 AND state IN (1, 2)`, postID)
}

// HouseholdAssignments returns the nominated and active assignments of a household's members.
func (s *Store) HouseholdAssignments(ctx context.Context, householdID string) ([]*domain.PostAssignment, error) {
	return s.assignments(ctx, `household_id = $1 AND state IN (1, 2)`, householdID)
}

// ListAssignments returns assignments under a region prefix in id order.
func (s *Store) ListAssignments(ctx context.Context, q domain.AssignmentQuery) ([]*domain.PostAssignment, error) {
	where, args := []string{"region_code LIKE $1"}, []any{likePrefix(q.RegionPrefix)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.PostID != "" {
		add("post_id = $%d", q.PostID)
	}
	if q.PersonID != "" {
		add("person_id = $%d", q.PersonID)
	}
	if q.State != 0 {
		add("state = $%d", int32(q.State))
	}
	if q.After != "" {
		add("id > $%d", q.After)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+assignmentCols+` FROM welfare_post_assignments WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id`+limit(q.Limit), args...)
	return sqldb.Collect(rows, err, scanAssignmentRows)
}

const attendanceCols = `assignment_id, month, days, grade, note, state, recorded_by, recorded_us, pay_fen, entitlement_id,
	policy_hash, explanation, approved_by, approved_us, person_id, region_code`

func scanAttendance(r rowScanner) (*domain.PostAttendance, error) {
	var a domain.PostAttendance
	var recorded, approved int64
	err := r.Scan(&a.AssignmentID, &a.Month, &a.Days, &a.Grade, &a.Note, &a.State, &a.RecordedBy, &recorded, &a.PayFen,
		&a.EntitlementID, &a.PolicyHash, &a.Explanation, &a.ApprovedBy, &approved, &a.PersonID, &a.RegionCode)
	a.RecordTime = time.UnixMicro(recorded)
	if approved != 0 {
		a.ApproveTime = time.UnixMicro(approved)
	}
	return &a, err
}

func scanAttendanceRows(r *sql.Rows) (*domain.PostAttendance, error) { return scanAttendance(r) }

// GetAttendance returns a month's attendance or domain.ErrAttendanceNotFound.
func (s *Store) GetAttendance(ctx context.Context, assignmentID, month string) (*domain.PostAttendance, error) {
	a, err := scanAttendance(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+attendanceCols+` FROM welfare_post_attendance
		WHERE assignment_id = $1 AND month = $2`, assignmentID, month))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrAttendanceNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get attendance: %w", err)
	}
	return a, nil
}

// PutAttendance inserts or replaces a month's attendance; an approved month is never replaced (the
// database refuses the write: the domain checks first).
func (s *Store) PutAttendance(ctx context.Context, a *domain.PostAttendance) error {
	var approved int64
	if !a.ApproveTime.IsZero() {
		approved = a.ApproveTime.UnixMicro()
	}
	res, err := s.db.Exec(ctx, `INSERT INTO welfare_post_attendance (`+attendanceCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (assignment_id, month) DO UPDATE SET days = excluded.days, grade = excluded.grade, note = excluded.note,
			state = excluded.state, recorded_by = excluded.recorded_by, recorded_us = excluded.recorded_us,
			pay_fen = excluded.pay_fen, entitlement_id = excluded.entitlement_id, policy_hash = excluded.policy_hash,
			explanation = excluded.explanation, approved_by = excluded.approved_by, approved_us = excluded.approved_us
		WHERE welfare_post_attendance.state = 1`,
		a.AssignmentID, a.Month, a.Days, int32(a.Grade), a.Note, int32(a.State), a.RecordedBy, a.RecordTime.UnixMicro(),
		a.PayFen, a.EntitlementID, a.PolicyHash, a.Explanation, a.ApprovedBy, approved, a.PersonID, a.RegionCode)
	if err != nil {
		return fmt.Errorf("put attendance: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("put attendance %s %s: the month is approved", a.AssignmentID, a.Month)
	}
	return nil
}

// ListAttendance returns a month's attendance under a region prefix, by village and assignment.
func (s *Store) ListAttendance(ctx context.Context, regionPrefix, month string) ([]*domain.PostAttendance, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+attendanceCols+` FROM welfare_post_attendance
		WHERE month = $1 AND region_code LIKE $2 ORDER BY region_code, assignment_id`, month, likePrefix(regionPrefix))
	return sqldb.Collect(rows, err, scanAttendanceRows)
}

// sheetChunk is how many ids one statement of a sheet's batch names.
const sheetChunk = 500

// AssignmentsByIDs returns the assignments with these ids, by id (a sheet's, read at once).
func (s *Store) AssignmentsByIDs(ctx context.Context, ids []string) (map[string]*domain.PostAssignment, error) {
	out := make(map[string]*domain.PostAssignment, len(ids))
	for chunk := range slices.Chunk(ids, sheetChunk) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		as, err := s.assignments(ctx, `id IN (`+sqldb.Placeholders(1, len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out[a.ID] = a
		}
	}
	return out, nil
}

// ApproveAttendances writes the approval of many recorded months of one month (a sheet) at once: the
// recorded rows are replaced by the approved ones (InsertRows), in the transaction in ctx. A month that is
// no longer recorded (approved meanwhile) fails the whole batch.
func (s *Store) ApproveAttendances(ctx context.Context, month string, ats []*domain.PostAttendance) error {
	for chunk := range slices.Chunk(ats, sheetChunk) {
		args := []any{month}
		for _, a := range chunk {
			args = append(args, a.AssignmentID)
		}
		res, err := s.db.Exec(ctx, `DELETE FROM welfare_post_attendance WHERE month = $1 AND state = 1 AND assignment_id IN (`+
			sqldb.Placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return fmt.Errorf("approve attendance: %w", err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(chunk)) {
			return fmt.Errorf("approve attendance of %s: %d of %d months are still recorded", month, n, len(chunk))
		}
	}
	cols := strings.Split(strings.Join(strings.Fields(attendanceCols), ""), ",")
	return s.db.InsertRows(ctx, "welfare_post_attendance", cols, len(ats), func(i int) ([]any, error) {
		a := ats[i]
		return []any{a.AssignmentID, a.Month, a.Days, int32(a.Grade), a.Note, int32(a.State), a.RecordedBy, a.RecordTime.UnixMicro(),
			a.PayFen, a.EntitlementID, a.PolicyHash, a.Explanation, a.ApprovedBy, a.ApproveTime.UnixMicro(), a.PersonID, a.RegionCode}, nil
	})
}
