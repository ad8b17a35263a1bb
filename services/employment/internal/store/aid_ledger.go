package store

import (
	"context"
	"database/sql"
	"fmt"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
)

// What the 零就业 rule reads of the labour ledger (domain.AidLedger): current members with birth month and
// labour ability, and the months of their working spells (务工状况 01–05) and school (在校) in a window.

var _ domain.AidLedger = (*Store)(nil)

// Ledger states and spell statuses as the core area stores them (domain/ledger.go, spells.go).
const (
	aidLabourerEnded          = 2
	aidEndHouseholdNotCovered = 4
	aidWorkFirst              = 1 // 01 乡镇内
	aidWorkLast               = 5 // 05 其他
	aidWorkStudent            = 7 // 在校
)

// AidHouseholds returns the households with their current members and paid months in [first, last].
func (s *Store) AidHouseholds(ctx context.Context, householdIDs []string, first, last string) ([]domain.AidHousehold, error) {
	out := make([]domain.AidHousehold, 0, len(householdIDs))
	for start := 0; start < len(householdIDs); start += 500 {
		part, err := s.aidHouseholds(ctx, householdIDs[start:min(start+500, len(householdIDs))], first, last)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

func (s *Store) aidHouseholds(ctx context.Context, ids []string, first, last string) ([]domain.AidHousehold, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	type row struct {
		id, household, region, birth string
		labour, state, endReason     int
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, household_id, region_code, birth_month, labour_ability, state, end_reason
		FROM labourers WHERE household_id IN (`+sqldb.Placeholders(1, len(ids))+`) ORDER BY household_id, id`, args...)
	ls, err := sqldb.Collect(rows, err, func(rows *sql.Rows) (row, error) {
		var r row
		err := rows.Scan(&r.id, &r.household, &r.region, &r.birth, &r.labour, &r.state, &r.endReason)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("aid: labourers: %w", err)
	}
	byID := make(map[string]*domain.AidHousehold, len(ids))
	out := make([]domain.AidHousehold, len(ids))
	for i, id := range ids {
		out[i] = domain.AidHousehold{ID: id}
		byID[id] = &out[i]
	}
	members := map[string]*domain.AidMember{}
	var active []any
	for _, r := range ls {
		h := byID[r.household]
		if r.state == aidLabourerEnded {
			// A record ended for any reason but the household leaving the ledger's groups (a death, a
			// member leaving) leaves the household followed, with one member fewer.
			if r.endReason != aidEndHouseholdNotCovered {
				h.Followed = true
				if h.RegionCode == "" {
					h.RegionCode = r.region
				}
			}
			continue
		}
		h.Followed, h.RegionCode = true, r.region
		h.Members = append(h.Members, domain.AidMember{PersonID: r.id, BirthMonth: r.birth, Labour: domain.AidLabour(r.labour)})
		active = append(active, r.id)
	}
	for i := range out {
		for j := range out[i].Members {
			members[out[i].Members[j].PersonID] = &out[i].Members[j]
		}
	}
	if len(active) == 0 {
		return out, nil
	}
	n := len(active)
	rows, err = s.db.Q(ctx).QueryContext(ctx, fmt.Sprintf(`SELECT person_id, work_status, from_month, to_month FROM employment_spells
		WHERE person_id IN (%s) AND (work_status BETWEEN %d AND %d OR work_status = %d)
			AND from_month <= $%d AND (to_month = '' OR to_month >= $%d)`,
		sqldb.Placeholders(1, n), aidWorkFirst, aidWorkLast, aidWorkStudent, n+1, n+2), append(active, last, first)...)
	type spell struct {
		person, from, to string
		status           int
	}
	sps, err := sqldb.Collect(rows, err, func(rows *sql.Rows) (spell, error) {
		var sp spell
		err := rows.Scan(&sp.person, &sp.status, &sp.from, &sp.to)
		return sp, err
	})
	if err != nil {
		return nil, fmt.Errorf("aid: spells: %w", err)
	}
	for _, sp := range sps {
		m := members[sp.person]
		to := sp.to
		if to == "" || to > last {
			to = last
		}
		if sp.status == aidWorkStudent {
			// In school in the last month of the window: the month the rule is applied to.
			m.Student = m.Student || to == last
			continue
		}
		for _, month := range payroll.MonthsBetween(max(sp.from, first), to) {
			m.PaidMonths = append(m.PaidMonths, month)
		}
	}
	return out, nil
}

// AidFollowedHouseholds pages the households with a record not ended (of working age or not: a child turns
// 16 without a change in the register), in id order. It reads records in the order of the index
// labourers_household and keeps distinct households, so neither database aggregates the whole table for a
// page (PostgreSQL's DISTINCT did, once per page).
func (s *Store) AidFollowedHouseholds(ctx context.Context, after string, limit int) ([]string, error) {
	var out []string
	for len(out) < limit {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT household_id FROM labourers
			WHERE household_id > $1 AND state <> $2 ORDER BY household_id LIMIT $3`, after, aidLabourerEnded, 4*limit)
		ids, err := sqldb.Collect(rows, err, scanString)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if len(out) == limit {
				return out, nil
			}
			if len(out) == 0 || out[len(out)-1] != id {
				out = append(out, id)
			}
		}
		if len(ids) < 4*limit {
			return out, nil
		}
		// The last household is in out already; its other records, if any, are skipped by "> after".
		after = ids[len(ids)-1]
	}
	return out, nil
}
