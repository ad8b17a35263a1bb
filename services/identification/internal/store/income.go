package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var _ domain.IncomeStore = (*Store)(nil)

const incomeCols = `id, household_id, day, item_type, rigid_kind, source, source_department, payer, transfer_program,
	period, amount_fen, description, external_ref, recorded_by, created_us, person_id`

// incomeColCount is the number of incomeCols, for multi-row inserts.
const incomeColCount = 16

func scanIncomeItem(r scanner) (*domain.IncomeItem, error) {
	var it domain.IncomeItem
	var created int64
	err := r.Scan(&it.ID, &it.HouseholdID, &it.Day, &it.Type, &it.RigidKind, &it.Source, &it.SourceDepartment, &it.Payer,
		&it.Program, &it.Period, &it.AmountFen, &it.Description, &it.Reference, &it.RecordedBy, &created, &it.PersonID)
	if err != nil {
		return nil, err
	}
	it.CreateTime = time.UnixMicro(created)
	return &it, nil
}

func incomeArgs(it *domain.IncomeItem) []any {
	return []any{it.ID, it.HouseholdID, it.Day, it.Type, it.RigidKind, it.Source, it.SourceDepartment, it.Payer, it.Program,
		it.Period, it.AmountFen, it.Description, it.Reference, it.RecordedBy, it.CreateTime.UnixMicro(), it.PersonID}
}

// IncomeItemsByReference returns the items recorded under these natural keys.
func (s *Store) IncomeItemsByReference(ctx context.Context, refs []domain.IncomeRef) (map[domain.IncomeRef]*domain.IncomeItem, error) {
	out := map[domain.IncomeRef]*domain.IncomeItem{}
	for _, ref := range refs {
		if _, done := out[ref]; done || ref.Reference == "" {
			continue
		}
		it, err := scanIncomeItem(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+incomeCols+` FROM income_items
			WHERE source = $1 AND source_department = $2 AND external_ref = $3`, ref.Source, ref.Department, ref.Reference))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find income item by reference: %w", err)
		}
		out[ref] = it
	}
	return out, nil
}

// insertChunk bounds the rows of one multi-row INSERT (16 columns: 3,200 parameters).
const insertChunk = 200

// InsertIncomeItems writes items with multi-row inserts.
func (s *Store) InsertIncomeItems(ctx context.Context, items []*domain.IncomeItem) error {
	if len(items) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(items); start += insertChunk {
			chunk := items[start:min(start+insertChunk, len(items))]
			var b strings.Builder
			args := make([]any, 0, len(chunk)*incomeColCount)
			b.WriteString(`INSERT INTO income_items (` + incomeCols + `) VALUES `)
			for i, it := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + s.rowPlaceholders(len(args)+1, incomeColCount) + ")")
				args = append(args, incomeArgs(it)...)
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert income items: %w", err)
			}
		}
		return nil
	})
}

// ListIncomeItems returns a page of a household's items by day then id. after is the cursor
// "day/id" of the last item of the previous page.
func (s *Store) ListIncomeItems(ctx context.Context, householdID, from, to, after string, limit int) ([]*domain.IncomeItem, string, error) {
	if to == "" {
		to = "9999-12-31"
	}
	afterDay, afterID, _ := strings.Cut(after, "/")
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+incomeCols+` FROM income_items
		WHERE household_id = $1 AND day >= $2 AND day <= $3 AND (day > $4 OR (day = $4 AND id > $5))
		ORDER BY day, id LIMIT $6`, householdID, from, to, afterDay, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list income items: %w", err)
	}
	defer rows.Close()
	var out []*domain.IncomeItem
	for rows.Next() {
		it, err := scanIncomeItem(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = last.Day + "/" + last.ID
	}
	return out, next, nil
}

