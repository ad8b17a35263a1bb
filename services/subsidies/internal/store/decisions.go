package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/decisionfeed"
	"fupin.dev/services/subsidies/internal/domain"
)

var (
	_ domain.DecisionExportStore = (*Store)(nil)
	_ domain.DestituteFeed       = (*Store)(nil)
)

// The decisions' feed is written where the decisions are stored: every write of a coverage or a
// certificate compares the record before and after (domain.DibaoCoverageTopic, domain.CertificateTopic) and
// appends the change in the same transaction, so no path that changes one — an approval, a review, a
// death from the register's feed, a revocation — can forget to publish it. 特困 has no table of its own (its
// decision is a workflow case and an entitlement), so its use cases publish it (domain.DestituteFeed).

// publishCoverage appends the change a write of a coverage makes, if followers see one.
func (s *Store) publishCoverage(ctx context.Context, before, after *domain.DibaoCoverage) error {
	topic := domain.DibaoCoverageTopic(before, after)
	if topic == "" {
		return nil
	}
	return s.feed.Append(ctx, outbox.Event{Topic: topic, Resource: after.Name(), RegionCode: after.RegionCode,
		Payload: decisionfeed.DibaoCoverageMessage(after)})
}

// publishCertificate appends the change a write of a certificate makes, if its validity changed.
func (s *Store) publishCertificate(ctx context.Context, before, after *domain.Certificate) error {
	topic := domain.CertificateTopic(before, after)
	if topic == "" {
		return nil
	}
	return s.feed.Append(ctx, outbox.Event{Topic: topic, Resource: after.Name(), RegionCode: after.RegionCode,
		Payload: decisionfeed.CertificateMessage(after)})
}

// PublishDestitute appends a change of topic about a 特困 support, in the transaction in ctx.
func (s *Store) PublishDestitute(ctx context.Context, topic string, d *domain.DestituteSupport) error {
	return s.feed.Append(ctx, outbox.Event{Topic: topic, Resource: domain.DestituteSource(d.CaseID), RegionCode: d.RegionCode,
		Payload: decisionfeed.DestituteMessage(d)})
}

// destituteSQL reads 特困 entitlements with the application step of the case that granted them (whose data
// holds the person's blind index), grouped by case in Go.
const destituteSQL = `SELECT e.source, e.household_id, e.person_id, e.region_code, e.from_month, e.to_month, e.end_reason,
		COALESCE(st.data, '{}')
	FROM payroll_entitlements e
	LEFT JOIN fupin_case_steps st ON st.case_id = substr(e.source, 16) AND st.seq = 1
	WHERE e.program = $1`

// DestituteSupport returns the 特困 support approved by case id as its entitlements stand, or nil.
func (s *Store) DestituteSupport(ctx context.Context, caseID string) (*domain.DestituteSupport, error) {
	out, err := s.destituteSupports(ctx, ` AND e.source = $2`, domain.DestituteSource(caseID))
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out[0], nil
}

