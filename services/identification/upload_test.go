package identification_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/tabular"
	"google.golang.org/grpc/codes"
)

// upload sends file as UploadLedger does: its description, then its bytes in chunks of per bytes.
func upload(ctx context.Context, client identificationv1.ImportServiceClient, file *identificationv1.LedgerFile, data []byte,
	per int) (*identificationv1.UploadLedgerResponse, error) {
	stream, err := client.UploadLedger(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&identificationv1.UploadLedgerRequest{Content: &identificationv1.UploadLedgerRequest_File{File: file}}); err != nil {
		return stream.CloseAndRecv()
	}
	for len(data) > 0 {
		n := min(per, len(data))
		if err := stream.Send(&identificationv1.UploadLedgerRequest{Content: &identificationv1.UploadLedgerRequest_Chunk{Chunk: data[:n]}}); err != nil {
			break // the service has answered; CloseAndRecv returns its answer
		}
		data = data[n:]
	}
	return stream.CloseAndRecv()
}

func TestUploadLedger(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		client := identificationv1.NewImportServiceClient(h.conn)
		const header = "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度"
		bad := idNumber("19710101", 41)
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		lines := []string{"红桥村建档立卡户花名册", header,
			"UP-1,990001002003,一组,王大山," + idNumber("19650304", 941) + ",户主,汉族,小学,长期慢性病,普通劳动力,已脱贫,2018",
			"UP-1,,,李秀英," + idNumber("19680512", 942) + ",配偶,汉族,初中,健康,普通劳动力,,",
			"UP-2,990001002003,二组,赵小川," + bad + ",户主,汉族,小学,健康,普通劳动力,一般户,",
			"UP-3,990001002003,三组,钱多多," + idNumber("19800101", 943) + ",户主,回族,高中,健康,技能劳动力,贫困户,",
		}
		csv := []byte("\xef\xbb\xbf" + strings.Join(lines, "\r\n") + "\r\n")
		file := func(name string, dry bool, req string) *identificationv1.LedgerFile {
			return &identificationv1.LedgerFile{FileName: name, Format: identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_CSV,
				SizeBytes: int64(len(csv)), DryRun: dry, RequestId: req}
		}

		t.Run("a dry run reports the bad row and writes nothing, not even a record", func(t *testing.T) {
			resp, err := upload(h.admin(t), client, file("红桥村.csv", true, "req-dry"), csv, 7)
			if err != nil {
				t.Fatal(err)
			}
			sum := resp.GetSummary()
			if !sum.GetDryRun() || !sum.GetDone() || sum.GetHouseholdsImported() != 2 || sum.GetHouseholdsRejected() != 1 || sum.GetImport() != "" {
				t.Errorf("summary %v", sum)
			}
			if len(resp.GetIssues()) != 1 || resp.GetIssuesTotal() != 1 || resp.GetIssues()[0].GetRow() != 5 ||
				resp.GetIssues()[0].GetColumn() != "身份证号" || resp.GetIssues()[0].GetReason() != "ID_NUMBER_INVALID" {
				t.Errorf("issues %v (total %d)", resp.GetIssues(), resp.GetIssuesTotal())
			}
			_, err = h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19650304", 941)})
			if code, _, _ := details(t, err); code != codes.NotFound {
				t.Errorf("a dry run wrote a household: %v", err)
			}
			list, err := client.ListImports(h.admin(t), &identificationv1.ListImportsRequest{RequestId: "req-dry"})
			if err != nil || len(list.GetImports()) != 0 {
				t.Errorf("a dry run kept a record: %v %v", list, err)
			}
		})

		t.Run("the import writes the good households; its record has the upload's id, size and progress", func(t *testing.T) {
			resp, err := upload(h.admin(t), client, file("红桥村.csv", false, "req-1"), csv, 1000)
			if err != nil {
				t.Fatal(err)
			}
			sum := resp.GetSummary()
			if sum.GetDryRun() || sum.GetHouseholdsImported() != 2 || sum.GetPersonsImported() != 3 || sum.GetHouseholdsRejected() != 1 ||
				!strings.HasPrefix(sum.GetImport(), "imports/") {
				t.Errorf("summary %v", sum)
			}
			got, err := h.households.LookupHousehold(h.admin(t), &identificationv1.LookupHouseholdRequest{IdNumber: idNumber("19680512", 942)})
			if err != nil || got.GetHouseholdNumber() != "UP-1" || got.GetSize() != 2 {
				t.Errorf("imported household %v %v", got, err)
			}
			list, err := client.ListImports(h.admin(t), &identificationv1.ListImportsRequest{RequestId: "req-1"})
			if err != nil || len(list.GetImports()) != 1 {
				t.Fatalf("%v %v", list, err)
			}
			rec := list.GetImports()[0]
			if rec.GetName() != sum.GetImport() || rec.GetSource() != "红桥村.csv" || rec.GetRequestId() != "req-1" ||
				rec.GetSizeBytes() != int64(len(csv)) || rec.GetBytesRead() != int64(len(csv)) ||
				rec.GetState() != identificationv1.ImportState_IMPORT_STATE_DONE || rec.GetSummary().GetHouseholdsImported() != 2 {
				t.Errorf("record %v", rec)
			}
			waitAudit(t, h.dbURL, "mutation", identificationv1.ImportService_UploadLedger_FullMethodName, sum.GetImport())
		})

		t.Run("mode AUTO with a county's declared size loads in bulk into a nearly empty register", func(t *testing.T) {
			lines := []string{header, "UP-9,990001002003,九组,周九," + idNumber("19920101", 949) + ",户主,汉族,小学,健康,普通劳动力,一般户,"}
			data := []byte(strings.Join(lines, "\n") + "\n")
			feed := commonv1.NewChangeFeedServiceClient(h.conn)
			svc := h.as(t, "civil_affairs", "service", "")
			before, err := feed.ListChanges(svc, &commonv1.ListChangesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			// The register holds 2 households: fewer than a tenth of the 1,000 declared.
			resp, err := upload(h.admin(t), client, &identificationv1.LedgerFile{FileName: "全县.csv",
				Format: identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_CSV, SizeBytes: int64(len(data)),
				Mode: identificationv1.ImportMode_IMPORT_MODE_AUTO, DeclaredHouseholds: 1000}, data, 1000)
			if err != nil || resp.GetSummary().GetHouseholdsImported() != 1 {
				t.Fatalf("%v %v", resp, err)
			}
			after, err := feed.ListChanges(svc, &commonv1.ListChangesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			added := topics(after.GetChanges()[len(before.GetChanges()):])
			if len(added) != 1 || added[0] != "register.bulk_loaded" {
				t.Errorf("the upload published %v, want one register.bulk_loaded", added)
			}
		})

		t.Run("an XLSX file is read with the same reader", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "台账.xlsx")
			w, err := tabular.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range []string{header, "UP-4,990001002003,四组,孙四," + idNumber("19900101", 944) + ",户主,汉族,小学,健康,普通劳动力,一般户,"} {
				if err := w.Write(strings.Split(l, ",")); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := upload(h.admin(t), client, &identificationv1.LedgerFile{FileName: "台账.xlsx", SizeBytes: int64(len(data)),
				Format: identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_XLSX}, data, 4096)
			if err != nil || resp.GetSummary().GetHouseholdsImported() != 1 || len(resp.GetIssues()) != 0 {
				t.Errorf("%v %v", resp, err)
			}
		})

		refusals := []struct {
			name   string
			file   *identificationv1.LedgerFile
			data   []byte
			reason string
			field  string
		}{
			{"a declared size over the cap is refused before a byte is read", &identificationv1.LedgerFile{FileName: "big.csv",
				Format: identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_CSV, SizeBytes: 300 << 20}, nil, "IMPORT_FILE_TOO_LARGE", "file.size_bytes"},
			{"more bytes than declared", file("a.csv", true, ""), append(append([]byte{}, csv...), "UP-9,,,"...), "INVALID_FIELD", "chunk"},
			{"fewer bytes than declared", file("a.csv", true, ""), csv[:len(csv)-10], "INVALID_FIELD", "file.size_bytes"},
			{"a file that is not XLSX", &identificationv1.LedgerFile{FileName: "a.xlsx", SizeBytes: int64(len(csv)),
				Format: identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_XLSX}, csv, "INVALID_FIELD", "chunk"},
			{"no format", &identificationv1.LedgerFile{FileName: "a.txt", SizeBytes: 1}, []byte("x"), "INVALID_FIELD", "file.format"},
		}
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				_, err := upload(h.admin(t), client, c.file, c.data, 4096)
				code, info, br := details(t, err)
				if code != codes.InvalidArgument || info.GetReason() != c.reason || len(br.GetFieldViolations()) == 0 ||
					br.GetFieldViolations()[0].GetField() != c.field {
					t.Errorf("%v %v %v (%v)", code, info, br, err)
				}
			})
		}

		t.Run("only 乡村振兴局's administrators and staff upload", func(t *testing.T) {
			_, err := upload(h.as(t, "rural_revitalization", "auditor", ""), client, file("a.csv", true, ""), csv, 4096)
			if code, _, _ := details(t, err); code != codes.PermissionDenied {
				t.Errorf("auditor: %v", err)
			}
		})
	})
}
