package identification_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// These tests start the real service (platform chain, SQLite or PostgreSQL, etcd registration) and call it
// over real gRPC through etcd discovery, as other departments and the gateway do.

type harness struct {
	conn       *grpc.ClientConn
	households identificationv1.HouseholdServiceClient
	regions    identificationv1.RegionServiceClient
	keys       servicetest.Keys
	dbURL      string
	etcd       *clientv3.Client
	cfg        identification.Config
	// stop stops the instance start started.
	stop func()
}

func start(t *testing.T, d sqldb.Dialect) *harness {
	t.Helper()
	// The county's default policy, as `fupin dev` seeds it: the lines, quorums and periods workflows read.
	cli := servicetest.Etcd(t, "../../deploy")
	keys := servicetest.NewKeys()
	h := &harness{keys: keys, dbURL: sqldbtest.URL(t, d), etcd: cli}
	h.cfg = identification.Config{
		Config: boot.Config{DatabaseURL: h.dbURL, Etcd: cli, Verifier: keys.Verifier(), PIIKey: keys.PII,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		RegionsFile: "../../deploy/regions/demo-county.json",
	}
	h.stop = h.replica(t)
	conn := servicetest.Dial(t, cli, identification.Name)
	h.conn = conn
	h.households = identificationv1.NewHouseholdServiceClient(conn)
	h.regions = identificationv1.NewRegionServiceClient(conn)
	return h
}

// replica starts another instance of the service on the same database and etcd (calls reach every
// instance, round robin) and returns the function that stops it.
func (h *harness) replica(t *testing.T) func() {
	t.Helper()
	return servicetest.Run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
		cfg := h.cfg
		cfg.Ready = ready
		return identification.Run(ctx, cfg)
	})
}

// as returns a context calling as the given department, role and region, with an optional purpose.
func (h *harness) as(t *testing.T, dept, role, region string, purpose ...string) context.Context {
	t.Helper()
	return h.keys.As(t, t.Context(), dept, role, region, purpose...)
}

func (h *harness) admin(t *testing.T, purpose ...string) context.Context {
	return h.as(t, "rural_revitalization", "county_admin", "", purpose...)
}

func idNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq)
	return first17 + string(pii.IDCheckChar(first17))
}

func newHousehold(village string, seq int) *identificationv1.CreateHouseholdRequest {
	return &identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
		RegionCode: village, Address: "一组",
		Members: []*identificationv1.Member{
			{FullName: "王大山", IdNumber: idNumber("19650304", seq*2+1), RelationToHead: identificationv1.Relation_RELATION_HEAD,
				Ethnicity: "01", Health: identificationv1.Health_HEALTH_CHRONIC_DISEASE},
			{FullName: "李秀英", IdNumber: idNumber("19680512", seq*2+2), RelationToHead: identificationv1.Relation_RELATION_SPOUSE},
		},
	}}
}

func details(t *testing.T, err error) (codes.Code, *errdetails.ErrorInfo, *errdetails.BadRequest) {
	t.Helper()
	code, info, br, _ := servicetest.Details(err)
	return code, info, br
}

func TestHouseholdAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		const village = "990001002003"

		t.Run("create masks 身份证号 and get returns the same household", func(t *testing.T) {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 1))
			if err != nil {
				t.Fatal(err)
			}
			if got := created.GetMembers()[0].GetIdNumber(); got != pii.MaskIDNumber(idNumber("19650304", 3)) {
				t.Errorf("id number %q is not masked", got)
			}
			got, err := h.households.GetHousehold(h.as(t, "civil_affairs", "department_staff", ""), &identificationv1.GetHouseholdRequest{Name: created.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetSize() != 2 || got.GetEtag() != created.GetEtag() || got.GetMembers()[1].GetSex() != identificationv1.Sex_SEX_FEMALE ||
				got.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY || len(got.GetStatusHistory()) != 1 {
				t.Errorf("got %v", got)
			}
		})

		t.Run("plain text needs an allowed role and a purpose, and is audited", func(t *testing.T) {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 2))
			if err != nil {
				t.Fatal(err)
			}
			req := &identificationv1.GetHouseholdRequest{Name: created.GetName()}
			plain, err := h.households.GetHousehold(h.admin(t, "case_handling"), req)
			if err != nil {
				t.Fatal(err)
			}
			if plain.GetMembers()[0].GetIdNumber() != idNumber("19650304", 5) {
				t.Errorf("county admin with a purpose got %q", plain.GetMembers()[0].GetIdNumber())
			}
			masked, err := h.households.GetHousehold(h.as(t, "rural_revitalization", "village_officer", village, "case_handling"), req)
			if err != nil {
				t.Fatal(err)
			}
			if masked.GetMembers()[0].GetIdNumber() == idNumber("19650304", 5) {
				t.Error("a village officer read a plain 身份证号")
			}
			if _, err := h.households.GetHousehold(h.admin(t, "gossip"), req); status.Code(err) != codes.InvalidArgument {
				t.Errorf("unknown purpose: %v", err)
			}
			waitAudit(t, h.dbURL, "read", "/fupin.identification.v1.HouseholdService/GetHousehold", created.GetName())
		})

		t.Run("birth dates only with plain access or for services; a birth year for everyone else", func(t *testing.T) {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 60))
			if err != nil {
				t.Fatal(err)
			}
			req := &identificationv1.GetHouseholdRequest{Name: created.GetName()}
			for _, tt := range []struct {
				name      string
				ctx       context.Context
				birthDate string
				idNumber  string
			}{
				{"a township officer", h.as(t, "rural_revitalization", "township_officer", "990001002"), "", pii.MaskIDNumber(idNumber("19650304", 121))},
				{"a county admin without a purpose", h.admin(t), "", pii.MaskIDNumber(idNumber("19650304", 121))},
				{"a county admin with a purpose", h.admin(t, "case_handling"), "1965-03-04", idNumber("19650304", 121)},
				{"a service", h.as(t, "civil_affairs", "service", ""), "1965-03-04", pii.MaskIDNumber(idNumber("19650304", 121))},
			} {
				got, err := h.households.GetHousehold(tt.ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				m := got.GetMembers()[0]
				if m.GetBirthDate() != tt.birthDate || m.GetBirthYear() != 1965 || m.GetIdNumber() != tt.idNumber || m.GetSex() != identificationv1.Sex_SEX_MALE {
					t.Errorf("%s: birth %q %d, number %q, sex %v", tt.name, m.GetBirthDate(), m.GetBirthYear(), m.GetIdNumber(), m.GetSex())
				}
			}
			if created.GetMembers()[0].GetBirthDate() != "" || created.GetMembers()[0].GetBirthYear() != 1965 {
				t.Errorf("create without a purpose: %v", created.GetMembers()[0])
			}
		})

		t.Run("bad input names the field and writes nothing", func(t *testing.T) {
			bad := newHousehold(village, 3)
			n := bad.Household.Members[1].IdNumber
			bad.Household.Members[1].IdNumber = n[:17] + string("0123456789"[(int(n[16])+1)%10])
			if bad.Household.Members[1].IdNumber[17] == pii.IDCheckChar(n[:17]) {
				bad.Household.Members[1].IdNumber = n[:17] + "X"
			}
			_, err := h.households.CreateHousehold(h.admin(t), bad)
			code, info, br := details(t, err)
			if code != codes.InvalidArgument || info.GetReason() != "ID_NUMBER_INVALID" || info.GetDomain() != "identification.fupin.dev" ||
				br.GetFieldViolations()[0].GetField() != "household.members[1].id_number" {
				t.Errorf("got %v %v %v", code, info, br)
			}
			shape := newHousehold("12", 3)
			_, err = h.households.CreateHousehold(h.admin(t), shape)
			if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "household.region_code" {
				t.Errorf("contract validation: %v %v", code, br)
			}
			list, err := h.households.ListHouseholds(h.admin(t), &identificationv1.ListHouseholdsRequest{Filter: `household_number = "never"`})
			if err != nil || len(list.GetHouseholds()) != 0 {
				t.Errorf("list %v %v", list, err)
			}
		})

		t.Run("a name with control or format characters is refused on the field", func(t *testing.T) {
			for _, name := range []string{"王\u202e大山", "\u200b", "王\n\x07大山"} {
				bad := newHousehold(village, 61)
				bad.Household.Members[1].FullName = name
				_, err := h.households.CreateHousehold(h.admin(t), bad)
				code, info, br := details(t, err)
				if code != codes.InvalidArgument || info.GetReason() != "PERSON_NAME_INVALID" ||
					br.GetFieldViolations()[0].GetField() != "household.members[1].full_name" {
					t.Errorf("%q: %v %v %v", name, code, info, br)
				}
			}
		})

		t.Run("a person already in another household is ALREADY_EXISTS", func(t *testing.T) {
			if _, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 4)); err != nil {
				t.Fatal(err)
			}
			dup := newHousehold("990001003001", 40)
			dup.Household.Members[1].IdNumber = idNumber("19680512", 4*2+2)
			_, err := h.households.CreateHousehold(h.admin(t), dup)
			code, info, br := details(t, err)
			if code != codes.AlreadyExists || info.GetReason() != "PERSON_IN_OTHER_HOUSEHOLD" ||
				br.GetFieldViolations()[0].GetField() != "household.members[1].id_number" {
				t.Errorf("got %v %v %v", code, info, br)
			}
		})

		t.Run("authorization comes from the contract", func(t *testing.T) {
			if _, err := h.households.GetHousehold(t.Context(), &identificationv1.GetHouseholdRequest{Name: "households/x"}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("no token: %v", err)
			}
			_, err := h.households.CreateHousehold(h.as(t, "civil_affairs", "county_admin", ""), newHousehold(village, 5))
			if code, info, _ := details(t, err); code != codes.PermissionDenied || info.GetReason() != "ACCESS_DENIED" {
				t.Errorf("civil affairs creating a household: %v %v", code, info)
			}
			_, err = h.households.CreateHousehold(h.as(t, "rural_revitalization", "township_officer", "990001001"), newHousehold(village, 6))
			if code, info, _ := details(t, err); code != codes.PermissionDenied || info.GetReason() != "OUT_OF_REGION_SCOPE" {
				t.Errorf("township officer outside their township: %v %v", code, info)
			}
			inside, err := h.households.CreateHousehold(h.as(t, "rural_revitalization", "township_officer", "990001002"), newHousehold(village, 7))
			if err != nil {
				t.Fatalf("township officer inside their township: %v", err)
			}
			_, err = h.households.GetHousehold(h.as(t, "rural_revitalization", "village_officer", "990001001001"), &identificationv1.GetHouseholdRequest{Name: inside.GetName()})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("village officer reading another village: %v", err)
			}
			list, err := h.households.ListHouseholds(h.as(t, "rural_revitalization", "township_officer", "990001001"), &identificationv1.ListHouseholdsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, hh := range list.GetHouseholds() {
				if hh.GetRegionCode()[:9] != "990001001" {
					t.Errorf("list leaked %s", hh.GetRegionCode())
				}
			}
		})

		t.Run("a retry with the same request_id returns the first result", func(t *testing.T) {
			req := newHousehold(village, 8)
			req.RequestId = "req-8"
			first, err := h.households.CreateHousehold(h.admin(t), req)
			if err != nil {
				t.Fatal(err)
			}
			again, err := h.households.CreateHousehold(h.admin(t), req)
			if err != nil {
				t.Fatal(err)
			}
			if again.GetName() != first.GetName() || again.GetEtag() != first.GetEtag() {
				t.Errorf("retry created %s, first %s", again.GetName(), first.GetName())
			}
			other := newHousehold(village, 9)
			other.RequestId = "req-8"
			_, err = h.households.CreateHousehold(h.admin(t), other)
			if code, info, _ := details(t, err); code != codes.InvalidArgument || info.GetReason() != "REQUEST_ID_REUSED" {
				t.Errorf("reused id: %v %v", code, info)
			}
			// The refused payload was not written.
			if _, err := h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19650304", 19)}); status.Code(err) != codes.NotFound {
				t.Errorf("refused payload written: %v", err)
			}
			waitAudit(t, h.dbURL, "mutation", "/fupin.identification.v1.HouseholdService/CreateHousehold", first.GetName())
		})

		t.Run("updates need the current etag", func(t *testing.T) {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 10))
			if err != nil {
				t.Fatal(err)
			}
			upd := &identificationv1.UpdateHouseholdRequest{
				Household:  &identificationv1.Household{Name: created.GetName(), Address: "二组", Etag: created.GetEtag()},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}},
			}
			updated, err := h.households.UpdateHousehold(h.admin(t), upd)
			if err != nil {
				t.Fatal(err)
			}
			if updated.GetAddress() != "二组" || updated.GetEtag() == created.GetEtag() {
				t.Errorf("updated %v", updated)
			}
			if _, err := h.households.UpdateHousehold(h.admin(t), upd); status.Code(err) != codes.Aborted {
				t.Errorf("stale etag: %v", err)
			}
		})

		t.Run("death of the head with a new head, then lookup by 身份证号", func(t *testing.T) {
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 11))
			if err != nil {
				t.Fatal(err)
			}
			head, spouse := created.GetMembers()[0].GetName(), created.GetMembers()[1].GetName()
			_, err = h.households.RecordDeath(h.admin(t), &identificationv1.RecordDeathRequest{Name: head, DateOfDeath: today()})
			if code, info, _ := details(t, err); code != codes.FailedPrecondition || info.GetReason() != "NEW_HEAD_REQUIRED" {
				t.Errorf("no new head: %v %v", code, info)
			}
			after, err := h.households.RecordDeath(h.admin(t), &identificationv1.RecordDeathRequest{Name: head, DateOfDeath: today(), NewHead: spouse})
			if err != nil {
				t.Fatal(err)
			}
			if after.GetSize() != 1 || after.GetMembers()[1].GetRelationToHead() != identificationv1.Relation_RELATION_HEAD ||
				after.GetMembers()[0].GetState() != identificationv1.MemberState_MEMBER_STATE_DECEASED {
				t.Errorf("after death %v", after)
			}
			found, err := h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19680512", 24)})
			if err != nil || found.GetName() != created.GetName() {
				t.Errorf("lookup %v %v", found, err)
			}
		})

		t.Run("regions", func(t *testing.T) {
			r, err := h.regions.GetRegion(h.admin(t), &identificationv1.GetRegionRequest{Name: "regions/" + village})
			if err != nil || r.GetLevel() != identificationv1.RegionLevel_REGION_LEVEL_VILLAGE || len(r.GetPopulations()) == 0 {
				t.Errorf("region %v %v", r, err)
			}
			kids, err := h.regions.ListRegions(h.admin(t), &identificationv1.ListRegionsRequest{ParentCode: "990001000000", PageSize: 5})
			if err != nil || len(kids.GetRegions()) != 5 || kids.GetNextPageToken() == "" {
				t.Errorf("townships %v %v", kids, err)
			}
		})
	})
}

