package server

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/auth"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// MaxPlainTextRecords caps the records one plain-text read may ask for: a page_size (0 takes the
// method's default, which is never larger) or the names of a batch read. Reading a whole register in
// plain text takes thousands of audited calls, not one (issue 8).
const MaxPlainTextRecords = 100

// plainTextAllowed reports whether the caller may receive personal data in plain text through a method
// with rule: a grant names their department and role and the purpose they stated.
func plainTextAllowed(rule *commonv1.AccessRule, c *auth.Caller) bool {
	if c.Purpose == commonv1.Purpose_PURPOSE_UNSPECIFIED {
		return false
	}
	for _, g := range rule.GetPlainText() {
		if g.GetDepartment() == c.Department && hasRole(g.GetRoles(), c.Role) && slices.Contains(g.GetPurposes(), c.Purpose) {
			return true
		}
	}
	return false
}

// limitPlainText refuses a plain-text read that asks for more than MaxPlainTextRecords records.
func limitPlainText(c *auth.Caller, req any) error {
	msg, ok := req.(proto.Message)
	if !ok || c == nil || !c.PlainText {
		return nil
	}
	r := msg.ProtoReflect()
	fields := r.Descriptor().Fields()
	if f := fields.ByName("page_size"); f != nil && f.Kind() == protoreflect.Int32Kind && r.Get(f).Int() > MaxPlainTextRecords {
		return apperr.Invalid(ReasonPlainTextLimitExceeded, "page_size", "a read in plain text returns at most "+
			strconv.Itoa(MaxPlainTextRecords)+" records a call; ask for a smaller page or read without a purpose (masked)")
	}
	if f := fields.ByName("names"); f != nil && f.IsList() && r.Get(f).List().Len() > MaxPlainTextRecords {
		return apperr.Invalid(ReasonPlainTextLimitExceeded, "names", "a read in plain text returns at most "+
			strconv.Itoa(MaxPlainTextRecords)+" records a call; split the batch or read without a purpose (masked)")
	}
	return nil
}

// personIDs collects the person_id fields anywhere in a response, in order and without repeats: the
// persons a read returned, for its audit row.
func personIDs(msg proto.Message) []string {
	if msg == nil {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case f.Name() == "person_id" && f.Kind() == protoreflect.StringKind && !f.IsList():
				if id := v.String(); !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			case f.Kind() != protoreflect.MessageKind && f.Kind() != protoreflect.GroupKind:
			case f.IsList():
				for i := range v.List().Len() {
					walk(v.List().Get(i).Message())
				}
			case f.IsMap():
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					if f.MapValue().Kind() == protoreflect.MessageKind {
						walk(mv.Message())
					}
					return true
				})
			default:
				walk(v.Message())
			}
			return true
		})
	}
	walk(msg.ProtoReflect())
	return ids
}

// CheckAccess reports, all at once, every way the access rules of sd's methods break the platform's
// rules; owner is the department serving sd when it declares none. Plain personal data crosses a
// department only through a service call with a declared purpose:
//   - a plain-text grant names a department, at least one role and at least one purpose, and only
//     departments and roles the method admits at all;
//   - a grant for a department other than the service's owner lists ROLE_SERVICE alone: a person of
//     another department never reads plain data;
//   - a public method grants nothing;
//   - a method only services may call has no REST route (people reach the gateway; services do not).
func CheckAccess(sd protoreflect.ServiceDescriptor, owner commonv1.Department) error {
	if o := serviceOwner(sd); o != commonv1.Department_DEPARTMENT_UNSPECIFIED {
		owner = o
	}
	var errs []error
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		rule := accessRule(md)
		if rule == nil {
			continue // denied to everyone
		}
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: "+format, append([]any{md.FullName()}, args...)...))
		}
		if rule.GetPublic() && len(rule.GetPlainText()) > 0 {
			fail("a public method grants no plain text")
		}
		for _, g := range rule.GetPlainText() {
			dept := g.GetDepartment()
			switch {
			case dept == commonv1.Department_DEPARTMENT_UNSPECIFIED:
				fail("a plain-text grant names no department")
			case len(rule.GetDepartments()) > 0 && !slices.Contains(rule.GetDepartments(), dept):
				fail("a plain-text grant for %s, which may not call the method", auth.DepartmentCode(dept))
			}
			if len(g.GetRoles()) == 0 {
				fail("the plain-text grant for %s names no role", auth.DepartmentCode(dept))
			}
			for _, r := range g.GetRoles() {
				if !hasRole(rule.GetRoles(), r) {
					fail("the plain-text grant for %s names role %s, which may not call the method", auth.DepartmentCode(dept), auth.RoleCode(r))
				}
				if dept != owner && r != commonv1.Role_ROLE_SERVICE {
					fail("the plain-text grant for %s names role %s: plain data leaves the owner (%s) only through a service call, never to a person of another department",
						auth.DepartmentCode(dept), auth.RoleCode(r), auth.DepartmentCode(owner))
				}
			}
			if len(g.GetPurposes()) == 0 || slices.Contains(g.GetPurposes(), commonv1.Purpose_PURPOSE_UNSPECIFIED) {
				fail("the plain-text grant for %s needs its purposes (and no unspecified one)", auth.DepartmentCode(dept))
			}
		}
		if len(rule.GetRoles()) > 0 && !slices.ContainsFunc(rule.GetRoles(), func(r commonv1.Role) bool { return r != commonv1.Role_ROLE_SERVICE }) &&
			hasHTTPRoute(md) {
			fail("only services may call it, yet it has a REST route (google.api.http)")
		}
	}
	return errors.Join(errs...)
}

func hasHTTPRoute(md protoreflect.MethodDescriptor) bool {
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	return opts != nil && proto.HasExtension(opts, annotations.E_Http)
}

// CheckContracts applies CheckAccess to every fupin service registered on the server (boot runs it
// before serving, so a service whose contract breaks the rules never starts).
func (s *Server) CheckContracts() error {
	var errs []error
	for name := range s.grpc.GetServiceInfo() {
		if !strings.HasPrefix(name, "fupin.") {
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: no descriptor: %w", name, err))
			continue
		}
		if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
			errs = append(errs, CheckAccess(sd, s.cfg.Department))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("access rules: %w", err)
	}
	return nil
}
