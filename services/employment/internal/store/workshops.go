package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
)

var _ domain.WorkshopStore = (*Store)(nil)

const workshopCols = `id, name, credit_code, region_code, address, kind, state, registered_on, recognition, version,
	created_us, updated_us`

func scanWorkshop(r interface{ Scan(dest ...any) error }) (*domain.Workshop, error) {
	var w domain.Workshop
	var recognition string
	var created, updated int64
	if err := r.Scan(&w.ID, &w.Name, &w.CreditCode, &w.RegionCode, &w.Address, &w.Kind, &w.State, &w.RegisteredOn,
		&recognition, &w.Version, &created, &updated); err != nil {
		return nil, err
	}
	if recognition != "" {
		w.Recognition = &domain.WorkshopRecognition{}
		if err := json.Unmarshal([]byte(recognition), w.Recognition); err != nil {
			return nil, fmt.Errorf("workshop %s recognition: %w", w.ID, err)
		}
	}
	w.CreateTime, w.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &w, nil
}

func scanWorkshopRows(r *sql.Rows) (*domain.Workshop, error) { return scanWorkshop(r) }

// CreateWorkshop inserts w; a credit code registered before is refused by the database's unique index.
func (s *Store) CreateWorkshop(ctx context.Context, w *domain.Workshop) error {
	_, err := s.db.Exec(ctx, `INSERT INTO employment_workshops (`+workshopCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $11)`,
		w.ID, w.Name, w.CreditCode, w.RegionCode, w.Address, int32(w.Kind), int32(w.State), w.RegisteredOn, w.Version,
		w.CreateTime.UnixMicro(), w.UpdateTime.UnixMicro())
	if sqldb.IsUniqueViolation(err) {
		return apperr.Exists(domain.ReasonWorkshopExists, "a workshop with this credit code is registered already")
	}
	if err != nil {
		return fmt.Errorf("create workshop: %w", err)
	}
	return nil
}

// GetWorkshop returns one workshop.
func (s *Store) GetWorkshop(ctx context.Context, id string) (*domain.Workshop, error) {
	w, err := scanWorkshop(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+workshopCols+` FROM employment_workshops WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("workshop")
	}
	if err != nil {
		return nil, fmt.Errorf("get workshop %s: %w", id, err)
	}
	return w, nil
}

// SetWorkshopRecognition records a recognition and raises the version.
func (s *Store) SetWorkshopRecognition(ctx context.Context, id string, r *domain.WorkshopRecognition, now time.Time) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, `UPDATE employment_workshops SET state = $1, recognition = $2, version = version + 1,
		updated_us = $3 WHERE id = $4`, int32(domain.WorkshopStateRecognised), string(b), now.UnixMicro(), id)
	if err != nil {
		return fmt.Errorf("recognise workshop %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFound("workshop")
	}
	return nil
}

// ListWorkshops lists a page of workshops whose village starts with scope, in id order after q.After;
// next is the last id when more may follow.
func (s *Store) ListWorkshops(ctx context.Context, scope string, q domain.WorkshopQuery) ([]*domain.Workshop, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rs, qerr := s.db.Q(ctx).QueryContext(ctx, `SELECT `+workshopCols+` FROM employment_workshops
		WHERE region_code LIKE $1 AND id > $2 AND ($3 = 0 OR state = $3) ORDER BY id LIMIT $4`,
		scope+"%", q.After, int32(q.State), limit+1)
	ws, err := sqldb.Collect(rs, qerr, scanWorkshopRows)
	if err != nil {
		return nil, "", fmt.Errorf("list workshops: %w", err)
	}
	next := ""
	if len(ws) > limit {
		ws = ws[:limit]
		next = ws[limit-1].ID
	}
	return ws, next, nil
}

// AddWorkshopInsurance inserts an insurance policy and its insured workers.
func (s *Store) AddWorkshopInsurance(ctx context.Context, i *domain.WorkshopInsurance) error {
	pol, err := json.Marshal(i.Policy)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO employment_workshop_insurances (id, workshop_id, policy_number, insurer,
			from_month, to_month, premium_fen, policy, recorded_by, created_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			i.ID, i.WorkshopID, i.PolicyNumber, i.Insurer, i.FromMonth, i.ToMonth, i.PremiumFen, string(pol), i.RecordedBy,
			i.CreateTime.UnixMicro()); err != nil {
			return fmt.Errorf("add insurance: %w", err)
		}
		return s.db.InsertRows(ctx, "employment_workshop_insured", []string{"insurance_id", "person_id"}, len(i.PersonIDs),
			func(n int) ([]any, error) { return []any{i.ID, i.PersonIDs[n]}, nil })
	})
}

