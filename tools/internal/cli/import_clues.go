package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/tabular"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/metadata"
)

// The columns of a clue file (docs/MONITORING.md), by header.
const (
	clueColID        = "身份证号"
	clueColSource    = "线索来源"
	clueColDept      = "部门"
	clueColKind      = "线索类型"
	clueColDate      = "发生日期"
	clueColReference = "外部编号"
	clueColFacts     = "情况说明"
)

// clueColumns are every column, the required ones first.
var clueColumns = []struct {
	name     string
	required bool
}{
	{clueColID, true}, {clueColSource, true}, {clueColKind, true}, {clueColReference, true},
	{clueColDept, false}, {clueColDate, false}, {clueColFacts, false},
}

var clueSourceLabels = map[string]identificationv1.ClueSource{
	"农户自主申报": identificationv1.ClueSource_CLUE_SOURCE_SELF_REPORT, "自主申报": identificationv1.ClueSource_CLUE_SOURCE_SELF_REPORT,
	"干部排查":   identificationv1.ClueSource_CLUE_SOURCE_CADRE_SCREENING,
	"部门筛查预警": identificationv1.ClueSource_CLUE_SOURCE_DEPARTMENT_SCREENING, "部门筛查": identificationv1.ClueSource_CLUE_SOURCE_DEPARTMENT_SCREENING,
}

var clueDeptLabels = map[string]commonv1.Department{
	"医保": commonv1.Department_DEPARTMENT_MEDICAL_SECURITY, "医疗保障局": commonv1.Department_DEPARTMENT_MEDICAL_SECURITY,
	"应急": commonv1.Department_DEPARTMENT_EMERGENCY_MANAGEMENT, "应急管理局": commonv1.Department_DEPARTMENT_EMERGENCY_MANAGEMENT,
	"公安": commonv1.Department_DEPARTMENT_PUBLIC_SECURITY, "公安局": commonv1.Department_DEPARTMENT_PUBLIC_SECURITY,
	"民政": commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, "民政局": commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
	"人社": commonv1.Department_DEPARTMENT_HUMAN_RESOURCES, "人社局": commonv1.Department_DEPARTMENT_HUMAN_RESOURCES,
	"残联":   commonv1.Department_DEPARTMENT_DISABLED_PERSONS_FEDERATION,
	"乡村振兴": commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, "乡村振兴局": commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
	"农业农村": commonv1.Department_DEPARTMENT_AGRICULTURE, "农业农村局": commonv1.Department_DEPARTMENT_AGRICULTURE,
	"财政": commonv1.Department_DEPARTMENT_FINANCE, "财政局": commonv1.Department_DEPARTMENT_FINANCE,
}

var clueKindLabels = map[string]identificationv1.ClueKind{
	"收入低于监测标准": identificationv1.ClueKind_CLUE_KIND_INCOME_IN_RANGE, "收入骤减": identificationv1.ClueKind_CLUE_KIND_INCOME_DROP,
	"刚性支出骤增": identificationv1.ClueKind_CLUE_KIND_RIGID_SPENDING, "因灾": identificationv1.ClueKind_CLUE_KIND_DISASTER,
	"意外事故": identificationv1.ClueKind_CLUE_KIND_ACCIDENT, "家庭成员死亡": identificationv1.ClueKind_CLUE_KIND_DEATH,
	"因病": identificationv1.ClueKind_CLUE_KIND_ILLNESS, "因残": identificationv1.ClueKind_CLUE_KIND_DISABILITY,
	"务工中断": identificationv1.ClueKind_CLUE_KIND_JOB_LOSS, "其他": identificationv1.ClueKind_CLUE_KIND_OTHER,
}

// clueFieldColumns name, for the service's field paths, the file's columns.
var clueFieldColumns = map[string]string{
	"id_number": clueColID, "clue.source": clueColSource, "clue.department": clueColDept, "clue.kind": clueColKind,
	"clue.arose_date": clueColDate, "clue.external_reference": clueColReference, "clue.facts": clueColFacts,
}

// clueIssue is one bad row.
type clueIssue struct {
	row         int64
	column      string
	reason      string
	description string
}

func (i clueIssue) String() string {
	where := fmt.Sprintf("row %d", i.row)
	if i.column != "" {
		where += ", " + i.column
	}
	return fmt.Sprintf("%s: %s: %s", where, i.reason, i.description)
}

