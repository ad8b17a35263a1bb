package server

import (
	"slices"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	_ "google.golang.org/protobuf/types/known/emptypb" // google/protobuf/empty.proto for the synthetic contracts
)

const (
	rural   = commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION
	civil   = commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS
	hr      = commonv1.Department_DEPARTMENT_HUMAN_RESOURCES
	admin   = commonv1.Role_ROLE_COUNTY_ADMIN
	staff   = commonv1.Role_ROLE_DEPARTMENT_STAFF
	auditor = commonv1.Role_ROLE_AUDITOR
	village = commonv1.Role_ROLE_VILLAGE_OFFICER
	service = commonv1.Role_ROLE_SERVICE
	casePur = commonv1.Purpose_PURPOSE_CASE_HANDLING
	verify  = commonv1.Purpose_PURPOSE_VERIFICATION
	auditP  = commonv1.Purpose_PURPOSE_AUDIT
)

func grant(d commonv1.Department, roles []commonv1.Role, purposes ...commonv1.Purpose) *commonv1.PlainTextGrant {
	return &commonv1.PlainTextGrant{Department: d, Roles: roles, Purposes: purposes}
}

func TestPlainTextAllowed(t *testing.T) {
	rule := &commonv1.AccessRule{Roles: []commonv1.Role{admin, staff, auditor, village, service}, PlainText: []*commonv1.PlainTextGrant{
		grant(rural, []commonv1.Role{admin, staff}, casePur, verify),
		grant(rural, []commonv1.Role{auditor}, auditP),
		grant(civil, []commonv1.Role{service}, verify),
	}}
	tests := []struct {
		name    string
		dept    commonv1.Department
		role    commonv1.Role
		purpose commonv1.Purpose
		want    bool
	}{
		{name: "owner's staff with a granted purpose", dept: rural, role: staff, purpose: verify, want: true},
		{name: "owner's staff without a purpose", dept: rural, role: staff, want: false},
		{name: "owner's staff with a purpose not granted", dept: rural, role: staff, purpose: auditP, want: false},
		{name: "owner's auditor auditing", dept: rural, role: auditor, purpose: auditP, want: true},
		{name: "owner's auditor with another grant's purpose", dept: rural, role: auditor, purpose: casePur, want: false},
		{name: "owner's role without a grant", dept: rural, role: village, purpose: casePur, want: false},
		{name: "another department's county admin (人社, issue 8)", dept: hr, role: admin, purpose: verify, want: false},
		{name: "another department's person with its service's purpose", dept: civil, role: admin, purpose: verify, want: false},
		{name: "another department's service with its purpose", dept: civil, role: service, purpose: verify, want: true},
		{name: "another department's service with another purpose", dept: civil, role: service, purpose: casePur, want: false},
		{name: "a service of a department without a grant", dept: hr, role: service, purpose: verify, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &auth.Caller{Department: tt.dept, Role: tt.role, Purpose: tt.purpose}
			if got := plainTextAllowed(rule, c); got != tt.want {
				t.Errorf("plainTextAllowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLimitPlainText(t *testing.T) {
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "households/x"
		}
		return out
	}
	tests := []struct {
		name      string
		plain     bool
		req       any
		wantField string // "" means allowed
	}{
		{name: "a page of 100 in plain text", plain: true, req: &identificationv1.ListHouseholdsRequest{PageSize: 100}},
		{name: "a page of 101 in plain text", plain: true, req: &identificationv1.ListHouseholdsRequest{PageSize: 101}, wantField: "page_size"},
		{name: "the default page in plain text", plain: true, req: &identificationv1.ListHouseholdsRequest{}},
		{name: "a page of 1,000 masked", plain: false, req: &identificationv1.ListHouseholdsRequest{PageSize: 1000}},
		{name: "a batch of 100 in plain text", plain: true, req: &identificationv1.BatchGetHouseholdsRequest{Names: names(100)}},
		{name: "a batch of 101 in plain text", plain: true, req: &identificationv1.BatchGetHouseholdsRequest{Names: names(101)}, wantField: "names"},
		{name: "a batch of 1,000 masked", plain: false, req: &identificationv1.BatchGetHouseholdsRequest{Names: names(1000)}},
		{name: "a request with neither field", plain: true, req: &identificationv1.GetHouseholdRequest{Name: "households/x"}},
		{name: "not a message", plain: true, req: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := limitPlainText(&auth.Caller{PlainText: tt.plain}, tt.req)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Reason != ReasonPlainTextLimitExceeded || len(e.Fields) != 1 || e.Fields[0].Field != tt.wantField {
				t.Fatalf("error %v, want %s naming %s", err, ReasonPlainTextLimitExceeded, tt.wantField)
			}
		})
	}
}

func TestPersonIDs(t *testing.T) {
	member := func(id string) *identificationv1.Member { return &identificationv1.Member{PersonId: id} }
	tests := []struct {
		name string
		msg  proto.Message
		want []string
	}{
		{name: "nil", msg: nil, want: nil},
		{name: "a household's members", msg: &identificationv1.Household{Members: []*identificationv1.Member{member("p1"), member("p2")}},
			want: []string{"p1", "p2"}},
		{name: "a page of households, in order, without repeats", msg: &identificationv1.ListHouseholdsResponse{Households: []*identificationv1.Household{
			{Members: []*identificationv1.Member{member("p3"), member("p1")}}, {Members: []*identificationv1.Member{member("p2"), member("p3")}}}},
			want: []string{"p3", "p1", "p2"}},
		{name: "a certificate", msg: &subsidiesv1.Certificate{PersonId: "p9"}, want: []string{"p9"}},
		{name: "nothing about persons", msg: &identificationv1.Region{Code: "990001001001"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := personIDs(tt.msg); !slices.Equal(got, tt.want) {
				t.Errorf("personIDs = %v, want %v", got, tt.want)
			}
		})
	}
}

// contract builds a one-service file "fupin.contracttest.<pkg>.v1" whose method Read carries rule (and a
// REST route when route is set), owned by owner (UNSPECIFIED: no owner option).
func contract(t *testing.T, pkg string, owner commonv1.Department, rule *commonv1.AccessRule, route bool) protoreflect.FileDescriptor {
	t.Helper()
	mopts := &descriptorpb.MethodOptions{}
	if rule != nil {
		proto.SetExtension(mopts, commonv1.E_Access, rule)
	}
	if route {
		proto.SetExtension(mopts, annotations.E_Http, &annotations.HttpRule{Pattern: &annotations.HttpRule_Get{Get: "/v1/things"}})
	}
	sopts := &descriptorpb.ServiceOptions{}
	if owner != commonv1.Department_DEPARTMENT_UNSPECIFIED {
		proto.SetExtension(sopts, commonv1.E_Owner, owner)
	}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("fupin/contracttest/" + pkg + ".proto"), Package: proto.String("fupin.contracttest." + pkg + ".v1"),
		Syntax: proto.String("proto3"), Dependency: []string{"google/protobuf/empty.proto"},
		Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("ThingService"), Options: sopts,
			Method: []*descriptorpb.MethodDescriptorProto{{Name: proto.String("Read"), InputType: proto.String(".google.protobuf.Empty"),
				OutputType: proto.String(".google.protobuf.Empty"), Options: mopts}}}},
	}, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestCheckAccess(t *testing.T) {
	people := []commonv1.Role{admin, staff, auditor}
	tests := []struct {
		name    string
		owner   commonv1.Department // declared by the service; UNSPECIFIED: the serving process's (rural)
		rule    *commonv1.AccessRule
		route   bool
		wantErr string // "" means accepted
	}{
		{name: "the owner's people with purposes", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin, staff}, casePur), grant(rural, []commonv1.Role{auditor}, auditP)}}},
		{name: "another department's service", rule: &commonv1.AccessRule{Roles: []commonv1.Role{admin, service},
			PlainText: []*commonv1.PlainTextGrant{grant(civil, []commonv1.Role{service}, verify)}}},
		{name: "another department's county admin", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(hr, []commonv1.Role{admin}, verify)}},
			wantErr: "plain data leaves the owner (rural_revitalization) only through a service call"},
		{name: "another department's service and staff in one grant", rule: &commonv1.AccessRule{Roles: []commonv1.Role{staff, service},
			PlainText: []*commonv1.PlainTextGrant{grant(civil, []commonv1.Role{service, staff}, verify)}},
			wantErr: "names role department_staff: plain data leaves the owner"},
		{name: "the declared owner, not the process's department, decides", owner: civil, rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(civil, []commonv1.Role{admin}, casePur)}}},
		{name: "the process's department is not the owner when another is declared", owner: civil, rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin}, casePur)}},
			wantErr: "only through a service call"},
		{name: "a grant without a purpose", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin})}}, wantErr: "needs its purposes"},
		{name: "a grant with an unspecified purpose", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin}, commonv1.Purpose_PURPOSE_UNSPECIFIED)}}, wantErr: "needs its purposes"},
		{name: "a grant without a role", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, nil, casePur)}}, wantErr: "names no role"},
		{name: "a grant without a department", rule: &commonv1.AccessRule{Roles: people,
			PlainText: []*commonv1.PlainTextGrant{grant(commonv1.Department_DEPARTMENT_UNSPECIFIED, []commonv1.Role{service}, casePur)}},
			wantErr: "names no department"},
		{name: "a grant for a role the rule does not admit", rule: &commonv1.AccessRule{Roles: []commonv1.Role{admin},
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin, village}, casePur)}},
			wantErr: "names role village_officer, which may not call the method"},
		{name: "a grant for a department the rule does not admit", rule: &commonv1.AccessRule{
			Departments: []commonv1.Department{civil}, Roles: []commonv1.Role{admin, service},
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin}, casePur)}},
			wantErr: "grant for rural_revitalization, which may not call the method"},
		{name: "a public method granting plain text", rule: &commonv1.AccessRule{Public: true,
			PlainText: []*commonv1.PlainTextGrant{grant(rural, []commonv1.Role{admin}, casePur)}}, wantErr: "a public method grants no plain text"},
		{name: "a service-only method with a REST route", rule: &commonv1.AccessRule{Roles: []commonv1.Role{service}}, route: true,
			wantErr: "only services may call it, yet it has a REST route"},
		{name: "a service-only method without a route", rule: &commonv1.AccessRule{Roles: []commonv1.Role{service}}},
		{name: "a method for people with a route", rule: &commonv1.AccessRule{Roles: []commonv1.Role{admin, service}}, route: true},
		{name: "no rule: denied to everyone", rule: nil, route: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := contract(t, "check"+string(rune('a'+i)), tt.owner, tt.rule, tt.route)
			err := CheckAccess(fd.Services().Get(0), rural)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "ThingService.Read") {
				t.Fatalf("error %v, want one naming the method and %q", err, tt.wantErr)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		fd := contract(t, "checkall", commonv1.Department_DEPARTMENT_UNSPECIFIED, &commonv1.AccessRule{Roles: []commonv1.Role{admin},
			PlainText: []*commonv1.PlainTextGrant{grant(hr, []commonv1.Role{admin}), grant(rural, []commonv1.Role{village}, casePur)}}, false)
		err := CheckAccess(fd.Services().Get(0), rural)
		if err == nil || strings.Count(err.Error(), "\n") < 2 {
			t.Fatalf("error %v, want three problems", err)
		}
	})
}

