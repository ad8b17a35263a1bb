package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// The contract suite: every test runs on SQLite and on PostgreSQL.

func newStore(t *testing.T, d sqldb.Dialect) *store.Store {
	t.Helper()
	db := sqldbtest.Open(t, d)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	s := store.New(db, outbox.New(db, nil))
	regions := []*domain.Region{
		{Code: "990001000000", Name: "示范县", Level: domain.LevelCounty},
		{Code: "990001001000", Name: "城关镇", Level: domain.LevelTownship, Parent: "990001000000"},
		{Code: "990001001001", Name: "东街社区", Level: domain.LevelVillage, Urban: true, Parent: "990001001000",
			Populations: []domain.Population{{Year: 2024, Residents: 1200}, {Year: 2025, Residents: 1210}}},
		{Code: "990001002000", Name: "青山乡", Level: domain.LevelTownship, Parent: "990001000000"},
		{Code: "990001002001", Name: "红桥村", Level: domain.LevelVillage, Parent: "990001002000"},
	}
	if err := s.UpsertRegions(ctx, regions); err != nil {
		t.Fatal(err)
	}
	return s
}

var seq int

func member(rel domain.Relation, index string) domain.Member {
	seq++
	return domain.Member{
		PersonID: fmt.Sprintf("p-%s-%d", index, seq),
		Person: domain.Person{FullName: "测试" + index, IDCipher: []byte("sealed-" + index), IDIndex: index,
			IDMasked: "9900**********0001", Sex: domain.SexMale, BirthDate: "1980-01-01", Ethnicity: "01"},
		Relation: rel, State: domain.MemberActive, StartDate: "2024-01-01",
	}
}

func household(id, region, number string, members ...domain.Member) *domain.Household {
	now := time.UnixMicro(time.Now().UnixMicro())
	return &domain.Household{ID: id, RegionCode: region, Number: number, State: domain.HouseholdActive, Version: 1,
		CreateTime: now, UpdateTime: now, Members: members,
		Status:  domain.Status{Registry: domain.RegistryPoor, RegistryDate: "2024-01-01"},
		History: []domain.StatusChange{{EffectiveDate: "2024-01-01", Registry: domain.RegistryPoor, Reason: "登记", Actor: "t", RecordTime: now}}}
}

