package domain_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/tabular"
)

// ledgerEnv is a register on a real database with the bulk import over it.
type ledgerEnv struct {
	db  *sqldb.DB
	st  *store.Store
	svc *domain.Service
	imp *domain.LedgerImporter
}

func newLedgerEnv(t testing.TB, d sqldb.Dialect) *ledgerEnv {
	t.Helper()
	if ledgerDialect != "" {
		d = ledgerDialect
	}
	db := sqldbtest.Open(t, d)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, outbox.New(db, nil))
	if err := st.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Level: domain.LevelCounty, Name: "示范县"},
		{Code: "990001001000", Level: domain.LevelTownship, Name: "城关镇", Parent: "990001000000"},
		{Code: "990001001001", Level: domain.LevelVillage, Name: "东街社区", Urban: true, Parent: "990001001000"},
		{Code: "990001002000", Level: domain.LevelTownship, Name: "青山乡", Parent: "990001000000"},
		{Code: "990001002001", Level: domain.LevelVillage, Name: "红桥村", Parent: "990001002000"},
		{Code: "990001002002", Level: domain.LevelVillage, Name: "旧村", Parent: "990001002000", ValidTo: "2024-01-01"},
	}); err != nil {
		t.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	svc := domain.NewService(st, protector, func() time.Time { return today }, func() string {
		n++ // ids are made by one goroutine at a time (the import's writer)
		return fmt.Sprintf("id-%06d", n)
	})
	imp := domain.NewLedgerImporter(svc, st, tabular.Limits{})
	imp.Staged = bulkStaged
	return &ledgerEnv{db: db, st: st, svc: svc, imp: imp}
}

const ledgerHeader = "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度"

// ledgerRows numbers lines from 1 and splits them at commas.
func ledgerRows(lines ...string) []domain.LedgerRow {
	out := make([]domain.LedgerRow, len(lines))
	for i, l := range lines {
		out[i] = domain.LedgerRow{Row: int64(i + 1), Cells: strings.Split(l, ",")}
	}
	return out
}

// feedRows hands out rows in messages of per rows, then io.EOF.
func feedRows(rows []domain.LedgerRow, per int) func() ([]domain.LedgerRow, error) {
	return func() ([]domain.LedgerRow, error) {
		if len(rows) == 0 {
			return nil, io.EOF
		}
		n := min(per, len(rows))
		out := rows[:n]
		rows = rows[n:]
		return out, nil
	}
}

// importLedger imports rows and returns every finding and the final summary.
func (e *ledgerEnv) importLedger(t *testing.T, c domain.Caller, opts domain.LedgerImportOptions, rows []domain.LedgerRow) ([]domain.LedgerIssue, domain.LedgerImportSummary, error) {
	t.Helper()
	if bulkPath && !opts.Bulk {
		// The bulk path with the same expectations; the size is declared large enough for the register
		// of any of these tests (the rule itself: TestBulkLoadRule).
		opts.Bulk, opts.DeclaredHouseholds = true, 1_000_000
	}
	var issues []domain.LedgerIssue
	var last domain.LedgerImportSummary
	sum, err := e.imp.Import(t.Context(), c, opts, feedRows(rows, 3), func(p domain.LedgerImportProgress) error {
		issues = append(issues, p.Issues...)
		last = p.Summary
		return nil
	})
	if err == nil && (!last.Done || last != sum) {
		t.Errorf("last progress %+v, want the final summary %+v", last, sum)
	}
	return issues, sum, err
}

// line is one ledger row: household cells, then the member's.
func line(number, region, address, name, idNumber, relation, registry, year string) string {
	return strings.Join([]string{number, region, address, name, idNumber, relation, "汉族", "初中", "健康", "普通劳动力", registry, year}, ",")
}

// at replaces cell column (0-based) of a line.
func at(l string, column int, value string) string {
	cells := strings.Split(l, ",")
	cells[column] = value
	return strings.Join(cells, ",")
}

// Column positions of the layout, for at.
const (
	cNumber = iota
	cRegion
	cAddress
	cName
	cID
	cRelation
	cEthnicity
	cEducation
	cHealth
	cLabour
	cRegistry
	cYear
)

func wrongCheckDigit(s string) string {
	if s[17] == '0' {
		return s[:17] + "1"
	}
	return s[:17] + "0"
}

type finding struct {
	row    int64
	column string
	reason string
}

func findings(issues []domain.LedgerIssue) []finding {
	var out []finding
	for _, is := range issues {
		out = append(out, finding{is.Row, is.Column, is.Reason})
	}
	return out
}