// waitAudit waits for an audit row of kind on method and resource (reads are audited asynchronously).
func waitAudit(t *testing.T, dbURL, kind, method, resource string) {
	t.Helper()
	servicetest.WaitAudit(t, dbURL, func(r audit.Record) bool {
		return r.Kind == kind && r.Method == method && r.Resource == resource
	})
}

// Calls refused for region scope (PERMISSION_DENIED OUT_OF_REGION_SCOPE from a handler) are audited as
// denied, naming the record asked for, like calls authorization refuses: a probe of another township
// leaves a trace, reads as well as changes.
func TestScopeRefusalsAudited(t *testing.T) {
	h := start(t, sqldb.SQLite)
	created, err := h.households.CreateHousehold(h.admin(t), newHousehold("990001002003", 30))
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetName()
	visits := identificationv1.NewVisitServiceClient(h.conn)
	tests := []struct {
		name   string
		method string
		call   func(ctx context.Context) error
	}{
		{name: "get", method: identificationv1.HouseholdService_GetHousehold_FullMethodName, call: func(ctx context.Context) error {
			_, err := h.households.GetHousehold(ctx, &identificationv1.GetHouseholdRequest{Name: name})
			return err
		}},
		{name: "list a household's helpers", method: identificationv1.VisitService_ListHelpers_FullMethodName, call: func(ctx context.Context) error {
			_, err := visits.ListHelpers(ctx, &identificationv1.ListHelpersRequest{Parent: name})
			return err
		}},
		{name: "update", method: identificationv1.HouseholdService_UpdateHousehold_FullMethodName, call: func(ctx context.Context) error {
			_, err := h.households.UpdateHousehold(ctx, &identificationv1.UpdateHouseholdRequest{
				Household:  &identificationv1.Household{Name: name, Address: "二组", Etag: created.GetEtag()},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := servicetest.Caller{Subject: "u-probe-" + tt.name, Department: "rural_revitalization",
				Role: "township_officer", Region: "990001001"}
			err := tt.call(h.keys.AsCaller(t, t.Context(), caller))
			if code, info, _ := details(t, err); code != codes.PermissionDenied || info.GetReason() != "OUT_OF_REGION_SCOPE" {
				t.Fatalf("another township's officer: %v %v, want PERMISSION_DENIED OUT_OF_REGION_SCOPE", code, info)
			}
			servicetest.WaitAudit(t, h.dbURL, func(r audit.Record) bool {
				return r.Kind == audit.KindDenied && r.Method == tt.method && r.Actor == caller.Subject && r.Resource == name &&
					r.Code == codes.PermissionDenied.String()
			})
		})
	}
}

// Plain 身份证号 are granted per department, role and purpose (issue 8, item 5): another department's
// county admin stating a purpose reads masked numbers; the register's own staff read plain ones only for
// the purposes granted and at most 100 records a call; every plain read names the persons it returned.
func TestPlainTextByDepartmentAndPurpose(t *testing.T) {
	h := start(t, sqldb.SQLite)
	const village = "990001002003"
	var persons []string
	plainIDs := map[string]bool{}
	for i := range 3 {
		req := newHousehold(village, 60+i)
		created, err := h.households.CreateHousehold(h.admin(t), req)
		if err != nil {
			t.Fatal(err)
		}
		for j, m := range created.GetMembers() {
			persons = append(persons, m.GetPersonId())
			plainIDs[req.GetHousehold().GetMembers()[j].GetIdNumber()] = true
		}
	}
	list := &identificationv1.ListHouseholdsRequest{Filter: `region_code:"` + village + `"`}
	tests := []struct {
		name  string
		as    servicetest.Caller
		plain bool
	}{
		{name: "人社 county admin stating verification", as: servicetest.Caller{Subject: "u-hr", Department: "human_resources",
			Role: "county_admin", Purpose: "verification"}, plain: false},
		{name: "民政 department staff stating case handling", as: servicetest.Caller{Subject: "u-ca", Department: "civil_affairs",
			Role: "department_staff", Purpose: "case_handling"}, plain: false},
		{name: "a service of 人社 stating verification (no grant)", as: servicetest.Caller{Subject: "service:employment",
			Department: "human_resources", Role: "service", Purpose: "verification"}, plain: false},
		{name: "the register's staff stating verification", as: servicetest.Caller{Subject: "u-rr-staff", Department: "rural_revitalization",
			Role: "department_staff", Purpose: "verification"}, plain: true},
		{name: "the register's staff stating audit (not granted to staff)", as: servicetest.Caller{Subject: "u-rr-staff",
			Department: "rural_revitalization", Role: "department_staff", Purpose: "audit"}, plain: false},
		{name: "the register's auditor stating audit", as: servicetest.Caller{Subject: "u-rr-auditor", Department: "rural_revitalization",
			Role: "auditor", Purpose: "audit"}, plain: true},
		{name: "the register's auditor stating case handling", as: servicetest.Caller{Subject: "u-rr-auditor",
			Department: "rural_revitalization", Role: "auditor", Purpose: "case_handling"}, plain: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.households.ListHouseholds(h.keys.AsCaller(t, t.Context(), tt.as), list)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetHouseholds()) != 3 {
				t.Fatalf("%d households, want 3", len(resp.GetHouseholds()))
			}
			for _, hh := range resp.GetHouseholds() {
				for _, m := range hh.GetMembers() {
					if plainIDs[m.GetIdNumber()] != tt.plain {
						t.Errorf("id_number %q: plain = %v, want %v", m.GetIdNumber(), !tt.plain, tt.plain)
					}
				}
			}
		})
	}
	t.Run("a plain read names the persons it returned", func(t *testing.T) {
		r := servicetest.WaitAudit(t, h.dbURL, func(r audit.Record) bool {
			return r.Kind == audit.KindRead && r.Actor == "u-rr-staff" && r.Purpose == "verification" &&
				r.Method == identificationv1.HouseholdService_ListHouseholds_FullMethodName
		})
		got := slices.Sorted(slices.Values(r.PersonIDs))
		if want := slices.Sorted(slices.Values(persons)); !slices.Equal(got, want) || r.RecordCount != 3 {
			t.Errorf("audited persons %v (%d records), want %v (3)", got, r.RecordCount, want)
		}
	})
	t.Run("plain reads take at most 100 records a call", func(t *testing.T) {
		staff := h.as(t, "rural_revitalization", "department_staff", "", "verification")
		_, err := h.households.ListHouseholds(staff, &identificationv1.ListHouseholdsRequest{PageSize: 101})
		if code, info, br := details(t, err); code != codes.InvalidArgument || info.GetReason() != "PLAIN_TEXT_LIMIT_EXCEEDED" ||
			br.GetFieldViolations()[0].GetField() != "page_size" {
			t.Errorf("page_size 101 in plain text: %v %v %v", code, info, br)
		}
		if _, err := h.households.ListHouseholds(staff, &identificationv1.ListHouseholdsRequest{PageSize: 100}); err != nil {
			t.Errorf("page_size 100 in plain text: %v", err)
		}
		if _, err := h.households.ListHouseholds(h.as(t, "rural_revitalization", "department_staff", ""),
			&identificationv1.ListHouseholdsRequest{PageSize: 1000}); err != nil {
			t.Errorf("page_size 1,000 masked: %v", err)
		}
		names := make([]string, 101)
		for i := range names {
			names[i] = "households/x" + strconv.Itoa(i)
		}
		_, err = h.households.BatchGetHouseholds(staff, &identificationv1.BatchGetHouseholdsRequest{Names: names})
		if code, info, br := details(t, err); code != codes.InvalidArgument || info.GetReason() != "PLAIN_TEXT_LIMIT_EXCEEDED" ||
			br.GetFieldViolations()[0].GetField() != "names" {
			t.Errorf("101 names in plain text: %v %v %v", code, info, br)
		}
	})
}