func TestStoreContract(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Run("create and get round trip", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			h := household("h1", "990001002001", "N-1", member(domain.RelationHead, "a"), member(domain.RelationSpouse, "b"))
			if err := s.CreateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetHousehold(ctx, "h1")
			if err != nil {
				t.Fatal(err)
			}
			if got.RegionCode != "990001002001" || got.Number != "N-1" || got.Version != 1 || got.Size() != 2 {
				t.Errorf("got %+v", got)
			}
			if got.Members[0].Relation != domain.RelationHead || got.Members[1].IDIndex != "b" ||
				string(got.Members[1].IDCipher) != "sealed-b" || got.Members[0].FullName != "测试a" {
				t.Errorf("members %+v", got.Members)
			}
			if len(got.History) != 1 || got.History[0].Registry != domain.RegistryPoor || !got.History[0].RecordTime.Equal(h.History[0].RecordTime) {
				t.Errorf("history %+v", got.History)
			}
			if !got.CreateTime.Equal(h.CreateTime) {
				t.Errorf("create time %v, want %v", got.CreateTime, h.CreateTime)
			}
		})
		t.Run("missing household is not found", func(t *testing.T) {
			s := newStore(t, d)
			if _, err := s.GetHousehold(t.Context(), "nope"); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("err = %v", err)
			}
		})
		t.Run("a person is current in one active household only", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "a"))); err != nil {
				t.Fatal(err)
			}
			err := s.CreateHousehold(ctx, household("h2", "990001002001", "", member(domain.RelationHead, "c"), member(domain.RelationSon, "a")))
			if !errors.Is(err, domain.ErrPersonTaken) {
				t.Fatalf("err = %v, want ErrPersonTaken", err)
			}
			e, _ := apperr.As(err)
			if len(e.Fields) != 1 || e.Fields[0].Field != "household.members[1].id_number" {
				t.Errorf("fields %+v", e.Fields)
			}
			// Nothing of the refused household was written.
			if _, err := s.GetHousehold(ctx, "h2"); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("h2 was written: %v", err)
			}
			if _, err := s.HouseholdOfPerson(ctx, "c"); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("person c was written: %v", err)
			}
		})
		t.Run("archiving frees members and keeps person ids", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "a"))); err != nil {
				t.Fatal(err)
			}
			first, _ := s.GetHousehold(ctx, "h1")
			if _, err := s.UpdateHousehold(ctx, "h1", func(h *domain.Household) error {
				h.State = domain.HouseholdArchived
				h.ArchiveReason = "合户"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			h2 := household("h2", "990001001001", "", member(domain.RelationHead, "a"))
			if err := s.CreateHousehold(ctx, h2); err != nil {
				t.Fatalf("person not freed by archive: %v", err)
			}
			if h2.Members[0].PersonID != first.Members[0].PersonID {
				t.Errorf("person id changed: %s → %s", first.Members[0].PersonID, h2.Members[0].PersonID)
			}
			got, err := s.HouseholdOfPerson(ctx, "a")
			if err != nil || got.ID != "h2" {
				t.Errorf("HouseholdOfPerson = %v, %v", got, err)
			}
		})
		t.Run("household numbers are unique", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			if err := s.CreateHousehold(ctx, household("h1", "990001002001", "N-1", member(domain.RelationHead, "a"))); err != nil {
				t.Fatal(err)
			}
			err := s.CreateHousehold(ctx, household("h2", "990001002001", "N-1", member(domain.RelationHead, "b")))
			if !errors.Is(err, domain.ErrNumberTaken) {
				t.Errorf("err = %v", err)
			}
			// Empty numbers never collide.
			if err := s.CreateHousehold(ctx, household("h3", "990001002001", "", member(domain.RelationHead, "c"))); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateHousehold(ctx, household("h4", "990001002001", "", member(domain.RelationHead, "d"))); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("update applies the change, adds members and history, bumps the version", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "a"), member(domain.RelationSpouse, "b"))); err != nil {
				t.Fatal(err)
			}
			_, err := s.UpdateHousehold(ctx, "h1", func(h *domain.Household) error {
				h.Address = "红桥村3组"
				h.Members[1].State, h.Members[1].EndDate = domain.MemberDeceased, "2025-05-01"
				h.Members = append(h.Members, member(domain.RelationDaughter, "c"))
				h.History = append(h.History, domain.StatusChange{EffectiveDate: "2025-06-01", Registry: domain.RegistryExited,
					Reason: "脱贫", Actor: "t", RecordTime: time.Now()})
				h.Status.Registry = domain.RegistryExited
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.GetHousehold(ctx, "h1")
			if got.Version != 2 || got.Address != "红桥村3组" || got.Size() != 2 || len(got.Members) != 3 ||
				got.Members[1].State != domain.MemberDeceased || got.Members[1].EndDate != "2025-05-01" ||
				len(got.History) != 2 || got.Status.Registry != domain.RegistryExited {
				t.Errorf("after update: %+v", got)
			}
			// The deceased member no longer holds the person.
			if err := s.CreateHousehold(ctx, household("h2", "990001002001", "", member(domain.RelationHead, "x"), member(domain.RelationSon, "b"))); err != nil {
				t.Errorf("deceased member still held: %v", err)
			}
		})
		t.Run("an error inside the update writes nothing", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			if err := s.CreateHousehold(ctx, household("h1", "990001002001", "", member(domain.RelationHead, "a"))); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			_, err := s.UpdateHousehold(ctx, "h1", func(h *domain.Household) error {
				h.Address = "changed"
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			got, _ := s.GetHousehold(ctx, "h1")
			if got.Address != "" || got.Version != 1 {
				t.Errorf("partial write: %+v", got)
			}
		})
		t.Run("list pages by id within scope and filter", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			for i := range 5 {
				region := "990001002001"
				if i%2 == 1 {
					region = "990001001001"
				}
				h := household(fmt.Sprintf("h%d", i), region, "", member(domain.RelationHead, fmt.Sprintf("x%d", i)))
				if i == 4 {
					h.Status.Registry = domain.RegistryOrdinary
				}
				if err := s.CreateHousehold(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			var ids []string
			after := ""
			for {
				page, next, err := s.ListHouseholds(ctx, domain.ListQuery{After: after, Limit: 2})
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range page {
					ids = append(ids, h.ID)
					if len(h.Members) != 1 {
						t.Errorf("%s has %d members loaded", h.ID, len(h.Members))
					}
				}
				if next == "" {
					break
				}
				after = next
			}
			if fmt.Sprint(ids) != "[h0 h1 h2 h3 h4]" {
				t.Errorf("pages gave %v", ids)
			}
			scoped, _, err := s.ListHouseholds(ctx, domain.ListQuery{Scope: "990001001", Limit: 10})
			if err != nil || len(scoped) != 2 {
				t.Errorf("scoped list: %d, %v", len(scoped), err)
			}
			poor, _, err := s.ListHouseholds(ctx, domain.ListQuery{Filter: `registry_status = REGISTRY_STATUS_POOR AND region_code:"990001002"`, Limit: 10})
			if err != nil || len(poor) != 2 {
				t.Errorf("filtered list: %d, %v", len(poor), err)
			}
			if _, _, err := s.ListHouseholds(ctx, domain.ListQuery{Filter: `id_number = "1"`, Limit: 10}); err == nil {
				t.Error("filter on an undeclared field was accepted")
			}
		})
		t.Run("regions", func(t *testing.T) {
			s := newStore(t, d)
			ctx := t.Context()
			r, err := s.Region(ctx, "990001001001")
			if err != nil || !r.Urban || r.Level != domain.LevelVillage || len(r.Populations) != 2 || r.Populations[1].Residents != 1210 {
				t.Errorf("region %+v, %v", r, err)
			}
			kids, err := s.ListRegions(ctx, "990001000000", "", 10)
			if err != nil || len(kids) != 2 || kids[0].Code != "990001001000" {
				t.Errorf("children %v, %v", kids, err)
			}
			if _, err := s.Region(ctx, "990001009009"); !errors.Is(err, domain.ErrRegionNotFound) {
				t.Errorf("err = %v", err)
			}
		})
	})
}
