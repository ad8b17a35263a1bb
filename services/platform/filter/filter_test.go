package filter_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var digits = regexp.MustCompile(`^[0-9]{1,12}$`)

// fields mirrors what a List method declares: a code with a pattern, free text, an enum and a number.
var fields = filter.Fields{
	"region_code":      {Column: "region_code", Type: filter.String, Pattern: digits.MatchString},
	"household_number": {Column: "number", Type: filter.String},
	"registry_status": {Column: "registry_status", Type: filter.Enum, Values: map[string]int32{
		"REGISTRY_STATUS_UNSPECIFIED": 0, "REGISTRY_STATUS_POOR": 1, "REGISTRY_STATUS_EXITED": 2}},
	"size": {Column: "size", Type: filter.Int},
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name     string
		expr     string
		firstArg int
		wantSQL  string
		wantArgs []any
	}{
		{name: "empty", expr: "", firstArg: 1, wantSQL: "", wantArgs: nil},
		{name: "blank", expr: " \t\n", firstArg: 1, wantSQL: "", wantArgs: nil},

		{name: "string equal", expr: `household_number = "A-1"`, firstArg: 1, wantSQL: "number = $1", wantArgs: []any{"A-1"}},
		{name: "string not equal", expr: `household_number != "A-1"`, firstArg: 1, wantSQL: "number <> $1", wantArgs: []any{"A-1"}},
		{name: "string less", expr: `household_number < "B"`, firstArg: 1, wantSQL: "number < $1", wantArgs: []any{"B"}},
		{name: "string less or equal", expr: `household_number <= "B"`, firstArg: 1, wantSQL: "number <= $1", wantArgs: []any{"B"}},
		{name: "string greater", expr: `household_number > "B"`, firstArg: 1, wantSQL: "number > $1", wantArgs: []any{"B"}},
		{name: "string greater or equal", expr: `household_number >= "B"`, firstArg: 1, wantSQL: "number >= $1", wantArgs: []any{"B"}},
		{name: "string bare word", expr: `household_number = A-1.x_y`, firstArg: 1, wantSQL: "number = $1", wantArgs: []any{"A-1.x_y"}},
		{name: "string prefix", expr: `region_code:"421321"`, firstArg: 1,
			wantSQL: "substr(region_code, 1, 6) = $1", wantArgs: []any{"421321"}},
		{name: "string prefix bare number", expr: `region_code : 4213`, firstArg: 1,
			wantSQL: "substr(region_code, 1, 4) = $1", wantArgs: []any{"4213"}},
		{name: "string prefix counts characters not bytes", expr: `household_number:"张三"`, firstArg: 1,
			wantSQL: "substr(number, 1, 2) = $1", wantArgs: []any{"张三"}},
		{name: "string wildcards are plain values", expr: `household_number:"A%_"`, firstArg: 1,
			wantSQL: "substr(number, 1, 3) = $1", wantArgs: []any{"A%_"}},
		{name: "quoted escapes", expr: `household_number = "a\"b\\c"`, firstArg: 1,
			wantSQL: "number = $1", wantArgs: []any{`a"b\c`}},
		{name: "quoted keyword is a value", expr: `household_number = "AND"`, firstArg: 1,
			wantSQL: "number = $1", wantArgs: []any{"AND"}},
		{name: "quoted SQL stays a parameter", expr: `household_number = "x' OR 1=1 --"`, firstArg: 1,
			wantSQL: "number = $1", wantArgs: []any{"x' OR 1=1 --"}},

		{name: "enum equal", expr: `registry_status = REGISTRY_STATUS_POOR`, firstArg: 1,
			wantSQL: "registry_status = $1", wantArgs: []any{int32(1)}},
		{name: "enum not equal", expr: `registry_status != REGISTRY_STATUS_EXITED`, firstArg: 1,
			wantSQL: "registry_status <> $1", wantArgs: []any{int32(2)}},
		{name: "enum quoted name", expr: `registry_status = "REGISTRY_STATUS_UNSPECIFIED"`, firstArg: 1,
			wantSQL: "registry_status = $1", wantArgs: []any{int32(0)}},

		{name: "int equal", expr: `size = 3`, firstArg: 1, wantSQL: "size = $1", wantArgs: []any{int64(3)}},
		{name: "int not equal", expr: `size != 3`, firstArg: 1, wantSQL: "size <> $1", wantArgs: []any{int64(3)}},
		{name: "int less", expr: `size < 3`, firstArg: 1, wantSQL: "size < $1", wantArgs: []any{int64(3)}},
		{name: "int less or equal", expr: `size <= 3`, firstArg: 1, wantSQL: "size <= $1", wantArgs: []any{int64(3)}},
		{name: "int greater", expr: `size > -1`, firstArg: 1, wantSQL: "size > $1", wantArgs: []any{int64(-1)}},
		{name: "int greater or equal", expr: `size>=3`, firstArg: 1, wantSQL: "size >= $1", wantArgs: []any{int64(3)}},

		{name: "and chain numbers placeholders from firstArg", firstArg: 3,
			expr:     `region_code:"4213" AND registry_status = REGISTRY_STATUS_POOR AND size >= 2`,
			wantSQL:  "substr(region_code, 1, 4) = $3 AND registry_status = $4 AND size >= $5",
			wantArgs: []any{"4213", int32(1), int64(2)}},
		{name: "and is case-insensitive", expr: `size = 1 and size != 2`, firstArg: 1,
			wantSQL: "size = $1 AND size <> $2", wantArgs: []any{int64(1), int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, err := fields.Compile(tt.expr, tt.firstArg)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.expr, err)
			}
			if sql != tt.wantSQL {
				t.Errorf("Compile(%q) SQL = %q, want %q", tt.expr, sql, tt.wantSQL)
			}
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("Compile(%q) args = %#v, want %#v", tt.expr, args, tt.wantArgs)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // part of the field violation's description
	}{
		{name: "unknown field names allowed fields", expr: `name = "x"`,
			want: `unknown field "name" (allowed: household_number, region_code, registry_status, size)`},
		{name: "quoted field name", expr: `"size" = 1`, want: `unknown field "size"`},
		{name: "operator as field", expr: `= 1`, want: "incomplete comparison"},

		{name: "enum prefix", expr: `registry_status:REGISTRY_STATUS_POOR`, want: `operator ":" is not supported`},
		{name: "enum ordering", expr: `registry_status < REGISTRY_STATUS_POOR`, want: `operator "<" is not supported`},
		{name: "enum unknown value", expr: `registry_status = POOR`, want: `registry_status: unknown value "POOR"`},
		{name: "enum number instead of name", expr: `registry_status = 1`, want: `unknown value "1"`},
		{name: "int prefix", expr: `size:3`, want: `operator ":" is not supported`},
		{name: "int not a number", expr: `size = three`, want: `size: "three" is not a whole number`},
		{name: "int fraction", expr: `size = 1.5`, want: `"1.5" is not a whole number`},
		{name: "word as operator", expr: `household_number has "A"`, want: `household_number: expected an operator, found "has"`},
		{name: "quoted operator", expr: `household_number "=" "A"`, want: `expected an operator, found "="`},
		{name: "operator as value", expr: `household_number = <`, want: `expected a value after =, found "<"`},

		{name: "unterminated string", expr: `household_number = "A-1`, want: "unterminated string"},
		{name: "unterminated after escaped quote", expr: `household_number = "A-1\"`, want: "unterminated string"},
		{name: "lone bang", expr: `size ! 1`, want: "unexpected '!'"},
		{name: "unexpected character", expr: `size = 1 OR (size = 2)`, want: "unexpected character '('"},

		{name: "trailing word", expr: `size = 1 extra`, want: `expected AND, found "extra"`},
		{name: "missing AND", expr: `size = 1 size = 2`, want: `expected AND, found "size"`},
		{name: "OR is not supported", expr: `size = 1 OR size = 2`, want: `expected AND, found "OR"`},
		{name: "quoted AND", expr: `size = 1 "AND" size = 2`, want: `expected AND, found "AND"`},
		{name: "dangling AND", expr: `size = 1 AND`, want: "incomplete comparison at the end"},
		{name: "missing value", expr: `size =`, want: "incomplete comparison at the end"},

		{name: "value not matching pattern", expr: `region_code:"42a"`, want: `region_code: "42a" is not a valid value`},
		{name: "wildcard not matching pattern", expr: `region_code:"4213%"`, want: `region_code: "4213%" is not a valid value`},
		{name: "empty value not matching pattern", expr: `region_code = ""`, want: `region_code: "" is not a valid value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, err := fields.Compile(tt.expr, 1)
			if err == nil {
				t.Fatalf("Compile(%q) = %q, %v; want an error", tt.expr, sql, args)
			}
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("Compile(%q) error %v (%T) is not an *apperr.Error", tt.expr, err, err)
			}
			if e.Kind != apperr.KindInvalid {
				t.Errorf("kind = %v, want KindInvalid", e.Kind)
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != "filter" {
				t.Fatalf("field violations = %+v, want one on \"filter\"", e.Fields)
			}
			if !strings.Contains(e.Fields[0].Description, tt.want) {
				t.Errorf("description = %q, want it to contain %q", e.Fields[0].Description, tt.want)
			}
		})
	}
}

// TestCompiledConditionsSelectRows runs compiled conditions on real tables, so the SQL is proved to mean
// what the filter says in both dialects, including that '%' and '_' are not wildcards.
func TestCompiledConditionsSelectRows(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := sqldbtest.Open(t, d)
		seed(t, db)
		tests := []struct {
			name string
			expr string
			want []int
		}{
			{name: "no filter", expr: "", want: []int{1, 2, 3, 4, 5, 6}},
			{name: "region prefix", expr: `region_code:"421321101"`, want: []int{1, 2, 5}},
			{name: "region equal", expr: `region_code = "421321101001"`, want: []int{1, 5}},
			{name: "region less", expr: `region_code < "421321102"`, want: []int{1, 2, 5}},
			{name: "percent is not a wildcard", expr: `household_number:"A%"`, want: []int{2}},
			{name: "underscore is not a wildcard", expr: `household_number:"A_"`, want: []int{3}},
			{name: "percent in equality", expr: `household_number = "A%1"`, want: []int{2}},
			{name: "chinese prefix", expr: `household_number:"张三"`, want: []int{4}},
			{name: "quote inside value", expr: `household_number = "O'Neil \"1\""`, want: []int{6}},
			{name: "enum equal", expr: `registry_status = REGISTRY_STATUS_POOR`, want: []int{1, 3, 6}},
			{name: "enum not equal", expr: `registry_status != REGISTRY_STATUS_POOR`, want: []int{2, 4, 5}},
			{name: "int at least", expr: `size >= 3`, want: []int{1, 3}},
			{name: "int below", expr: `size < 2`, want: []int{2, 5}},
			{name: "and chain", expr: `region_code:"4213211" AND registry_status = REGISTRY_STATUS_POOR AND size > 3`, want: []int{3}},
			{name: "and chain without match", expr: `region_code:"421322" AND size > 2`, want: nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := selectIDs(t, db, tt.expr); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("filter %q selected %v, want %v", tt.expr, got, tt.want)
				}
			})
		}
	})
}

func seed(t *testing.T, db *sqldb.DB) {
	t.Helper()
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		q := db.Q(ctx)
		if _, err := q.ExecContext(ctx, `CREATE TABLE households (id INTEGER PRIMARY KEY, region_code TEXT NOT NULL,
			number TEXT NOT NULL, registry_status INTEGER NOT NULL, size INTEGER NOT NULL)`); err != nil {
			return err
		}
		rows := []struct {
			id     int
			region string
			number string
			status int
			size   int
		}{
			{1, "421321101001", "A-1", 1, 3},
			{2, "421321101002", "A%1", 2, 1},
			{3, "421321102001", "A_1", 1, 5},
			{4, "421322100001", "张三丰-01", 0, 2},
			{5, "421321101001", "AB1", 2, 1},
			{6, "421322100002", `O'Neil "1"`, 1, 2},
		}
		for _, r := range rows {
			if _, err := q.ExecContext(ctx, `INSERT INTO households VALUES ($1, $2, $3, $4, $5)`,
				r.id, r.region, r.number, r.status, r.size); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func selectIDs(t *testing.T, db *sqldb.DB, expr string) []int {
	t.Helper()
	cond, args, err := fields.Compile(expr, 1)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	q := "SELECT id FROM households"
	if cond != "" {
		q += " WHERE " + cond
	}
	rows, err := db.Q(t.Context()).QueryContext(t.Context(), q+" ORDER BY id", args...)
	if err != nil {
		t.Fatalf("query %q %v: %v", q, args, err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// memberFields declare a field of rows of another table (Within), normalised and with a typed "*".
var memberFields = filter.Fields{
	"member_name": {Column: "p.name", Type: filter.String, Wildcard: true,
		Within: "id IN (SELECT p.household_id FROM people p WHERE %s)",
		Normalize: func(s string) (string, error) {
			s = strings.TrimSpace(s)
			if s == "" {
				return "", errors.New("a name needs a letter")
			}
			return s, nil
		}},
}

func TestWithinField(t *testing.T) {
	t.Run("compiles", func(t *testing.T) {
		tests := []struct {
			expr     string
			wantSQL  string
			wantArgs []any
		}{
			{expr: `member_name = " 王大山 "`, wantSQL: "id IN (SELECT p.household_id FROM people p WHERE p.name = $2)",
				wantArgs: []any{"王大山"}},
			{expr: `member_name:"王*"`, wantSQL: "id IN (SELECT p.household_id FROM people p WHERE p.name >= $2 AND p.name < $3)",
				wantArgs: []any{"王", string(rune('王' + 1))}},
			{expr: `member_name:"王大" AND member_name = "李四"`,
				wantSQL:  "id IN (SELECT p.household_id FROM people p WHERE p.name >= $2 AND p.name < $3) AND id IN (SELECT p.household_id FROM people p WHERE p.name = $4)",
				wantArgs: []any{"王大", "王" + string(rune('大'+1)), "李四"}},
			{expr: "member_name:\"a\U0010FFFF\"", wantSQL: "id IN (SELECT p.household_id FROM people p WHERE p.name >= $2 AND p.name < $3)",
				wantArgs: []any{"a\U0010FFFF", "b"}},
			{expr: "member_name:\"\uD7FF\"", wantSQL: "id IN (SELECT p.household_id FROM people p WHERE p.name >= $2 AND p.name < $3)",
				wantArgs: []any{"\uD7FF", "\uE000"}},
		}
		for _, tt := range tests {
			sql, args, err := memberFields.Compile(tt.expr, 2)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.expr, err)
			}
			if sql != tt.wantSQL || !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("Compile(%q) = %q %#v, want %q %#v", tt.expr, sql, args, tt.wantSQL, tt.wantArgs)
			}
		}
	})
	t.Run("normalize refuses", func(t *testing.T) {
		_, _, err := memberFields.Compile(`member_name:"*"`, 1)
		if e, ok := apperr.As(err); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "filter" ||
			!strings.Contains(e.Fields[0].Description, "member_name: a name needs a letter") {
			t.Fatalf("Compile(member_name:\"*\") error = %v, want the normaliser's refusal on filter", err)
		}
	})
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := sqldbtest.Open(t, d)
		err := db.InTx(t.Context(), func(ctx context.Context) error {
			q := db.Q(ctx)
			for _, s := range []string{
				`CREATE TABLE households (id INTEGER PRIMARY KEY)`,
				`CREATE TABLE people (household_id INTEGER NOT NULL, name TEXT NOT NULL)`,
				`INSERT INTO households VALUES (1), (2), (3), (4)`,
				`INSERT INTO people VALUES (1, '王大山'), (1, '李四'), (2, '王大'), (3, '王'), (4, '汪大山')`,
			} {
				if _, err := q.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			// The prefix's successor itself starts no match.
			_, err := q.ExecContext(ctx, `INSERT INTO people VALUES (4, $1)`, string(rune('王'+1))+"子")
			return err
		})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		tests := []struct {
			expr string
			want []int
		}{
			{expr: `member_name = "王大山"`, want: []int{1}},
			{expr: `member_name:"王大*"`, want: []int{1, 2}},
			{expr: `member_name:"王"`, want: []int{1, 2, 3}},
			{expr: `member_name:"王" AND member_name = "李四"`, want: []int{1}},
			{expr: `member_name = "王大"`, want: []int{2}},
		}
		for _, tt := range tests {
			cond, args, err := memberFields.Compile(tt.expr, 1)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.expr, err)
			}
			rows, err := db.Q(t.Context()).QueryContext(t.Context(), "SELECT id FROM households WHERE "+cond+" ORDER BY id", args...)
			got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (int, error) {
				var id int
				return id, r.Scan(&id)
			})
			if err != nil {
				t.Fatalf("%q: %v", tt.expr, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("filter %q selected %v, want %v", tt.expr, got, tt.want)
			}
		}
	})
}

