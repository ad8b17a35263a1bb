package authzmatrix_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// TestAuthorizationMatrix calls every method of every fupin service compiled into this test (walking the
// registered contracts, so new methods and services join by themselves) as every caller of matrixCallers,
// over real gRPC against the started county, and checks each answer against the method's access rule:
//
//   - default deny: a caller the rule does not admit gets PERMISSION_DENIED ACCESS_DENIED, and nothing else;
//     a caller it admits is never ACCESS_DENIED, never UNAUTHENTICATED, never INTERNAL (INVALID_ARGUMENT
//     for a request built without knowing the method still proves the caller was let through);
//   - region scope: a request naming a record in ownVillage succeeds only for callers whose scope covers
//     it (others get OUT_OF_REGION_SCOPE or NOT_FOUND, never data), and no answer holds a region_code
//     outside the caller's scope;
//   - plain data only where declared: no answer holds a valid, unmasked 身份证号 (alone or inside a
//     disability certificate number) unless a plain_text grant names the caller's department, role and
//     the purpose the call stated, and never more than 100 records of them.
//
// The counts it logs are recorded in docs/SECURITY.md.
func TestAuthorizationMatrix(t *testing.T) {
	began := time.Now()
	c := startCounty(t)
	f := newFiller(makeFixtures(t, c))
	methods := fupinMethods(t, c)
	callers := matrixCallers()
	prepared := time.Now()

	var cells, mutations []cell
	for _, m := range methods {
		for _, server := range m.servers {
			for _, who := range callers {
				cl := cell{m: m, server: server, who: who, purpose: purposeFor(m.rule, who)}
				if m.readOnly {
					cells = append(cells, cl)
				} else {
					mutations = append(mutations, cl)
				}
			}
		}
	}
	// Reads first, then changes, so a change an admitted caller manages to make (a request built from
	// fixtures alone is rarely valid) cannot hide a read's answer.
	tally := newTally()
	run := func(cells []cell) {
		ctxs := &callerContexts{keys: c.keys, t: t, m: map[string]context.Context{}}
		work := make(chan cell)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for cl := range work {
					req, scoped := f.build(cl.m.md, cl.m.readOnly)
					msgs, err := invoke(ctxs.of(cl.who, cl.purpose), c.conns[cl.server], cl.m.md, req)
					tally.add(cl, outcomeOf(err), check(cl, scoped, msgs, err))
				}
			}()
		}
		for _, cl := range cells {
			work <- cl
		}
		close(work)
		wg.Wait()
	}
	run(cells)
	run(mutations)

	t.Logf("authorization matrix: %d methods (%d reads, %d changes) on %d services, %d callers, %d calls in %s (county and fixtures %s)",
		len(methods), countIf(methods, func(m method) bool { return m.readOnly }), countIf(methods, func(m method) bool { return !m.readOnly }),
		len(servedServices(methods)), len(callers), tally.calls, time.Since(prepared).Round(time.Second), prepared.Sub(began).Round(time.Second))
	t.Logf("outcomes:\n%s", tally.table())
	if len(tally.violations) > 0 {
		sort.Strings(tally.violations)
		for i, v := range tally.violations {
			if i == 60 {
				t.Errorf("… and %d more", len(tally.violations)-i)
				break
			}
			t.Error(v)
		}
	}
	if tally.byOutcome["OK"] == 0 || tally.byOutcome["ACCESS_DENIED"] == 0 {
		t.Errorf("the matrix proved nothing: outcomes %v", tally.byOutcome)
	}
}

// caller is one row of the matrix.
type caller struct {
	label string
	token servicetest.Caller
	dept  commonv1.Department
	role  commonv1.Role
	// scope is the region prefix the caller's answers must keep to: its own, or the narrower of a
	// service's and the person's it acts for.
	scope string
	// badRegion marks a township officer without a 9-digit region or a village officer without a 12-digit
	// one: the platform may refuse the token (UNAUTHENTICATED) instead of scoping it.
	badRegion bool
	// anonymous sends no token at all: only public methods answer it.
	anonymous bool
}

