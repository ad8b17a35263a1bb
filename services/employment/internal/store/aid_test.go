package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// newAidStore opens a fresh database of dialect d with the platform's and the service's tables.
func newAidStore(t testing.TB, d sqldb.Dialect) *store.Store {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	return store.New(db, outbox.New(db, nil))
}

// aidPolicy is deploy/policy/defaults.json's county-wide values.
type aidPolicy map[string]string

func loadAidPolicy(t testing.TB) aidPolicy {
	t.Helper()
	entries, err := policy.LoadDefaultsFile("../../../../deploy/policy/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	p := aidPolicy{}
	for _, e := range entries {
		if e.Region == "*" {
			p[e.Parameter] = string(e.Value)
		}
	}
	return p
}

func (p aidPolicy) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	raw, ok := p[parameter]
	if !ok {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(parameter + raw))
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw),
		Hash: hex.EncodeToString(sum[:])}, json.Unmarshal([]byte(raw), into)
}

// aidClock is a business clock the test moves.
type aidClock struct{ t atomic.Pointer[time.Time] }

func (c *aidClock) set(date string) {
	t, err := time.Parse("2006-01-02 15:04", date+" 10:00")
	if err != nil {
		panic(err)
	}
	t = t.Add(-8 * time.Hour) // 10:00 in Asia/Shanghai
	c.t.Store(&t)
}
func (c *aidClock) now() time.Time { return *c.t.Load() }

// seedLabourer writes a ledger record as the core area keeps it (migration 00001).
func seedLabourer(t testing.TB, s *store.Store, id, household, region, birth string, labour int) {
	t.Helper()
	if _, err := s.DB().Exec(context.Background(), `INSERT INTO labourers (id, id_index, household_id, region_code, birth_month,
		registry_status, monitoring_status, labour_ability, state, created_us, updated_us)
		VALUES ($1, $2, $3, $4, $5, 3, 0, $6, 1, 1, 1)`, id, "idx-"+id, household, region, birth, labour); err != nil {
		t.Fatal(err)
	}
}

func seedSpell(t testing.TB, s *store.Store, id, person string, status int, from, to string) {
	t.Helper()
	mode := 0
	if status >= 1 && status <= 5 {
		mode = 1
	}
	if _, err := s.DB().Exec(context.Background(), `INSERT INTO employment_spells (id, person_id, work_status, mode, employer, place,
		monthly_income_fen, from_month, to_month, source, created_us) VALUES ($1, $2, $3, $4, '', '', 0, $5, $6, 1, 1)`,
		id, person, status, mode, from, to); err != nil {
		t.Fatal(err)
	}
}

func endLabourer(t testing.TB, s *store.Store, id string, reason int) {
	t.Helper()
	if _, err := s.DB().Exec(context.Background(), `UPDATE labourers SET state = 2, end_reason = $2, end_date = '2026-11-20' WHERE id = $1`,
		id, reason); err != nil {
		t.Fatal(err)
	}
}

