package server

import (
	"bytes"
	"slices"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/auth"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestAllowed(t *testing.T) {
	ruralOnly := &commonv1.AccessRule{
		Departments: []commonv1.Department{commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION},
		Roles:       []commonv1.Role{commonv1.Role_ROLE_COUNTY_ADMIN, commonv1.Role_ROLE_TOWNSHIP_OFFICER},
	}
	anyDept := &commonv1.AccessRule{Roles: []commonv1.Role{commonv1.Role_ROLE_AUDITOR}}
	tests := []struct {
		name   string
		rule   *commonv1.AccessRule
		caller auth.Caller
		want   bool
	}{
		{name: "listed role in listed department", rule: ruralOnly, want: true,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER}},
		{name: "listed role in another department", rule: ruralOnly, want: false,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
		{name: "unlisted role in listed department", rule: ruralOnly, want: false,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, Role: commonv1.Role_ROLE_VILLAGE_OFFICER}},
		{name: "unspecified role", rule: ruralOnly, want: false,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION}},
		{name: "no departments means every department", rule: anyDept, want: true,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_FINANCE, Role: commonv1.Role_ROLE_AUDITOR}},
		{name: "no departments still checks the role", rule: anyDept, want: false,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_FINANCE, Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
		{name: "rule without roles admits nobody", rule: &commonv1.AccessRule{}, want: false,
			caller: auth.Caller{Department: commonv1.Department_DEPARTMENT_FINANCE, Role: commonv1.Role_ROLE_COUNTY_ADMIN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allowed(tt.rule, &tt.caller); got != tt.want {
				t.Errorf("allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHasRole(t *testing.T) {
	roles := []commonv1.Role{commonv1.Role_ROLE_COUNTY_ADMIN, commonv1.Role_ROLE_SERVICE}
	tests := []struct {
		name  string
		roles []commonv1.Role
		role  commonv1.Role
		want  bool
	}{
		{name: "first", roles: roles, role: commonv1.Role_ROLE_COUNTY_ADMIN, want: true},
		{name: "last", roles: roles, role: commonv1.Role_ROLE_SERVICE, want: true},
		{name: "absent", roles: roles, role: commonv1.Role_ROLE_AUDITOR, want: false},
		{name: "unspecified", roles: roles, role: commonv1.Role_ROLE_UNSPECIFIED, want: false},
		{name: "empty list", roles: nil, role: commonv1.Role_ROLE_COUNTY_ADMIN, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasRole(tt.roles, tt.role); got != tt.want {
				t.Errorf("hasRole(%v, %v) = %v, want %v", tt.roles, tt.role, got, tt.want)
			}
		})
	}
}

func TestRequestHash(t *testing.T) {
	create := func(requestID, region string) *identificationv1.CreateHouseholdRequest {
		return &identificationv1.CreateHouseholdRequest{RequestId: requestID, Household: &identificationv1.Household{
			RegionCode: region, Address: "三组 12 号",
			Members: []*identificationv1.Member{{FullName: "张三"}, {FullName: "李四"}},
		}}
	}
	base := requestHash(create("req-1", "421321101001"))
	tests := []struct {
		name string
		msg  proto.Message
		same bool
	}{
		{name: "same payload, same request_id", msg: create("req-1", "421321101001"), same: true},
		{name: "same payload, other request_id", msg: create("req-2", "421321101001"), same: true},
		{name: "same payload, no request_id", msg: create("", "421321101001"), same: true},
		{name: "other payload, same request_id", msg: create("req-1", "421321101002"), same: false},
		{name: "other payload, other request_id", msg: create("req-2", "421321101002"), same: false},
		{name: "members in another order", same: false, msg: &identificationv1.CreateHouseholdRequest{RequestId: "req-1",
			Household: &identificationv1.Household{RegionCode: "421321101001", Address: "三组 12 号",
				Members: []*identificationv1.Member{{FullName: "李四"}, {FullName: "张三"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestHash(tt.msg); bytes.Equal(got, base) != tt.same {
				t.Errorf("hash equal to the base request's = %v, want %v", !tt.same, tt.same)
			}
		})
	}
	t.Run("does not change the request", func(t *testing.T) {
		req := create("req-1", "421321101001")
		requestHash(req)
		if req.GetRequestId() != "req-1" {
			t.Errorf("request_id = %q after hashing, want req-1", req.GetRequestId())
		}
	})
	t.Run("message without request_id", func(t *testing.T) {
		a := requestHash(&identificationv1.GetHouseholdRequest{Name: "households/1"})
		b := requestHash(&identificationv1.GetHouseholdRequest{Name: "households/2"})
		if bytes.Equal(a, b) || len(a) != 32 {
			t.Errorf("hashes %x and %x: want two different SHA-256 sums", a, b)
		}
	})
}

func TestRecordCount(t *testing.T) {
	households := func(n int) []*identificationv1.Household {
		out := make([]*identificationv1.Household, n)
		for i := range out {
			out[i] = &identificationv1.Household{Name: "households/x"}
		}
		return out
	}
	tests := []struct {
		name string
		resp proto.Message
		want int
	}{
		{name: "nil", resp: nil, want: 0},
		{name: "list page", resp: &identificationv1.ListHouseholdsResponse{Households: households(3), NextPageToken: "t"}, want: 3},
		{name: "empty list page", resp: &identificationv1.ListHouseholdsResponse{}, want: 0},
		{name: "single resource", resp: &identificationv1.Household{Name: "households/1"}, want: 1},
		{name: "single resource with members is one record", want: 1, resp: &identificationv1.Household{
			Name: "households/1", Members: []*identificationv1.Member{{FullName: "张三"}, {FullName: "李四"}, {FullName: "王五"}}}},
		{name: "single resource without members is one record", resp: &identificationv1.Household{Name: "households/1"}, want: 1},
		{name: "message without a list", resp: &emptypb.Empty{}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := recordCount(tt.resp); got != tt.want {
				t.Errorf("recordCount = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestResource(t *testing.T) {
	tests := []struct {
		name      string
		req, resp proto.Message
		want      string
	}{
		{name: "response name wins", req: &identificationv1.GetHouseholdRequest{Name: "households/req"},
			resp: &identificationv1.Household{Name: "households/resp"}, want: "households/resp"},
		{name: "request name when the response has none", req: &identificationv1.GetHouseholdRequest{Name: "households/req"},
			resp: &identificationv1.Household{}, want: "households/req"},
		{name: "request name without a response", req: &identificationv1.GetHouseholdRequest{Name: "households/req"},
			resp: nil, want: "households/req"},
		{name: "request parent when nothing is named", req: &identificationv1.AddMemberRequest{Parent: "households/7"},
			resp: nil, want: "households/7"},
		{name: "parent_code is not a parent", req: &identificationv1.ListRegionsRequest{ParentCode: "421321000000"},
			resp: &identificationv1.ListRegionsResponse{}, want: ""},
		{name: "created resource", req: &identificationv1.CreateHouseholdRequest{RequestId: "r"},
			resp: &identificationv1.Household{Name: "households/new"}, want: "households/new"},
		{name: "the resource an update carries", req: &identificationv1.UpdateHouseholdRequest{
			Household: &identificationv1.Household{Name: "households/9"}}, resp: nil, want: "households/9"},
		{name: "nothing named", req: &identificationv1.ListHouseholdsRequest{Filter: `region_code:"4213"`},
			resp: &identificationv1.ListHouseholdsResponse{}, want: ""},
		{name: "neither message", req: nil, resp: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resource(tt.req, tt.resp); got != tt.want {
				t.Errorf("resource = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	const svc = "/fupin.identification.v1.HouseholdService/"
	household := (&identificationv1.Household{}).ProtoReflect().Descriptor().FullName()
	tests := []struct {
		name       string
		method     string
		wantRule   bool
		wantRoles  []commonv1.Role // a subset the rule must hold
		wantDepts  []commonv1.Department
		readOnly   bool
		public     bool
		wantOutput string
	}{
		{name: "read", method: svc + "GetHousehold", wantRule: true, readOnly: true, wantOutput: string(household),
			wantRoles: []commonv1.Role{commonv1.Role_ROLE_COUNTY_ADMIN, commonv1.Role_ROLE_AUDITOR, commonv1.Role_ROLE_SERVICE}},
		{name: "mutation", method: svc + "CreateHousehold", wantRule: true, readOnly: false, wantOutput: string(household),
			wantRoles: []commonv1.Role{commonv1.Role_ROLE_COUNTY_ADMIN, commonv1.Role_ROLE_TOWNSHIP_OFFICER},
			wantDepts: []commonv1.Department{commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION}},
		{name: "list", method: svc + "ListHouseholds", wantRule: true, readOnly: true,
			wantOutput: "fupin.identification.v1.ListHouseholdsResponse"},
		{name: "unknown method of a known service", method: svc + "DeleteEverything"},
		{name: "unknown service", method: "/fupin.nowhere.v1.NoService/Get"},
		{name: "a message, not a method", method: "/fupin.identification.v1/Household"},
		{name: "malformed", method: "nonsense"},
		{name: "health", method: "/grpc.health.v1.Health/Check", readOnly: true, public: true},
		{name: "health watch", method: "/grpc.health.v1.Health/Watch", readOnly: true, public: true},
		{name: "reflection", method: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", readOnly: true, public: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := describe(tt.method)
			if m.fullName != tt.method {
				t.Errorf("fullName = %q, want %q", m.fullName, tt.method)
			}
			if (m.rule != nil) != tt.wantRule {
				t.Fatalf("rule = %v, want present: %v", m.rule, tt.wantRule)
			}
			if m.readOnly != tt.readOnly || m.public != tt.public {
				t.Errorf("readOnly, public = %v, %v; want %v, %v", m.readOnly, m.public, tt.readOnly, tt.public)
			}
			for _, r := range tt.wantRoles {
				if !slices.Contains(m.rule.GetRoles(), r) {
					t.Errorf("rule roles %v lack %v", m.rule.GetRoles(), r)
				}
			}
			if !slices.Equal(m.rule.GetDepartments(), tt.wantDepts) {
				t.Errorf("rule departments = %v, want %v", m.rule.GetDepartments(), tt.wantDepts)
			}
			var output string
			if m.output != nil {
				output = string(m.output.Descriptor().FullName())
			}
			if output != tt.wantOutput {
				t.Errorf("output = %q, want %q", output, tt.wantOutput)
			}
			// What authorize relies on: no rule and not public means nobody may call it.
			if !tt.wantRule && !tt.public && (m.public || m.rule != nil) {
				t.Errorf("method %s without a rule would be callable", tt.method)
			}
		})
	}
}

func TestMethodsLookupCaches(t *testing.T) {
	var ms methods
	const name = "/fupin.identification.v1.HouseholdService/GetHousehold"
	first := ms.lookup(name)
	if again := ms.lookup(name); again != first {
		t.Errorf("second lookup returned a new description")
	}
	if other := ms.lookup("/fupin.identification.v1.HouseholdService/CreateHousehold"); other == first || other.readOnly {
		t.Errorf("CreateHousehold lookup = %+v, want its own, changing description", other)
	}
}