// SumIncome totals a household's items with day in [from, to].
func (s *Store) SumIncome(ctx context.Context, householdID, from, to string) (domain.IncomeTotals, error) {
	var t domain.IncomeTotals
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT item_type, rigid_kind, CAST(SUM(amount_fen) AS BIGINT), COUNT(*) FROM income_items
		WHERE household_id = $1 AND day >= $2 AND day <= $3 GROUP BY item_type, rigid_kind`, householdID, from, to)
	if err != nil {
		return t, fmt.Errorf("sum income: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ty domain.IncomeItemType
		var kind domain.RigidSpendingKind
		var sum int64
		var n int
		if err := rows.Scan(&ty, &kind, &sum, &n); err != nil {
			return t, err
		}
		t.Items += n
		if ty != domain.IncomeRigidSpending {
			t.IncomeItems += n
		}
		switch ty {
		case domain.IncomeWages:
			t.Wages += sum
		case domain.IncomeBusiness:
			t.Business += sum
		case domain.IncomeProperty:
			t.Property += sum
		case domain.IncomeTransfer:
			t.Transfers += sum
		case domain.IncomeProductionCost:
			t.ProductionCosts += sum
		case domain.IncomeRigidSpending:
			if kind == domain.RigidEducation {
				t.Education += sum
			} else {
				t.Medical += sum
			}
		}
	}
	return t, rows.Err()
}

// PublishIncomeAssessed appends "income.assessed" to the change feed in the caller's transaction.
func (s *Store) PublishIncomeAssessed(ctx context.Context, a *domain.IncomeAssessment, trigger string) error {
	return s.feed.Append(ctx, outbox.Event{Topic: domain.TopicIncomeAssessed, Resource: "households/" + a.HouseholdID,
		RegionCode: a.RegionCode, Payload: &identificationv1.IncomeAssessed{Assessment: IncomeAssessmentProto(a), Trigger: trigger}})
}

// IncomeAssessmentProto converts an assessment for the wire and the change feed.
func IncomeAssessmentProto(a *domain.IncomeAssessment) *identificationv1.IncomeAssessment {
	out := &identificationv1.IncomeAssessment{
		Household: "households/" + a.HouseholdID, RegionCode: a.RegionCode, Program: identificationv1.IncomeProgram(a.Program),
		FromDate: a.From, ToDate: a.To, WagesFen: a.Totals.Wages, BusinessFen: a.Totals.Business,
		PropertyFen: a.Totals.Property, TransfersFen: a.Totals.Transfers, ProductionCostsFen: a.Totals.ProductionCosts,
		MedicalSpendingFen: a.Totals.Medical, EducationSpendingFen: a.Totals.Education, NetFen: a.Net,
		Members: int32(a.Members), MembersDate: a.MembersDate, PerCapitaFen: a.PerCapita, ItemCount: int32(a.Totals.Items),
		PolicyHash: a.PolicyHash, AssessTime: timestamppb.New(a.AssessTime),
	}
	for _, ty := range a.Counted {
		out.CountedTypes = append(out.CountedTypes, identificationv1.IncomeItemType(ty))
	}
	out.EmploymentFacts = identificationv1.EmploymentFactsState(a.Employment)
	if !a.EmploymentAsOf.IsZero() {
		out.EmploymentAsOf = timestamppb.New(a.EmploymentAsOf)
	}
	for _, l := range a.Lines {
		pl := &identificationv1.IncomeLine{Type: identificationv1.IncomeItemType(l.Type), Source: identificationv1.IncomeLineSource(l.Source),
			ItemSource: identificationv1.IncomeSource(l.ItemSource), PersonId: l.PersonID, Month: l.Month, AmountFen: l.AmountFen,
			Superseded: l.Superseded}
		if l.ItemID != "" {
			pl.Item = "households/" + a.HouseholdID + "/incomeItems/" + l.ItemID
		}
		out.Lines = append(out.Lines, pl)
	}
	return out
}

// rowPlaceholders is Placeholders for the rows of a multi-row INSERT. SQLite looks each "$N" up by name,
// linearly, so a statement with thousands of them costs quadratic time to parse and bind: there the
// rows use anonymous "?" parameters, bound in order.
func (s *Store) rowPlaceholders(from, n int) string {
	if s.db.Dialect != sqldb.SQLite {
		return sqldb.Placeholders(from, n)
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// MemberWageLines returns the household's wage items that name a member with Day in [from, to], as
// assessment lines (recorded figures), in day then id order.
func (s *Store) MemberWageLines(ctx context.Context, householdID, from, to string) ([]domain.IncomeLine, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, person_id, day, source, amount_fen FROM income_items
		WHERE household_id = $1 AND day >= $2 AND day <= $3 AND person_id <> '' AND item_type = $4 ORDER BY day, id`,
		householdID, from, to, int32(domain.IncomeWages))
	return sqldb.Collect(rows, err, func(r *sql.Rows) (domain.IncomeLine, error) {
		l := domain.IncomeLine{Type: domain.IncomeWages, Source: domain.LineSourceRecorded}
		var day string
		err := r.Scan(&l.ItemID, &l.PersonID, &day, &l.ItemSource, &l.AmountFen)
		l.Month = day[:min(len(day), 7)]
		return l, err
	})
}
