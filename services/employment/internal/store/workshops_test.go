package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var storeNow = time.Date(2026, 7, 10, 1, 0, 0, 0, time.UTC)

func workshop(id, code, region string) *domain.Workshop {
	return &domain.Workshop{ID: id, Name: "车间 " + id, CreditCode: code, RegionCode: region, Address: "一组",
		Kind: domain.WorkshopKindFactory, State: domain.WorkshopStateRegistered, RegisteredOn: "2026-01-05", Version: 1,
		CreateTime: storeNow, UpdateTime: storeNow}
}

func isKind(err error, kind apperr.Kind) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == kind
}

func TestWorkshopStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		s := newStore(t, sqldbtest.Open(t, d))
		for _, w := range []*domain.Workshop{workshop("w1", "CODE1", "420602001002"), workshop("w2", "CODE2", "420602001003"),
			workshop("w3", "CODE3", "420602002001")} {
			if err := s.CreateWorkshop(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateWorkshop(ctx, workshop("w4", "CODE1", "420602001002")); !isKind(err, apperr.KindAlreadyExists) {
			t.Fatalf("duplicate credit code: %v", err)
		}
		if _, err := s.GetWorkshop(ctx, "nope"); !isKind(err, apperr.KindNotFound) {
			t.Fatalf("missing workshop: %v", err)
		}
		r := &domain.WorkshopRecognition{Month: "2026-03", PoorWorkers: []string{"a", "b"}, Workers: 3, Min: 2, Eligible: true,
			Date: "2026-03-05", Policy: policy.Value{Parameter: "p", Hash: "h"}}
		if err := s.SetWorkshopRecognition(ctx, "w1", r, storeNow.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		w, err := s.GetWorkshop(ctx, "w1")
		if err != nil || w.State != domain.WorkshopStateRecognised || w.Version != 2 || w.Recognition == nil ||
			len(w.Recognition.PoorWorkers) != 2 || w.Recognition.Policy.Hash != "h" || !w.UpdateTime.Equal(storeNow.Add(time.Hour)) {
			t.Fatalf("recognised %+v %v", w, err)
		}

		// Pages in id order, by scope and state.
		page, next, err := s.ListWorkshops(ctx, "420602001", domain.WorkshopQuery{Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != "w1" || next != "w1" {
			t.Fatalf("page 1: %v %q %v", page, next, err)
		}
		page, next, err = s.ListWorkshops(ctx, "420602001", domain.WorkshopQuery{Limit: 1, After: next})
		if err != nil || len(page) != 1 || page[0].ID != "w2" {
			t.Fatalf("page 2: %v %q %v", page, next, err)
		}
		if page, _, _ = s.ListWorkshops(ctx, "", domain.WorkshopQuery{State: domain.WorkshopStateRecognised}); len(page) != 1 {
			t.Fatalf("recognised: %d", len(page))
		}
		if page, _, _ = s.ListWorkshops(ctx, "", domain.WorkshopQuery{}); len(page) != 3 {
			t.Fatalf("county: %d", len(page))
		}

		ins := &domain.WorkshopInsurance{ID: "i1", WorkshopID: "w1", PolicyNumber: "P1", Insurer: "人保", FromMonth: "2026-01",
			ToMonth: "2026-06", PremiumFen: 1500, PersonIDs: []string{"a", "b"}, Policy: policy.Value{Hash: "m"}, RecordedBy: "u", CreateTime: storeNow}
		if err := s.AddWorkshopInsurance(ctx, ins); err != nil {
			t.Fatal(err)
		}
		got, err := s.WorkshopInsurances(ctx, "w1")
		if err != nil || len(got) != 1 || len(got[0].PersonIDs) != 2 || got[0].Policy.Hash != "m" || got[0].PremiumFen != 1500 {
			t.Fatalf("insurances %+v %v", got, err)
		}
		if got, _ := s.WorkshopInsurances(ctx, "w2"); len(got) != 0 {
			t.Fatalf("w2 insurances %+v", got)
		}

		reward := &domain.WorkshopReward{ID: "r1", WorkshopID: "w1", PersonID: "a", HouseholdID: "h", Month: "2026-06",
			StableFrom: "2026-01", StableTo: "2026-06", AmountFen: 200000, EntitlementID: "e1",
			Policy: []policy.Value{{Hash: "x"}, {Hash: "y"}}, RecordedBy: "u", CreateTime: storeNow}
		if err := s.AddWorkshopReward(ctx, reward); err != nil {
			t.Fatal(err)
		}
		again := *reward
		again.ID = "r2"
		if err := s.AddWorkshopReward(ctx, &again); !isKind(err, apperr.KindAlreadyExists) {
			t.Fatalf("second reward for a worker: %v", err)
		}
		rs, err := s.WorkshopRewards(ctx, "w1")
		if err != nil || len(rs) != 1 || rs[0].AmountFen != 200000 || len(rs[0].Policy) != 2 || rs[0].StableTo != "2026-06" {
			t.Fatalf("rewards %+v %v", rs, err)
		}

		// A half-done reward batch writes nothing: the transaction rolls back.
		boom := errors.New("boom")
		err = s.InTx(ctx, func(ctx context.Context) error {
			r := *reward
			r.ID, r.PersonID = "r3", "b"
			if err := s.AddWorkshopReward(ctx, &r); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if rs, _ := s.WorkshopRewards(ctx, "w1"); len(rs) != 1 {
			t.Fatalf("rolled back reward kept: %d", len(rs))
		}
	})
}

func TestSubsidyKeys(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		s := newStore(t, sqldbtest.Open(t, d))
		if h, err := s.SubsidyKeyHolder(ctx, "transport_subsidy/p/2026"); err != nil || h != "" {
			t.Fatalf("holder %q %v", h, err)
		}
		if err := s.ClaimSubsidyKey(ctx, "transport_subsidy/p/2026", "c1", storeNow); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimSubsidyKey(ctx, "transport_subsidy/p/2026", "c2", storeNow); !isKind(err, apperr.KindAlreadyExists) {
			t.Fatalf("second claim: %v", err)
		}
		if h, err := s.SubsidyKeyHolder(ctx, "transport_subsidy/p/2026"); err != nil || h != "c1" {
			t.Fatalf("holder %q %v", h, err)
		}
		if err := s.ClaimSubsidyKey(ctx, "transport_subsidy/p/2027", "c3", storeNow); err != nil {
			t.Fatal(err)
		}
	})
}