func TestImportRowRules(t *testing.T) {
	head := line("H-1", "990001002001", "红桥村一组8号", "张大山", id("19700101", 11), "户主", "一般户", "")
	spouse := line("H-1", "990001002001", "红桥村一组8号", "李秀英", id("19720202", 22), "配偶", "一般户", "")
	tests := []struct {
		name   string
		lines  []string
		caller domain.Caller
		before bool // register a household holding the spouse first
		want   []finding
	}{
		{"valid household", []string{head, spouse}, county, false, nil},
		{"wrong check digit", []string{head, at(spouse, cID, wrongCheckDigit(id("19720202", 22)))}, county, false,
			[]finding{{3, "身份证号", domain.ReasonIDNumberInvalid}}},
		{"birth date in the future", []string{head, at(spouse, cID, id("20251231", 22))}, county, false,
			[]finding{{3, "身份证号", domain.ReasonIDNumberInvalid}}},
		{"身份证号 stored as a number", []string{head, at(spouse, cID, "9.90001197202022E+17")}, county, false,
			[]finding{{3, "身份证号", domain.ReasonIDNumberInvalid}}},
		{"missing 身份证号", []string{head, at(spouse, cID, "")}, county, false,
			[]finding{{3, "身份证号", domain.ReasonImportValueRequired}}},
		{"missing name", []string{head, at(spouse, cName, " ")}, county, false,
			[]finding{{3, "姓名", domain.ReasonImportValueRequired}}},
		{"a name with a right-to-left override", []string{head, at(spouse, cName, "李\u202e秀英")}, county, false,
			[]finding{{3, "姓名", domain.ReasonPersonNameInvalid}}},
		{"a name that is a lone zero-width space", []string{head, at(spouse, cName, "\u200b")}, county, false,
			[]finding{{3, "姓名", domain.ReasonPersonNameInvalid}}},
		{"unknown village", []string{at(head, cRegion, "990001009009"), at(spouse, cRegion, "")}, county, false,
			[]finding{{2, "行政区划代码", domain.ReasonRegionUnknown}}},
		{"a township is not a village", []string{at(head, cRegion, "990001002000"), at(spouse, cRegion, "990001002000")}, county, false,
			[]finding{{2, "行政区划代码", domain.ReasonRegionUnknown}}},
		{"a retired village", []string{at(head, cRegion, "990001002002"), at(spouse, cRegion, "")}, county, false,
			[]finding{{2, "行政区划代码", domain.ReasonRegionUnknown}}},
		{"village code of 11 digits", []string{at(head, cRegion, "99000100200"), at(spouse, cRegion, "")}, county, false,
			[]finding{{2, "行政区划代码", domain.ReasonImportValueInvalid}}},
		{"no village code", []string{at(head, cRegion, ""), at(spouse, cRegion, "")}, county, false,
			[]finding{{2, "行政区划代码", domain.ReasonImportValueRequired}}},
		{"village outside the caller's scope", []string{head, spouse}, domain.Caller{Actor: "t", Scope: "990001001"}, false,
			[]finding{{2, "行政区划代码", domain.ReasonOutOfRegionScope}}},
		{"village inside the caller's scope", []string{head, spouse}, domain.Caller{Actor: "t", Scope: "990001002"}, false, nil},
		{"no head", []string{at(head, cRelation, "子"), spouse}, county, false,
			[]finding{{2, "与户主关系", domain.ReasonHeadCount}}},
		{"two heads", []string{head, at(spouse, cRelation, "户主")}, county, false,
			[]finding{{3, "与户主关系", domain.ReasonHeadCount}}},
		{"the same person twice", []string{head, at(spouse, cID, id("19700101", 11))}, county, false,
			[]finding{{3, "身份证号", domain.ReasonPersonRepeated}}},
		{"a person already in another household", []string{head, spouse}, county, true,
			[]finding{{3, "身份证号", domain.ReasonPersonInOtherHousehold}}},
		{"unknown relation (no head count on top)", []string{at(head, cRelation, "邻居"), spouse}, county, false,
			[]finding{{2, "与户主关系", domain.ReasonImportLabelUnknown}}},
		{"missing relation", []string{head, at(spouse, cRelation, "")}, county, false,
			[]finding{{3, "与户主关系", domain.ReasonImportValueRequired}}},
		{"unknown 民族", []string{head, at(spouse, cEthnicity, "火星族")}, county, false,
			[]finding{{3, "民族", domain.ReasonImportLabelUnknown}}},
		{"unknown 文化程度", []string{head, at(spouse, cEducation, "幼儿园")}, county, false,
			[]finding{{3, "文化程度", domain.ReasonImportLabelUnknown}}},
		{"unknown 健康状况", []string{head, at(spouse, cHealth, "很健康")}, county, false,
			[]finding{{3, "健康状况", domain.ReasonImportLabelUnknown}}},
		{"unknown 劳动技能", []string{head, at(spouse, cLabour, "强劳动力")}, county, false,
			[]finding{{3, "劳动技能", domain.ReasonImportLabelUnknown}}},
		{"unknown 户类型", []string{at(head, cRegistry, "五保户"), spouse}, county, false,
			[]finding{{2, "户类型", domain.ReasonImportLabelUnknown}, {3, "户类型", domain.ReasonImportValueInconsistent}}},
		{"household cell differs between rows", []string{head, at(spouse, cAddress, "红桥村二组1号")}, county, false,
			[]finding{{3, "家庭住址", domain.ReasonImportValueInconsistent}}},
		{"已脱贫 without 脱贫年度", []string{at(head, cRegistry, "已脱贫"), at(spouse, cRegistry, "")}, county, false,
			[]finding{{2, "脱贫年度", domain.ReasonImportValueRequired}}},
		{"脱贫年度 of an ordinary household", []string{at(head, cYear, "2019"), spouse}, county, false,
			[]finding{{2, "脱贫年度", domain.ReasonImportValueInvalid}}},
		{"脱贫年度 in the future", []string{at(at(head, cYear, "2026"), cRegistry, "已脱贫"), at(spouse, cRegistry, "")}, county, false,
			[]finding{{2, "脱贫年度", domain.ReasonImportValueInvalid}}},
		{"已脱贫 with 脱贫年度", []string{at(at(head, cYear, "2019"), cRegistry, "已脱贫"), at(spouse, cRegistry, "")}, county, false, nil},
		{"户编号 with a space", []string{at(head, cNumber, "H 1"), at(spouse, cNumber, "")}, county, false,
			[]finding{{2, "户编号", domain.ReasonImportValueInvalid}}},
		{"no 户编号 on the first row", []string{at(head, cNumber, ""), at(spouse, cNumber, "")}, county, false,
			[]finding{{2, "户编号", domain.ReasonImportValueRequired}}},
		{"every problem of a household at once", []string{at(head, cHealth, "很健康"), at(at(spouse, cID, wrongCheckDigit(id("19720202", 22))), cName, "")}, county, false,
			[]finding{{2, "健康状况", domain.ReasonImportLabelUnknown}, {3, "姓名", domain.ReasonImportValueRequired}, {3, "身份证号", domain.ReasonIDNumberInvalid}}},
		// The register is asked about the members of a household rejected for its rows too: the next run
		// must not find a problem this one could have named.
		{"a row error and a person already in another household, both at once", []string{at(head, cHealth, "很健康"), spouse}, county, true,
			[]finding{{2, "健康状况", domain.ReasonImportLabelUnknown}, {3, "身份证号", domain.ReasonPersonInOtherHousehold}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			if tt.before {
				if _, err := e.svc.CreateHousehold(t.Context(), county, domain.NewHousehold{RegionCode: "990001001001",
					Members: []domain.Member{m(domain.RelationHead, id("19720202", 22))}}); err != nil {
					t.Fatal(err)
				}
			}
			issues, sum, err := e.importLedger(t, tt.caller, domain.LedgerImportOptions{Source: "test.csv"},
				ledgerRows(append([]string{ledgerHeader}, tt.lines...)...))
			if err != nil {
				t.Fatal(err)
			}
			if got := findings(issues); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("findings %v, want %v (%+v)", got, tt.want, issues)
			}
			imported := int64(1)
			if tt.want != nil {
				imported = 0
			}
			if sum.Imported != imported || sum.Rejected != 1-imported || sum.Households != 1 || sum.Rows != int64(len(tt.lines)) {
				t.Errorf("summary %+v", sum)
			}
			for _, is := range issues {
				if is.Outcome != domain.LedgerRejected || is.HouseholdNumber == "" && !strings.Contains(tt.name, "户编号") ||
					strings.Contains(is.Description, id("19720202", 22)) || strings.Contains(is.Description, id("19700101", 11)) {
					t.Errorf("issue %+v: want a rejection with the household number and no 身份证号 in the text", is)
				}
			}
		})
	}
}

