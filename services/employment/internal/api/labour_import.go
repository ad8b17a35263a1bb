package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/tabular"
	"google.golang.org/grpc/status"
)

// DefaultMaxLabourFileBytes is the largest labour file ImportLabourFile takes: the quarterly file of a
// county's 600,000 labourers as CSV is about 80 MiB (≈ 130 bytes a row). The file is held in memory while it
// is read (the rows are one transaction anyway).
const DefaultMaxLabourFileBytes = 128 << 20

// maxImportIssues rows not applied are returned in the answer; the rest are counted.
const maxImportIssues = 10_000

// LabourImports serves fupin.employment.v1.LabourImportService.
type LabourImports struct {
	employmentv1.UnimplementedLabourImportServiceServer
	importer *domain.LabourImporter
	audit    *audit.Log
	now      func() time.Time
	maxBytes int64
}

var _ employmentv1.LabourImportServiceServer = (*LabourImports)(nil)

// NewLabourImports returns the handlers. A stream has no transaction of the platform's: the import
// writes its own audit row in its transaction, through log.
func NewLabourImports(im *domain.LabourImporter, log *audit.Log, now func() time.Time) *LabourImports {
	return &LabourImports{importer: im, audit: log, now: now, maxBytes: DefaultMaxLabourFileBytes}
}

func streamInvalid(field, desc string) error {
	return apperr.Invalid(domain.ReasonImportStream, field, desc)
}

func (s *LabourImports) ImportLabourFile(stream employmentv1.LabourImportService_ImportLabourFileServer) error {
	ctx := stream.Context()
	_, ac := caller(ctx)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return streamInvalid("file", "the upload ended before it described the file")
	}
	if err != nil {
		return err
	}
	f := first.GetFile()
	if f == nil {
		return streamInvalid("file", "the first message describes the file; its bytes come after")
	}
	var format tabular.Format
	switch f.GetFormat() {
	case employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_CSV:
		format = tabular.CSV
	case employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_XLSX:
		format = tabular.XLSX
	default:
		return apperr.Invalid(domain.ReasonImportFormat, "file.format", "want CSV or XLSX")
	}
	if f.GetSizeBytes() > s.maxBytes {
		return apperr.Invalid(domain.ReasonImportFileTooLarge, "file.size_bytes",
			fmt.Sprintf("the file has %d bytes; an upload takes at most %d MiB: split the file (by township, say)", f.GetSizeBytes(), s.maxBytes>>20))
	}
	buf := bytes.NewBuffer(make([]byte, 0, f.GetSizeBytes()))
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if msg.GetFile() != nil {
			return streamInvalid("file", "the file is described once, in the first message")
		}
		if int64(buf.Len()+len(msg.GetChunk())) > f.GetSizeBytes() {
			return streamInvalid("file.size_bytes", "the upload sends more bytes than the file's declared size")
		}
		buf.Write(msg.GetChunk())
	}
	if int64(buf.Len()) != f.GetSizeBytes() {
		return streamInvalid("file.size_bytes", fmt.Sprintf("the file ended after %d bytes, not the %d declared", buf.Len(), f.GetSizeBytes()))
	}
	rd, err := tabular.OpenBytes(buf.Bytes(), format, tabular.Options{Sheet: f.GetSheet()})
	if err != nil {
		return readError(err)
	}
	defer rd.Close()
	next := func() (domain.LabourRow, error) {
		row, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return domain.LabourRow{}, io.EOF
			}
			return domain.LabourRow{}, readError(err)
		}
		return domain.LabourRow{Num: row.Num, Cells: row.Cells, Text: func(i int) bool { return row.Type(i).IsText() }}, nil
	}
	record := func(ctx context.Context, applied int64) audit.Record {
		return audit.ByCaller(ctx, ac, s.now(), audit.KindMutation, employmentv1.LabourImportService_ImportLabourFile_FullMethodName,
			"labourImports/"+f.GetFileName(), int(applied))
	}
	sum, issues, err := s.importer.Import(ctx, next, f.GetDryRun(), func(ctx context.Context, applied int64) error {
		return s.audit.Write(ctx, record(ctx, applied))
	})
	if err != nil {
		return err
	}
	if f.GetDryRun() {
		r := record(ctx, 0)
		r.Resource += " (dry run)"
		s.audit.Enqueue(r)
	}
	resp := &employmentv1.ImportLabourFileResponse{IssuesTotal: int64(len(issues)), Summary: &employmentv1.LabourImportSummary{
		Rows: sum.Rows, Applied: sum.Applied, Unmatched: sum.Unmatched, Invalid: sum.Invalid, Ended: sum.Ended, Spells: sum.Spells,
		UnemploymentPeriods: sum.Periods, DryRun: sum.DryRun}}
	for _, is := range issues[:min(len(issues), maxImportIssues)] {
		resp.Issues = append(resp.Issues, &employmentv1.LabourImportIssue{Row: is.Row, Column: is.Column,
			Outcome: employmentv1.LabourImportOutcome(is.Outcome), Reason: is.Reason, Description: is.Description})
	}
	return stream.SendAndClose(resp)
}

// readError turns the file reader's refusal into the import's: beyond a limit is IMPORT_FILE_TOO_LARGE,
// a file not in its format IMPORT_FORMAT_INVALID; the stream's own errors pass unchanged.
func readError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if _, ok := status.FromError(err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, tabular.ErrTooLarge) {
		return apperr.Invalid(domain.ReasonImportFileTooLarge, "chunk", err.Error())
	}
	return apperr.Invalid(domain.ReasonImportFormat, "chunk", "the file could not be read in its format: "+err.Error())
}