func TestTimeAndContains(t *testing.T) {
	fs := filter.Fields{"time": {Column: "at_us", Type: filter.Time}, "person_id": {Column: "person_ids", Type: filter.Contains}}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cond0, args, err := fs.Compile(`time >= "2026-12-01T00:00:00+08:00" AND time < "2026-12-01T16:00:00Z" AND person_id = "p-1"`, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "at_us >= $1 AND at_us < $2 AND (',' || person_ids || ',') LIKE $3"; cond0 != want {
		t.Errorf("SQL %q, want %q", cond0, want)
	}
	if want := []any{at.UnixMicro(), at.Add(24 * time.Hour).UnixMicro(), "%,p-1,%"}; !reflect.DeepEqual(args, want) {
		t.Errorf("args %#v, want %#v", args, want)
	}
	for _, bad := range []string{`time >= "yesterday"`, `time:"2026"`, `person_id = "a,b"`, `person_id = "a%"`, `person_id:"a"`} {
		if _, _, err := fs.Compile(bad, 1); err == nil {
			t.Errorf("Compile(%q) accepted", bad)
		}
	}
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := sqldbtest.Open(t, d)
		for _, s := range []string{`CREATE TABLE rows (id INTEGER PRIMARY KEY, person_ids TEXT NOT NULL)`,
			`INSERT INTO rows VALUES (1, 'p-1'), (2, 'p-10,p-2'), (3, 'p-2,p-1'), (4, '')`} {
			if err := db.InTx(t.Context(), func(ctx context.Context) error {
				_, err := db.Q(ctx).ExecContext(ctx, s)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		for expr, want := range map[string][]int{`person_id = "p-1"`: {1, 3}, `person_id = "p-2"`: {2, 3}, `person_id = "p"`: nil} {
			cond, args, err := fs.Compile(expr, 1)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Q(t.Context()).QueryContext(t.Context(), "SELECT id FROM rows WHERE "+cond+" ORDER BY id", args...)
			got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (int, error) {
				var id int
				return id, r.Scan(&id)
			})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v %v, want %v", expr, got, err, want)
			}
		}
	})
}