// roundedIDNumber returns an 18-digit 身份证号 that ends in 000 and whose check character is valid: what
// Excel keeps of a number typed into a General cell (15 significant digits) can be such a number, a
// different person's, about once in eleven.
func roundedIDNumber(t *testing.T) string {
	t.Helper()
	for day := 10; day < 29; day++ {
		for seq := 0; seq < 10; seq++ {
			first17 := fmt.Sprintf("990001197202%02d%d00", day, seq)
			if pii.IDCheckChar(first17) == '0' {
				return first17 + "0"
			}
		}
	}
	t.Fatal("no rounded number with a valid check character")
	return ""
}

// TestImportIDNumberStoredAsNumber: a 身份证号 cell not stored as text is refused, whatever it reads as —
// an 18-digit number with a valid check character (before, imported as another person's number), the same
// in E-notation, and 15-digit numbers — with the reason that says so and what to do.
func TestImportIDNumberStoredAsNumber(t *testing.T) {
	rounded := roundedIDNumber(t)
	if !pii.ValidIDNumber(rounded, today) {
		t.Fatalf("%s is not valid", rounded)
	}
	head := line("N-1", "990001002001", "红桥村一组8号", "张大山", id("19700101", 11), "户主", "一般户", "")
	tests := []struct {
		name  string
		cell  string
		typ   tabular.CellType
		error bool
	}{
		{"18 digits stored as a number, a valid check character", rounded, tabular.CellNumber, true},
		{"18 digits stored as a number, in E-notation", "9.90001197202015E+17", tabular.CellNumber, true},
		{"15 digits stored as a number", rounded[:15], tabular.CellNumber, true},
		{"15 digits stored as a number, in E-notation", "9.90001197202015E+14", tabular.CellNumber, true},
		{"a formula", rounded, tabular.CellOther, true},
		{"E-notation stored as text (a CSV saved from a number column)", "9.90001197202015E+17", tabular.CellText, true},
		{"the same 18 digits stored as text", rounded, tabular.CellText, false},
		{"the same 18 digits, type not told (CSV)", rounded, tabular.CellUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			rows := ledgerRows(ledgerHeader, head, line("N-1", "", "", "李秀英", tt.cell, "配偶", "", ""))
			rows[2].Types = make([]tabular.CellType, len(rows[2].Cells))
			rows[2].Types[cID] = tt.typ
			issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.error {
				if len(issues) != 0 || sum.Imported != 1 {
					t.Errorf("%+v %+v", issues, sum)
				}
				return
			}
			if len(issues) != 1 || issues[0].Row != 3 || issues[0].Column != "身份证号" || issues[0].Reason != domain.ReasonIDNumberInvalid ||
				!strings.Contains(issues[0].Description, "stored as a number") || !strings.Contains(issues[0].Description, "format the 身份证号 column as text") ||
				sum.Imported != 0 || sum.Rejected != 1 {
				t.Errorf("issues %+v, summary %+v", issues, sum)
			}
			if _, err := e.svc.LookupHousehold(t.Context(), county, rounded); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("the rounded number was registered: %v", err)
			}
		})
	}
}

