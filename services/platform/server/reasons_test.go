package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fupin.dev/services/platform/apperr"
	"google.golang.org/grpc/codes"
)

// TestReasonsDocumentTheirCodes keeps the contracts' ErrorReason texts true: the comment of every value of
// every ErrorReason enum (proto/fupin/*/v1/errors.proto) starts with the gRPC code(s) a caller gets with it
// ("NOT_FOUND: …", "INVALID_ARGUMENT or FAILED_PRECONDITION: …"), and those are exactly the codes the
// services' code raises it with: every apperr constructor call and apperr.Error literal in services/ is
// read (reasons resolved through their Go constants), and its kind is mapped to a code through the
// server's own table (kindCodes). A reason that only names a finding inside a response (an import
// report's line) says "In reports: …", one kept only for wire compatibility "Unused …"; neither may be
// raised as an error.
func TestReasonsDocumentTheirCodes(t *testing.T) {
	raised := raisedReasons(t, "../..")
	documented := documentedReasons(t, "../../../proto/fupin")
	if len(documented) < 50 || len(raised) < 50 {
		t.Fatalf("read %d documented and %d raised reasons: the sources were not found", len(documented), len(raised))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for r := range documented {
			if !yield(r) {
				return
			}
		}
	})
	for _, reason := range names {
		doc := documented[reason]
		got := raised[reason]
		want := doc.codes
		if doc.reportOnly {
			want = nil
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s (%s): documented %q, raised as %v", reason, doc.file, doc.comment, got)
		}
	}
	for reason, got := range raised {
		if _, ok := documented[reason]; !ok {
			t.Errorf("reason %s is raised (%v) but no ErrorReason enum declares it", reason, got)
		}
	}
}

