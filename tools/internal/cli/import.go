package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/identification/ledger"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/tabular"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// importKinds are the things `fupin import` loads, each with its own subcommand.
var importKinds = map[string]command{
	"households": {"import a household ledger (户籍台账, CSV or XLSX; layout in docs/IMPORT.md)", runImportHouseholds},
	"clues":      {"import monitoring clues handed in by departments (CSV or XLSX; layout in docs/MONITORING.md)", runImportClues},
	"labour":     {"import 人社's quarterly labour file into the labour ledger (CSV or XLSX; layout in docs/IMPORT.md)", runImportLabour},
}

// runImport dispatches `fupin import KIND ...`.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if k, ok := importKinds[args[0]]; ok {
			return k.run(ctx, args[1:], stdout, stderr)
		}
	}
	names := make([]string, 0, len(importKinds))
	for n, k := range importKinds {
		names = append(names, fmt.Sprintf("  fupin import %s FILE ...  %s", n, k.summary))
	}
	sort.Strings(names)
	return fmt.Errorf("%w: fupin import KIND FILE [flags]\n%s", errUsage, strings.Join(names, "\n"))
}

// parseInterspersed parses flags that may come before or after the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	return pos, nil
}

// runImportHouseholds streams a ledger file to the identification service's ImportService and prints
// what it found as the batches are done.
func runImportHouseholds(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import households", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "check every row and report, but write nothing")
	bulk := fs.Bool("bulk", false, "bulk load (a county's first import, into a register holding fewer than 10 % of the file's households): "+
		"one transaction, one change on the feed")
	sheet := fs.String("sheet", "", "XLSX worksheet (default: the first)")
	batch := fs.Int("batch", 0, "households per transaction (default: the service's, 1000)")
	perMessage := fs.Int("rows-per-message", 2000, "rows per stream message")
	report := fs.String("report", "", "write every finding to this CSV file (行号, 列, 户编号, 结果, 原因, 说明)")
	verbose := fs.Bool("verbose", false, "also print the households skipped as already imported")
	maxPrint := fs.Int("max-print", 200, "print at most this many findings (all go to --report)")
	addr := fs.String("addr", "", "identification service address host:port (default: found through etcd)")
	endpoints := fs.String("etcd", envOr("FUPIN_ETCD_ENDPOINTS", "127.0.0.1:2379"), "etcd endpoints, comma-separated")
	token := fs.String("token", os.Getenv("FUPIN_TOKEN"), "bearer token (default: a dev token signed with the key in --data)")
	data := fs.String("data", envOr("FUPIN_DATA_DIR", "data"), "data directory of `fupin dev` (its signing key makes the dev token)")
	limits := limitFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *perMessage < 1 {
		return fmt.Errorf("%w: fupin import households FILE [--dry-run] [--report FILE] [--sheet NAME] [--batch N] [--addr HOST:PORT | --etcd ENDPOINTS] [--token T | --data DIR]", errUsage)
	}
	path := pos[0]
	settings := &identificationv1.ImportSettings{DryRun: *dryRun, Source: filepath.Base(path), BatchSize: int32(*batch),
		Mode: identificationv1.ImportMode_IMPORT_MODE_SMALL}
	if *bulk {
		// The service cannot know a stream's size: the file is read once before it is sent, to declare its
		// households (≈2 µs a row for CSV).
		n, err := countHouseholds(path, tabular.Options{Sheet: *sheet, Limits: limits.get()})
		if err != nil {
			return limits.explain(err)
		}
		settings.Mode, settings.DeclaredHouseholds = identificationv1.ImportMode_IMPORT_MODE_BULK, n
	}
	r, err := tabular.Open(path, tabular.Options{Sheet: *sheet, Limits: limits.get()})
	if err != nil {
		return limits.explain(err)
	}
	defer r.Close()
	if *token == "" {
		if *token, err = devToken(*data); err != nil {
			return err
		}
	}
	conn, closeConn, err := dialIdentification(*addr, *endpoints)
	if err != nil {
		return err
	}
	defer closeConn()

	var rep *reportWriter
	if *report != "" {
		if rep, err = newReportWriter(*report); err != nil {
			return err
		}
	}
	start := time.Now()
	printed := 0
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+*token)
	client := identificationv1.NewImportServiceClient(conn)
	sum, err := streamLedger(ctx, client, r, settings, *perMessage,
		func(resp *identificationv1.ImportHouseholdsResponse) error {
			for _, is := range resp.GetIssues() {
				if rep != nil {
					if err := rep.write(is); err != nil {
						return err
					}
				}
				if is.GetOutcome() == identificationv1.ImportOutcome_IMPORT_OUTCOME_ALREADY_IMPORTED && !*verbose {
					continue
				}
				if printed++; printed <= *maxPrint {
					fmt.Fprintln(stdout, formatIssue(is))
				}
			}
			return nil
		})
	if rep != nil {
		if cerr := rep.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprint(stdout, stoppedReport(ctx, client, sum, *bulk))
		return limits.explain(err)
	}
	if printed > *maxPrint {
		fmt.Fprintf(stdout, "... %d more findings", printed-*maxPrint)
		if *report != "" {
			fmt.Fprintf(stdout, " (all in %s)", *report)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprint(stdout, formatSummary(path, sum, time.Since(start)))
	if n := sum.GetHouseholdsRejected() + sum.GetHouseholdsConflicting(); n > 0 {
		return fmt.Errorf("%d households were not imported: fix the rows named above and import the file again", n)
	}
	return nil
}

// streamLedger sends the file's rows to ImportHouseholds in messages of perMessage rows while answers
// come back, and returns the final summary. The file is read as it is sent, never whole. When the import
// stops early it returns the last summary received (nil before the first) with the error.
// countHouseholds counts a ledger's households as the service groups them: the 户编号 column of the
// header row (the first of the first 20 rows that has it), each new non-empty value after a different one.
func countHouseholds(path string, opts tabular.Options) (int64, error) {
	r, err := tabular.Open(path, opts)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	col, n, prev := -1, int64(0), ""
	for rows := 0; ; rows++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if col < 0 {
			if rows >= 20 {
				return 0, fmt.Errorf("%s: no header row with the column %s among the first 20 rows", path, ledger.ColNumber)
			}
			col = slices.IndexFunc(row.Cells, func(c string) bool { return ledger.Clean(strings.TrimPrefix(c, "\ufeff")) == ledger.ColNumber })
			continue
		}
		if col >= len(row.Cells) {
			continue
		}
		if v := ledger.Clean(row.Cells[col]); v != "" && v != prev {
			n, prev = n+1, v
		}
	}
}