// matrixCallers are every department × role × region scope (the county, another township, the
// fixtures' township and village; village officers also another village), every department's service,
// and a service acting for township officers inside and outside the fixtures' township.
func matrixCallers() []caller {
	type scope struct{ name, region string }
	scopes := []scope{{"county", ""}, {"another township", otherTownship}, {"own township", ownTownship}, {"own village", ownVillage}}
	roles := []commonv1.Role{commonv1.Role_ROLE_COUNTY_ADMIN, commonv1.Role_ROLE_DEPARTMENT_STAFF, commonv1.Role_ROLE_TOWNSHIP_OFFICER,
		commonv1.Role_ROLE_VILLAGE_OFFICER, commonv1.Role_ROLE_AUDITOR}
	var out []caller
	for _, d := range departments() {
		for _, r := range roles {
			ss := scopes
			if r == commonv1.Role_ROLE_VILLAGE_OFFICER {
				ss = append(slices.Clone(scopes), scope{"another village", otherVillage})
			}
			for _, s := range ss {
				label := auth.DepartmentCode(d) + "/" + auth.RoleCode(r) + "@" + s.name
				out = append(out, caller{label: label, dept: d, role: r, scope: s.region,
					token:     servicetest.Caller{Subject: "matrix:" + label, Department: auth.DepartmentCode(d), Role: auth.RoleCode(r), Region: s.region},
					badRegion: (r == commonv1.Role_ROLE_TOWNSHIP_OFFICER && len(s.region) != 9) || (r == commonv1.Role_ROLE_VILLAGE_OFFICER && len(s.region) != 12)})
			}
		}
		label := auth.DepartmentCode(d) + "/service"
		out = append(out, caller{label: label, dept: d, role: commonv1.Role_ROLE_SERVICE,
			token: servicetest.Caller{Subject: "service:matrix-" + auth.DepartmentCode(d), Department: auth.DepartmentCode(d), Role: "service"}})
	}
	for _, s := range []scope{{"another township", otherTownship}, {"own township", ownTownship}} {
		person := &servicetest.Caller{Subject: "matrix:civil-township-" + s.region, Department: "civil_affairs", Role: "township_officer", Region: s.region}
		out = append(out, caller{label: "civil_affairs/service for a township officer@" + s.name, dept: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
			role: commonv1.Role_ROLE_SERVICE, scope: s.region,
			token: servicetest.Caller{Subject: "service:matrix-civil-affairs", Department: "civil_affairs", Role: "service", OnBehalfOf: person}})
	}
	// Anyone on the internet, for the public methods (公示), which answer without a token: the rest must not.
	out = append(out, caller{label: "anonymous", anonymous: true, scope: "-"})
	return out
}

// method is one RPC of a fupin contract and the services that serve it.
type method struct {
	md       protoreflect.MethodDescriptor
	rule     *commonv1.AccessRule
	readOnly bool
	servers  []string
}

// fupinMethods walks the registered contracts for fupin.* services. A service of package fupin.<name>.v1
// is served by the process <name>; fupin.common.v1's by every process that serves it (PolicyService and
// ChangeFeedService by all; PublicNoticeService only where a procedure posts publicly).
func fupinMethods(t *testing.T, c *county) []method {
	t.Helper()
	var out []method
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		pkg := string(fd.Package())
		if !strings.HasPrefix(pkg, "fupin.") || fd.Services().Len() == 0 {
			return true // a file of shared messages only (fupin.payroll.v1) is served by no process of its own
		}
		servers := slices.Sorted(maps.Keys(c.conns))
		if pkg != "fupin.common.v1" {
			name := strings.TrimSuffix(strings.TrimPrefix(pkg, "fupin."), ".v1")
			if c.conns[name] == nil {
				t.Fatalf("package %s: no %s service started (add it to startCounty)", pkg, name)
			}
			servers = []string{name}
		}
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			servers := servers
			if pkg == "fupin.common.v1" {
				servers = serving(t, c, sd, servers)
			}
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				opts, _ := md.Options().(*descriptorpb.MethodOptions)
				rule, _ := proto.GetExtension(opts, commonv1.E_Access).(*commonv1.AccessRule)
				out = append(out, method{md: md, rule: rule, servers: servers,
					readOnly: opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS})
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].md.FullName() < out[j].md.FullName() })
	return out
}

func servedServices(ms []method) map[protoreflect.FullName]bool {
	out := map[protoreflect.FullName]bool{}
	for _, m := range ms {
		out[m.md.Parent().FullName()] = true
	}
	return out
}

func countIf(ms []method, f func(method) bool) int {
	n := 0
	for _, m := range ms {
		if f(m) {
			n++
		}
	}
	return n
}

// cell is one call of the matrix.
type cell struct {
	m       method
	server  string
	who     caller
	purpose commonv1.Purpose
}

// purposeFor is the purpose a caller states: one a grant gives them, so grants are exercised; else one
// granted to someone else, so stating another's purpose is shown to give nothing; else verification.
func purposeFor(rule *commonv1.AccessRule, c caller) commonv1.Purpose {
	for _, g := range rule.GetPlainText() {
		if g.GetDepartment() == c.dept && slices.Contains(g.GetRoles(), c.role) {
			return g.GetPurposes()[0]
		}
	}
	for _, g := range rule.GetPlainText() {
		return g.GetPurposes()[0]
	}
	return commonv1.Purpose_PURPOSE_VERIFICATION
}