// destituteSupports reads the supports of the entitlements matching where, in case id order: the first
// month of the first entitlement, the last month of the last (none while one still pays), and the
// region and end reason of the latest.
func (s *Store) destituteSupports(ctx context.Context, where string, args ...any) ([]*domain.DestituteSupport, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, destituteSQL+where+` ORDER BY e.source, e.from_month, e.created_us, e.id`,
		append([]any{int32(domain.ProgramDestitute)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("destitute supports: %w", err)
	}
	defer rows.Close()
	var out []*domain.DestituteSupport
	var open bool
	for rows.Next() {
		var source, household, person, region, from, to, reason, data string
		if err := rows.Scan(&source, &household, &person, &region, &from, &to, &reason, &data); err != nil {
			return nil, fmt.Errorf("destitute supports: %w", err)
		}
		id := strings.TrimPrefix(source, domain.DestituteSource(""))
		cur := (*domain.DestituteSupport)(nil)
		if n := len(out); n > 0 && out[n-1].CaseID == id {
			cur = out[n-1]
		} else {
			var app domain.DestituteApplication
			if err := json.Unmarshal([]byte(data), &app); err != nil {
				return nil, fmt.Errorf("destitute case %s application: %w", id, err)
			}
			cur = &domain.DestituteSupport{CaseID: id, PersonID: person, IDIndex: app.IDIndex, FromMonth: from}
			out, open = append(out, cur), false
		}
		cur.HouseholdID, cur.RegionCode = household, region
		if to == "" {
			open = true
		}
		if open {
			cur.ToMonth, cur.EndReason = "", ""
		} else if to > cur.ToMonth || cur.ToMonth == "" {
			cur.ToMonth, cur.EndReason = to, reason
		}
	}
	return out, rows.Err()
}

// ExportDecisions reads the decisions of q in one snapshot (sqldb.ReadTx, which blocks no writer), with
// the feed's position read first in the same snapshot, and hands them on in batches: coverages and
// certificates by keyset pages in id order (each page's members read after its rows, since pgx reads one
// result at a time per connection), 特困 supports in one read (a county has a few thousand).
func (s *Store) ExportDecisions(ctx context.Context, q domain.DecisionExportQuery, each func(int64, domain.DecisionBatch) error) error {
	return s.db.ReadTx(ctx, func(ctx context.Context) error {
		var position int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fupin_outbox`).Scan(&position); err != nil {
			return fmt.Errorf("export decisions: feed position: %w", err)
		}
		sent := false
		send := func(b domain.DecisionBatch) error {
			sent = true
			return each(position, b)
		}
		for _, kind := range q.Kinds {
			var err error
			switch kind {
			case domain.DecisionDibaoCoverage:
				err = s.exportCoverages(ctx, q, send)
			case domain.DecisionDestituteSupport:
				err = s.exportDestitute(ctx, q, send)
			case domain.DecisionCertificate:
				err = s.exportCertificates(ctx, q, send)
			}
			if err != nil {
				return err
			}
		}
		if !sent {
			return each(position, domain.DecisionBatch{})
		}
		return nil
	})
}

// scopeWhere is the condition on a region column for q's scope, with its arguments after n others.
func scopeWhere(q domain.DecisionExportQuery, column string, n int) (string, []any) {
	if q.Scope == "" {
		return "", nil
	}
	return fmt.Sprintf(" AND substr(%s, 1, %d) = $%d", column, len(q.Scope), n+1), []any{q.Scope}
}

func (s *Store) exportCoverages(ctx context.Context, q domain.DecisionExportQuery, send func(domain.DecisionBatch) error) error {
	where, args := `id > $1`, []any{""}
	if q.EndedBefore != "" {
		args = append(args, int32(domain.CoverageEnded), int32(domain.CoverageTaper), q.EndedBefore)
		where += ` AND NOT (state = $2 AND end_month < $4) AND NOT (state = $3 AND taper_last_month < $4)`
	}
	scope, sargs := scopeWhere(q, "region_code", len(args))
	where, args = where+scope, append(args, sargs...)
	for {
		// The page's rows, then its members by the page's id range (one range scan of the members' key
		// instead of a list of thousands of ids).
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+coverageCols+` FROM dibao_coverages WHERE `+where+
			fmt.Sprintf(` ORDER BY id LIMIT %d`, q.BatchSize), args...)
		cs, err := sqldb.Collect(rows, err, scanCoverageRows)
		if err == nil && len(cs) > 0 {
			err = s.membersWhere(ctx, cs, `coverage_id > $1 AND coverage_id <= $2`, args[0], cs[len(cs)-1].ID)
		}
		if err != nil {
			return fmt.Errorf("export coverages: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		if err := send(domain.DecisionBatch{Coverages: cs}); err != nil {
			return err
		}
		if len(cs) < q.BatchSize {
			return nil
		}
		args[0] = cs[len(cs)-1].ID
	}
}

func (s *Store) exportDestitute(ctx context.Context, q domain.DecisionExportQuery, send func(domain.DecisionBatch) error) error {
	scope, args := scopeWhere(q, "e.region_code", 1)
	all, err := s.destituteSupports(ctx, scope, args...)
	if err != nil {
		return err
	}
	batch := make([]*domain.DestituteSupport, 0, min(len(all), q.BatchSize))
	for _, d := range all {
		if q.EndedBefore != "" && d.ToMonth != "" && d.ToMonth < q.EndedBefore {
			continue
		}
		if batch = append(batch, d); len(batch) == q.BatchSize {
			if err := send(domain.DecisionBatch{Destitute: batch}); err != nil {
				return err
			}
			batch = make([]*domain.DestituteSupport, 0, q.BatchSize)
		}
	}
	if len(batch) > 0 {
		return send(domain.DecisionBatch{Destitute: batch})
	}
	return nil
}

func (s *Store) exportCertificates(ctx context.Context, q domain.DecisionExportQuery, send func(domain.DecisionBatch) error) error {
	where, args := `id > $1`, []any{""}
	if q.EndedBefore != "" {
		args = append(args, int32(domain.CertificateValid), q.EndedBefore+"-01")
		where += ` AND (status = $2 OR status_date >= $3)`
	}
	scope, sargs := scopeWhere(q, "region_code", len(args))
	where, args = where+scope, append(args, sargs...)
	for {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+certificateCols+` FROM certificates WHERE `+where+
			fmt.Sprintf(` ORDER BY id LIMIT %d`, q.BatchSize), args...)
		cs, err := sqldb.Collect(rows, err, scanCertificateRows)
		if err != nil {
			return fmt.Errorf("export certificates: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		if err := send(domain.DecisionBatch{Certificates: cs}); err != nil {
			return err
		}
		if len(cs) < q.BatchSize {
			return nil
		}
		args[0] = cs[len(cs)-1].ID
	}
}