// TestImportLimits: a stream beyond the import's limits is refused (IMPORT_FILE_TOO_LARGE); the record
// says failed and why (the batches committed before stay, as after any stop).
func TestImportLimits(t *testing.T) {
	var lines []string
	for i := range 6 {
		lines = append(lines, line(fmt.Sprintf("L-%d", i), "990001002001", "一组", "张三", id("19700101", 100+i), "户主", "一般户", ""))
	}
	tests := []struct {
		name   string
		limits tabular.Limits
		lines  []string
	}{
		{"rows", tabular.Limits{MaxRows: 5}, lines},
		{"a long cell", tabular.Limits{MaxCellChars: 40}, append(lines[:3:3], at(lines[3], cAddress, strings.Repeat("长", 41)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			e.imp = domain.NewLedgerImporter(e.svc, e.st, tt.limits)
			var last domain.LedgerImportSummary
			_, err := e.imp.Import(t.Context(), county, domain.LedgerImportOptions{BatchSize: 1}, feedRows(ledgerRows(append([]string{ledgerHeader}, tt.lines...)...), 1),
				func(p domain.LedgerImportProgress) error { last = p.Summary; return nil })
			e2, ok := apperr.As(err)
			if !ok || e2.Reason != domain.ReasonImportFileTooLarge && (len(e2.Fields) == 0 || e2.Fields[0].Reason != domain.ReasonImportFileTooLarge) {
				t.Fatalf("error %v", err)
			}
			rec, err := e.imp.GetImport(t.Context(), last.ImportID)
			if err != nil || rec.State != domain.LedgerImportFailed || !strings.Contains(rec.Message, fmt.Sprint(max(tt.limits.MaxRows, int64(tt.limits.MaxCellChars)))) {
				t.Errorf("record %+v, %v", rec, err)
			}
		})
	}
}

// TestImportRejectedHouseholdOfTheRegister: a household already imported and rejected on a rerun for a row
// error is not reported as holding persons of "another" household: the register's household is its own.
func TestImportRejectedHouseholdOfTheRegister(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	head := line("R-1", "990001002001", "红桥村一组8号", "张大山", id("19700101", 11), "户主", "一般户", "")
	if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(ledgerHeader, head)); err != nil || sum.Imported != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	issues, _, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(ledgerHeader, at(head, cHealth, "很健康")))
	if err != nil {
		t.Fatal(err)
	}
	if got := findings(issues); fmt.Sprint(got) != fmt.Sprint([]finding{{2, "健康状况", domain.ReasonImportLabelUnknown}}) {
		t.Errorf("findings %v", got)
	}
}

func TestImportMapsTheLedger(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	ctx := t.Context()
	// Columns in another order, an extra column, title rows above the header, merged household cells
	// (empty on the second row), labels with spaces and synonyms.
	rows := ledgerRows(
		"红桥村建档立卡户花名册",
		"",
		"姓名,身份证号,户编号,行政区划代码,家庭住址,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度,联系电话",
		"张大山,"+id("19700101", 11)+",H-7,990001002001,红桥村一组8号, 户主 ,土家族,本科,残疾,丧失劳动力,已脱贫,2019,13800000000",
		"张小红,"+id("20100303", 32)+",,,,女儿,15,学龄前儿童,长期慢性病,无劳动力,,,",
	)
	_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{Source: "红桥村.xlsx"}, rows)
	if err != nil || sum.Imported != 1 || sum.Persons != 2 || sum.Rows != 2 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	h, err := e.svc.LookupHousehold(ctx, county, id("20100303", 32))
	if err != nil {
		t.Fatal(err)
	}
	if h.Number != "H-7" || h.RegionCode != "990001002001" || h.Address != "红桥村一组8号" || h.Urban ||
		h.Status.Registry != domain.RegistryExited || h.Status.ExitYear != 2019 || h.Size() != 2 {
		t.Errorf("household %+v", h)
	}
	if len(h.History) != 1 || h.History[0].Reason != "imported 导入: 红桥村.xlsx" || h.History[0].Actor != "tester" {
		t.Errorf("history %+v", h.History)
	}
	head, child := h.Members[0], h.Members[1]
	if head.FullName != "张大山" || head.Relation != domain.RelationHead || head.Ethnicity != "15" ||
		head.Education != domain.Education(7) || head.Health != domain.HealthDisabled || head.LabourAbility != domain.LabourAbility(4) ||
		head.Sex != domain.SexMale || head.BirthDate != "1970-01-01" || head.StartDate != "2025-06-15" {
		t.Errorf("head %+v", head)
	}
	if child.Relation != domain.RelationDaughter || child.Ethnicity != "15" || child.Education != domain.Education(1) ||
		child.Health != domain.HealthChronicDisease || child.LabourAbility != domain.LabourAbility(5) || child.Sex != domain.SexFemale {
		t.Errorf("child %+v", child)
	}
	if child.IDNumber != "" || child.IDMasked != pii.MaskIDNumber(id("20100303", 32)) {
		t.Errorf("stored 身份证号: plain %q masked %q", child.IDNumber, child.IDMasked)
	}
}

