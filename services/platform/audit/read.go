package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Action is what an audited call did, as auditors group calls (fupin.common.v1.AuditAction): a change,
// a plain read of one record, a List or batch read, an export, a refusal. It follows from the row's kind,
// method and count, so rows written before the read API have one too.
func Action(r Record) commonv1.AuditAction {
	switch r.Kind {
	case KindMutation:
		return commonv1.AuditAction_AUDIT_ACTION_CHANGE
	case KindFailed:
		return commonv1.AuditAction_AUDIT_ACTION_FAILED
	case KindDenied:
		return commonv1.AuditAction_AUDIT_ACTION_DENIED
	case KindConflict:
		return commonv1.AuditAction_AUDIT_ACTION_CONFLICT
	}
	name := strings.ToLower(r.Method[strings.LastIndex(r.Method, "/")+1:])
	switch {
	case strings.HasPrefix(name, "export"):
		return commonv1.AuditAction_AUDIT_ACTION_EXPORT
	case strings.HasPrefix(name, "list"), strings.HasPrefix(name, "batchget"), strings.HasPrefix(name, "search"), r.RecordCount != 1:
		return commonv1.AuditAction_AUDIT_ACTION_LIST
	}
	return commonv1.AuditAction_AUDIT_ACTION_READ
}

// actionSQL is Action in SQL, for the action filter (SQLite's LIKE ignores ASCII case, PostgreSQL's ILIKE).
func actionSQL(d sqldb.Dialect) string {
	like := "LIKE"
	if d == sqldb.Postgres {
		like = "ILIKE"
	}
	return fmt.Sprintf(`(CASE WHEN kind = 'mutation' THEN %d WHEN kind = 'failed' THEN %d WHEN kind = 'denied' THEN %d
		WHEN kind = 'conflict' THEN %d WHEN method %[5]s '%%/export%%' THEN %d
		WHEN method %[5]s '%%/list%%' OR method %[5]s '%%/batchget%%' OR method %[5]s '%%/search%%' OR record_count <> 1 THEN %[7]d ELSE %[8]d END)`,
		commonv1.AuditAction_AUDIT_ACTION_CHANGE, commonv1.AuditAction_AUDIT_ACTION_FAILED, commonv1.AuditAction_AUDIT_ACTION_DENIED,
		commonv1.AuditAction_AUDIT_ACTION_CONFLICT, like, commonv1.AuditAction_AUDIT_ACTION_EXPORT,
		commonv1.AuditAction_AUDIT_ACTION_LIST, commonv1.AuditAction_AUDIT_ACTION_READ)
}

