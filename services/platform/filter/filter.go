// Package filter parses the AIP-160 subset fupin's List methods accept and compiles it to a
// parameterized SQL condition over a declared set of fields. Nothing the caller writes ever reaches the
// SQL text: field names map to declared columns and every value becomes a bound parameter.
//
// Grammar: expr = term { "AND" term } ; term = field op value ; op = "=" | "!=" | ":" | "<" | "<=" | ">" | ">=" ;
// value = "quoted string" | bare word or number. ":" on a string field means "starts with", which is how
// region code prefixes are written (region_code:"421321101").
package filter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fupin.dev/services/platform/apperr"
)

// Type is a declared field's type.
type Type int

// Field types.
const (
	String Type = iota // compared as text; ":" is a prefix match
	Enum               // written as the enum value name, stored as its number
	Int
	// Time is written as an RFC 3339 time and stored as Unix microseconds; ordering operators only, and "=".
	Time
	// Contains is a column of comma-separated values (an audit row's person ids): `field = "x"` matches a
	// row whose list holds x. Values may not hold ',', '%', '_' or '\\'.
	Contains
)

// Field declares a filterable field.
type Field struct {
	Column string
	Type   Type
	// Values maps enum value names to their numbers (Type Enum).
	Values map[string]int32
	// Pattern, when set, must accept every value (e.g. digits only for codes).
	Pattern func(string) bool
	// Normalize, when set, turns a String value into the stored form before it is compared (a person's
	// name through pii.NormalizeName); its error is the filter's INVALID_ARGUMENT.
	Normalize func(string) (string, error)
	// Within, when set, is a condition holding one %s where the comparison on Column goes: a field of
	// rows of another table, e.g. `id IN (SELECT household_id FROM memberships … WHERE %s)`.
	Within string
	// Broad, when set with Within, is the condition used instead of Within for a value the caller judges to
	// match many rows of the other table (CompileFunc's broad): Within's `id IN (SELECT …)` reads every
	// match before the first page, so a common value is better served from this side, e.g. `EXISTS
	// (SELECT 1 FROM memberships … WHERE household_id = households.id AND %s)`, which stops at the page's end.
	Broad string
	// Wildcard lets a String field's ":" value end in "*" ("王*", as people type a prefix); the star is
	// dropped.
	Wildcard bool
}

// Fields is the set of fields a List method can filter on, by name.
type Fields map[string]Field

// Compile parses expr and returns an SQL condition ("" when expr is empty) using $N placeholders from
// firstArg on, and its arguments. Errors are INVALID_ARGUMENT naming the filter field.
func (fs Fields) Compile(expr string, firstArg int) (string, []any, error) {
	return fs.CompileFunc(expr, firstArg, nil)
}

// Broad tells whether a comparison of a field with Broad set matches many rows: it gets the field's name
// and the comparison's arguments (the value; for a prefix the range's two ends).
type Broad func(field string, args []any) (bool, error)

// CompileFunc is Compile with the judge of fields that have a Broad condition (nil: never broad).
func (fs Fields) CompileFunc(expr string, firstArg int, broad Broad) (string, []any, error) {
	toks, err := lex(expr)
	if err != nil {
		return "", nil, invalid(err.Error())
	}
	var conds []string
	var args []any
	for i := 0; i < len(toks); {
		if len(conds) > 0 {
			if !strings.EqualFold(toks[i].text, "AND") || toks[i].quoted {
				return "", nil, invalid(fmt.Sprintf("expected AND, found %q", toks[i].text))
			}
			i++
		}
		if i+3 > len(toks) {
			return "", nil, invalid("incomplete comparison at the end")
		}
		name, op, val := toks[i], toks[i+1], toks[i+2]
		i += 3
		f, ok := fs[name.text]
		if !ok || name.quoted {
			return "", nil, invalid(fmt.Sprintf("unknown field %q (allowed: %s)", name.text, fs.names()))
		}
		if !op.op {
			return "", nil, invalid(fmt.Sprintf("%s: expected an operator, found %q", name.text, op.text))
		}
		if val.op {
			return "", nil, invalid(fmt.Sprintf("%s: expected a value after %s, found %q", name.text, op.text, val.text))
		}
		cond, arg, err := f.compile(name.text, op.text, val, firstArg+len(args), broad)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, cond)
		args = append(args, arg...)
	}
	return strings.Join(conds, " AND "), args, nil
}

func (f Field) compile(name, op string, val token, n int, broad Broad) (string, []any, error) {
	cond, args, err := f.compare(name, op, val, n)
	if err != nil || f.Within == "" {
		return cond, args, err
	}
	if f.Broad != "" && broad != nil && op != "!=" {
		wide, err := broad(name, args)
		if err != nil {
			return "", nil, err
		}
		if wide {
			return fmt.Sprintf(f.Broad, cond), args, nil
		}
	}
	return fmt.Sprintf(f.Within, cond), args, nil
}

