package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/tabular"
	"github.com/golang-jwt/jwt/v5"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

func clueTestID(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq)
	return first17 + string(pii.IDCheckChar(first17))
}

func TestReadClueFile(t *testing.T) {
	good := clueTestID("19650304", 11)
	badCheck := good[:17] + map[bool]string{true: "0", false: "1"}[good[17] != '0']
	file := "某县医疗保障局 2025 年 6 月大额医疗费用预警\n" +
		"序号,身份证号,线索来源,部门,线索类型,发生日期,外部编号,情况说明\n" +
		"1," + good + ",部门筛查预警,医保,刚性支出骤增,2025/6/3,YB-1,住院自付 6.2 万元\n" +
		"2," + badCheck + ",部门筛查预警,医保,因病,2025-06-03,YB-2,\n" +
		"3," + good + ",部门预警,医保,因病,2025-06-03,YB-3,\n" +
		"4," + good + ",部门筛查预警,卫健,因病,2025-06-03,YB-4,\n" +
		"5," + good + ",部门筛查预警,医保,生病,2025-06-03,YB-5,\n" +
		"6," + good + ",部门筛查预警,医保,因病,2025-06-31,YB-6,\n" +
		"7," + good + ",部门筛查预警,医保,因病,2025-06-03,,\n" +
		",,,,,,,\n" +
		"9," + strings.ToLower(good[:17]) + good[17:] + ",农户自主申报,,因病,,ZB-9,\n"
	r, err := tabular.NewCSVReader(strings.NewReader(file), tabular.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rows, issues, err := readClueFile(r, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].GetRow() != 3 || rows[0].GetClue().GetAroseDate() != "2025-06-03" ||
		rows[0].GetClue().GetKind() != identificationv1.ClueKind_CLUE_KIND_RIGID_SPENDING || rows[0].GetIdNumber() != good ||
		rows[1].GetRow() != 11 || rows[1].GetClue().GetSource() != identificationv1.ClueSource_CLUE_SOURCE_SELF_REPORT {
		t.Errorf("rows %v", rows)
	}
	want := []struct {
		row    int64
		column string
		reason string
	}{
		{4, "身份证号", "ID_NUMBER_INVALID"}, {5, "线索来源", "INVALID_FIELD"}, {6, "部门", "INVALID_FIELD"},
		{7, "线索类型", "INVALID_FIELD"}, {8, "发生日期", "INVALID_FIELD"}, {9, "外部编号", "INVALID_FIELD"},
	}
	if len(issues) != len(want) {
		t.Fatalf("issues %v", issues)
	}
	for i, w := range want {
		if issues[i].row != w.row || issues[i].column != w.column || issues[i].reason != w.reason {
			t.Errorf("issue %v, want %+v", issues[i], w)
		}
		if strings.Contains(issues[i].String(), good[:10]) {
			t.Errorf("an issue prints the 身份证号: %s", issues[i])
		}
	}
	t.Run("a missing column refuses the file", func(t *testing.T) {
		r, _ := tabular.NewCSVReader(strings.NewReader("身份证号,线索来源,线索类型\n"+good+",干部排查,因病\n"), tabular.Limits{})
		if _, _, err := readClueFile(r, time.Now()); err == nil || !strings.Contains(err.Error(), "外部编号") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestImportCluesCommand runs `fupin import clues` against the identification service: good rows are
// recorded, bad ones reported by row and column, and a rerun records nothing twice.
func TestImportCluesCommand(t *testing.T) {
	cli := servicetest.Etcd(t, "../../../deploy")
	keys := servicetest.NewKeys()
	signer := keys.Signer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := identification.Config{
		Config: boot.Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "id.db"), Etcd: cli, Verifier: keys.Verifier(),
			PIIKey: make([]byte, 32), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(a string) { ready <- a }},
		RegionsFile: "../../../deploy/regions/demo-county.json",
	}
	go func() { done <- identification.Run(ctx, cfg) }()
	t.Cleanup(func() { cancel(); <-done })
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not start")
	}
	token := func(dept, role string) string {
		tok, err := signer.Sign(auth.Claims{Department: dept, Role: role, RegisteredClaims: jwt.RegisteredClaims{Subject: "t-" + dept}}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token("rural_revitalization", "county_admin"))
	member := clueTestID("19650304", 21)
	if _, err := identificationv1.NewHouseholdServiceClient(conn).CreateHousehold(admin, &identificationv1.CreateHouseholdRequest{
		Household: &identificationv1.Household{RegionCode: "990001002003", Members: []*identificationv1.Member{
			{FullName: "王大山", IdNumber: member, RelationToHead: identificationv1.Relation_RELATION_HEAD}}}}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().Format("2006-01-02")
	file := filepath.Join(t.TempDir(), "yb.csv")
	content := "\ufeff身份证号,线索来源,部门,线索类型,发生日期,外部编号,情况说明\n" +
		member + ",部门筛查预警,医保,刚性支出骤增," + today + ",YB-2025-001,住院自付 6.2 万元\n" +
		clueTestID("19700101", 99) + ",部门筛查预警,医保,因病," + today + ",YB-2025-002,\n" +
		member + ",部门筛查预警,应急,因灾," + today + ",YJ-2025-001,\n" +
		member + ",部门筛查预警,医保,因病,2099-01-01,YB-2025-003,\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report.csv")
	run := func() (string, error) {
		var out bytes.Buffer
		err := runImportClues(t.Context(), []string{file, "--addr", addr, "--token", token("medical_security", "department_staff"),
			"--report", report}, &out, io.Discard)
		return out.String(), err
	}
	out, err := run()
	if err == nil || !strings.Contains(out, "1 recorded now, 0 recorded before") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"row 3, 身份证号: CLUE_HOUSEHOLD_UNKNOWN",        // nobody in the register
		"row 4, 线索来源: SOURCE_NOT_CALLERS_DEPARTMENT", // 医保 does not hand in 应急's clues
		"row 5, 发生日期: DATE_INVALID",                  // in the future
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, member) {
		t.Error("the output prints a 身份证号")
	}
	b, _ := os.ReadFile(report)
	if !strings.Contains(string(b), "行号,列,原因,说明") || strings.Count(string(b), "\n") != 4 {
		t.Errorf("report:\n%s", b)
	}
	out, _ = run()
	if !strings.Contains(out, "0 recorded now, 1 recorded before") {
		t.Errorf("rerun:\n%s", out)
	}
	list, err := identificationv1.NewMonitoringServiceClient(conn).ListClues(admin, &identificationv1.ListCluesRequest{})
	if err != nil || len(list.GetClues()) != 1 || list.GetClues()[0].GetExternalReference() != "YB-2025-001" {
		t.Errorf("clues %v %v", list, err)
	}

	// A 身份证号 cell stored as a number: the command names it (an XLSX file made with a number cell) and
	// the service refuses it too, whoever the client.
	xlsx := filepath.Join(t.TempDir(), "yb.xlsx")
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	_ = f.SetSheetRow(sheet, "A1", &[]string{"身份证号", "线索来源", "部门", "线索类型", "发生日期", "外部编号"})
	_ = f.SetCellInt(sheet, "A2", 990001196503040000)
	_ = f.SetSheetRow(sheet, "B2", &[]string{"部门筛查预警", "医保", "因病", today, "YB-2025-009"})
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var xout bytes.Buffer
	err = runImportClues(t.Context(), []string{xlsx, "--addr", addr, "--token", token("medical_security", "department_staff")}, &xout, io.Discard)
	if err == nil || !strings.Contains(xout.String(), "row 2, 身份证号: ID_NUMBER_INVALID: the 身份证号 was stored as a number") {
		t.Errorf("a number cell: %v\n%s", err, xout.String())
	}
	resp, err := identificationv1.NewMonitoringServiceClient(conn).ImportClues(
		metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token("medical_security", "department_staff")),
		&identificationv1.ImportCluesRequest{Rows: []*identificationv1.ClueImportRow{{Row: 2, IdNumber: member,
			IdNumberCellType: commonv1.CellType_CELL_TYPE_NUMBER, Clue: &identificationv1.Clue{
				Source: identificationv1.ClueSource_CLUE_SOURCE_DEPARTMENT_SCREENING, Department: commonv1.Department_DEPARTMENT_MEDICAL_SECURITY,
				Kind: identificationv1.ClueKind_CLUE_KIND_ILLNESS, ExternalReference: "YB-2025-010"}}}})
	if err != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetReason() != "ID_NUMBER_INVALID" ||
		resp.GetResults()[0].GetField() != "id_number" || !strings.Contains(resp.GetResults()[0].GetDescription(), "stored as a number") {
		t.Errorf("the service took a 身份证号 stored as a number: %v %v", resp, err)
	}
}
