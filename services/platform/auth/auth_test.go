package auth_test

import (
	"context"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
)

func TestInScope(t *testing.T) {
	township := &auth.Caller{Subject: "u-1", Region: "421321101"}
	county := &auth.Caller{Subject: "u-2", Region: ""}
	service := &auth.Caller{Subject: "svc", Role: commonv1.Role_ROLE_SERVICE}
	tests := []struct {
		name   string
		caller *auth.Caller
		region string
		want   bool
	}{
		{name: "village inside township", caller: township, region: "421321101001", want: true},
		{name: "the township itself", caller: township, region: "421321101", want: true},
		{name: "neighbouring township", caller: township, region: "421321102001", want: false},
		{name: "the county above", caller: township, region: "421321", want: false},
		{name: "empty region", caller: township, region: "", want: false},
		{name: "county sees everything", caller: county, region: "421321102001", want: true},
		{name: "service for a township officer, inside", region: "421321101003", want: true,
			caller: &auth.Caller{Subject: "svc", OnBehalfOf: township}},
		{name: "service for a township officer, outside", region: "421321102003", want: false,
			caller: &auth.Caller{Subject: "svc", OnBehalfOf: township}},
		{name: "narrow service for a county officer, outside the service", region: "421321102003", want: false,
			caller: &auth.Caller{Subject: "svc", Region: "421321101", OnBehalfOf: county}},
		{name: "disjoint service and person", region: "421321101003", want: false,
			caller: &auth.Caller{Subject: "svc", Region: "421322", OnBehalfOf: township}},
		{name: "service for a service for a person", region: "421321102003", want: false,
			caller: &auth.Caller{Subject: "svc", OnBehalfOf: &auth.Caller{Subject: "svc2", OnBehalfOf: township}}},
		{name: "service alone", caller: service, region: "421321102003", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.caller.InScope(tt.region); got != tt.want {
				t.Errorf("InScope(%q) = %v, want %v", tt.region, got, tt.want)
			}
		})
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		name   string
		caller *auth.Caller
		want   string
	}{
		{name: "own region", caller: &auth.Caller{Region: "421321101"}, want: "421321101"},
		{name: "whole county", caller: &auth.Caller{}, want: ""},
		{name: "person narrower than service", want: "421321101",
			caller: &auth.Caller{Region: "421321", OnBehalfOf: &auth.Caller{Region: "421321101"}}},
		{name: "service narrower than person", want: "421321101",
			caller: &auth.Caller{Region: "421321101", OnBehalfOf: &auth.Caller{Region: "421321"}}},
		{name: "county service for a village officer", want: "421321101001",
			caller: &auth.Caller{OnBehalfOf: &auth.Caller{Region: "421321101001"}}},
		{name: "same region", want: "421321101",
			caller: &auth.Caller{Region: "421321101", OnBehalfOf: &auth.Caller{Region: "421321101"}}},
		{name: "disjoint regions see nothing", want: auth.NoRegion,
			caller: &auth.Caller{Region: "421322", OnBehalfOf: &auth.Caller{Region: "421321101"}}},
		{name: "disjoint person deeper than service", want: auth.NoRegion,
			caller: &auth.Caller{Region: "421321102", OnBehalfOf: &auth.Caller{Region: "421321101001"}}},
		{name: "nested acting", want: "421321101",
			caller: &auth.Caller{OnBehalfOf: &auth.Caller{Region: "421321", OnBehalfOf: &auth.Caller{Region: "421321101"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.caller.Scope()
			if got != tt.want {
				t.Errorf("Scope() = %q, want %q", got, tt.want)
			}
			// Scope and InScope must agree: what the scope admits is in scope, nothing else.
			for _, region := range []string{"421321101001", "421321102001", "421322100001"} {
				under := got != auth.NoRegion && len(region) >= len(got) && region[:len(got)] == got
				if in := tt.caller.InScope(region); in != under {
					t.Errorf("InScope(%q) = %v but Scope %q admits it: %v", region, in, got, under)
				}
			}
		})
	}
}

func TestActor(t *testing.T) {
	tests := []struct {
		name   string
		caller *auth.Caller
		want   string
	}{
		{name: "nobody", caller: nil, want: "anonymous"},
		{name: "person", caller: &auth.Caller{Subject: "u-1"}, want: "u-1"},
		{name: "service for a person", caller: &auth.Caller{Subject: "subsidies", OnBehalfOf: &auth.Caller{Subject: "u-1"}},
			want: "subsidies/for u-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.caller.Actor(); got != tt.want {
				t.Errorf("Actor() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDisclosure(t *testing.T) {
	tests := []struct {
		name   string
		caller *auth.Caller
		want   pii.Disclosure
	}{
		{name: "nobody", caller: nil, want: pii.DiscloseMasked},
		{name: "a township officer", caller: &auth.Caller{Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER}, want: pii.DiscloseMasked},
		{name: "a county admin without a purpose", caller: &auth.Caller{Role: commonv1.Role_ROLE_COUNTY_ADMIN}, want: pii.DiscloseMasked},
		{name: "plain access", caller: &auth.Caller{Role: commonv1.Role_ROLE_COUNTY_ADMIN, PlainText: true}, want: pii.DisclosePlain},
		{name: "a service", caller: &auth.Caller{Role: commonv1.Role_ROLE_SERVICE}, want: pii.DiscloseService},
		{name: "a service for a township officer", caller: &auth.Caller{Role: commonv1.Role_ROLE_SERVICE,
			OnBehalfOf: &auth.Caller{Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER}}, want: pii.DiscloseService},
		{name: "a service with plain access", caller: &auth.Caller{Role: commonv1.Role_ROLE_SERVICE, PlainText: true}, want: pii.DisclosePlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.caller.Disclosure(); got != tt.want {
				t.Errorf("Disclosure() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContext(t *testing.T) {
	tests := []struct {
		name   string
		ctx    context.Context
		want   *auth.Caller
		wantOK bool
	}{
		{name: "none", ctx: context.Background(), want: nil, wantOK: false},
		{name: "nil caller", ctx: auth.NewContext(context.Background(), nil), want: nil, wantOK: false},
		{name: "caller", ctx: auth.NewContext(context.Background(), &auth.Caller{Subject: "u-1"}),
			want: &auth.Caller{Subject: "u-1"}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := auth.FromContext(tt.ctx)
			if ok != tt.wantOK || (got == nil) != (tt.want == nil) || (got != nil && got.Subject != tt.want.Subject) {
				t.Errorf("FromContext = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestCodesRoundTrip checks every enum value survives the claim and header codes, so no department,
// role or purpose added to the contract is unusable in a token.
func TestCodesRoundTrip(t *testing.T) {
	t.Run("departments", func(t *testing.T) {
		for v := range commonv1.Department_name {
			d := commonv1.Department(v)
			got, ok := auth.ParseDepartment(auth.DepartmentCode(d))
			if want := d != commonv1.Department_DEPARTMENT_UNSPECIFIED; ok != want || (ok && got != d) {
				t.Errorf("ParseDepartment(%q) = %v, %v", auth.DepartmentCode(d), got, ok)
			}
		}
	})
	t.Run("roles", func(t *testing.T) {
		for v := range commonv1.Role_name {
			r := commonv1.Role(v)
			got, ok := auth.ParseRole(auth.RoleCode(r))
			if want := r != commonv1.Role_ROLE_UNSPECIFIED; ok != want || (ok && got != r) {
				t.Errorf("ParseRole(%q) = %v, %v", auth.RoleCode(r), got, ok)
			}
		}
	})
	t.Run("purposes", func(t *testing.T) {
		for v := range commonv1.Purpose_name {
			p := commonv1.Purpose(v)
			got, ok := auth.ParsePurpose(auth.PurposeCode(p))
			if want := p != commonv1.Purpose_PURPOSE_UNSPECIFIED; ok != want || (ok && got != p) {
				t.Errorf("ParsePurpose(%q) = %v, %v", auth.PurposeCode(p), got, ok)
			}
		}
	})
	t.Run("examples", func(t *testing.T) {
		if got := auth.DepartmentCode(commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION); got != "rural_revitalization" {
			t.Errorf("DepartmentCode = %q", got)
		}
		if got := auth.RoleCode(commonv1.Role_ROLE_TOWNSHIP_OFFICER); got != "township_officer" {
			t.Errorf("RoleCode = %q", got)
		}
		if got := auth.PurposeCode(commonv1.Purpose_PURPOSE_CASE_HANDLING); got != "case_handling" {
			t.Errorf("PurposeCode = %q", got)
		}
		if _, ok := auth.ParsePurpose("sightseeing"); ok {
			t.Error("ParsePurpose accepted an unknown purpose")
		}
	})
}