func streamLedger(ctx context.Context, client identificationv1.ImportServiceClient, r tabular.Reader,
	settings *identificationv1.ImportSettings, perMessage int, onResponse func(*identificationv1.ImportHouseholdsResponse) error) (*identificationv1.ImportSummary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.ImportHouseholds(ctx)
	if err != nil {
		return nil, serviceError(err)
	}
	sendErr := make(chan error, 1)
	go func() {
		err := sendRows(stream, r, settings, perMessage)
		if err != nil {
			// A file that cannot be read to its end (too large, damaged) must not be imported as if it
			// ended there: the stream is cancelled, not closed, and the service records the import as
			// interrupted.
			cancel()
		}
		sendErr <- err
	}()
	var sum *identificationv1.ImportSummary
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			cancel()
			if serr := <-sendErr; serr != nil {
				return sum, serr
			}
			return sum, serviceError(err)
		}
		if err := onResponse(resp); err != nil {
			cancel()
			<-sendErr
			return sum, err
		}
		sum = resp.GetSummary()
	}
	if err := <-sendErr; err != nil {
		return sum, err
	}
	if !sum.GetDone() {
		return sum, errors.New("the service ended the import without a final summary")
	}
	return sum, nil
}

// stoppedReport says how far an import that stopped early got: from its record (imports/{id}) when the
// service answers, else from the last progress the stream brought; and that running the same file again
// resumes it.
func stoppedReport(ctx context.Context, client identificationv1.ImportServiceClient, last *identificationv1.ImportSummary, bulk bool) string {
	if last.GetDryRun() {
		return "the dry run stopped before the end of the file\n"
	}
	if bulk {
		// A bulk load is one transaction: unless its record says done, what the progress said was never
		// committed.
		if last.GetImport() != "" {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			rec, err := client.GetImport(ctx, &identificationv1.GetImportRequest{Name: last.GetImport()})
			if err == nil && rec.GetState() == identificationv1.ImportState_IMPORT_STATE_DONE {
				return fmt.Sprintf("the connection ended after the bulk load committed (%s): %d households written (%d persons)\n",
					rec.GetName(), rec.GetSummary().GetHouseholdsImported(), rec.GetSummary().GetPersonsImported())
			}
		}
		return fmt.Sprintf("the bulk load stopped (%s): a bulk load writes nothing until it commits, so nothing was written; "+
			"run the same command again\n", cmp.Or(last.GetImport(), "before the service started it"))
	}
	if last.GetImport() == "" {
		return "the import stopped before the service wrote anything\n"
	}
	var b strings.Builder
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rec, err := client.GetImport(ctx, &identificationv1.GetImportRequest{Name: last.GetImport()})
	if err == nil {
		s := rec.GetSummary()
		fmt.Fprintf(&b, "the import stopped (%s, state %s): %d households written (%d persons), %d already imported, %d conflicts, %d not imported",
			rec.GetName(), strings.ToLower(strings.TrimPrefix(rec.GetState().String(), "IMPORT_STATE_")), s.GetHouseholdsImported(),
			s.GetPersonsImported(), s.GetHouseholdsAlreadyImported(), s.GetHouseholdsConflicting(), s.GetHouseholdsRejected())
		if rec.GetLastRow() > 0 {
			fmt.Fprintf(&b, "; every row up to row %d is done", rec.GetLastRow())
		}
		if rec.GetLastHouseholdNumber() != "" {
			fmt.Fprintf(&b, " (last household written: 户编号 %s)", rec.GetLastHouseholdNumber())
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "the import stopped (%s; its record could not be read: %v): before that, %d households written (%d persons), %d already imported, %d conflicts, %d not imported\n",
			last.GetImport(), status.Code(err), last.GetHouseholdsImported(), last.GetPersonsImported(), last.GetHouseholdsAlreadyImported(),
			last.GetHouseholdsConflicting(), last.GetHouseholdsRejected())
	}
	b.WriteString("what was written stays; run the same command again to resume: households already written are skipped\n")
	return b.String()
}

