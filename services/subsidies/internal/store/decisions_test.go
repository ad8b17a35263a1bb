package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"google.golang.org/protobuf/proto"
)

// feedStore opens a fresh database of dialect d and returns the store with its feed.
func feedStore(t testing.TB, d sqldb.Dialect) (*store.Store, *outbox.Feed, *sqldb.DB) {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	feed := outbox.New(db, nil)
	return store.New(db, feed), feed, db
}

// changesAfter lists the feed's changes after seq.
func changesAfter(t *testing.T, f *outbox.Feed, seq int64) []*commonv1.Change {
	t.Helper()
	cs, err := f.List(t.Context(), outbox.Query{After: seq, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func lastSeq(t *testing.T, f *outbox.Feed) int64 {
	cs := changesAfter(t, f, 0)
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].GetSequence()
}

// oneChange checks that exactly one change of topic about resource was published after seq and returns
// its payload.
func oneChange[M any, P interface {
	*M
	proto.Message
}](t *testing.T, f *outbox.Feed, seq int64, topic, resource string) P {
	t.Helper()
	cs := changesAfter(t, f, seq)
	if len(cs) != 1 || cs[0].GetTopic() != topic || cs[0].GetResource() != resource {
		var got []string
		for _, c := range cs {
			got = append(got, c.GetTopic()+" "+c.GetResource())
		}
		t.Fatalf("changes after %d: %v, want one %s of %s", seq, got, topic, resource)
	}
	m := P(new(M))
	if err := cs[0].GetPayload().UnmarshalTo(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecisionFeedStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s, feed, _ := feedStore(t, d)
		ctx := t.Context()
		t.Run("a new coverage publishes dibao.coverage_started in its transaction", func(t *testing.T) {
			seq := lastSeq(t, feed)
			if err := s.CreateDibaoCoverage(ctx, coverage("c1", "h1", "990001001001", "2026-09-05")); err != nil {
				t.Fatal(err)
			}
			m := oneChange[subsidiesv1.DibaoCoverageDecision](t, feed, seq, domain.TopicDibaoCoverageStarted, "dibaoCoverages/c1")
			if m.GetHousehold() != "households/h1" || m.GetRegionCode() != "990001001001" || m.GetFromMonth() != "2026-01" ||
				m.GetLastMonth() != "" || len(m.GetPersons()) != 2 || m.GetPersons()[1].GetIdIndex() != "idx-h1-b" ||
				m.GetState() != subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_ACTIVE {
				t.Errorf("payload %v", m)
			}
		})
		t.Run("a refused coverage publishes nothing", func(t *testing.T) {
			seq := lastSeq(t, feed)
			if err := s.CreateDibaoCoverage(ctx, coverage("c1b", "h1", "990001001001", "2026-09-05")); err == nil {
				t.Fatal("a second open coverage was stored")
			}
			if cs := changesAfter(t, feed, seq); len(cs) != 0 {
				t.Errorf("published %v", cs)
			}
		})
		t.Run("an amount alone publishes nothing; a member's end publishes coverage_changed", func(t *testing.T) {
			seq := lastSeq(t, feed)
			if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
				c.AmountFen, c.NextReviewDate = 1, "2027-01-01"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if cs := changesAfter(t, feed, seq); len(cs) != 0 {
				t.Fatalf("an amount published %v", cs)
			}
			m := func() *subsidiesv1.DibaoCoverageDecision {
				if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
					c.Members[1].ToMonth, c.Members[1].EndReason = "2026-04", "死亡"
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return oneChange[subsidiesv1.DibaoCoverageDecision](t, feed, seq, domain.TopicDibaoCoverageChanged, "dibaoCoverages/c1")
			}()
			if p := m.GetPersons()[1]; p.GetToMonth() != "2026-04" || p.GetEndReason() != "死亡" {
				t.Errorf("departed person %v", p)
			}
		})
		t.Run("a refused update publishes nothing", func(t *testing.T) {
			seq := lastSeq(t, feed)
			refusal := errors.New("refused")
			if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
				c.State, c.EndMonth = domain.CoverageEnded, "2026-05"
				return refusal
			}); !errors.Is(err, refusal) {
				t.Fatal(err)
			}
			if cs := changesAfter(t, feed, seq); len(cs) != 0 {
				t.Errorf("published %v", cs)
			}
		})
		t.Run("a 渐退期 publishes coverage_ended with its last month; its run-out end publishes nothing more", func(t *testing.T) {
			seq := lastSeq(t, feed)
			if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
				c.State, c.TaperLastMonth = domain.CoverageTaper, "2026-10"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			m := oneChange[subsidiesv1.DibaoCoverageDecision](t, feed, seq, domain.TopicDibaoCoverageEnded, "dibaoCoverages/c1")
			if m.GetLastMonth() != "2026-10" || m.GetState() != subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_TAPER {
				t.Errorf("taper payload %v", m)
			}
			seq = lastSeq(t, feed)
			if _, err := s.UpdateDibaoCoverage(ctx, "c1", func(c *domain.DibaoCoverage) error {
				c.ApplyTaperEnd("2026-11")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if cs := changesAfter(t, feed, seq); len(cs) != 0 {
				t.Errorf("the run-out end published %v", cs)
			}
		})
		t.Run("certificates: valid when registered, revoked when revoked or moved, nothing when refused", func(t *testing.T) {
			seq := lastSeq(t, feed)
			c := &domain.Certificate{ID: "k1", NumberCipher: []byte{1}, NumberMasked: "m", IDIndex: "idx-p1", PersonID: "p1",
				HouseholdID: "h1", RegionCode: "990001001001", Category: 4, Grade: 2, Status: domain.CertificateValid,
				IssueDate: "2025-01-02", StatusDate: "2025-01-02", Version: 1, CreateTime: storeTime, UpdateTime: storeTime}
			if err := s.CreateCertificate(ctx, c); err != nil {
				t.Fatal(err)
			}
			m := oneChange[subsidiesv1.CertificateDecision](t, feed, seq, domain.TopicCertificateValid, "certificates/k1")
			if m.GetIdIndex() != "idx-p1" || m.GetGrade() != 2 || m.GetCategory() != subsidiesv1.DisabilityCategory_DISABILITY_CATEGORY_PHYSICAL ||
				m.GetIssueDate() != "2025-01-02" {
				t.Errorf("valid payload %v", m)
			}
			seq = lastSeq(t, feed)
			dup := *c
			dup.ID = "k2"
			if err := s.CreateCertificate(ctx, &dup); !errors.Is(err, domain.ErrCertificateExists) {
				t.Fatalf("second valid certificate: %v", err)
			}
			if _, err := s.UpdateCertificate(ctx, "k1", func(c *domain.Certificate) error {
				c.RegionCode = "990001001002"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if cs := changesAfter(t, feed, seq); len(cs) != 0 {
				t.Fatalf("a refused certificate or a region published %v", cs)
			}
			if _, err := s.UpdateCertificate(ctx, "k1", func(c *domain.Certificate) error {
				c.Status, c.StatusDate, c.Reason = domain.CertificateMoved, "2026-02-01", "迁往外县"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			m = oneChange[subsidiesv1.CertificateDecision](t, feed, seq, domain.TopicCertificateRevoked, "certificates/k1")
			if m.GetStatus() != subsidiesv1.CertificateStatus_CERTIFICATE_STATUS_MOVED || m.GetStatusDate() != "2026-02-01" {
				t.Errorf("revoked payload %v", m)
			}
		})
	})
}

// destituteCase stores a 特困 case's application step as the workflow engine does, and its entitlement.
func destituteCase(t *testing.T, db *sqldb.DB, s *store.Store, id, person, from, to string) {
	t.Helper()
	ctx := t.Context()
	err := db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.Exec(ctx, `INSERT INTO fupin_cases (id, kind, subject, region_code, state, round, version, created_us, updated_us)
			VALUES ($1, 'destitute', $2, '990001001001', 2, 1, 1, 0, 0)`, id, "persons/"+person); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, `INSERT INTO fupin_case_steps (case_id, seq, step, round, actor, occurred_at, recorded_us, data)
			VALUES ($1, 1, 'application', 1, 'u', '2026-01-05', 0, $2)`, id,
			fmt.Sprintf(`{"household_id":"h-%s","person_id":%q,"id_index":"idx-%s","birth_date":"1950-01-01"}`, person, person, person)); err != nil {
			return err
		}
		return s.GrantEntitlement(ctx, &domain.Entitlement{ID: "e-" + id, Program: domain.ProgramDestitute, Beneficiary: "persons/" + person,
			HouseholdID: "h-" + person, PersonID: person, RegionCode: "990001001001", Source: domain.DestituteSource(id), FromMonth: from,
			ToMonth: to, AmountFen: 100, Covered: 1, CreateTime: storeTime, UpdateTime: storeTime})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExportDecisions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s, feed, db := feedStore(t, d)
		ctx := t.Context()
		for i := range 5 {
			region := "990001001001"
			if i == 4 {
				region = "990001002001"
			}
			c := coverage(fmt.Sprintf("c%d", i), fmt.Sprintf("h%d", i), region, "2026-09-05")
			if i == 3 {
				c.State, c.EndMonth, c.EndReason = domain.CoverageEnded, "2025-12", "复核停保"
			}
			if err := s.CreateDibaoCoverage(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		destituteCase(t, db, s, "d1", "p1", "2026-01", "")
		destituteCase(t, db, s, "d2", "p2", "2025-01", "2025-06")
		if err := s.CreateCertificate(ctx, &domain.Certificate{ID: "k1", NumberCipher: []byte{1}, NumberMasked: "m", IDIndex: "idx-p1",
			PersonID: "p1", HouseholdID: "h-p1", RegionCode: "990001001001", Category: 1, Grade: 1, Status: domain.CertificateValid,
			IssueDate: "2025-01-02", StatusDate: "2025-01-02", Version: 1, CreateTime: storeTime, UpdateTime: storeTime}); err != nil {
			t.Fatal(err)
		}
		export := func(t *testing.T, q domain.DecisionExportQuery) (int64, []domain.DecisionBatch) {
			t.Helper()
			var pos int64 = -1
			var out []domain.DecisionBatch
			err := s.ExportDecisions(ctx, q, func(p int64, b domain.DecisionBatch) error {
				if pos != -1 && p != pos {
					t.Errorf("position %d then %d", pos, p)
				}
				pos = p
				out = append(out, b)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return pos, out
		}
		all := []domain.DecisionKind{domain.DecisionDibaoCoverage, domain.DecisionDestituteSupport, domain.DecisionCertificate}
		t.Run("every kind in batches, ended ones included, at the feed's position", func(t *testing.T) {
			pos, bs := export(t, domain.DecisionExportQuery{Kinds: all, BatchSize: 2})
			if want := lastSeq(t, feed); pos != want {
				t.Errorf("position %d, want %d", pos, want)
			}
			var sizes []string
			for _, b := range bs {
				sizes = append(sizes, fmt.Sprintf("%d/%d/%d", len(b.Coverages), len(b.Destitute), len(b.Certificates)))
			}
			if fmt.Sprint(sizes) != "[2/0/0 2/0/0 1/0/0 0/2/0 0/0/1]" {
				t.Errorf("batches %v", sizes)
			}
			if c := bs[0].Coverages[1]; c.ID != "c1" || len(c.Members) != 2 {
				t.Errorf("second coverage %+v", c)
			}
			d1 := bs[3].Destitute[0]
			if d1.CaseID != "d1" || d1.IDIndex != "idx-p1" || d1.FromMonth != "2026-01" || d1.ToMonth != "" || d1.HouseholdID != "h-p1" {
				t.Errorf("support %+v", d1)
			}
			if d2 := bs[3].Destitute[1]; d2.ToMonth != "2025-06" {
				t.Errorf("ended support %+v", d2)
			}
		})
		t.Run("ended_before leaves out what ended before the month; the scope narrows", func(t *testing.T) {
			_, bs := export(t, domain.DecisionExportQuery{Kinds: all, BatchSize: 100, EndedBefore: "2026-01", Scope: "990001001"})
			if len(bs) != 3 || len(bs[0].Coverages) != 3 || len(bs[1].Destitute) != 1 || len(bs[2].Certificates) != 1 {
				t.Fatalf("batches %+v", bs)
			}
		})
		t.Run("nothing to export still sends the position once", func(t *testing.T) {
			pos, bs := export(t, domain.DecisionExportQuery{Kinds: all, BatchSize: 100, Scope: "none"})
			if len(bs) != 1 || bs[0].Len() != 0 || pos != lastSeq(t, feed) {
				t.Fatalf("batches %+v at %d", bs, pos)
			}
		})
		t.Run("a coverage written before the feed carried decisions (no change of its own) is in the export", func(t *testing.T) {
			// As in a `make run` directory from before this change: the row is in the table, not on the feed.
			before := lastSeq(t, feed)
			if _, err := db.Exec(ctx, `INSERT INTO dibao_coverages (id, household_id, beneficiary, region_code, urban, state, amount_fen,
				from_month, income, household_size, irregular_income, frequent_review, version, created_us, updated_us)
				VALUES ('b-old', 'h-old', 'households/h-old', '990001001001', false, 1, 100, '2024-01', '[]', 1, false, false, 1, 0, 0)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO dibao_members (coverage_id, person_id, id_index, birth_date, severely_disabled,
				seriously_ill, can_work, from_month) VALUES ('b-old', 'p-old', 'idx-old', '1960-01-01', false, false, false, '2024-01')`); err != nil {
				t.Fatal(err)
			}
			pos, bs := export(t, domain.DecisionExportQuery{Kinds: all[:1], BatchSize: 100})
			if pos != before || len(bs) != 1 || bs[0].Coverages[0].ID != "b-old" || len(bs[0].Coverages[0].Members) != 1 ||
				bs[0].Coverages[0].Members[0].IDIndex != "idx-old" {
				t.Fatalf("export at %d: %+v", pos, bs)
			}
		})
		t.Run("a decision published during the export is after its position, not in it", func(t *testing.T) {
			before := lastSeq(t, feed)
			var pos int64
			var ids []string
			first := true
			err := s.ExportDecisions(ctx, domain.DecisionExportQuery{Kinds: all[:1], BatchSize: 2}, func(p int64, b domain.DecisionBatch) error {
				pos = p
				for _, c := range b.Coverages {
					ids = append(ids, c.ID)
				}
				if first {
					first = false
					// Another writer commits while the export is half way: a new coverage sorting last.
					return s.CreateDibaoCoverage(context.WithoutCancel(ctx), coverage("c9", "h9", "990001001001", "2026-09-05"))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if pos != before || fmt.Sprint(ids) != "[b-old c0 c1 c2 c3 c4]" {
				t.Errorf("position %d (before %d), exported %v", pos, before, ids)
			}
			cs := changesAfter(t, feed, pos)
			if len(cs) != 1 || cs[0].GetResource() != "dibaoCoverages/c9" {
				t.Errorf("feed after the position: %v", cs)
			}
		})
	})
}