// Household is the household a resource name belongs to ("households/{id}" for the household and its
// parts), or "".
func Household(resource string) string {
	rest, ok := strings.CutPrefix(resource, "households/")
	if !ok || rest == "" {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return "households/" + id
}

// Reader serves ListAuditRecords over one service's audit log: every service registers it under its own
// contract (identification's AuditService, subsidies' ReliefAuditService), whose access rule admits
// auditors only.
type Reader struct {
	db     *sqldb.DB
	fields filter.Fields
}

// NewReader returns the read API over db's audit log.
func NewReader(db *sqldb.DB) *Reader {
	return &Reader{db: db, fields: filter.Fields{
		// `household:"households/x"` is the household and its parts, as a range the resource index serves;
		// `household = "households/x"` the household record alone.
		"household":  {Column: "resource", Type: filter.String, Within: "(%s)"},
		"resource":   {Column: "resource", Type: filter.String, Within: "(%s)"},
		"person_id":  {Column: "person_ids", Type: filter.Contains},
		"actor":      {Column: "actor", Type: filter.String, Within: "(%s)"},
		"department": {Column: "department", Type: filter.String},
		"role":       {Column: "role", Type: filter.String},
		"purpose":    {Column: "purpose", Type: filter.String},
		"method":     {Column: "method", Type: filter.String},
		"action":     {Column: actionSQL(db.Dialect), Type: filter.Enum, Values: commonv1.AuditAction_value},
		"time":       {Column: "at_us", Type: filter.Time},
	}}
}

const (
	defaultReadPage = 50
	readTokenKind   = "auditRecords"
	readCols        = `id, at_us, kind, method, actor, department, role, on_behalf_of, purpose, resource, record_count, code,
		request_id, trace_id, person_ids, filter`
)

// ListAuditRecords lists the rows matching the filter, newest first, with their count. Audit rows name
// no region, so the log is read county-wide only: a caller with a region scope is refused.
func (rd *Reader) ListAuditRecords(ctx context.Context, req *commonv1.ListAuditRecordsRequest) (*commonv1.ListAuditRecordsResponse, error) {
	if c, ok := auth.FromContext(ctx); ok && c.Scope() != "" {
		return nil, apperr.Denied("OUT_OF_REGION_SCOPE", "the audit log is county-wide: only the county's auditors read it")
	}
	after, err := pagetoken.After(req.GetPageToken(), readTokenKind)
	if err != nil {
		return nil, err
	}
	var before int64
	if after != "" {
		if before, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, pagetoken.Invalid()
		}
	}
	cond, args, err := rd.fields.Compile(req.GetFilter(), 1)
	if err != nil {
		return nil, err
	}
	where := "1 = 1"
	if cond != "" {
		where = cond
	}
	out := &commonv1.ListAuditRecordsResponse{}
	var total int64
	if err := rd.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM fupin_audit WHERE `+where, args...).Scan(&total); err != nil {
		return nil, fmt.Errorf("count audit rows: %w", err)
	}
	out.TotalSize = int32(min(total, 1<<31-1))
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = defaultReadPage
	}
	pageWhere := where
	pageArgs := append([]any(nil), args...)
	if before > 0 {
		pageArgs = append(pageArgs, before)
		pageWhere += fmt.Sprintf(" AND id < $%d", len(pageArgs))
	}
	pageArgs = append(pageArgs, limit+1)
	rows, err := rd.db.Q(ctx).QueryContext(ctx, `SELECT `+readCols+` FROM fupin_audit WHERE `+pageWhere+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(pageArgs)), pageArgs...)
	if err != nil {
		return nil, fmt.Errorf("list audit rows: %w", err)
	}
	defer rows.Close()
	var lastID int64
	for rows.Next() {
		var r Record
		var id, at int64
		var persons string
		if err := rows.Scan(&id, &at, &r.Kind, &r.Method, &r.Actor, &r.Department, &r.Role, &r.OnBehalfOf, &r.Purpose,
			&r.Resource, &r.RecordCount, &r.Code, &r.RequestID, &r.TraceID, &persons, &r.Filter); err != nil {
			return nil, fmt.Errorf("scan audit row: %w", err)
		}
		if len(out.AuditRecords) == limit {
			out.NextPageToken = pagetoken.Encode(readTokenKind, strconv.FormatInt(lastID, 10))
			break
		}
		lastID = id
		r.At = time.UnixMicro(at)
		if persons != "" {
			r.PersonIDs = strings.Split(persons, ",")
		}
		out.AuditRecords = append(out.AuditRecords, toPB(r))
	}
	return out, rows.Err()
}

func toPB(r Record) *commonv1.AuditRecord {
	return &commonv1.AuditRecord{Time: timestamppb.New(r.At), Action: Action(r), Method: r.Method, Actor: r.Actor,
		Department: r.Department, Role: r.Role, OnBehalfOf: r.OnBehalfOf, Purpose: r.Purpose, Resource: r.Resource,
		Household: Household(r.Resource), RecordCount: int32(r.RecordCount), Filter: r.Filter, Code: r.Code,
		RequestId: r.RequestID, TraceId: r.TraceID, PersonIds: r.PersonIDs}
}