// admits reads the rule as the contract states it: the caller's role listed, and their department too
// when departments are listed.
func admits(rule *commonv1.AccessRule, c caller) bool {
	if rule == nil {
		return false
	}
	if rule.GetPublic() {
		return true
	}
	if c.anonymous {
		return false
	}
	return slices.Contains(rule.GetRoles(), c.role) &&
		(len(rule.GetDepartments()) == 0 || slices.Contains(rule.GetDepartments(), c.dept))
}

// grantsPlainText: a grant names the caller's department and role and the purpose stated.
func grantsPlainText(rule *commonv1.AccessRule, c caller, purpose commonv1.Purpose) bool {
	for _, g := range rule.GetPlainText() {
		if g.GetDepartment() == c.dept && slices.Contains(g.GetRoles(), c.role) && slices.Contains(g.GetPurposes(), purpose) {
			return true
		}
	}
	return false
}

// check returns what is wrong with one answer ("" when nothing is). scoped says the request named a
// record in ownVillage.
func check(cl cell, scoped bool, msgs []proto.Message, err error) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s on %s as %s (purpose %s): ", cl.m.md.FullName(), cl.server, cl.who.label,
			auth.PurposeCode(cl.purpose))+fmt.Sprintf(format, args...))
	}
	open := errors.Is(err, errStillOpen)
	if open {
		err = nil // a stream let through and still serving
	}
	code, reason := status.Code(err), reasonOf(err)
	if cl.who.anonymous && !cl.m.rule.GetPublic() {
		if code != codes.Unauthenticated {
			fail("no token, yet the answer is %s %s (stream still open: %v)", code, reason, open)
		}
		return bad
	}
	if code == codes.Unauthenticated {
		if !cl.who.badRegion {
			fail("UNAUTHENTICATED: %v", err)
		}
		return bad
	}
	if !admits(cl.m.rule, cl.who) {
		if code != codes.PermissionDenied || reason != "ACCESS_DENIED" {
			fail("the rule does not admit the caller, yet the answer is %s %s (stream still open: %v)", code, reason, open)
		}
		return bad
	}
	switch {
	case reason == "ACCESS_DENIED":
		fail("the rule admits the caller, yet the answer is ACCESS_DENIED: %v", err)
	case code == codes.Internal || code == codes.Unknown || code == codes.Unimplemented:
		fail("answer %s: %v", code, err)
	}
	if err != nil {
		return bad
	}
	if cl.m.rule.GetPublic() {
		// A public answer holds what a notice shows and nothing else: no 18-character number at all (not
		// even a valid-looking one outside a grant), no phone, no name of the fixtures' persons unmasked.
		for _, msg := range msgs {
			walk(msg.ProtoReflect(), func(m protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
				if fd.Kind() != protoreflect.StringKind {
					return
				}
				s := v.String()
				if publicLeak.MatchString(s) || slices.ContainsFunc(fixtureNames, func(n string) bool { return strings.Contains(s, n) }) {
					fail("public answer %s.%s holds personal data: %q", m.Descriptor().FullName(), fd.Name(), s)
				}
			})
		}
		return bad
	}
	if scoped && !strings.HasPrefix(ownVillage, cl.who.scope) {
		fail("answered about a record in %s to a caller whose scope is %q", ownVillage, cl.who.scope)
	}
	for _, msg := range msgs {
		walk(msg.ProtoReflect(), func(m protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
			if fd.Name() == "region_code" && fd.Kind() == protoreflect.StringKind {
				if r := v.String(); r != "" && !strings.HasPrefix(r, cl.who.scope) {
					fail("%s.region_code %s lies outside the caller's scope %q", m.Descriptor().FullName(), r, cl.who.scope)
				}
			}
			var s string
			switch fd.Kind() {
			case protoreflect.StringKind:
				s = v.String()
			case protoreflect.BytesKind:
				s = string(v.Bytes())
			default:
				return
			}
			if id := plainIDNumber(s); id != "" && !grantsPlainText(cl.m.rule, cl.who, cl.purpose) {
				fail("%s.%s holds a plain 身份证号 (%s…) no grant allows", m.Descriptor().FullName(), fd.Name(), id[:6])
			}
		})
	}
	if grantsPlainText(cl.m.rule, cl.who, cl.purpose) && len(msgs) == 1 && records(msgs[0]) > 100 {
		fail("%d records in plain text in one answer", records(msgs[0]))
	}
	return bad
}