func TestBroadField(t *testing.T) {
	fs := filter.Fields{"member_name": {Column: "p.name", Type: filter.String, Within: "id IN (SELECT p.household_id FROM people p WHERE %s)",
		Broad: "EXISTS (SELECT 1 FROM people p WHERE p.household_id = households.id AND %s)"}}
	var judged [][]any
	broad := func(field string, args []any) (bool, error) {
		judged = append(judged, args)
		return args[0] == "王", nil
	}
	cond, _, err := fs.CompileFunc(`member_name:"王" AND member_name = "欧阳娜娜"`, 1, broad)
	if err != nil {
		t.Fatal(err)
	}
	want := "EXISTS (SELECT 1 FROM people p WHERE p.household_id = households.id AND p.name >= $1 AND p.name < $2) AND " +
		"id IN (SELECT p.household_id FROM people p WHERE p.name = $3)"
	if cond != want || len(judged) != 2 || len(judged[0]) != 2 || len(judged[1]) != 1 {
		t.Errorf("CompileFunc = %q (judged %v), want %q", cond, judged, want)
	}
	if _, _, err := fs.CompileFunc(`member_name = "x"`, 1, func(string, []any) (bool, error) { return false, errors.New("down") }); err == nil {
		t.Error("the judge's error was dropped")
	}
}
