package employment_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// importFile streams a labour file to ImportLabourFile in chunks of 7 bytes (so chunk boundaries fall
// inside cells and characters) and returns the answer.
func (c *county) importFile(t *testing.T, name string, data []byte, dryRun bool) (*employmentv1.ImportLabourFileResponse, error) {
	t.Helper()
	stream, err := employmentv1.NewLabourImportServiceClient(c.Conn).ImportLabourFile(c.HR(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&employmentv1.ImportLabourFileRequest{Content: &employmentv1.ImportLabourFileRequest_File{File: &employmentv1.LabourFile{
		FileName: name, Format: employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_CSV, SizeBytes: int64(len(data)), DryRun: dryRun}}}); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(data); start += 7 {
		if err := stream.Send(&employmentv1.ImportLabourFileRequest{Content: &employmentv1.ImportLabourFileRequest_Chunk{
			Chunk: data[start:min(start+7, len(data))]}}); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
	}
	return stream.CloseAndRecv()
}

const labourHeader = "姓名,身份证号,务工状况,就业方式,就业单位,务工地点,月收入（元）,起始年月,截止年月,就业意愿,培训意愿,失业登记,失业保险金月额（元）,参加职工养老保险,领取养老金\n"

// The quarterly file: matched rows recorded, unmatched and invalid rows reported by row, a dry run writing
// nothing, a rerun writing the same records again (never a second copy).
func TestImportLabourFile(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		_, m := c.poorLabourer(t, village1, 21)
		id := IDNumber(bornAged(35), 21)
		badCheck := id[:17] + map[bool]string{true: "0", false: "1"}[id[17] != '0']
		file := []byte(labourHeader +
			"赵劳力," + id + ",04,务工,广东某电子厂,44,4200.50,2025-03,2025-08,是,否,,,是,否\n" +
			"赵劳力," + id + ",未就业,,,,,2025-09,,是,是,是,1500,,\n" +
			"钱某," + IDNumber("19800101", 22) + ",02,灵活就业,,,1000,202503,,,,,,,\n" +
			"孙某," + badCheck + ",01,务工,,,100,2025-01,,,,,,,\n" +
			"李某," + IDNumber("19800101", 23) + ",打工,务工,,,100,2025-01,,,,,,,\n" +
			"周某," + IDNumber("19800101", 24) + ",未就业,务工,,,,2025-01,,,,,,,\n")

		dry, err := c.importFile(t, "2025Q3.csv", file, true)
		if err != nil {
			t.Fatal(err)
		}
		if s := dry.GetSummary(); !s.GetDryRun() || s.GetRows() != 6 || s.GetApplied() != 2 || s.GetUnmatched() != 1 || s.GetInvalid() != 3 {
			t.Fatalf("dry run: %v", dry)
		}
		l, err := c.Ledger().GetLabourer(c.HR(t), &employmentv1.GetLabourerRequest{Name: "labourers/" + m.GetPersonId()})
		if err != nil || len(l.GetSpells()) != 0 {
			t.Fatalf("a dry run wrote: %v %v", l, err)
		}
		var got []string
		for _, is := range dry.GetIssues() {
			got = append(got, fmt.Sprintf("%d %s %s %s", is.GetRow(), is.GetColumn(), is.GetOutcome(), is.GetReason()))
			if strings.Contains(is.GetDescription(), badCheck) {
				t.Errorf("an issue shows the number: %v", is)
			}
		}
		want := []string{"4 身份证号 LABOUR_IMPORT_OUTCOME_UNMATCHED NOT_IN_LEDGER", "5 身份证号 LABOUR_IMPORT_OUTCOME_INVALID ID_NUMBER_INVALID",
			"6 务工状况 LABOUR_IMPORT_OUTCOME_INVALID WORK_STATUS_INVALID", "7 就业方式 LABOUR_IMPORT_OUTCOME_INVALID SPELL_INVALID"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("issues\n got %v\nwant %v", got, want)
		}

		for run := range 2 {
			resp, err := c.importFile(t, "2025Q3.csv", file, false)
			if err != nil {
				t.Fatal(err)
			}
			if s := resp.GetSummary(); s.GetApplied() != 2 || s.GetSpells() != 2 || s.GetUnemploymentPeriods() != 2 || resp.GetIssuesTotal() != 4 {
				t.Fatalf("run %d: %v", run, resp)
			}
			l, err := c.Ledger().GetLabourer(c.HR(t), &employmentv1.GetLabourerRequest{Name: "labourers/" + m.GetPersonId()})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.GetSpells()) != 2 || len(l.GetUnemploymentPeriods()) != 2 || !l.GetWantsWork() || !l.GetWantsTraining() ||
				!l.GetInsuredEmployee() || l.GetReceivingPension() || l.GetWorkStatus() != employmentv1.WorkStatus_WORK_STATUS_UNEMPLOYED {
				t.Fatalf("run %d: the labourer %v", run, l)
			}
			if sp := l.GetSpells()[0]; sp.GetMonthlyIncomeFen() != 420050 || sp.GetPlace() != "44" || sp.GetSource() != employmentv1.SpellSource_SPELL_SOURCE_IMPORT {
				t.Fatalf("run %d: the spell %v", run, sp)
			}
		}

		// A file without the required columns, or not CSV at all, writes nothing.
		_, err = c.importFile(t, "bad.csv", []byte("姓名,身份证号\n赵,1\n"), false)
		wantCode(t, err, codes.InvalidArgument, "IMPORT_HEADER_INVALID")
		_, err = c.Facts().BatchGetEmploymentFacts(c.As(t, "rural_revitalization", "service", "", "income_assessment"),
			&employmentv1.BatchGetEmploymentFactsRequest{IdIndexes: []string{m.GetIdIndex()}, FromMonth: "2025-08", ToMonth: "2025-09"})
		if err != nil {
			t.Fatal(err)
		}
		// Only 人社 imports.
		stream, err := employmentv1.NewLabourImportServiceClient(c.Conn).ImportLabourFile(c.As(t, "civil_affairs", "department_staff", ""))
		if err == nil {
			_, err = stream.CloseAndRecv()
		}
		wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	})
}