// walk calls fn for every populated scalar field anywhere in m (lists element by element).
func walk(m protoreflect.Message, fn func(protoreflect.Message, protoreflect.FieldDescriptor, protoreflect.Value)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					walk(mv.Message(), fn)
				} else {
					fn(m, fd.MapValue(), mv)
				}
				return true
			})
		case fd.IsList():
			for i := range v.List().Len() {
				if fd.Kind() == protoreflect.MessageKind {
					walk(v.List().Get(i).Message(), fn)
				} else {
					fn(m, fd, v.List().Get(i))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			walk(v.Message(), fn)
		default:
			fn(m, fd, v)
		}
		return true
	})
}

// publicLeak finds an 18-character number or a phone number (mobile, or a landline with its area code).
var publicLeak = regexp.MustCompile(`[0-9]{17}[0-9Xx]|(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)|(^|[^0-9])0[0-9]{2,3}-[0-9]{7,8}`)

// fixtureNames are the fixtures' persons' names (and the objector's), never public unmasked.
var fixtureNames = []string{"王大山", "李秀英", "赵干部", "孙异议"}

// idCandidate is 17 digits and a check character not preceded by a letter or digit: a 身份证号 on its
// own, at the start of a certificate number, or inside a CSV line.
var idCandidate = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9]{17}[0-9Xx])`)

// plainIDNumber returns the first valid 身份证号 in s (check character right), or "".
func plainIDNumber(s string) string {
	for _, m := range idCandidate.FindAllStringSubmatch(s, -1) {
		if id := strings.ToUpper(m[1]); pii.IDCheckChar(id[:17]) == id[17] {
			return id
		}
	}
	return ""
}

// records is the number of records an answer holds: the length of its first repeated message field, or 1.
func records(m proto.Message) int {
	fields := m.ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.IsList() && f.Kind() == protoreflect.MessageKind {
			return m.ProtoReflect().Get(f).List().Len()
		}
	}
	return 1
}

func reasonOf(err error) string {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// outcomeOf names an answer for the counts: OK, the ErrorInfo reason for the platform's refusals, else
// the code.
func outcomeOf(err error) string {
	if err == nil || errors.Is(err, errStillOpen) {
		return "OK"
	}
	switch r := reasonOf(err); r {
	case "ACCESS_DENIED", "OUT_OF_REGION_SCOPE":
		return r
	}
	return status.Code(err).String()
}

// callerContexts signs each caller's token once per purpose.
type callerContexts struct {
	keys servicetest.Keys
	t    *testing.T
	mu   sync.Mutex
	m    map[string]context.Context
}

func (cc *callerContexts) of(c caller, p commonv1.Purpose) context.Context {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	key := c.label + "|" + p.String()
	ctx, ok := cc.m[key]
	if !ok && c.anonymous {
		ctx = cc.t.Context()
		cc.m[key] = ctx
	}
	if !ok && !c.anonymous {
		tok := c.token
		tok.Purpose = auth.PurposeCode(p)
		ctx = cc.keys.AsCaller(cc.t, cc.t.Context(), tok)
		cc.m[key] = ctx
	}
	return ctx
}

// tally counts the answers.
type tally struct {
	mu         sync.Mutex
	calls      int
	byOutcome  map[string]int
	admitted   map[string]int // outcomes of callers the rule admits
	violations []string
}

func newTally() *tally { return &tally{byOutcome: map[string]int{}, admitted: map[string]int{}} }

func (t *tally) add(cl cell, outcome string, violations []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	t.byOutcome[outcome]++
	if admits(cl.m.rule, cl.who) {
		t.admitted[outcome]++
	}
	for _, v := range violations {
		if !slices.Contains(t.violations, v) {
			t.violations = append(t.violations, v)
		}
	}
}

func (t *tally) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-22s %8s %10s\n", "outcome", "calls", "admitted")
	for _, o := range slices.Sorted(maps.Keys(t.byOutcome)) {
		fmt.Fprintf(&b, "  %-22s %8d %10d\n", o, t.byOutcome[o], t.admitted[o])
	}
	fmt.Fprintf(&b, "  %-22s %8d %10d\n", "violations", len(t.violations), 0)
	return b.String()
}

// serving returns the servers among servers that serve the shared service sd: a call without a token to
// its first method is refused by the server's chain (or answered) where it is registered, and is
// Unimplemented ("unknown service") where it is not.
func serving(t *testing.T, c *county, sd protoreflect.ServiceDescriptor, servers []string) []string {
	t.Helper()
	md := sd.Methods().Get(0)
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range servers {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := invoke(ctx, c.conns[name], md, in.New().Interface())
		cancel()
		if st, _ := status.FromError(err); st.Code() == codes.Unimplemented && strings.Contains(st.Message(), "unknown service") {
			continue
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		t.Fatalf("no process serves %s", sd.FullName())
	}
	return out
}