func (f Field) compare(name, op string, val token, n int) (string, []any, error) {
	ph := "$" + strconv.Itoa(n)
	if f.Pattern != nil && f.Type != Enum && !f.Pattern(val.text) {
		return "", nil, invalid(fmt.Sprintf("%s: %q is not a valid value", name, val.text))
	}
	switch f.Type {
	case String:
		text := val.text
		if f.Wildcard && op == ":" {
			text = strings.TrimSuffix(text, "*")
		}
		if f.Normalize != nil {
			v, err := f.Normalize(text)
			if err != nil {
				return "", nil, invalid(fmt.Sprintf("%s: %v", name, err))
			}
			text = v
		}
		switch op {
		case "=", "!=", "<", "<=", ">", ">=":
			return f.Column + " " + sqlOp(op) + " " + ph, []any{text}, nil
		case ":":
			if f.Within != "" {
				// A prefix as a range, so an index on the other table's column serves it: every string
				// starting with text lies in [text, successor of text) in bytewise (code point) order.
				return f.Column + " >= " + ph + " AND " + f.Column + " < $" + strconv.Itoa(n+1), []any{text, successor(text)}, nil
			}
			// Prefix match without LIKE, so '%' and '_' in values mean nothing special. substr counts
			// characters in both dialects, so the length is in runes, not bytes (household numbers and
			// names may be written in Chinese).
			return "substr(" + f.Column + ", 1, " + strconv.Itoa(utf8.RuneCountInString(text)) + ") = " + ph, []any{text}, nil
		}
	case Enum:
		v, ok := f.Values[val.text]
		if !ok {
			return "", nil, invalid(fmt.Sprintf("%s: unknown value %q", name, val.text))
		}
		if op == "=" || op == "!=" {
			return f.Column + " " + sqlOp(op) + " " + ph, []any{v}, nil
		}
	case Int:
		v, err := strconv.ParseInt(val.text, 10, 64)
		if err != nil {
			return "", nil, invalid(fmt.Sprintf("%s: %q is not a whole number", name, val.text))
		}
		if op != ":" {
			return f.Column + " " + sqlOp(op) + " " + ph, []any{v}, nil
		}
	case Time:
		t, err := time.Parse(time.RFC3339Nano, val.text)
		if err != nil {
			return "", nil, invalid(fmt.Sprintf("%s: %q is not an RFC 3339 time (2026-12-01T08:00:00+08:00)", name, val.text))
		}
		if op != ":" && op != "!=" {
			return f.Column + " " + op + " " + ph, []any{t.UnixMicro()}, nil
		}
	case Contains:
		if strings.ContainsAny(val.text, ",%_\\") || val.text == "" {
			return "", nil, invalid(fmt.Sprintf("%s: %q is not a valid value", name, val.text))
		}
		if op == "=" {
			return "(',' || " + f.Column + " || ',') LIKE " + ph, []any{"%," + val.text + ",%"}, nil
		}
	}
	return "", nil, invalid(fmt.Sprintf("%s: operator %q is not supported for this field", name, op))
}

// successor is the least string greater than every string that starts with s, in code point order (which
// is UTF-8's byte order): s with its last character raised by one (a surrogate skipped; the highest code
// point carried into the one before it). "" for a prefix that has none (every string is greater).
func successor(s string) string {
	r := []rune(s)
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] < unicode.MaxRune {
			r[i]++
			if r[i] >= 0xD800 && r[i] <= 0xDFFF {
				r[i] = 0xE000
			}
			return string(r[:i+1])
		}
	}
	return ""
}

func sqlOp(op string) string {
	if op == "!=" {
		return "<>"
	}
	return op
}

func (fs Fields) names() string {
	var names []string
	for n := range fs {
		names = append(names, n)
	}
	// Sorted for a stable message.
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	return strings.Join(names, ", ")
}

func invalid(desc string) error {
	return apperr.Invalid("INVALID_FIELD", "filter", desc)
}

type token struct {
	text   string
	quoted bool
	op     bool // a comparison operator, which the grammar never accepts as a value
}

func lex(s string) ([]token, error) {
	var toks []token
	r := []rune(s)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(r) && r[j] != '"'; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, token{text: b.String(), quoted: true})
			i = j + 1
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(r) && r[i+1] == '=' {
				toks = append(toks, token{text: string(r[i : i+2]), op: true})
				i += 2
			} else if c == '!' {
				return nil, fmt.Errorf("unexpected '!'")
			} else {
				toks = append(toks, token{text: string(c), op: true})
				i++
			}
		case c == '=' || c == ':':
			toks = append(toks, token{text: string(c), op: true})
			i++
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '-' || c == '.':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '-' || r[j] == '.') {
				j++
			}
			toks = append(toks, token{text: string(r[i:j])})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}
