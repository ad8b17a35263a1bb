package identification_test

import (
	"fmt"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

func TestBatchGetHouseholdsAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		const method = "/fupin.identification.v1.HouseholdService/BatchGetHouseholds"
		// Households 1 and 3 in 青山乡 (990001002), household 2 in another township (990001003).
		var names []string
		for i, village := range []string{"990001002003", "990001003001", "990001002004"} {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 60+i))
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, created.GetName())
		}
		head := func(i int) string { return idNumber("19650304", (60+i)*2+1) }

		t.Run("in the order asked, masked, with members", func(t *testing.T) {
			asked := []string{names[2], names[0], names[1], names[0]}
			got, err := h.households.BatchGetHouseholds(h.as(t, "civil_affairs", "department_staff", ""),
				&identificationv1.BatchGetHouseholdsRequest{Names: asked})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.GetHouseholds()) != len(asked) {
				t.Fatalf("got %d households", len(got.GetHouseholds()))
			}
			for i, hh := range got.GetHouseholds() {
				if hh.GetName() != asked[i] || hh.GetSize() != 2 || len(hh.GetMembers()) != 2 ||
					hh.GetMembers()[0].GetFullName() != "王大山" || hh.GetEtag() == "" {
					t.Errorf("[%d] %v, want %s", i, hh, asked[i])
				}
				for _, m := range hh.GetMembers() {
					if m.GetIdIndex() != "" {
						t.Errorf("[%d] a person got a blind index", i)
					}
				}
			}
			if got.GetHouseholds()[0].GetMembers()[0].GetIdNumber() != pii.MaskIDNumber(head(2)) {
				t.Errorf("id number %q is not masked", got.GetHouseholds()[0].GetMembers()[0].GetIdNumber())
			}
		})

		t.Run("plain text as GetHousehold: an allowed role with a purpose, audited", func(t *testing.T) {
			req := &identificationv1.BatchGetHouseholdsRequest{Names: []string{names[1], names[0]}}
			plain, err := h.households.BatchGetHouseholds(h.admin(t, "case_handling"), req)
			if err != nil {
				t.Fatal(err)
			}
			if plain.GetHouseholds()[0].GetMembers()[0].GetIdNumber() != head(1) ||
				plain.GetHouseholds()[1].GetMembers()[0].GetIdNumber() != head(0) {
				t.Errorf("county admin with a purpose got %v", plain.GetHouseholds())
			}
			village, err := h.households.BatchGetHouseholds(h.as(t, "rural_revitalization", "village_officer", "990001002003", "case_handling"),
				&identificationv1.BatchGetHouseholdsRequest{Names: []string{names[0]}})
			if err != nil {
				t.Fatal(err)
			}
			if village.GetHouseholds()[0].GetMembers()[0].GetIdNumber() == head(0) {
				t.Error("a village officer read a plain 身份证号")
			}
			waitAudit(t, h.dbURL, "read", method, "")
		})

		t.Run("a missing household is NOT_FOUND naming it, and nothing is returned", func(t *testing.T) {
			got, err := h.households.BatchGetHouseholds(h.admin(t), &identificationv1.BatchGetHouseholdsRequest{
				Names: []string{names[0], "households/never-registered", names[1]}})
			code, info, _ := details(t, err)
			if code != codes.NotFound || info.GetReason() != "NOT_FOUND" || info.GetMetadata()["name"] != "households/never-registered" ||
				got != nil {
				t.Errorf("got %v %v %v", code, info, got)
			}
		})

		t.Run("a household outside the caller's township is refused as GetHousehold refuses it", func(t *testing.T) {
			township := h.as(t, "rural_revitalization", "township_officer", "990001002")
			inside, err := h.households.BatchGetHouseholds(township, &identificationv1.BatchGetHouseholdsRequest{Names: []string{names[2], names[0]}})
			if err != nil || len(inside.GetHouseholds()) != 2 {
				t.Fatalf("inside the township: %v %v", inside, err)
			}
			_, err = h.households.BatchGetHouseholds(township, &identificationv1.BatchGetHouseholdsRequest{Names: names})
			code, info, _ := details(t, err)
			_, getErr := h.households.GetHousehold(township, &identificationv1.GetHouseholdRequest{Name: names[1]})
			getCode, getInfo, _ := details(t, getErr)
			if code != getCode || info.GetReason() != getInfo.GetReason() || code != codes.PermissionDenied ||
				info.GetReason() != "OUT_OF_REGION_SCOPE" || info.GetMetadata()["name"] != names[1] {
				t.Errorf("batch %v %v, get %v %v", code, info, getCode, getInfo)
			}
		})

		t.Run("at most 1000 names, each a household's", func(t *testing.T) {
			many := make([]string, 1001)
			for i := range many {
				many[i] = fmt.Sprintf("households/h%d", i)
			}
			_, err := h.households.BatchGetHouseholds(h.admin(t), &identificationv1.BatchGetHouseholdsRequest{Names: many})
			if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "names" {
				t.Errorf("1001 names: %v %v", code, br)
			}
			_, err = h.households.BatchGetHouseholds(h.admin(t), &identificationv1.BatchGetHouseholdsRequest{Names: []string{names[0], "regions/990001002003"}})
			if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "names[1]" {
				t.Errorf("not a household's name: %v %v", code, br)
			}
			many[0], many[999] = names[0], names[1]
			_, err = h.households.BatchGetHouseholds(h.admin(t), &identificationv1.BatchGetHouseholdsRequest{Names: many[:1000]})
			if code, info, _ := details(t, err); code != codes.NotFound || info.GetMetadata()["name"] != "households/h1" {
				t.Errorf("1000 names, one of them missing: %v %v", code, info)
			}
		})

		t.Run("authorization comes from the contract", func(t *testing.T) {
			_, err := h.households.BatchGetHouseholds(t.Context(), &identificationv1.BatchGetHouseholdsRequest{Names: names[:1]})
			if code, _, _ := details(t, err); code != codes.Unauthenticated {
				t.Errorf("no token: %v", err)
			}
		})
	})
}