func TestImportHeader(t *testing.T) {
	good := line("H-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", "")
	tests := []struct {
		name   string
		lines  []string
		fields []string // columns named by the refusal; nil: accepted
		reason string
	}{
		{"no header row", []string{good}, []string{"户编号"}, domain.ReasonImportHeaderInvalid},
		{"an empty file", nil, []string{"户编号"}, domain.ReasonImportHeaderInvalid},
		{"header without 身份证号", []string{strings.Replace(ledgerHeader, "身份证号", "证件号码", 1), good}, []string{"身份证号"}, domain.ReasonImportHeaderInvalid},
		{"header without 姓名 and 与户主关系", []string{strings.NewReplacer("姓名", "名字", "与户主关系", "关系").Replace(ledgerHeader), good},
			[]string{"姓名", "与户主关系"}, domain.ReasonImportHeaderInvalid},
		{"a column twice", []string{ledgerHeader + ",姓名", good}, []string{"姓名"}, domain.ReasonImportHeaderInvalid},
		{"header after 20 title rows", append(append(make([]string, 0, 22), strings.Split(strings.Repeat("标题,", 20), ",")[:20]...), ledgerHeader, good),
			[]string{"户编号"}, domain.ReasonImportHeaderInvalid},
		{"optional columns may be missing", []string{"户编号,行政区划代码,姓名,身份证号,与户主关系", "H-1,990001002001,张大山," + id("19700101", 11) + ",户主"}, nil, ""},
		{"a byte-order mark before the first header cell", []string{"\ufeff" + ledgerHeader, good}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(tt.lines...))
			if tt.fields == nil {
				if err != nil || sum.Imported != 1 {
					t.Fatalf("refused: %v %+v", err, sum)
				}
				return
			}
			e2, ok := apperr.As(err)
			if !ok || e2.Kind != apperr.KindInvalid || e2.Reason != tt.reason {
				t.Fatalf("err %v, want INVALID_ARGUMENT %s", err, tt.reason)
			}
			var got []string
			for _, f := range e2.Fields {
				got = append(got, f.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
			if hs, _, _ := e.st.ListHouseholds(t.Context(), domain.ListQuery{Limit: 10}); len(hs) != 0 {
				t.Errorf("a refused file wrote %d households", len(hs))
			}
		})
	}
}

func TestImportRowsOutOfOrder(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	rows := ledgerRows(ledgerHeader, line("H-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", ""))
	rows[1].Row = 1
	_, _, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows)
	if e2, ok := apperr.As(err); !ok || e2.Reason != domain.ReasonImportRowsOutOfOrder {
		t.Errorf("err %v", err)
	}
}

// mixedLedger is a file of good households and bad ones of every kind, with the findings it must produce.
func mixedLedger() ([]domain.LedgerRow, []finding, []string, []string) {
	l := func(n, name, idn, rel string) string {
		return line(n, "990001002001", "红桥村"+n, name, idn, rel, "一般户", "")
	}
	lines := []string{ledgerHeader,
		l("G-1", "甲一", id("19600101", 101), "户主"),                                 // 2
		l("G-1", "甲二", id("19620101", 102), "配偶"),                                 // 3
		l("B-1", "乙一", wrongCheckDigit(id("19600101", 111)), "户主"),                // 4 check digit
		at(l("B-2", "丙一", id("19600101", 121), "户主"), cRegion, "990001009009"),    // 5 unknown village
		l("B-3", "丁一", id("19600101", 131), "子"),                                  // 6 no head
		l("G-2", "戊一", id("19600101", 141), "户主"),                                 // 7
		l("B-4", "己一", id("19600101", 151), "户主"),                                 // 8
		l("B-4", "己二", id("19600101", 153), "户主"),                                 // 9 two heads
		l("B-5", "庚一", id("19600101", 161), "户主"),                                 // 10
		l("B-5", "庚二", id("19600101", 161), "子"),                                  // 11 same person twice
		l("B-6", "辛一", id("19620101", 102), "户主"),                                 // 12 person of G-1
		at(l("B-7", "壬一", id("19600101", 171), "户主"), cHealth, "很健康"),             // 13 unknown label
		l("G-3", "癸一", id("19600101", 181), "户主"),                                 // 14
		l("G-3", "癸二", id("20120101", 182), "女"),                                  // 15
		l("B-8", "子一", id("19600101", 191), "户主"),                                 // 16 split (again below)
		l("G-4", "丑一", id("19600101", 201), "户主"),                                 // 17
		l("B-8", "子二", id("19600101", 193), "配偶"),                                 // 18
		at(l("B-9", "寅一", "4.20621198001011E+17", "户主"), cName, "寅一"),             // 19 number in the ID cell
		at(l("B-10", "卯一", id("19600101", 211), "户主"), cRelation, "邻居"),           // 20 unknown relation
		at(l("G-5", "辰一", id("19600101", 221), "户主"), cEthnicity, "01"),           // 21
		at(at(l("", "辰二", id("19600101", 223), "配偶"), cRegion, ""), cAddress, ""), // 22 merged cells of G-5
	}
	want := []finding{
		{4, "身份证号", domain.ReasonIDNumberInvalid},
		{5, "行政区划代码", domain.ReasonRegionUnknown},
		{6, "与户主关系", domain.ReasonHeadCount},
		{9, "与户主关系", domain.ReasonHeadCount},
		{11, "身份证号", domain.ReasonPersonRepeated},
		{12, "身份证号", domain.ReasonPersonInOtherHousehold},
		{13, "健康状况", domain.ReasonImportLabelUnknown},
		{18, "户编号", domain.ReasonImportHouseholdSplit},
		{18, "与户主关系", domain.ReasonHeadCount},
		{19, "身份证号", domain.ReasonIDNumberInvalid},
		{20, "与户主关系", domain.ReasonImportLabelUnknown},
	}
	good := []string{id("19620101", 102), id("19600101", 141), id("20120101", 182), id("19600101", 201), id("19600101", 223)}
	bad := []string{id("19600101", 121), id("19600101", 131), id("19600101", 151), id("19600101", 161), id("19600101", 171),
		id("19600101", 193), id("19600101", 211)}
	return ledgerRows(lines...), want, good, bad
}

