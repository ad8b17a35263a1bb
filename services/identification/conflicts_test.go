package identification_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/conflicts"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// A township officer who registers numbers that households of other townships hold learns, from the
// 409s, what a lookup (404) hides. The refusals are counted per caller in the database, so across
// replicas and restarts; past the policy's limit registering is refused with 429; each is an audit row
// naming the person's record, never the number.
func TestExistenceConflictsAreCounted(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h, outer := start(t, d), t
		// A limit of 3 a day for township 990001002 (the county's default is 20).
		limit, _ := json.Marshal(conflicts.Limit{Max: 3, WindowHours: 24})
		if err := policy.Set(t.Context(), h.etcd, conflicts.Parameter, "990001002", "2024-01-01", limit); err != nil {
			t.Fatal(err)
		}
		waitPolicy(t, h, "990001002")
		// Four persons registered in 城关镇 (990001001).
		var held []*identificationv1.Household
		for i := range 4 {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold("990001001001", 300+i))
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, created)
		}
		own, err := h.households.CreateHousehold(h.admin(t), newHousehold("990001002003", 299))
		if err != nil {
			t.Fatal(err)
		}
		officer := h.as(t, "rural_revitalization", "township_officer", "990001002")
		probe := func(i int) error {
			req := newHousehold("990001002003", 400+i)
			req.Household.Members[1].IdNumber = idNumber("19680512", (300+i)*2+2) // the spouse of held[i]
			_, err := h.households.CreateHousehold(officer, req)
			return err
		}
		replica := h.replica(t) // two instances on one database from here
		for i := range 3 {
			code, info, _ := details(t, probe(i))
			if code != codes.AlreadyExists || info.GetReason() != "PERSON_IN_OTHER_HOUSEHOLD" {
				t.Fatalf("probe %d: %v %v", i, code, info)
			}
		}
		wantLimited := func(t *testing.T, what string, err error) {
			t.Helper()
			code, info, _ := details(t, err)
			if code != codes.ResourceExhausted || info.GetReason() != "EXISTENCE_CONFLICT_LIMIT" || info.GetDomain() != "identification.fupin.dev" {
				t.Fatalf("%s: %v %v", what, code, info)
			}
		}
		t.Run("past the limit, registering is refused, whatever the number", func(t *testing.T) {
			wantLimited(t, "a fourth probe", probe(3))
			_, err := h.households.CreateHousehold(officer, newHousehold("990001002003", 450))
			wantLimited(t, "a fresh household", err)
			_, err = h.households.AddMember(officer, &identificationv1.AddMemberRequest{Parent: own.GetName(),
				Member: &identificationv1.Member{FullName: "王小", IdNumber: idNumber("20150101", 501), RelationToHead: identificationv1.Relation_RELATION_SON}})
			wantLimited(t, "AddMember", err)
			if _, err := h.households.GetHousehold(officer, &identificationv1.GetHouseholdRequest{Name: own.GetName()}); err != nil {
				t.Errorf("reads go on: %v", err)
			}
		})
		t.Run("the count holds after a restart, on the other replica", func(t *testing.T) {
			restarted := h.replica(outer) // runs on after this subtest
			h.stop()
			replica()
			h.stop = restarted
			wantLimited(t, "after a restart", probe(3))
		})
		t.Run("others are not limited; the county is not counted", func(t *testing.T) {
			staff := h.as(t, "rural_revitalization", "department_staff", "990001002")
			if _, err := h.households.CreateHousehold(staff, newHousehold("990001002003", 460)); err != nil {
				t.Errorf("another caller: %v", err)
			}
			for range 4 {
				req := newHousehold("990001002003", 470)
				req.Household.Members[1].IdNumber = idNumber("19680512", 301*2+2)
				_, err := h.households.CreateHousehold(h.admin(t), req)
				if code, _, _ := details(t, err); code != codes.AlreadyExists {
					t.Fatalf("county admin: %v", err)
				}
			}
		})
		t.Run("the import's findings count too, and stop it past the limit", func(t *testing.T) {
			lines := []string{"户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度"}
			for i := range 3 {
				lines = append(lines, fmt.Sprintf("K-%d,990001002003,一组,李秀英,%s,户主,汉族,小学,健康,普通劳动力,一般户,",
					i, idNumber("19680512", (300+i)*2+2)))
			}
			staff := h.as(t, "rural_revitalization", "department_staff", "990001002")
			issues, _, err := importStream(staff, t, identificationv1.NewImportServiceClient(h.conn),
				&identificationv1.ImportSettings{BatchSize: 1}, lines, 1)
			wantLimited(t, "the third conflicting household", err)
			if len(issues) != 2 || issues[0].GetReason() != "PERSON_IN_OTHER_HOUSEHOLD" {
				t.Errorf("issues sent %v", issues)
			}
		})

		t.Run("a lookup still says nothing", func(t *testing.T) {
			_, err := h.households.LookupHousehold(officer, &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19680512", 303*2+2)})
			if code, _, _ := details(t, err); code != codes.NotFound {
				t.Errorf("lookup: %v", err)
			}
		})
		t.Run("each conflict is an audit row naming the record, not the number", func(t *testing.T) {
			db, err := sqldb.Open(t.Context(), h.dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.Q(t.Context()).QueryContext(t.Context(), `SELECT actor, role, method, resource, code FROM fupin_audit
				WHERE kind = 'conflict' AND role = 'township_officer' ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var actor, role, method, resource, code string
				if err := rows.Scan(&actor, &role, &method, &resource, &code); err != nil {
					t.Fatal(err)
				}
				if actor != servicetest.Subject("rural_revitalization", "township_officer", "990001002") || role != "township_officer" || code != "AlreadyExists" ||
					method != identificationv1.HouseholdService_CreateHousehold_FullMethodName || strings.Contains(resource, "1968") {
					t.Errorf("row %s %s %s %s %s", actor, role, method, resource, code)
				}
				got = append(got, resource)
			}
			if len(got) != 3 {
				t.Fatalf("%d conflict rows, want 3: %v", len(got), got)
			}
			var imported int
			if err := db.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM fupin_audit WHERE kind = 'conflict'
				AND actor = $1 AND method = $2`, servicetest.Subject("rural_revitalization", "department_staff", "990001002"),
				identificationv1.ImportService_ImportHouseholds_FullMethodName).Scan(&imported); err != nil || imported != 3 {
				t.Errorf("%d conflict rows of the import, want 3 (%v)", imported, err)
			}
			for i, r := range got {
				if want := held[i].GetName() + "/members/" + held[i].GetMembers()[1].GetPersonId(); r != want {
					t.Errorf("row %d names %s, want %s", i, r, want)
				}
			}
		})
	})
}

// waitPolicy waits until the service applies a policy value of region for the conflict limit.
func waitPolicy(t *testing.T, h *harness, region string) {
	t.Helper()
	client := commonv1.NewPolicyServiceClient(h.conn)
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := client.GetPolicyValue(h.admin(t), &commonv1.GetPolicyValueRequest{Parameter: conflicts.Parameter, RegionCode: region})
		if err == nil && v.GetRegion() == region {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the policy of %s was not applied: %v %v", region, v, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
