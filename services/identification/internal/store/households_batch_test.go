package store_test

import (
	"fmt"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestGetHouseholdsContract(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		for _, h := range []*domain.Household{
			household("b1", "990001002001", "", member(domain.RelationHead, "b1h"), member(domain.RelationSpouse, "b1s"),
				member(domain.RelationSon, "b1c")),
			household("b2", "990001001001", "N-b2", member(domain.RelationHead, "b2h")),
			household("b3", "990001002001", "", member(domain.RelationHead, "b3h"), member(domain.RelationDaughter, "b3d")),
		} {
			if err := s.CreateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("households with their members, missing ones absent", func(t *testing.T) {
			got, err := s.GetHouseholds(ctx, []string{"b3", "nope", "b1", "b3"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["b1"] == nil || got["b3"] == nil || got["b2"] != nil {
				t.Fatalf("got %v", got)
			}
			b1 := got["b1"]
			if b1.RegionCode != "990001002001" || b1.Version != 1 || b1.Size() != 3 || len(b1.Members) != 3 {
				t.Errorf("b1 %+v", b1)
			}
			if b1.Members[0].Relation != domain.RelationHead || b1.Members[0].FullName != "测试b1h" ||
				b1.Members[2].IDIndex != "b1c" || string(b1.Members[1].IDCipher) != "sealed-b1s" {
				t.Errorf("b1 members in order %+v", b1.Members)
			}
			if len(b1.History) != 0 {
				t.Errorf("history loaded: %+v", b1.History)
			}
			if len(got["b3"].Members) != 2 || got["b3"].Members[1].IDIndex != "b3d" {
				t.Errorf("b3 members %+v", got["b3"].Members)
			}
		})

		t.Run("the same household as GetHousehold, history apart", func(t *testing.T) {
			batch, err := s.GetHouseholds(ctx, []string{"b2"})
			if err != nil {
				t.Fatal(err)
			}
			one, err := s.GetHousehold(ctx, "b2")
			if err != nil {
				t.Fatal(err)
			}
			b := batch["b2"]
			if b == nil || b.Number != one.Number || b.Urban != one.Urban || b.Etag() != one.Etag() ||
				!b.UpdateTime.Equal(one.UpdateTime) || len(b.Members) != len(one.Members) || b.Members[0].PersonID != one.Members[0].PersonID {
				t.Errorf("batch %+v, get %+v", b, one)
			}
		})

		t.Run("none asked, none found", func(t *testing.T) {
			for _, ids := range [][]string{nil, {"x", "y"}} {
				got, err := s.GetHouseholds(ctx, ids)
				if err != nil || len(got) != 0 {
					t.Errorf("%v: %v %v", ids, got, err)
				}
			}
		})

		t.Run("a thousand at once", func(t *testing.T) {
			ids := make([]string, 1000)
			for i := range ids {
				ids[i] = fmt.Sprintf("absent-%d", i)
			}
			ids[0], ids[999] = "b2", "b1"
			got, err := s.GetHouseholds(ctx, ids)
			if err != nil || len(got) != 2 || got["b1"].Size() != 3 {
				t.Errorf("got %v %v", got, err)
			}
		})
	})
}