func TestImportMixedFile(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := newLedgerEnv(t, d)
		ctx := t.Context()
		rows, want, good, bad := mixedLedger()
		issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{BatchSize: 2}, rows)
		if err != nil {
			t.Fatal(err)
		}
		if got := findings(issues); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("findings\n got %v\nwant %v", got, want)
		}
		// The split household's first part (row 16) was written; its second part refused.
		wantSum := domain.LedgerImportSummary{ImportID: sum.ImportID, Done: true, Rows: 21, Households: 16, Imported: 6,
			Persons: 9, Rejected: 10}
		if sum != wantSum || sum.ImportID == "" {
			t.Errorf("summary %+v, want %+v", sum, wantSum)
		}
		for _, n := range good {
			if _, err := e.svc.LookupHousehold(ctx, county, n); err != nil {
				t.Errorf("a good household was not written: %v", err)
			}
		}
		for _, n := range bad {
			if _, err := e.svc.LookupHousehold(ctx, county, n); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("a refused household was written: %v", err)
			}
		}
		rec, err := e.st.LedgerImport(ctx, sum.ImportID)
		if err != nil || rec.State != domain.LedgerImportDone || rec.Summary.Imported != 6 || rec.Summary.Rejected != 10 ||
			rec.Actor != "tester" || rec.Finished.IsZero() {
			t.Errorf("import record %+v, %v", rec, err)
		}
	})
}

// failingStore fails the bulk insert of the n-th batch, as a crash in the middle of an import would.
type failingStore struct {
	*store.Store
	calls, failAt int
}

func (f *failingStore) CreateHouseholds(ctx context.Context, hs []*domain.Household, existing map[string]bool) error {
	f.calls++
	if f.calls == f.failAt {
		return errors.New("disk full (simulated)")
	}
	return f.Store.CreateHouseholds(ctx, hs, existing)
}

func TestImportRerunAfterCrashWritesNothingTwice(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := newLedgerEnv(t, d)
		ctx := t.Context()
		rows, _, _, _ := mixedLedger()
		crashing := domain.NewLedgerImporter(e.svc, &failingStore{Store: e.st, failAt: 5}, tabular.Limits{})
		_, crashed, err := func() ([]domain.LedgerIssue, domain.LedgerImportSummary, error) {
			saved := e.imp
			e.imp = crashing
			defer func() { e.imp = saved }()
			return e.importLedger(t, county, domain.LedgerImportOptions{BatchSize: 2}, rows)
		}()
		if err == nil {
			t.Fatal("the crashing import succeeded")
		}
		// Batches of two households: 1 (G-1, B-1) to 4 committed, G-1 and G-2 among them; batch 5 (B-7, G-3)
		// failed.
		if crashed.Imported != 2 {
			t.Fatalf("before the crash: %+v", crashed)
		}
		rec, err := e.st.LedgerImport(ctx, crashed.ImportID)
		if err != nil || rec.State != domain.LedgerImportFailed || rec.Summary.Imported != 2 {
			t.Errorf("record of the crashed import %+v, %v", rec, err)
		}
		_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{BatchSize: 2}, rows)
		if err != nil {
			t.Fatal(err)
		}
		if sum.AlreadyImported != 2 || sum.Imported != 4 || sum.Conflicting != 0 || sum.Rejected != 10 {
			t.Errorf("rerun %+v", sum)
		}
		_, again, err := e.importLedger(t, county, domain.LedgerImportOptions{BatchSize: 2}, rows)
		if err != nil || again.AlreadyImported != 6 || again.Imported != 0 {
			t.Errorf("third run %+v, %v", again, err)
		}
		hs, _, err := e.st.ListHouseholds(ctx, domain.ListQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		persons := 0
		for _, h := range hs {
			persons += h.Size()
		}
		if len(hs) != 6 || persons != 9 {
			t.Errorf("register holds %d households, %d persons; want 6 and 9", len(hs), persons)
		}
	})
}