// TestMethodTextsAgreeWithReasons: wherever a contract's comment names a code with a reason
// ("FAILED_PRECONDITION `STEP_OUT_OF_ORDER`", "(INVALID_ARGUMENT, IMPORT_HEADER_INVALID)"), the reason is
// documented (and, by TestReasonsDocumentTheirCodes, raised) with that code.
func TestMethodTextsAgreeWithReasons(t *testing.T) {
	documented := documentedReasons(t, "../../../proto/fupin")
	paths, err := filepath.Glob("../../../proto/fupin/*/v1/*.proto")
	if err != nil {
		t.Fatal(err)
	}
	mention := regexp.MustCompile(`\b([A-Z]+(?:_[A-Z]+)*)[\s(,]+` + "`?" + `([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`)
	checked := 0
	for _, p := range paths {
		if filepath.Base(p) == "errors.proto" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var text []string
		for _, line := range strings.Split(string(b), "\n") {
			if c, ok := strings.CutPrefix(strings.TrimSpace(line), "//"); ok {
				text = append(text, strings.TrimSpace(c))
			}
		}
		for _, m := range mention.FindAllStringSubmatch(strings.Join(text, " "), -1) {
			code, reason := m[1], m[2]
			doc, ok := documented[reason]
			if !ok || !isCodeName(code) {
				continue
			}
			checked++
			if !slices.Contains(doc.codes, code) {
				t.Errorf("%s says %s %s, but %s comes with %v", filepath.Base(p), code, reason, reason, doc.codes)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d mentions of a code with a reason were found: the pattern no longer matches the texts", checked)
	}
}

// isCodeName reports whether s is a gRPC code as the texts write it (NOT_FOUND …).
func isCodeName(s string) bool {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if codeName(c) == s {
			return true
		}
	}
	return false
}

// kindByConstructor is the apperr constructor that sets each kind; NotFound and Unauthenticated set their
// reason themselves.
var kindByConstructor = map[string]apperr.Kind{
	"Invalid": apperr.KindInvalid, "Refused": apperr.KindRefused, "Aborted": apperr.KindAborted,
	"Denied": apperr.KindPermissionDenied, "Exists": apperr.KindAlreadyExists, "Unavailable": apperr.KindUnavailable,
	"Exhausted": apperr.KindExhausted,
}

var kindByName = map[string]apperr.Kind{
	"KindInvalid": apperr.KindInvalid, "KindNotFound": apperr.KindNotFound, "KindAlreadyExists": apperr.KindAlreadyExists,
	"KindRefused": apperr.KindRefused, "KindAborted": apperr.KindAborted, "KindPermissionDenied": apperr.KindPermissionDenied,
	"KindUnauthenticated": apperr.KindUnauthenticated, "KindUnavailable": apperr.KindUnavailable,
	"KindExhausted": apperr.KindExhausted,
}

// raisedReasons reads the Go code under root (services/) and returns, per reason, the codes it is raised
// with, sorted.
func raisedReasons(t *testing.T, root string) map[string][]string {
	t.Helper()
	type file struct {
		dir string
		f   *ast.File
	}
	var files []file
	consts := map[string]string{} // "dir.Name" → value
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		files = append(files, file{dir, f})
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[dir+"."+name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	codesOf := map[string]map[codes.Code]bool{}
	add := func(reason string, k apperr.Kind) {
		if reason == "" {
			return
		}
		if codesOf[reason] == nil {
			codesOf[reason] = map[codes.Code]bool{}
		}
		codesOf[reason][kindCodes[k]] = true
	}
	for _, fl := range files {
		imports := map[string]string{} // package name → dir under services/
		for _, imp := range fl.f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(p, "fupin.dev/services/")
			if !ok {
				continue
			}
			name := filepath.Base(rel)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = rel
		}
		value := func(e ast.Expr) string {
			switch x := e.(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(x.Value)
				return s
			case *ast.Ident:
				return consts[fl.dir+"."+x.Name]
			case *ast.SelectorExpr:
				if pkg, ok := x.X.(*ast.Ident); ok {
					return consts[imports[pkg.Name]+"."+x.Sel.Name]
				}
			}
			return ""
		}
		isApperr := func(e ast.Expr, name string) bool {
			if id, ok := e.(*ast.Ident); ok {
				return fl.dir == "platform/apperr" && id.Name == name
			}
			sel, ok := e.(*ast.SelectorExpr)
			if !ok {
				return false
			}
			pkg, ok := sel.X.(*ast.Ident)
			return ok && imports[pkg.Name] == "platform/apperr" && sel.Sel.Name == name
		}
		// sites calls emit with the reason expression and the kind of every refusal built under n.
		sites := func(n ast.Node, emit func(reason ast.Expr, k apperr.Kind)) {
			// Field violations count as INVALID_ARGUMENT, except where a function adds them to a copy of
			// another refusal (e.Fields = append(e.Fields, …)), which keeps that refusal's kind.
			detailsOnly := false
			ast.Inspect(n, func(n ast.Node) bool {
				if a, ok := n.(*ast.AssignStmt); ok {
					if sel, ok := a.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Fields" {
						detailsOnly = true
					}
				}
				return true
			})
			ast.Inspect(n, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					if len(x.Args) == 0 {
						return true
					}
					name := ""
					switch fn := x.Fun.(type) {
					case *ast.SelectorExpr:
						name = fn.Sel.Name
					case *ast.Ident:
						name = fn.Name
					}
					if k, ok := kindByConstructor[name]; ok && isApperr(x.Fun, name) {
						emit(x.Args[0], k)
					}
				case *ast.CompositeLit:
					switch id, _ := x.Type.(*ast.Ident); {
					case isApperr(x.Type, "FieldViolation") && !detailsOnly:
						emit(field(x, "Reason"), apperr.KindInvalid)
					case id != nil && id.Name == "Violation" && fl.dir == "identification/internal/domain":
						// A new household's violations, reported together as INVALID_ARGUMENT (Violations.asError).
						emit(field(x, "Reason"), apperr.KindInvalid)
					case isApperr(x.Type, "Error"):
						if kind, ok := field(x, "Kind").(*ast.SelectorExpr); ok {
							emit(field(x, "Reason"), kindByName[kind.Sel.Name])
						}
					}
				}
				return true
			})
		}
		for _, decl := range fl.f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				sites(decl, func(r ast.Expr, k apperr.Kind) { add(value(r), k) })
				continue
			}
			// A reason held in a local variable (reason := X; … reason = Y) takes every value assigned to
			// it; one passed to a local closure (add := func(field, reason string) {…}) every argument
			// given at that position.
			locals := map[string][]string{}
			closures := map[string]*ast.FuncLit{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if a, ok := n.(*ast.AssignStmt); ok && len(a.Lhs) == len(a.Rhs) {
					for i, l := range a.Lhs {
						id, ok := l.(*ast.Ident)
						if !ok {
							continue
						}
						if lit, ok := a.Rhs[i].(*ast.FuncLit); ok {
							closures[id.Name] = lit
						} else if v := value(a.Rhs[i]); v != "" {
							locals[id.Name] = append(locals[id.Name], v)
						}
					}
				}
				return true
			})
			resolve := func(e ast.Expr) []string {
				if id, ok := e.(*ast.Ident); ok && len(locals[id.Name]) > 0 {
					return locals[id.Name]
				}
				return []string{value(e)}
			}
			params := map[string]map[int][]apperr.Kind{} // closure → parameter index → kinds
			for name, lit := range closures {
				var names []string
				for _, f := range lit.Type.Params.List {
					for _, n := range f.Names {
						names = append(names, n.Name)
					}
				}
				sites(lit.Body, func(r ast.Expr, k apperr.Kind) {
					if id, ok := r.(*ast.Ident); ok {
						if i := slices.Index(names, id.Name); i >= 0 {
							if params[name] == nil {
								params[name] = map[int][]apperr.Kind{}
							}
							params[name][i] = append(params[name][i], k)
						}
					}
				})
			}
			sites(fn.Body, func(r ast.Expr, k apperr.Kind) {
				for _, v := range resolve(r) {
					add(v, k)
				}
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if id, ok := call.Fun.(*ast.Ident); ok {
					for i, kinds := range params[id.Name] {
						if i < len(call.Args) {
							for _, v := range resolve(call.Args[i]) {
								for _, k := range kinds {
									add(v, k)
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	// Set by the platform itself, not through a constructor's reason argument.
	add("NOT_FOUND", apperr.KindNotFound)
	add("UNAUTHENTICATED", apperr.KindUnauthenticated)
	out := map[string][]string{}
	for reason, cs := range codesOf {
		for c := range cs {
			out[reason] = append(out[reason], codeName(c))
		}
		sort.Strings(out[reason])
	}
	out["INTERNAL_ERROR"] = []string{"INTERNAL"} // toStatus, for every error that is not a refusal
	return out
}

// field is the value of a keyed field of a composite literal, or nil.
func field(lit *ast.CompositeLit, name string) ast.Expr {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == name {
				return kv.Value
			}
		}
	}
	return nil
}

// codeName is a code as the proto texts write it: NOT_FOUND, FAILED_PRECONDITION …
func codeName(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

type documentedReason struct {
	file, comment string
	codes         []string
	reportOnly    bool
}

var (
	enumValue = regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*) = [0-9]+;`)
	// leadCodes is how a comment starts: "NOT_FOUND:" or "INVALID_ARGUMENT or FAILED_PRECONDITION:".
	leadCodes = regexp.MustCompile(`^((?:[A-Z_]+)(?: or [A-Z_]+)*): `)
)

// documentedReasons reads every errors.proto under root and returns each ErrorReason value's comment.
func documentedReasons(t *testing.T, root string) map[string]documentedReason {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "*", "v1", "errors.proto"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no errors.proto under %s: %v", root, err)
	}
	out := map[string]documentedReason{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var comment []string
		for _, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			if c, ok := strings.CutPrefix(trimmed, "//"); ok {
				comment = append(comment, strings.TrimSpace(c))
				continue
			}
			m := enumValue.FindStringSubmatch(line)
			if m == nil {
				comment = nil
				continue
			}
			text := strings.Join(comment, " ")
			comment = nil
			if strings.HasSuffix(m[1], "_UNSPECIFIED") {
				continue
			}
			d := documentedReason{file: filepath.Base(filepath.Dir(filepath.Dir(p))), comment: text}
			if strings.HasPrefix(text, "In reports: ") || strings.HasPrefix(text, "Unused") {
				d.reportOnly = true
			} else if lead := leadCodes.FindStringSubmatch(text); lead != nil {
				d.codes = strings.Split(lead[1], " or ")
				sort.Strings(d.codes)
			}
			if prev, ok := out[m[1]]; ok && (strings.Join(prev.codes, ",") != strings.Join(d.codes, ",") || prev.reportOnly != d.reportOnly) {
				t.Errorf("%s is declared in %s and %s with different codes", m[1], prev.file, d.file)
			}
			out[m[1]] = d
		}
	}
	return out
}