// runImportClues reads a clue file (CSV or XLSX, Chinese headers, one clue per row identified by a
// member's 身份证号), checks each row, sends the good ones to the identification service's ImportClues in
// batches, and reports every bad row with its row, column and reason. Rows carry the source's record
// number (外部编号), so running the same file again records nothing twice.
func runImportClues(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import clues", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "check the file and report, but send nothing")
	sheet := fs.String("sheet", "", "XLSX worksheet (default: the first)")
	batch := fs.Int("batch", 500, "rows per call (at most 1000)")
	report := fs.String("report", "", "write every bad row to this CSV file (行号, 列, 原因, 说明)")
	addr := fs.String("addr", "", "identification service address host:port (default: found through etcd)")
	endpoints := fs.String("etcd", envOr("FUPIN_ETCD_ENDPOINTS", "127.0.0.1:2379"), "etcd endpoints, comma-separated")
	token := fs.String("token", os.Getenv("FUPIN_TOKEN"), "bearer token (default: a dev token signed with the key in --data)")
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory of `fupin dev` (its signing key makes the dev token)")
	dept := fs.String("dept", "rural_revitalization", "department of the dev token (e.g. medical_security for 医保's own file)")
	limits := limitFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *batch < 1 || *batch > 1000 {
		return fmt.Errorf("%w: fupin import clues FILE [--dry-run] [--report FILE] [--sheet NAME] [--batch N] [--addr HOST:PORT | --etcd ENDPOINTS] [--token T | --data DIR --dept DEPT]", errUsage)
	}
	path := pos[0]
	r, err := tabular.Open(path, tabular.Options{Sheet: *sheet, Limits: limits.get()})
	if err != nil {
		return limits.explain(err)
	}
	defer r.Close()
	rows, issues, err := readClueFile(r, time.Now())
	if err != nil {
		return limits.explain(err)
	}
	var created, existing int32
	if !*dryRun && len(rows) > 0 {
		if *token == "" {
			if *token, err = clueDevToken(*data, *dept); err != nil {
				return err
			}
		}
		conn, closeConn, err := dialIdentification(*addr, *endpoints)
		if err != nil {
			return err
		}
		defer closeConn()
		client := identificationv1.NewMonitoringServiceClient(conn)
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+*token)
		for start := 0; start < len(rows); start += *batch {
			chunk := rows[start:min(start+*batch, len(rows))]
			resp, err := client.ImportClues(ctx, &identificationv1.ImportCluesRequest{Rows: chunk})
			if err != nil {
				return serviceError(err)
			}
			created, existing = created+resp.GetCreated(), existing+resp.GetExisting()
			for _, res := range resp.GetResults() {
				if res.GetOutcome() == identificationv1.ClueImportOutcome_CLUE_IMPORT_OUTCOME_FAILED {
					issues = append(issues, clueIssue{row: int64(res.GetRow()), column: clueFieldColumns[res.GetField()],
						reason: res.GetReason(), description: res.GetDescription()})
				}
			}
		}
	}
	for _, is := range issues {
		fmt.Fprintln(stdout, is)
	}
	if *report != "" {
		if err := writeClueReport(*report, issues); err != nil {
			return err
		}
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: %d rows of %s are good, %d bad; nothing sent\n", len(rows), path, len(issues))
	} else {
		fmt.Fprintf(stdout, "imported clues from %s: %d recorded now, %d recorded before (same 外部编号), %d rows refused\n",
			path, created, existing, len(issues))
	}
	if len(issues) > 0 {
		return fmt.Errorf("%d rows were not imported: fix the rows named above and import the file again", len(issues))
	}
	return nil
}

// headerSearchRows is how many rows may come before the header row (titles).
const headerSearchRows = 20

var slashDate = regexp.MustCompile(`^([0-9]{4})[/.年-]([0-9]{1,2})[/.月-]([0-9]{1,2})日?$`)

// readClueFile finds the header row (the first of the first 20 rows with the column 身份证号), then reads
// and checks every row. Bad rows become issues; the good ones are returned ready to send.
func readClueFile(r tabular.Reader, now time.Time) ([]*identificationv1.ClueImportRow, []clueIssue, error) {
	var cols map[string]int
	var out []*identificationv1.ClueImportRow
	var issues []clueIssue
	for {
		row, err := r.Next()
		n, cells := row.Num, row.Cells
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if cols == nil {
			if n > headerSearchRows {
				return nil, nil, fmt.Errorf("no header row with the column %s in the first %d rows", clueColID, headerSearchRows)
			}
			if cols = clueHeader(cells); cols == nil {
				continue
			}
			var missing []string
			for _, c := range clueColumns {
				if _, ok := cols[c.name]; c.required && !ok {
					missing = append(missing, c.name)
				}
			}
			if len(missing) > 0 {
				return nil, nil, fmt.Errorf("row %d: the header lacks the column(s) %s", n, strings.Join(missing, ", "))
			}
			continue
		}
		cell := func(name string) string {
			if i, ok := cols[name]; ok && i < len(cells) {
				return strings.TrimSpace(cells[i])
			}
			return ""
		}
		if strings.Join(cells, "") == "" {
			continue
		}
		clue, bad := clueRow(n, cell, row.Type(cols[clueColID]), now)
		if bad != nil {
			issues = append(issues, *bad)
			continue
		}
		out = append(out, clue)
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("no header row with the column %s", clueColID)
	}
	return out, issues, nil
}