func TestImportConflicts(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	rows, _, _, _ := mixedLedger()
	if _, _, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows); err != nil {
		t.Fatal(err)
	}
	rows[1].Cells[cAddress] = "红桥村新址" // G-1, household cell
	rows[2].Cells[cAddress] = ""
	rows[14].Cells[cName] = "癸三" // G-3's second member (row 15)
	rows[6].Cells[cRelation] = "配偶"
	issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows)
	if err != nil {
		t.Fatal(err)
	}
	var conflicts []finding
	for _, is := range issues {
		if is.Outcome == domain.LedgerConflict {
			conflicts = append(conflicts, finding{is.Row, is.Column, is.Reason})
		}
	}
	want := []finding{{2, "家庭住址", domain.ReasonImportHouseholdConflict}, {15, "姓名", domain.ReasonImportHouseholdConflict}}
	if fmt.Sprint(conflicts) != fmt.Sprint(want) {
		t.Errorf("conflicts %v, want %v", conflicts, want)
	}
	// G-2 now has no head, so it is refused before it is compared.
	if sum.Conflicting != 2 || sum.AlreadyImported != 3 || sum.Imported != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	ctx := t.Context()
	rows, want, _, _ := mixedLedger()
	issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{DryRun: true, BatchSize: 1}, rows)
	if err != nil {
		t.Fatal(err)
	}
	// The same findings as a real import: the person of G-1 in B-6 is found though G-1 was never written.
	if got := findings(issues); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings\n got %v\nwant %v", got, want)
	}
	if !sum.DryRun || sum.ImportID != "" || sum.Imported != 6 || sum.Persons != 9 || sum.Rejected != 10 {
		t.Errorf("summary %+v", sum)
	}
	if hs, _, err := e.st.ListHouseholds(ctx, domain.ListQuery{Limit: 10}); err != nil || len(hs) != 0 {
		t.Errorf("a dry run wrote %d households (%v)", len(hs), err)
	}
	// And a dry run after a real import finds everything imported already.
	if _, _, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows); err != nil {
		t.Fatal(err)
	}
	_, sum, err = e.importLedger(t, county, domain.LedgerImportOptions{DryRun: true}, rows)
	if err != nil || sum.AlreadyImported != 6 || sum.Imported != 0 {
		t.Errorf("dry run after the import: %+v, %v", sum, err)
	}
}