func newAid(t testing.TB, s *store.Store, clock *aidClock) (*domain.Aid, *workflow.Engine) {
	t.Helper()
	var n atomic.Int64
	newID := func() string { return fmt.Sprintf("id-%06d", n.Add(1)) }
	pol := loadAidPolicy(t)
	engine := workflow.New(s.DB(), workflow.Options{Now: clock.now, NewID: newID, Policy: pol, SubjectField: "household"})
	aid, err := domain.NewAid(s, s, engine, pol, newID, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return aid, engine
}

const (
	village1 = "999999001001"
	village2 = "999999002001"
)

func TestAidStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newAidStore(t, d)
		ctx := t.Context()
		clock := &aidClock{}
		clock.set("2026-12-01")
		aid, engine := newAid(t, s, clock)
		officer := workflow.Caller{Actor: "user:hr", Scope: ""}

		// h1: one adult with 3 months of paid work this year (零就业); h2: 4 months (not); h3: an adult and a
		// child turning 16 in January; h4: an adult in school; h5: nobody in the ledger.
		seedLabourer(t, s, "p1", "h1", village1, "1980-05", 1)
		seedSpell(t, s, "s1", "p1", 3, "2026-03", "2026-05")
		seedLabourer(t, s, "p2", "h2", village1, "1980-05", 1)
		seedSpell(t, s, "s2", "p2", 4, "2026-03", "2026-06")
		seedLabourer(t, s, "p3", "h3", village2, "1966-01", 3)
		seedLabourer(t, s, "p3c", "h3", village2, "2011-01", 5)
		seedLabourer(t, s, "p4", "h4", village2, "2005-09", 1)
		seedSpell(t, s, "s4", "p4", 7, "2023-09", "")

		if _, err := aid.Pass(ctx, "2026-12-01", 2); err != nil {
			t.Fatal(err)
		}
		listed := func(prefix string) []string {
			t.Helper()
			page, total, err := aid.ListZeroEmployment(ctx, domain.AidListQuery{Scope: prefix, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, l := range page {
				ids = append(ids, l.HouseholdID)
			}
			if total != len(ids) {
				t.Fatalf("total %d for a page of %d", total, len(ids))
			}
			return ids
		}
		t.Run("the pass lists the 零就业 households and opens their cases", func(t *testing.T) {
			if got := listed(""); !slices.Equal(got, []string{"h1", "h3"}) {
				t.Fatalf("listed %v, want h1 and h3", got)
			}
			if got := listed(village2[:9]); !slices.Equal(got, []string{"h3"}) {
				t.Fatalf("township listed %v", got)
			}
			cases, total, err := aid.ListCases(ctx, domain.AidListQuery{Limit: 10})
			if err != nil || total != 2 || len(cases) != 2 {
				t.Fatalf("cases %+v, %d, %v", cases, total, err)
			}
			c := cases[0]
			if !c.Open || c.OpenedOn != "2026-12-01" || c.DueOn != "2026-12-31" || c.CloseWithinDays != 30 || c.PolicyHash == "" {
				t.Fatalf("case %+v", c)
			}
		})
		t.Run("a second pass changes nothing", func(t *testing.T) {
			if _, err := aid.Pass(ctx, "2026-12-02", 100); err != nil {
				t.Fatal(err)
			}
			if _, total, _ := aid.ListCases(ctx, domain.AidListQuery{Limit: 10}); total != 2 {
				t.Fatalf("%d cases after a second pass", total)
			}
		})
		h1Case := func() *domain.AidCase {
			t.Helper()
			cur, err := s.CurrentZeroEmployment(ctx, []string{"h1"})
			if err != nil || cur["h1"] == nil {
				t.Fatalf("h1 listing: %v %v", cur, err)
			}
			c, err := aid.Get(ctx, officer, cur["h1"].CaseID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		t.Run("offers are recorded to members only", func(t *testing.T) {
			c := h1Case()
			got, err := aid.RecordOffer(ctx, officer, c.ID, domain.AidOfferInput{Kind: domain.AidOfferPost, PersonID: "p1",
				Description: "村保洁公益岗", Response: domain.AidResponseDeclined})
			if err != nil || len(got.Offers) != 1 {
				t.Fatalf("offer: %+v %v", got, err)
			}
			_, err = aid.RecordOffer(ctx, officer, c.ID, domain.AidOfferInput{Kind: domain.AidOfferJob, PersonID: "p2", Description: "x"})
			if e, ok := apperr.As(err); !ok || e.Reason != domain.ReasonAidNotMember {
				t.Fatalf("offer to another household's member: %v", err)
			}
			_, err = aid.RecordOffer(ctx, officer, c.ID, domain.AidOfferInput{Kind: "loan", PersonID: "p1"})
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 2 {
				t.Fatalf("bad offer: %v", err)
			}
			if c = h1Case(); len(c.Offers) != 1 || c.Offers[0].Description != "村保洁公益岗" || c.Trail == nil || len(c.Trail.Steps) != 1 {
				t.Fatalf("case read back %+v", c)
			}
		})
		t.Run("overdue: day 30 in time, day 31 overdue", func(t *testing.T) {
			for date, want := range map[string]int{"2026-12-31": 0, "2027-01-01": 2} {
				_, total, err := aid.ListCases(ctx, domain.AidListQuery{OverdueOn: date, Limit: 10})
				if err != nil || total != want {
					t.Errorf("overdue on %s: %d, %v; want %d", date, total, err, want)
				}
			}
		})
		t.Run("closing employed needs a paid spell in the month", func(t *testing.T) {
			c := h1Case()
			_, err := aid.Close(ctx, officer, c.ID, domain.AidClosing{Outcome: domain.AidOutcomeEmployed, PersonID: "p1"})
			if e, ok := apperr.As(err); !ok || e.Reason != domain.ReasonAidNotEmployed {
				t.Fatalf("closing without a spell: %v", err)
			}
			seedSpell(t, s, "s1b", "p1", 2, "2026-12", "")
			got, err := aid.Close(ctx, officer, c.ID, domain.AidClosing{Outcome: domain.AidOutcomeEmployed, PersonID: "p1"})
			if err != nil || got.Open || got.Outcome != domain.AidOutcomeEmployed || got.EmployedPerson != "p1" || got.ClosedOn != "2026-12-01" {
				t.Fatalf("closed %+v, %v", got, err)
			}
			if got := listed(""); !slices.Equal(got, []string{"h3"}) {
				t.Fatalf("after h1's member found work the list is %v", got)
			}
			_, err = aid.RecordOffer(ctx, officer, c.ID, domain.AidOfferInput{Kind: domain.AidOfferJob, PersonID: "p1", Description: "x"})
			if e, ok := apperr.As(err); !ok || e.Reason != domain.ReasonAidCaseClosed {
				t.Fatalf("offer on a closed case: %v", err)
			}
		})
		t.Run("a move carries the open case to the new village", func(t *testing.T) {
			cur, _ := s.CurrentZeroEmployment(ctx, []string{"h3"})
			id := cur["h3"].CaseID
			// The ledger moves its records (the core area's follower), and the aid its own in the same change.
			if _, err := s.DB().Exec(ctx, `UPDATE labourers SET region_code = $1 WHERE household_id = 'h3'`, village1); err != nil {
				t.Fatal(err)
			}
			if err := aid.Moved(ctx, "h3", village1); err != nil {
				t.Fatal(err)
			}
			k, err := engine.Get(ctx, officer, id)
			if err != nil || k.RegionCode != village1 {
				t.Fatalf("engine case %+v %v", k, err)
			}
			if got := listed(village1); !slices.Equal(got, []string{"h3"}) {
				t.Fatalf("village1 list %v", got)
			}
			if _, err := aid.Get(ctx, workflow.Caller{Actor: "v2", Scope: village2}, id); !errors.Is(err, domain.ErrAidCaseNotFound) {
				t.Fatalf("the old village still sees the case: %v", err)
			}
		})
		t.Run("a death leaving no working-age member closes the case with the reason", func(t *testing.T) {
			cur, _ := s.CurrentZeroEmployment(ctx, []string{"h3"})
			endLabourer(t, s, "p3", 1)
			clock.set("2026-12-05")
			if err := aid.Evaluate(ctx, "2026-12-05", "h3"); err != nil {
				t.Fatal(err)
			}
			c, err := aid.Get(ctx, officer, cur["h3"].CaseID)
			if err != nil || c.Open || c.Outcome != domain.AidOutcomeReason || c.Reason != domain.AidReasonNoWorkingAge {
				t.Fatalf("case after the death %+v %v", c, err)
			}
			if got := listed(""); len(got) != 0 {
				t.Fatalf("list %v", got)
			}
		})
		t.Run("a child turning 16 makes the household 零就业 again, with a new case", func(t *testing.T) {
			clock.set("2027-01-02")
			if err := aid.Evaluate(ctx, "2027-01-02", "h3"); err != nil {
				t.Fatal(err)
			}
			// p3c has labour ability 无劳动力 in the register: still not able.
			if got := listed(""); len(got) != 0 {
				t.Fatalf("list %v", got)
			}
			if _, err := s.DB().Exec(ctx, `UPDATE labourers SET labour_ability = 1 WHERE id = 'p3c'`); err != nil {
				t.Fatal(err)
			}
			if err := aid.Evaluate(ctx, "2027-01-02", "h3"); err != nil {
				t.Fatal(err)
			}
			if got := listed(""); !slices.Equal(got, []string{"h3"}) {
				t.Fatalf("list %v", got)
			}
			if _, total, _ := aid.ListCases(ctx, domain.AidListQuery{OpenOnly: true, Limit: 10}); total != 1 {
				t.Fatalf("%d open cases", total)
			}
		})
		t.Run("closing with a reason needs one of the officials' reasons and a note", func(t *testing.T) {
			cur, _ := s.CurrentZeroEmployment(ctx, []string{"h3"})
			id := cur["h3"].CaseID
			for _, in := range []domain.AidClosing{
				{Outcome: domain.AidOutcomeReason, Reason: domain.AidReasonNoWorkingAge, Note: "x"},
				{Outcome: domain.AidOutcomeReason, Reason: domain.AidReasonUnreachable},
				{Outcome: "done"},
			} {
				if _, err := aid.Close(ctx, officer, id, in); err == nil {
					t.Errorf("closing %+v accepted", in)
				}
			}
			got, err := aid.Close(ctx, officer, id, domain.AidClosing{Outcome: domain.AidOutcomeReason, Reason: domain.AidReasonUnreachable,
				Note: "外出, 三个月联系不上"})
			if err != nil || got.Open || got.Reason != domain.AidReasonUnreachable {
				t.Fatalf("closed %+v %v", got, err)
			}
			// The household stays on the list (still 零就业) with its closed case; no second case opens.
			if err := aid.Evaluate(ctx, "2027-01-02", "h3"); err != nil {
				t.Fatal(err)
			}
			page, _, _ := aid.ListZeroEmployment(ctx, domain.AidListQuery{Limit: 10})
			if len(page) != 1 || page[0].CaseOpen {
				t.Fatalf("list %+v", page)
			}
		})
		t.Run("the followed households page once each, whatever their records", func(t *testing.T) {
			for _, limit := range []int{1, 2, 100} {
				var got []string
				after := ""
				for {
					ids, err := s.AidFollowedHouseholds(ctx, after, limit)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, ids...)
					if len(ids) < limit {
						break
					}
					after = ids[len(ids)-1]
				}
				// h3's adult died (ended) but its child's record is not ended; h5 was never in the ledger.
				if want := []string{"h1", "h2", "h3", "h4"}; !slices.Equal(got, want) {
					t.Errorf("limit %d: %v, want %v", limit, got, want)
				}
			}
		})
		t.Run("paging the list by village", func(t *testing.T) {
			seedLabourer(t, s, "p7", "h7", village2, "1990-01", 1)
			seedLabourer(t, s, "p8", "h8", village1, "1990-01", 1)
			if err := aid.Evaluate(ctx, "2027-01-02", "h7", "h8"); err != nil {
				t.Fatal(err)
			}
			var got []string
			after := ""
			for {
				page, total, err := s.ListZeroEmployment(ctx, domain.AidListQuery{RegionPrefix: "", After: after, Limit: 2})
				if err != nil || total != 3 {
					t.Fatalf("page: %d %v", total, err)
				}
				for _, l := range page {
					got = append(got, l.RegionCode+"/"+l.HouseholdID)
				}
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].RegionCode + "|" + page[len(page)-1].HouseholdID
			}
			want := []string{village1 + "/h3", village1 + "/h8", village2 + "/h7"}
			if !slices.Equal(got, want) {
				t.Fatalf("pages %v, want %v", got, want)
			}
		})
	})
}
