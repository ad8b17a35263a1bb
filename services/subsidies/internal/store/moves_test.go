package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
)

// moveCases is a workflow engine over the store's database with this service's kinds of case, reduced to
// an application and a decision (the move only looks at the application and the case's state).
func moveCases(t *testing.T, s *store.Store, now func() time.Time) *workflow.Engine {
	t.Helper()
	n := 0
	e := workflow.New(s.DB(), workflow.Options{Now: now, NewID: func() string { n++; return fmt.Sprintf("k%02d", n) }})
	for _, kind := range []string{domain.KindDibao, domain.KindDestitute, domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyKindCare} {
		if err := e.Register(workflow.Definition{Kind: kind, OnePerSubject: true, Steps: []workflow.StepDef{
			{Name: "application"}, {Name: "decision"}}}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func TestMoveHouseholdRecords(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		const oldVillage, newVillage, otherVillage = "990001001001", "990001002003", "990001001002"
		now := storeTime
		clock := func() time.Time { return now }
		engine := moveCases(t, s, clock)

		// Certificates: a member's valid one moves; a revoked one and another household's stay.
		cert := func(id, person, household string, status domain.CertificateStatus) *domain.Certificate {
			return &domain.Certificate{ID: id, NumberCipher: []byte{1}, NumberMasked: "masked", IDIndex: "idx-" + person,
				PersonID: person, HouseholdID: household, RegionCode: map[bool]string{true: oldVillage, false: otherVillage}[household == "h1"],
				Category: 4, Grade: 1, Status: status, IssueDate: "2024-05-01", StatusDate: "2025-01-01", Version: 1,
				CreateTime: storeTime, UpdateTime: storeTime}
		}
		for _, c := range []*domain.Certificate{cert("cert-valid", "h1-a", "h1", domain.CertificateValid),
			cert("cert-revoked", "h1-b", "h1", domain.CertificateRevoked), cert("cert-other", "h2-a", "h2", domain.CertificateValid)} {
			if err := s.CreateCertificate(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// Coverages: the active one and a 单人保 in a 渐退期 paying into the month of the move move; an ended
		// one, a 渐退期 over before the move and another household's stay.
		covActive := coverage("cov-active", "h1", oldVillage, "2026-09-01")
		covEnded := coverage("cov-ended", "h1", oldVillage, "")
		covEnded.State, covEnded.EndMonth, covEnded.EndReason = domain.CoverageEnded, "2025-12", "复核停保"
		covTaper := coverage("cov-taper", "h1", oldVillage, "")
		covTaper.PersonID, covTaper.State, covTaper.TaperLastMonth = "h1-c", domain.CoverageTaper, "2026-03"
		covTaperOver := coverage("cov-taper-over", "h1", oldVillage, "")
		covTaperOver.PersonID, covTaperOver.State, covTaperOver.TaperLastMonth = "h1-d", domain.CoverageTaper, "2026-02"
		covOther := coverage("cov-other", "h2", otherVillage, "2026-09-01")
		for _, c := range []*domain.DibaoCoverage{covActive, covEnded, covTaper, covTaperOver, covOther} {
			if err := s.CreateDibaoCoverage(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// Entitlements: those paying in the month of the move (2026-03) or later move.
		grant := func(id, household, region, from, to string) {
			if err := s.GrantEntitlement(ctx, &domain.Entitlement{ID: id, Program: domain.ProgramDibao, Beneficiary: "households/" + household,
				HouseholdID: household, RegionCode: region, Source: "dibaoCases/" + id, FromMonth: from, ToMonth: to,
				AmountFen: 100_000, Covered: 2, CreateTime: storeTime, UpdateTime: storeTime}); err != nil {
				t.Fatal(err)
			}
		}
		grant("e-open", "h1", oldVillage, "2026-01", "")
		grant("e-march", "h1", oldVillage, "2025-06", "2026-03")
		grant("e-feb", "h1", oldVillage, "2025-06", "2026-02")
		grant("e-other", "h2", otherVillage, "2026-01", "")
		// Cases: the household's 低保 case, a member's 特困 case (found by its application), a member's closed
		// case and another household's case.
		open := func(kind, subject, household, region string) *workflow.Case {
			data, _ := json.Marshal(map[string]string{"household_id": household, "person_id": "x"})
			k, err := engine.Open(ctx, workflow.Caller{Actor: "t"}, workflow.NewCase{Kind: kind, Subject: subject, RegionCode: region,
				First: workflow.StepInput{Step: "application", Data: data}})
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		caseDibao := open(domain.KindDibao, "households/h1", "h1", oldVillage)
		caseDestitute := open(domain.KindDestitute, "persons/h1-e", "h1", oldVillage)
		caseClosed := open(domain.DisabilitySubsidyKindCare, "persons/h1-a", "h1", oldVillage)
		if _, err := engine.Withdraw(ctx, workflow.Caller{Actor: "t"}, caseClosed.ID, workflow.StepInput{Note: "撤回"}); err != nil {
			t.Fatal(err)
		}
		caseOther := open(domain.DisabilitySubsidyKindCare, "persons/h2-a", "h2", otherVillage)

		t.Run("the open cases of a household", func(t *testing.T) {
			ids, err := s.OpenCasesOfHousehold(ctx, "h1", []string{domain.KindDibao, domain.KindDestitute, domain.DisabilitySubsidyKindCare})
			if want := []string{caseDibao.ID, caseDestitute.ID}; err != nil || !slices.Equal(ids, want) {
				t.Errorf("got %v %v, want %v", ids, err, want)
			}
			if ids, err := s.OpenCasesOfHousehold(ctx, "h1", []string{domain.DisabilitySubsidyKindLiving}); err != nil || len(ids) != 0 {
				t.Errorf("of a kind it has none of: %v %v", ids, err)
			}
		})

		// A pending and a decided 临时救助 application; an open and a closed eligibility check.
		for id, state := range map[string]domain.AssistanceState{"ta-pending": domain.AssistancePending, "ta-refused": domain.AssistanceRefused} {
			if err := s.CreateTemporaryAssistance(ctx, &domain.TemporaryAssistance{ID: id, HouseholdID: "h1", RegionCode: oldVillage,
				Kind: domain.AssistanceEmergency, AmountFen: 100_000, Reason: "事由", ApplicationDate: "2026-02-20", CapFen: 600_000,
				State: state, CreatedBy: "u", Version: 1, CreateTime: storeTime, UpdateTime: storeTime}); err != nil {
				t.Fatal(err)
			}
		}
		for id, state := range map[string]domain.CheckState{"ck-open": domain.CheckOpen, "ck-closed": domain.CheckClosed} {
			if _, err := s.OpenEligibilityCheck(ctx, &domain.EligibilityCheck{ID: id, HouseholdID: "h1", RegionCode: oldVillage,
				Reason: domain.CheckReason(1), SourceSequence: map[string]int64{"ck-open": 1, "ck-closed": 2}[id],
				EffectiveDate: "2026-02-01", State: state, CreateTime: storeTime}); err != nil {
				t.Fatal(err)
			}
		}

		now = storeTime.Add(time.Hour)
		follower := domain.NewMoveFollower(s, engine, clock)
		move := domain.HouseholdChange{Sequence: 7, Topic: domain.TopicHouseholdMoved, HouseholdID: "h1", RegionCode: newVillage,
			EffectiveDate: "2026-03-05"}
		var moved domain.MovedRecords
		err := s.InTx(ctx, func(ctx context.Context) error {
			var err error
			moved, err = follower.Move(ctx, move)
			return err
		})
		if want := (domain.MovedRecords{Certificates: 1, Coverages: 2, Entitlements: 2, Cases: 2, Assistances: 1, Checks: 1}); err != nil || moved != want {
			t.Fatalf("moved %+v %v, want %+v", moved, err, want)
		}

		t.Run("current records take the new village, the rest keep theirs", func(t *testing.T) {
			for id, want := range map[string]string{"cert-valid": newVillage, "cert-revoked": oldVillage, "cert-other": otherVillage} {
				c, err := s.GetCertificate(ctx, id)
				if err != nil || c.RegionCode != want {
					t.Errorf("certificate %s: %v %v, want %s", id, c, err, want)
				}
				if id == "cert-valid" && (c.Version != 2 || !c.UpdateTime.Equal(now)) {
					t.Errorf("moved certificate version %d updated %v", c.Version, c.UpdateTime)
				}
			}
			for id, want := range map[string]string{"cov-active": newVillage, "cov-taper": newVillage, "cov-ended": oldVillage,
				"cov-taper-over": oldVillage, "cov-other": otherVillage} {
				c, err := s.GetDibaoCoverage(ctx, id)
				if err != nil || c.RegionCode != want {
					t.Errorf("coverage %s: %v %v, want %s", id, c, err, want)
				}
				if id == "cov-active" && (c.Version != 2 || len(c.Members) != 2) {
					t.Errorf("moved coverage version %d members %d", c.Version, len(c.Members))
				}
			}
			for _, h := range []string{"h1", "h2"} {
				es, err := s.EntitlementsOfHousehold(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					want := map[string]string{"e-open": newVillage, "e-march": newVillage, "e-feb": oldVillage, "e-other": otherVillage}[e.ID]
					if e.RegionCode != want {
						t.Errorf("entitlement %s in %s, want %s", e.ID, e.RegionCode, want)
					}
				}
			}
			for id, want := range map[string]string{"ta-pending": newVillage, "ta-refused": oldVillage} {
				a, err := s.GetTemporaryAssistance(ctx, id)
				if err != nil || a.RegionCode != want {
					t.Errorf("临时救助 %s: %v %v, want %s", id, a, err, want)
				}
			}
			for id, want := range map[string]string{"ck-open": newVillage, "ck-closed": oldVillage} {
				c, err := s.GetEligibilityCheck(ctx, id)
				if err != nil || c.RegionCode != want {
					t.Errorf("eligibility check %s: %v %v, want %s", id, c, err, want)
				}
			}
			for id, want := range map[string]string{caseDibao.ID: newVillage, caseDestitute.ID: newVillage, caseClosed.ID: oldVillage,
				caseOther.ID: otherVillage} {
				k, err := engine.Get(ctx, workflow.Caller{}, id)
				if err != nil || k.RegionCode != want {
					t.Errorf("case %s: %v %v, want %s", id, k, err, want)
				}
			}
		})
		t.Run("the same change again changes nothing more", func(t *testing.T) {
			now = storeTime.Add(2 * time.Hour)
			again, err := follower.Move(ctx, move)
			if err != nil || again != (domain.MovedRecords{}) {
				t.Fatalf("again: %+v %v", again, err)
			}
			c, _ := s.GetCertificate(ctx, "cert-valid")
			if c.Version != 2 {
				t.Errorf("certificate version %d after a repeat", c.Version)
			}
		})
		t.Run("other topics and bad moves", func(t *testing.T) {
			other := move
			other.Topic, other.RegionCode = "household.status_changed", otherVillage
			if got, err := follower.Move(ctx, other); err != nil || got != (domain.MovedRecords{}) {
				t.Errorf("a status change moved %+v %v", got, err)
			}
			bad := move
			bad.EffectiveDate = ""
			if _, err := follower.Move(ctx, bad); err == nil {
				t.Error("a move without a date was applied")
			}
		})
	})
}