// A person who left an archived household is free again; the import reuses the person's identity.
func TestImportReusesAFreedPerson(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	ctx := t.Context()
	old, err := e.svc.CreateHousehold(ctx, county, domain.NewHousehold{RegionCode: "990001002001",
		Members: []domain.Member{m(domain.RelationHead, id("19700101", 11))}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ArchiveHousehold(ctx, county, old.ID, "", "重复登记"); err != nil {
		t.Fatal(err)
	}
	_, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(ledgerHeader,
		line("N-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", "")))
	if err != nil || sum.Imported != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	h, err := e.svc.LookupHousehold(ctx, county, id("19700101", 11))
	if err != nil || h.Number != "N-1" || h.Members[0].PersonID != old.Members[0].PersonID || h.Members[0].FullName != "张大山" {
		t.Errorf("household %+v, %v; want the person id %s kept", h, err, old.Members[0].PersonID)
	}
}

// BenchmarkLedgerImport imports 5,000 households (≈17,000 rows) per iteration into a fresh register,
// through the whole import (grouping, checks and crypto on every core, batch lookups, bulk writes), on
// each database: go test ./services/identification/internal/domain -run '^$' -bench LedgerImport
func BenchmarkLedgerImport(b *testing.B) {
	const households = 5000
	rows := []string{ledgerHeader}
	for i := range households {
		n := fmt.Sprintf("B-%05d", i)
		day := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%20000).Format("20060102")
		rows = append(rows, line(n, "990001002001", "红桥村", "张大山", id(day, 1+2*(i/20000)), "户主", "一般户", ""),
			line(n, "990001002001", "红桥村", "李秀英", id(day, 2+2*(i/20000)), "配偶", "一般户", ""),
			line(n, "990001002001", "红桥村", "张小山", id(day, 101+2*(i/20000)), "子", "一般户", ""))
	}
	ledger := ledgerRows(rows...)
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newLedgerEnv(b, d)
				b.StartTimer()
				sum, err := e.imp.Import(b.Context(), county, domain.LedgerImportOptions{}, feedRows(ledger, 2000),
					func(domain.LedgerImportProgress) error { return nil })
				if err != nil || sum.Imported != households {
					b.Fatalf("%+v, %v", sum, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*households), "µs/household")
			b.ReportMetric(float64(b.N*(len(ledger)-1))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// A file whose 户编号 column is empty after the first row makes one household of every row: it is
// refused with its real size, and only its first rows are kept in memory.
func TestImportOversizedHousehold(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	lines := []string{ledgerHeader, line("H-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", "")}
	for i := range 1000 {
		lines = append(lines, line("", "", "", "张小山", id("20000101", 2*i+21), "子", "", ""))
	}
	issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, ledgerRows(lines...))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 1001 || sum.Households != 1 || sum.Rejected != 1 {
		t.Errorf("summary %+v", sum)
	}
	if len(issues) != 1 || issues[0].Row != 2 || issues[0].Column != "户编号" || issues[0].Reason != domain.ReasonInvalidField ||
		!strings.Contains(issues[0].Description, "1001 rows (2 to 1002)") {
		t.Errorf("issues %+v", issues)
	}
}

// TestImportRecordsOfDeadProcesses: a running record that stopped reporting reads as interrupted, and
// InterruptStale (run on a service's start) marks it so; a record that reported recently is another
// replica's live import and stays running.
func TestImportRecordsOfDeadProcesses(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	ctx := t.Context()
	for _, r := range []*domain.LedgerImport{
		{ID: "dead", Actor: "a", State: domain.LedgerImportRunning, Started: today.Add(-time.Hour), Updated: today.Add(-domain.ImportStaleAfter - time.Second)},
		{ID: "live", Actor: "a", State: domain.LedgerImportRunning, Started: today.Add(-time.Hour), Updated: today.Add(-domain.ImportHeartbeat)},
	} {
		if err := e.st.InTx(ctx, func(ctx context.Context) error { return e.st.SaveImport(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	if rec, err := e.imp.GetImport(ctx, "dead"); err != nil || rec.State != domain.LedgerImportInterrupted || !strings.Contains(rec.Message, "resume") {
		t.Errorf("dead import reads %+v, %v", rec, err)
	}
	if n, err := e.imp.InterruptStale(ctx); err != nil || n != 1 {
		t.Errorf("InterruptStale marked %d, %v; want the dead one", n, err)
	}
	recs, next, err := e.imp.ListImports(ctx, "", 10)
	if err != nil || next != "" || len(recs) != 2 || recs[0].ID != "live" || recs[0].State != domain.LedgerImportRunning ||
		recs[1].State != domain.LedgerImportInterrupted {
		t.Errorf("records %+v %q %v", recs, next, err)
	}
}

// TestImportRegistrationDate: the optional 登记日期 column dates a household's registration (its first
// status date and its members' start), back-dated with the import as the reason; an empty cell means the
// import's day; a date in the future or not written as a date is refused at its cell; a rerun with
// another date is a conflict at that column.
func TestImportRegistrationDate(t *testing.T) {
	e := newLedgerEnv(t, sqldb.SQLite)
	ctx := t.Context()
	header := ledgerHeader + ",登记日期"
	dated := func(l, date string) string { return l + "," + date }
	rows := ledgerRows(header,
		dated(line("H-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", ""), "2019/3/1"),
		dated(line("H-1", "", "", "张小山", id("19720101", 12), "配偶", "", ""), ""),
		dated(line("H-2", "990001002001", "二组", "李四", id("19700101", 21), "户主", "一般户", ""), ""),
		dated(line("H-3", "990001002001", "三组", "王五", id("19700101", 31), "户主", "一般户", ""), "2030-01-01"),
		dated(line("H-4", "990001002001", "四组", "赵六", id("19700101", 41), "户主", "一般户", ""), "43525"),
	)
	issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{Source: "红桥村.xlsx"}, rows)
	if err != nil || sum.Imported != 2 {
		t.Fatalf("summary %+v, %v, issues %+v", sum, err, issues)
	}
	want := []finding{{5, "登记日期", domain.ReasonImportValueInvalid}, {6, "登记日期", domain.ReasonImportValueInvalid}}
	if got := findings(issues); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	tests := []struct {
		name, idNumber, registered string
		backdated                  bool
	}{
		{name: "dated in the file", idNumber: id("19720101", 12), registered: "2019-03-01", backdated: true},
		{name: "no date: the import's day", idNumber: id("19700101", 21), registered: "2025-06-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := e.svc.LookupHousehold(ctx, county, tt.idNumber)
			if err != nil {
				t.Fatal(err)
			}
			if h.Registered != tt.registered || h.History[0].EffectiveDate != tt.registered || h.Members[0].StartDate != tt.registered {
				t.Errorf("registered %s, first status %+v, member start %s; want %s", h.Registered, h.History[0], h.Members[0].StartDate, tt.registered)
			}
			if strings.Contains(h.History[0].Reason, "登记日期") != tt.backdated || !strings.Contains(h.History[0].Reason, "红桥村.xlsx") {
				t.Errorf("first status reason %q", h.History[0].Reason)
			}
		})
	}
	t.Run("a rerun is already imported; another date is a conflict", func(t *testing.T) {
		issues, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{Source: "红桥村.xlsx"}, rows[:4])
		if err != nil || sum.AlreadyImported != 2 || sum.Imported != 0 {
			t.Fatalf("rerun %+v %v %+v", sum, err, issues)
		}
		changed := append([]domain.LedgerRow(nil), rows[:3]...)
		changed[1] = domain.LedgerRow{Row: 2, Cells: strings.Split(dated(line("H-1", "990001002001", "一组", "张大山", id("19700101", 11), "户主", "一般户", ""), "2019-03-02"), ",")}
		issues, _, err = e.importLedger(t, county, domain.LedgerImportOptions{Source: "红桥村.xlsx"}, changed)
		if err != nil || len(issues) != 1 || issues[0].Outcome != domain.LedgerConflict || issues[0].Column != "登记日期" {
			t.Fatalf("changed date: %+v %v", issues, err)
		}
	})
}

// analyzingStore counts the planner-statistics refreshes the import asks for.
type analyzingStore struct {
	*store.Store
	refreshed int
}

func (a *analyzingStore) RefreshPlannerStatistics(ctx context.Context) error {
	a.refreshed++
	return a.Store.RefreshPlannerStatistics(ctx)
}

// An import that wrote households refreshes the planner's statistics once, at its end; a dry run and an
// import that wrote nothing new do not.
func TestImportRefreshesPlannerStatistics(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := newLedgerEnv(t, d)
		a := &analyzingStore{Store: e.st}
		e.imp = domain.NewLedgerImporter(e.svc, a, tabular.Limits{})
		rows, _, _, _ := mixedLedger()
		if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{DryRun: true}, rows); err != nil || a.refreshed != 0 {
			t.Fatalf("dry run: %+v, %v; refreshed %d times", sum, err, a.refreshed)
		}
		if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows); err != nil || sum.Imported == 0 || a.refreshed != 1 {
			t.Fatalf("import: %+v, %v; refreshed %d times", sum, err, a.refreshed)
		}
		if _, sum, err := e.importLedger(t, county, domain.LedgerImportOptions{}, rows); err != nil || sum.Imported != 0 || a.refreshed != 1 {
			t.Fatalf("the same file again: %+v, %v; refreshed %d times", sum, err, a.refreshed)
		}
	})
}