// TestContractsKeepTheAccessRules: every fupin contract compiled into this binary passes CheckAccess
// (boot refuses to serve otherwise), and every service of a department's API names the department that
// owns its data, so a grant is judged against the right owner wherever the service runs.
func TestContractsKeepTheAccessRules(t *testing.T) {
	services := 0
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		pkg := string(fd.Package())
		if !strings.HasPrefix(pkg, "fupin.") || strings.HasPrefix(pkg, "fupin.contracttest.") {
			return true
		}
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			services++
			if err := CheckAccess(sd, commonv1.Department_DEPARTMENT_UNSPECIFIED); err != nil {
				t.Errorf("%v", err)
			}
			if pkg != "fupin.common.v1" && serviceOwner(sd) == commonv1.Department_DEPARTMENT_UNSPECIFIED {
				t.Errorf("%s declares no owner (option (fupin.common.v1.owner))", sd.FullName())
			}
		}
		return true
	})
	if services < 19 {
		t.Errorf("checked %d fupin services, want every one (at least 19)", services)
	}
}

// TestCheckContracts: the server checks the services registered on it, so a service whose contract would
// hand plain data to another department's people does not start.
func TestCheckContracts(t *testing.T) {
	newServer := func(t *testing.T) *Server {
		t.Helper()
		return &Server{cfg: Config{Department: rural}, grpc: grpc.NewServer()}
	}
	register := func(s *Server, fd protoreflect.FileDescriptor) {
		if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
			t.Fatal(err)
		}
		s.grpc.RegisterService(&grpc.ServiceDesc{ServiceName: string(fd.Services().Get(0).FullName()), HandlerType: (*any)(nil)}, struct{}{})
	}
	t.Run("the real services", func(t *testing.T) {
		s := newServer(t)
		identificationv1.RegisterHouseholdServiceServer(s.grpc, identificationv1.UnimplementedHouseholdServiceServer{})
		subsidiesv1.RegisterCertificateServiceServer(s.grpc, subsidiesv1.UnimplementedCertificateServiceServer{})
		if err := s.CheckContracts(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a grant to another department's people", func(t *testing.T) {
		s := newServer(t)
		register(s, contract(t, "startbad", commonv1.Department_DEPARTMENT_UNSPECIFIED, &commonv1.AccessRule{Roles: []commonv1.Role{admin},
			PlainText: []*commonv1.PlainTextGrant{grant(hr, []commonv1.Role{admin}, verify)}}, false))
		err := s.CheckContracts()
		if err == nil || !strings.Contains(err.Error(), "fupin.contracttest.startbad.v1.ThingService.Read") {
			t.Fatalf("CheckContracts = %v, want the bad grant named", err)
		}
	})
}

// The platform's own refusal reasons are values of fupin.common.v1.ErrorReason.
func TestReasonsAreContractValues(t *testing.T) {
	for _, r := range []string{ReasonReplayByOtherIdentity, ReasonPlainTextLimitExceeded} {
		if _, ok := commonv1.ErrorReason_value[r]; !ok {
			t.Errorf("%s is not in fupin.common.v1.ErrorReason", r)
		}
	}
}
