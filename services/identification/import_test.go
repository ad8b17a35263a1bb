package identification_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// importStream sends rows (numbered from 1) in messages of per rows and collects every answer.
func importStream(ctx context.Context, t *testing.T, client identificationv1.ImportServiceClient, settings *identificationv1.ImportSettings,
	lines []string, per int) ([]*identificationv1.ImportIssue, *identificationv1.ImportSummary, error) {
	t.Helper()
	rows := make([]*identificationv1.LedgerRow, len(lines))
	for i, l := range lines {
		rows[i] = &identificationv1.LedgerRow{Row: int64(i + 1), Cells: strings.Split(l, ",")}
	}
	return importRows(ctx, t, client, settings, rows, per)
}

// importRows sends rows in messages of per rows and collects every answer.
func importRows(ctx context.Context, t *testing.T, client identificationv1.ImportServiceClient, settings *identificationv1.ImportSettings,
	rows []*identificationv1.LedgerRow, per int) ([]*identificationv1.ImportIssue, *identificationv1.ImportSummary, error) {
	t.Helper()
	stream, err := client.ImportHouseholds(ctx)
	if err != nil {
		return nil, nil, err
	}
	go func() {
		msg := &identificationv1.ImportHouseholdsRequest{Settings: settings}
		for i, r := range rows {
			msg.Rows = append(msg.Rows, r)
			if len(msg.Rows) == per || i == len(rows)-1 {
				if stream.Send(msg) != nil {
					return
				}
				msg = &identificationv1.ImportHouseholdsRequest{}
			}
		}
		_ = stream.CloseSend()
	}()
	var issues []*identificationv1.ImportIssue
	var sum *identificationv1.ImportSummary
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return issues, sum, nil
		}
		if err != nil {
			return issues, sum, err
		}
		issues = append(issues, resp.GetIssues()...)
		sum = resp.GetSummary()
	}
}

func TestImportAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		client := identificationv1.NewImportServiceClient(h.conn)
		const header = "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度"
		bad := idNumber("19710101", 31)
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		lines := []string{header,
			"IMP-1,990001002003,一组,王大山," + idNumber("19650304", 901) + ",户主,汉族,小学,长期慢性病,普通劳动力,已脱贫,2018",
			"IMP-1,,,李秀英," + idNumber("19680512", 902) + ",配偶,汉族,初中,健康,普通劳动力,,",
			"IMP-2,990001002003,二组,赵小川," + bad + ",户主,汉族,小学,健康,普通劳动力,一般户,",
			"IMP-3,990001002003,三组,钱多多," + idNumber("19800101", 903) + ",户主,回族,高中,健康,技能劳动力,贫困户,",
		}

		t.Run("imports good households and reports bad rows with row, column and reason", func(t *testing.T) {
			issues, sum, err := importStream(h.admin(t), t, client, &identificationv1.ImportSettings{Source: "api.csv", BatchSize: 1}, lines, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(issues) != 1 || issues[0].GetRow() != 4 || issues[0].GetColumn() != "身份证号" || issues[0].GetReason() != "ID_NUMBER_INVALID" ||
				issues[0].GetOutcome() != identificationv1.ImportOutcome_IMPORT_OUTCOME_REJECTED || issues[0].GetHouseholdNumber() != "IMP-2" {
				t.Errorf("issues %v", issues)
			}
			if !sum.GetDone() || sum.GetHouseholdsImported() != 2 || sum.GetPersonsImported() != 3 || sum.GetHouseholdsRejected() != 1 ||
				sum.GetRows() != 4 || !strings.HasPrefix(sum.GetImport(), "imports/") {
				t.Errorf("summary %v", sum)
			}
			got, err := h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19680512", 902)})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetHouseholdNumber() != "IMP-1" || got.GetSize() != 2 || got.GetExitYear() != 2018 ||
				got.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED ||
				got.GetMembers()[0].GetHealth() != identificationv1.Health_HEALTH_CHRONIC_DISEASE {
				t.Errorf("imported household %v", got)
			}
			// Each batch's transaction has its audit row, naming the import.
			waitAudit(t, h.dbURL, "mutation", identificationv1.ImportService_ImportHouseholds_FullMethodName, sum.GetImport())
		})

		t.Run("a rerun writes nothing twice", func(t *testing.T) {
			issues, sum, err := importStream(h.admin(t), t, client, &identificationv1.ImportSettings{}, lines, 100)
			if err != nil {
				t.Fatal(err)
			}
			already := 0
			for _, is := range issues {
				if is.GetOutcome() == identificationv1.ImportOutcome_IMPORT_OUTCOME_ALREADY_IMPORTED && is.GetReason() == "IMPORT_ALREADY_IMPORTED" {
					already++
				}
			}
			if already != 2 || sum.GetHouseholdsImported() != 0 || sum.GetHouseholdsAlreadyImported() != 2 {
				t.Errorf("rerun %v %v", issues, sum)
			}
		})

		t.Run("a dry run reports and writes nothing", func(t *testing.T) {
			dry := []string{header, "IMP-9,990001002003,九组,孙九," + idNumber("19900101", 909) + ",户主,汉族,小学,健康,普通劳动力,一般户,"}
			_, sum, err := importStream(h.admin(t), t, client, &identificationv1.ImportSettings{DryRun: true}, dry, 100)
			if err != nil || !sum.GetDryRun() || sum.GetHouseholdsImported() != 1 || sum.GetImport() != "" {
				t.Fatalf("%v, %v", sum, err)
			}
			_, err = h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19900101", 909)})
			if code, _, _ := details(t, err); code != codes.NotFound {
				t.Errorf("a dry run wrote the household: %v", err)
			}
		})

		t.Run("a header without 身份证号 refuses the stream", func(t *testing.T) {
			_, _, err := importStream(h.admin(t), t, client, &identificationv1.ImportSettings{},
				[]string{strings.Replace(header, "身份证号", "证件号", 1), "IMP-8,990001002003,一组,孙八,x,户主,,,,,,"}, 100)
			code, info, br := details(t, err)
			if code != codes.InvalidArgument || info.GetReason() != "IMPORT_HEADER_INVALID" ||
				len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "身份证号" {
				t.Errorf("%v %v %v", code, info, br)
			}
		})

		t.Run("a 身份证号 stored as a number is reported, not imported", func(t *testing.T) {
			number := []commonv1.CellType{11: commonv1.CellType_CELL_TYPE_TEXT}
			number[4] = commonv1.CellType_CELL_TYPE_NUMBER
			rows := []*identificationv1.LedgerRow{{Row: 1, Cells: strings.Split(header, ",")}}
			for i, cell := range []string{"990001196503040000", "9.90001196503040E+17", "990001650304000", "9.90001650304000E+14"} {
				rows = append(rows, &identificationv1.LedgerRow{Row: int64(i + 2), CellTypes: number,
					Cells: strings.Split(fmt.Sprintf("NUM-%d,990001002003,一组,王%d,%s,户主,汉族,小学,健康,普通劳动力,一般户,", i, i, cell), ",")})
			}
			issues, sum, err := importRows(h.admin(t), t, client, &identificationv1.ImportSettings{}, rows, 100)
			if err != nil {
				t.Fatal(err)
			}
			if sum.GetHouseholdsRejected() != 4 || sum.GetHouseholdsImported() != 0 || len(issues) != 4 {
				t.Fatalf("summary %v, issues %v", sum, issues)
			}
			for _, is := range issues {
				if is.GetColumn() != "身份证号" || is.GetReason() != "ID_NUMBER_INVALID" || !strings.Contains(is.GetDescription(), "stored as a number") {
					t.Errorf("issue %v", is)
				}
			}
		})

		t.Run("import records: Get and List, for the department's staff, administrators and auditors", func(t *testing.T) {
			list, err := client.ListImports(h.admin(t), &identificationv1.ListImportsRequest{PageSize: 1})
			if err != nil || len(list.GetImports()) != 1 || list.GetNextPageToken() == "" {
				t.Fatalf("%v %v", list, err)
			}
			latest := list.GetImports()[0]
			if latest.GetState() != identificationv1.ImportState_IMPORT_STATE_DONE || latest.GetSummary().GetHouseholdsRejected() != 4 ||
				latest.GetFinishTime() == nil || latest.GetLastRow() != 5 {
				t.Errorf("latest import %v", latest)
			}
			rest, err := client.ListImports(h.admin(t), &identificationv1.ListImportsRequest{PageToken: list.GetNextPageToken()})
			if err != nil || len(rest.GetImports()) < 2 {
				t.Fatalf("%v %v", rest, err)
			}
			first := rest.GetImports()[len(rest.GetImports())-1] // the first import of this test: 2 households written
			if first.GetSource() != "api.csv" || first.GetSummary().GetHouseholdsImported() != 2 || first.GetLastHouseholdNumber() != "IMP-3" {
				t.Errorf("first import %v", first)
			}
			for _, c := range []struct {
				dept, role string
				code       codes.Code
			}{
				{"rural_revitalization", "auditor", codes.OK},
				{"rural_revitalization", "department_staff", codes.OK},
				{"rural_revitalization", "township_officer", codes.PermissionDenied},
				{"civil_affairs", "county_admin", codes.PermissionDenied},
			} {
				region := ""
				if c.role == "township_officer" {
					region = "990001002"
				}
				got, err := client.GetImport(h.as(t, c.dept, c.role, region), &identificationv1.GetImportRequest{Name: latest.GetName()})
				if code, _, _ := details(t, err); code != c.code || c.code == codes.OK && got.GetName() != latest.GetName() {
					t.Errorf("%s %s: %v %v", c.dept, c.role, got, err)
				}
			}
			_, err = client.GetImport(h.admin(t), &identificationv1.GetImportRequest{Name: "imports/none"})
			if code, _, _ := details(t, err); code != codes.NotFound {
				t.Errorf("a missing record: %v", err)
			}
		})

		t.Run("a stream that dies half way leaves an interrupted record saying how far it got", func(t *testing.T) {
			ctx, cancel := context.WithCancel(h.admin(t))
			defer cancel()
			stream, err := client.ImportHouseholds(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rows := []*identificationv1.LedgerRow{{Row: 1, Cells: strings.Split(header, ",")}}
			for i := range 3 {
				rows = append(rows, &identificationv1.LedgerRow{Row: int64(i + 2), Cells: strings.Split(fmt.Sprintf(
					"CUT-%d,990001002003,一组,周%d,%s,户主,汉族,小学,健康,普通劳动力,一般户,", i, i, idNumber("19750101", 950+i)), ",")})
			}
			if err := stream.Send(&identificationv1.ImportHouseholdsRequest{Settings: &identificationv1.ImportSettings{Source: "cut.csv", BatchSize: 1}, Rows: rows}); err != nil {
				t.Fatal(err)
			}
			// The stream is never closed: the service has written the households it knows to be complete
			// (the last may go on in the next message) when the client dies.
			var name string
			for {
				resp, err := stream.Recv()
				if err != nil {
					t.Fatal(err)
				}
				name = resp.GetSummary().GetImport()
				if resp.GetSummary().GetHouseholdsImported() == 2 {
					break
				}
			}
			cancel()
			deadline := time.Now().Add(10 * time.Second)
			for {
				rec, err := client.GetImport(h.admin(t), &identificationv1.GetImportRequest{Name: name})
				if err != nil {
					t.Fatal(err)
				}
				if rec.GetState() == identificationv1.ImportState_IMPORT_STATE_INTERRUPTED {
					if rec.GetSummary().GetHouseholdsImported() != 2 || rec.GetLastHouseholdNumber() != "CUT-1" || rec.GetLastRow() != 3 ||
						!strings.Contains(rec.GetStatusMessage(), "resume") || rec.GetFinishTime() == nil {
						t.Errorf("record %v", rec)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the record stayed %v", rec)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})

		t.Run("only 乡村振兴局's county administrators and staff may import", func(t *testing.T) {
			for _, c := range []struct{ dept, role, region string }{{"rural_revitalization", "township_officer", "990001002"}, {"civil_affairs", "department_staff", ""}} {
				_, _, err := importStream(h.as(t, c.dept, c.role, c.region), t, client, &identificationv1.ImportSettings{}, lines, 100)
				if code, _, _ := details(t, err); code != codes.PermissionDenied {
					t.Errorf("%s %s: %v", c.dept, c.role, err)
				}
			}
			_, sum, err := importStream(h.as(t, "rural_revitalization", "department_staff", ""), t, client, &identificationv1.ImportSettings{DryRun: true}, lines, 100)
			if err != nil || !sum.GetDone() {
				t.Errorf("department staff: %v %v", sum, err)
			}
		})
	})
}