// fileLimits are the file reader's limits (tabular.Limits) as flags of the import commands; the defaults
// are tabular's, documented in docs/IMPORT.md.
type fileLimits struct {
	rows      *int64
	cellChars *int
	unzipMiB  *int64
}

func limitFlags(fs *flag.FlagSet) *fileLimits {
	return &fileLimits{
		rows:      fs.Int64("max-rows", tabular.DefaultMaxRows, "refuse a file of more rows"),
		cellChars: fs.Int("max-cell-chars", tabular.DefaultMaxCellChars, "refuse a file with a longer cell (characters)"),
		unzipMiB:  fs.Int64("max-unzip-mb", tabular.DefaultMaxUnzipBytes>>20, "refuse an XLSX file that unpacks to more (MiB)"),
	}
}

func (l *fileLimits) get() tabular.Limits {
	return tabular.Limits{MaxRows: *l.rows, MaxCellChars: *l.cellChars, MaxUnzipBytes: *l.unzipMiB << 20}
}

// explain adds to a refusal of a file beyond a limit what to do about it.
func (l *fileLimits) explain(err error) error {
	if errors.Is(err, tabular.ErrTooLarge) {
		return fmt.Errorf("%w: split the file, or raise the limit (--max-rows, --max-cell-chars, --max-unzip-mb)", err)
	}
	return err
}

func sendRows(stream grpc.BidiStreamingClient[identificationv1.ImportHouseholdsRequest, identificationv1.ImportHouseholdsResponse],
	r tabular.Reader, settings *identificationv1.ImportSettings, perMessage int) error {
	msg := &identificationv1.ImportHouseholdsRequest{Settings: settings}
	send := func() error {
		err := stream.Send(msg)
		msg = &identificationv1.ImportHouseholdsRequest{}
		return err
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read the ledger: %w", err)
		}
		msg.Rows = append(msg.Rows, ledgerRow(row))
		if len(msg.Rows) >= perMessage {
			if err := send(); err != nil {
				return sendError(err)
			}
		}
	}
	if len(msg.Rows) > 0 || msg.Settings != nil {
		if err := send(); err != nil {
			return sendError(err)
		}
	}
	return stream.CloseSend()
}

// ledgerRow is a row of the file as the service receives it: the cells and, for XLSX, their stored types.
func ledgerRow(r tabular.Row) *identificationv1.LedgerRow {
	out := &identificationv1.LedgerRow{Row: r.Num, Cells: r.Cells}
	if r.Types != nil {
		out.CellTypes = make([]commonv1.CellType, len(r.Types))
		for i, t := range r.Types {
			out.CellTypes[i] = commonv1.CellType(t)
		}
	}
	return out
}