func clueHeader(cells []string) map[string]int {
	cols := map[string]int{}
	for i, c := range cells {
		cols[strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))] = i
	}
	if _, ok := cols[clueColID]; !ok {
		return nil
	}
	return cols
}

// clueRow checks one row and builds what ImportClues receives. The 身份证号 is checked here too (also that
// its cell was stored as text), so a typing error is named without a round trip; it is never printed. The
// cell's type goes with the row, for the service applies the same check.
func clueRow(n int64, cell func(string) string, idType tabular.CellType, now time.Time) (*identificationv1.ClueImportRow, *clueIssue) {
	bad := func(column, desc string) *clueIssue {
		return &clueIssue{row: n, column: column, reason: "INVALID_FIELD", description: desc}
	}
	if err := pii.CheckIDNumberCell(cell(clueColID), idType.IsText()); err != nil {
		return nil, &clueIssue{row: n, column: clueColID, reason: "ID_NUMBER_INVALID", description: err.Error()}
	}
	id := pii.NormalizeIDNumber(cell(clueColID))
	if _, err := pii.ParseIDNumber(id, now); err != nil {
		return nil, &clueIssue{row: n, column: clueColID, reason: "ID_NUMBER_INVALID", description: err.Error()}
	}
	source, ok := clueSourceLabels[cell(clueColSource)]
	if !ok {
		return nil, bad(clueColSource, fmt.Sprintf("%q is not one of 农户自主申报, 干部排查, 部门筛查预警", cell(clueColSource)))
	}
	var dept commonv1.Department
	if d := cell(clueColDept); d != "" {
		if dept, ok = clueDeptLabels[d]; !ok {
			return nil, bad(clueColDept, fmt.Sprintf("%q is not a department (医保, 应急, 公安, 民政, 人社, 残联, 乡村振兴, 农业农村, 财政)", d))
		}
	}
	kind, ok := clueKindLabels[cell(clueColKind)]
	if !ok {
		return nil, bad(clueColKind, fmt.Sprintf("%q is not a clue type (收入低于监测标准, 收入骤减, 刚性支出骤增, 因灾, 意外事故, 家庭成员死亡, 因病, 因残, 务工中断, 其他)", cell(clueColKind)))
	}
	date := cell(clueColDate)
	if m := slashDate.FindStringSubmatch(date); m != nil {
		month, _ := strconv.Atoi(m[2])
		day, _ := strconv.Atoi(m[3])
		date = fmt.Sprintf("%s-%02d-%02d", m[1], month, day)
	}
	if date != "" {
		if _, err := bizdate.Parse(date); err != nil {
			return nil, bad(clueColDate, "must be a date (YYYY-MM-DD)")
		}
	}
	ref := cell(clueColReference)
	if ref == "" || len(ref) > 64 {
		return nil, bad(clueColReference, "is required (the source's record number, at most 64 characters): it makes reruns safe")
	}
	facts := cell(clueColFacts)
	if len([]rune(facts)) > 1000 {
		return nil, bad(clueColFacts, "is longer than 1000 characters")
	}
	return &identificationv1.ClueImportRow{Row: int32(n), IdNumber: id, IdNumberCellType: commonv1.CellType(idType), Clue: &identificationv1.Clue{Source: source,
		Department: dept, Kind: kind, AroseDate: date, ExternalReference: ref, Facts: facts}}, nil
}

func writeClueReport(path string, issues []clueIssue) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, _ = f.WriteString("\ufeff")
	w := csv.NewWriter(f)
	_ = w.Write([]string{"行号", "列", "原因", "说明"})
	for _, is := range issues {
		_ = w.Write([]string{fmt.Sprint(is.row), is.column, is.reason, is.description})
	}
	w.Flush()
	return errors.Join(w.Error(), f.Close())
}

// clueDevToken signs a dev token for a department's staff (乡村振兴局: its county administrator) with the
// signing key of a `fupin dev` data directory.
func clueDevToken(data, dept string) (string, error) {
	if dept == "rural_revitalization" {
		return devToken(data)
	}
	claims := auth.Claims{Department: dept, Role: "department_staff", RegisteredClaims: jwt.RegisteredClaims{Subject: "dev:import:" + dept}}
	if _, err := claims.Caller(); err != nil {
		return "", fmt.Errorf("%w: --dept: %v", errUsage, err)
	}
	signer, err := devSigner(data, "")
	if err != nil {
		return "", fmt.Errorf("no --token and no dev key: %w (or set FUPIN_TOKEN)", err)
	}
	return signer.Sign(claims, 12*time.Hour)
}