// WorkshopInsurances returns a workshop's insurance policies, oldest first, with their insured workers.
func (s *Store) WorkshopInsurances(ctx context.Context, workshopID string) ([]*domain.WorkshopInsurance, error) {
	var out []*domain.WorkshopInsurance
	err := s.db.ReadTx(ctx, func(ctx context.Context) error {
		var err error
		rs, qerr := s.db.Q(ctx).QueryContext(ctx, `SELECT id, workshop_id, policy_number, insurer, from_month,
			to_month, premium_fen, policy, recorded_by, created_us FROM employment_workshop_insurances
			WHERE workshop_id = $1 ORDER BY created_us, id`, workshopID)
		out, err = sqldb.Collect(rs, qerr, func(r *sql.Rows) (*domain.WorkshopInsurance, error) {
			var i domain.WorkshopInsurance
			var pol string
			var created int64
			if err := r.Scan(&i.ID, &i.WorkshopID, &i.PolicyNumber, &i.Insurer, &i.FromMonth, &i.ToMonth, &i.PremiumFen,
				&pol, &i.RecordedBy, &created); err != nil {
				return nil, err
			}
			i.CreateTime = time.UnixMicro(created)
			return &i, json.Unmarshal([]byte(pol), &i.Policy)
		})
		if err != nil {
			return fmt.Errorf("list insurances: %w", err)
		}
		byID := map[string]*domain.WorkshopInsurance{}
		for _, i := range out {
			byID[i.ID] = i
		}
		type insured struct{ insurance, person string }
		rs, qerr = s.db.Q(ctx).QueryContext(ctx, `SELECT p.insurance_id, p.person_id
			FROM employment_workshop_insured p JOIN employment_workshop_insurances i ON i.id = p.insurance_id
			WHERE i.workshop_id = $1 ORDER BY p.insurance_id, p.person_id`, workshopID)
		rows, err := sqldb.Collect(rs, qerr, func(r *sql.Rows) (insured, error) {
			var x insured
			return x, r.Scan(&x.insurance, &x.person)
		})
		if err != nil {
			return fmt.Errorf("list insured: %w", err)
		}
		for _, x := range rows {
			if i := byID[x.insurance]; i != nil {
				i.PersonIDs = append(i.PersonIDs, x.person)
			}
		}
		return nil
	})
	return out, err
}

// AddWorkshopReward inserts a reward; a second reward for the same workshop and worker is refused by the
// database's unique constraint.
func (s *Store) AddWorkshopReward(ctx context.Context, r *domain.WorkshopReward) error {
	pol, err := json.Marshal(r.Policy)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO employment_workshop_rewards (id, workshop_id, person_id, household_id, month,
		stable_from, stable_to, amount_fen, entitlement_id, policy, recorded_by, created_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.WorkshopID, r.PersonID, r.HouseholdID, r.Month, r.StableFrom, r.StableTo, r.AmountFen, r.EntitlementID,
		string(pol), r.RecordedBy, r.CreateTime.UnixMicro())
	if sqldb.IsUniqueViolation(err) {
		return apperr.Exists(domain.ReasonWorkshopRewardExists, "the workshop was rewarded for this worker already")
	}
	if err != nil {
		return fmt.Errorf("add workshop reward: %w", err)
	}
	return nil
}

// WorkshopRewards returns a workshop's rewards, oldest first.
func (s *Store) WorkshopRewards(ctx context.Context, workshopID string) ([]*domain.WorkshopReward, error) {
	rs, qerr := s.db.Q(ctx).QueryContext(ctx, `SELECT id, workshop_id, person_id, household_id, month,
		stable_from, stable_to, amount_fen, entitlement_id, policy, recorded_by, created_us FROM employment_workshop_rewards
		WHERE workshop_id = $1 ORDER BY created_us, id`, workshopID)
	out, err := sqldb.Collect(rs, qerr, func(r *sql.Rows) (*domain.WorkshopReward, error) {
		var w domain.WorkshopReward
		var pol string
		var created int64
		if err := r.Scan(&w.ID, &w.WorkshopID, &w.PersonID, &w.HouseholdID, &w.Month, &w.StableFrom, &w.StableTo,
			&w.AmountFen, &w.EntitlementID, &pol, &w.RecordedBy, &created); err != nil {
			return nil, err
		}
		w.CreateTime = time.UnixMicro(created)
		w.Policy = []policy.Value{}
		return &w, json.Unmarshal([]byte(pol), &w.Policy)
	})
	if err != nil {
		return nil, fmt.Errorf("list workshop rewards: %w", err)
	}
	return out, nil
}