// sendError hides io.EOF: the service ended the stream and Recv returns its status.
func sendError(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// serviceError makes a refusal readable: its message and each field violation (a missing column …).
func serviceError(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", st.Code(), st.Message())
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fmt.Fprintf(&b, "\n  %s: %s", v.GetField(), v.GetDescription())
			}
		}
	}
	return errors.New(b.String())
}

var outcomeNames = map[identificationv1.ImportOutcome]string{
	identificationv1.ImportOutcome_IMPORT_OUTCOME_REJECTED:         "not imported",
	identificationv1.ImportOutcome_IMPORT_OUTCOME_CONFLICT:         "conflict",
	identificationv1.ImportOutcome_IMPORT_OUTCOME_ALREADY_IMPORTED: "already imported",
}

// reportOutcomes are the 结果 column of the report file.
var reportOutcomes = map[identificationv1.ImportOutcome]string{
	identificationv1.ImportOutcome_IMPORT_OUTCOME_REJECTED:         "未导入",
	identificationv1.ImportOutcome_IMPORT_OUTCOME_CONFLICT:         "冲突",
	identificationv1.ImportOutcome_IMPORT_OUTCOME_ALREADY_IMPORTED: "已导入(跳过)",
}

func formatIssue(is *identificationv1.ImportIssue) string {
	where := fmt.Sprintf("row %d", is.GetRow())
	if is.GetColumn() != "" {
		where += ", " + is.GetColumn()
	}
	return fmt.Sprintf("%s (户编号 %s): %s, %s: %s", where, is.GetHouseholdNumber(), outcomeNames[is.GetOutcome()],
		is.GetReason(), is.GetDescription())
}

func formatSummary(path string, s *identificationv1.ImportSummary, took time.Duration) string {
	verb := "imported"
	if s.GetDryRun() {
		verb = "dry run: would import"
	}
	out := fmt.Sprintf("%s %d households (%d persons) from %s in %s\n  rows %d, households %d: imported %d, already imported %d, conflicts %d, not imported %d\n",
		verb, s.GetHouseholdsImported(), s.GetPersonsImported(), path, took.Round(10*time.Millisecond), s.GetRows(),
		s.GetHouseholds(), s.GetHouseholdsImported(), s.GetHouseholdsAlreadyImported(), s.GetHouseholdsConflicting(),
		s.GetHouseholdsRejected())
	if s.GetImport() != "" {
		out += "  import record: " + s.GetImport() + "\n"
	}
	return out
}

type reportWriter struct {
	f *os.File
	w *csv.Writer
}

func newReportWriter(path string) (*reportWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	_, _ = f.WriteString("\ufeff")
	w := csv.NewWriter(f)
	_ = w.Write([]string{"行号", "列", "户编号", "结果", "原因", "说明"})
	return &reportWriter{f: f, w: w}, nil
}

func (r *reportWriter) write(is *identificationv1.ImportIssue) error {
	return r.w.Write([]string{fmt.Sprint(is.GetRow()), is.GetColumn(), is.GetHouseholdNumber(),
		reportOutcomes[is.GetOutcome()], is.GetReason(), is.GetDescription()})
}

func (r *reportWriter) close() error {
	r.w.Flush()
	return errors.Join(r.w.Error(), r.f.Close())
}

// devToken signs a token of 乡村振兴局's county administrator with the dev key of a `fupin dev` data
// directory.
func devToken(data string) (string, error) {
	signer, err := devSigner(data, "")
	if err != nil {
		return "", fmt.Errorf("no --token and no dev key: %w (or set FUPIN_TOKEN)", err)
	}
	return signer.Sign(auth.Claims{Department: "rural_revitalization", Role: "county_admin",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "dev:import"}}, 12*time.Hour)
}

// dialIdentification connects to the identification service directly (addr) or through etcd.
func dialIdentification(addr, endpoints string) (*grpc.ClientConn, func(), error) {
	return dialService(identification.Name, addr, endpoints)
}

// dialService connects to the named service directly (addr) or through etcd.
func dialService(name, addr, endpoints string) (*grpc.ClientConn, func(), error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if addr != "" {
		conn, err := grpc.NewClient(addr, opts...)
		if err != nil {
			return nil, nil, err
		}
		return conn, func() { conn.Close() }, nil
	}
	cli, err := etcdx.Dial(strings.Split(endpoints, ","))
	if err != nil {
		return nil, nil, err
	}
	conn, err := discovery.Dial(cli, name, opts...)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	return conn, func() { conn.Close(); cli.Close() }, nil
}
