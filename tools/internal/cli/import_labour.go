package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/tabular"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// labourChunk is the bytes per message of the labour file's upload.
const labourChunk = 1 << 20

// runImportLabour streams 人社's quarterly labour file, as its bytes, to the employment service's
// ImportLabourFile (the same upload as the portal's), and prints the rows not applied and the summary.
func runImportLabour(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import labour", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "check every row and report, but write nothing")
	sheet := fs.String("sheet", "", "XLSX worksheet (default: the first)")
	report := fs.String("report", "", "write every row not applied to this CSV file (行号, 列, 结果, 原因, 说明)")
	maxPrint := fs.Int("max-print", 200, "print at most this many rows not applied (all go to --report)")
	addr := fs.String("addr", "", "employment service address host:port (default: found through etcd)")
	endpoints := fs.String("etcd", envOr("FUPIN_ETCD_ENDPOINTS", "127.0.0.1:2379"), "etcd endpoints, comma-separated")
	token := fs.String("token", os.Getenv("FUPIN_TOKEN"), "bearer token of 人社 staff (default: a dev token signed with the key in --data)")
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory of `fupin dev` (its signing key makes the dev token)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: fupin import labour FILE [--dry-run] [--report FILE] [--sheet NAME] [--addr HOST:PORT | --etcd ENDPOINTS] [--token T | --data DIR]", errUsage)
	}
	path := pos[0]
	format := employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_CSV
	switch tabular.FormatOf(path) {
	case tabular.CSV:
	case tabular.XLSX:
		format = employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_XLSX
	default:
		return fmt.Errorf("%s: want a .csv or .xlsx file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if *token == "" {
		signer, err := devSigner(*data, "")
		if err != nil {
			return fmt.Errorf("no --token and no dev key: %w (or set FUPIN_TOKEN)", err)
		}
		if *token, err = signer.Sign(auth.Claims{Department: "human_resources", Role: "department_staff",
			RegisteredClaims: jwt.RegisteredClaims{Subject: "dev:import-labour"}}, 12*time.Hour); err != nil {
			return err
		}
	}
	conn, closeConn, err := dialService(employment.Name, *addr, *endpoints)
	if err != nil {
		return err
	}
	defer closeConn()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+*token)
	start := time.Now()
	resp, err := uploadLabourFile(ctx, employmentv1.NewLabourImportServiceClient(conn), &employmentv1.LabourFile{
		FileName: filepath.Base(path), Format: format, SizeBytes: info.Size(), DryRun: *dryRun, Sheet: *sheet}, f)
	if err != nil {
		return err
	}
	var rep *os.File
	if *report != "" {
		if rep, err = os.Create(*report); err != nil {
			return err
		}
		defer rep.Close()
		fmt.Fprintln(rep, "行号,列,结果,原因,说明")
	}
	for i, is := range resp.GetIssues() {
		line := fmt.Sprintf("%d,%s,%s,%s,%s", is.GetRow(), is.GetColumn(), outcomeLabel(is.GetOutcome()), is.GetReason(),
			strings.ReplaceAll(is.GetDescription(), ",", "，"))
		if rep != nil {
			fmt.Fprintln(rep, line)
		}
		if i < *maxPrint {
			fmt.Fprintf(stdout, "row %d %s: %s %s (%s)\n", is.GetRow(), is.GetColumn(), outcomeLabel(is.GetOutcome()), is.GetReason(), is.GetDescription())
		}
	}
	s := resp.GetSummary()
	mode := ""
	if s.GetDryRun() {
		mode = " (dry run: nothing written)"
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d applied, %d not in the ledger, %d invalid, %d ended; %d spells, %d unemployment periods written in %s%s\n",
		path, s.GetRows(), s.GetApplied(), s.GetUnmatched(), s.GetInvalid(), s.GetEnded(), s.GetSpells(), s.GetUnemploymentPeriods(),
		time.Since(start).Round(time.Millisecond), mode)
	if resp.GetIssuesTotal() > int64(len(resp.GetIssues())) {
		fmt.Fprintf(stdout, "%d rows not applied in all; the first %d are listed\n", resp.GetIssuesTotal(), len(resp.GetIssues()))
	}
	return nil
}

func outcomeLabel(o employmentv1.LabourImportOutcome) string {
	switch o {
	case employmentv1.LabourImportOutcome_LABOUR_IMPORT_OUTCOME_UNMATCHED:
		return "未匹配"
	case employmentv1.LabourImportOutcome_LABOUR_IMPORT_OUTCOME_INVALID:
		return "数据有误"
	case employmentv1.LabourImportOutcome_LABOUR_IMPORT_OUTCOME_ENDED:
		return "已退出台账"
	}
	return "已导入"
}

// uploadLabourFile sends the description and then the file's bytes a chunk at a time. A file that cannot
// be read to its end cancels the stream, so a partial file is never taken for a whole one.
func uploadLabourFile(ctx context.Context, client employmentv1.LabourImportServiceClient, file *employmentv1.LabourFile,
	body io.Reader) (*employmentv1.ImportLabourFileResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.ImportLabourFile(ctx, grpc.MaxCallRecvMsgSize(64<<20))
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&employmentv1.ImportLabourFileRequest{Content: &employmentv1.ImportLabourFileRequest_File{File: file}}); err != nil {
		return stream.CloseAndRecv()
	}
	buf := make([]byte, labourChunk)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if err := stream.Send(&employmentv1.ImportLabourFileRequest{Content: &employmentv1.ImportLabourFileRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				return stream.CloseAndRecv()
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			cancel()
			return nil, fmt.Errorf("read %s: %w", file.GetFileName(), rerr)
		}
	}
	return stream.CloseAndRecv()
}
