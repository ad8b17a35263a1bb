package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/tabular"
	"google.golang.org/grpc/status"
)

// DefaultMaxUploadBytes is the largest ledger file UploadLedger takes unless the service is configured
// otherwise (FUPIN_IMPORT_MAX_UPLOAD_BYTES): 256 MiB holds the CSV ledger of a county of about 600,000
// households (≈ 130 bytes a person), and an XLSX file of the same county is smaller. The gateway's route
// cap for `POST /v1/imports:upload` has the same default.
const DefaultMaxUploadBytes = 256 << 20

// Upload batching and reporting.
const (
	// uploadRowsPerBatch rows are handed to the import at a time, as `fupin import households` sends them.
	uploadRowsPerBatch = 2000
	// maxUploadIssues findings are returned in the answer; the rest are counted (a badly broken file of a
	// million rows would otherwise have a million findings in one message).
	maxUploadIssues = 10_000
)

// LimitUploads sets the largest file UploadLedger takes (0: DefaultMaxUploadBytes).
func (s *Imports) LimitUploads(maxBytes int64) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxUploadBytes
	}
	s.maxUpload = maxBytes
}

// UploadLedger imports a ledger file streamed as its bytes: the file is read with the platform's file
// reader (tabular) and its rows go through the same import as ImportHouseholds' rows.
func (s *Imports) UploadLedger(stream identificationv1.ImportService_UploadLedgerServer) error {
	ctx := stream.Context()
	c, ac := caller(ctx)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return apperr.Invalid("INVALID_FIELD", "file", "the upload ended before it described the file")
	}
	if err != nil {
		return err
	}
	f := first.GetFile()
	if f == nil {
		return apperr.Invalid("INVALID_FIELD", "file", "the first message describes the file; its bytes come after")
	}
	maxUpload := s.maxUpload
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUploadBytes
	}
	if f.GetSizeBytes() > maxUpload {
		return apperr.Invalid(domain.ReasonImportFileTooLarge, "file.size_bytes", fmt.Sprintf(
			"the file has %d bytes; an upload takes at most %d (%d MiB): split the ledger (by township, say) or import it with `fupin import households`",
			f.GetSizeBytes(), maxUpload, maxUpload>>20))
	}
	body := &uploadBody{stream: stream, declared: f.GetSizeBytes()}
	rd, cleanup, err := openUpload(f, body)
	if err != nil {
		return err
	}
	defer cleanup()

	opts := s.options(ac, identificationv1.ImportService_UploadLedger_FullMethodName)
	opts.DryRun, opts.Source, opts.RequestID, opts.SizeBytes = f.GetDryRun(), f.GetFileName(), f.GetRequestId(), f.GetSizeBytes()
	opts.BytesRead = body.read.Load
	opts.Bulk, opts.Auto = importMode(f.GetMode())
	opts.DeclaredHouseholds = f.GetDeclaredHouseholds()
	var pendingErr error
	next := func() ([]domain.LedgerRow, error) {
		if pendingErr != nil {
			return nil, pendingErr
		}
		rows := make([]domain.LedgerRow, 0, uploadRowsPerBatch)
		for len(rows) < uploadRowsPerBatch {
			row, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					err = uploadError(err)
				}
				if len(rows) > 0 {
					// The rows read before the end or the error go first.
					pendingErr = err
					return rows, nil
				}
				return nil, err
			}
			rows = append(rows, domain.LedgerRow{Row: row.Num, Cells: row.Cells, Types: row.Types})
		}
		return rows, nil
	}
	resp := &identificationv1.UploadLedgerResponse{}
	sum, err := s.importer.Import(ctx, c, opts, next, func(p domain.LedgerImportProgress) error {
		resp.IssuesTotal += int64(len(p.Issues))
		for _, is := range p.Issues {
			if len(resp.Issues) == maxUploadIssues {
				break
			}
			resp.Issues = append(resp.Issues, &identificationv1.ImportIssue{Row: is.Row, Column: is.Column,
				HouseholdNumber: is.HouseholdNumber, Outcome: identificationv1.ImportOutcome(is.Outcome), Reason: is.Reason,
				Description: is.Description})
		}
		return nil
	})
	if err != nil {
		return err
	}
	resp.Summary = toImportSummary(sum)
	return stream.SendAndClose(resp)
}

// openUpload opens the reader of an uploaded file. A CSV file is read as its bytes arrive; an XLSX file is a
// zip, whose directory is at its end, so it is kept in a temporary file (at most the declared size, which
// the cap bounds) and read from there. cleanup removes what was kept.
func openUpload(f *identificationv1.LedgerFile, body *uploadBody) (tabular.Reader, func(), error) {
	opts := tabular.Options{Sheet: f.GetSheet()}
	switch f.GetFormat() {
	case identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_CSV:
		rd, err := tabular.NewCSVReader(body, opts.Limits)
		if err != nil {
			return nil, nil, uploadError(err)
		}
		return rd, func() { _ = rd.Close() }, nil
	case identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_XLSX:
		tmp, err := os.CreateTemp("", "fupin-upload-*.xlsx")
		if err != nil {
			return nil, nil, fmt.Errorf("keep upload: %w", err)
		}
		remove := func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, body); err != nil {
			remove()
			return nil, nil, uploadError(err)
		}
		if err := tmp.Close(); err != nil {
			remove()
			return nil, nil, fmt.Errorf("keep upload: %w", err)
		}
		rd, err := tabular.Open(tmp.Name(), opts)
		if err != nil {
			remove()
			return nil, nil, uploadError(err)
		}
		return rd, func() { _ = rd.Close(); remove() }, nil
	}
	return nil, nil, apperr.Invalid("INVALID_FIELD", "file.format", "want CSV or XLSX")
}

// uploadError turns a reader's refusal into the import's: a file beyond a limit is IMPORT_FILE_TOO_LARGE,
// a file that is not what its format says is INVALID_FIELD. Refusals of the stream itself (a size that
// does not match, a cancelled client) pass unchanged.
func uploadError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if _, ok := status.FromError(err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, tabular.ErrTooLarge) {
		return apperr.Invalid(domain.ReasonImportFileTooLarge, "chunk", err.Error())
	}
	return apperr.Invalid("INVALID_FIELD", "chunk", "the file could not be read in its format: "+err.Error())
}

// uploadBody is the uploaded file's bytes as an io.Reader over the stream's chunks. It holds one chunk at a
// time and refuses a stream that sends more or fewer bytes than the file's declared size.
type uploadBody struct {
	stream   identificationv1.ImportService_UploadLedgerServer
	declared int64
	chunk    []byte
	read     atomic.Int64 // bytes handed to the reader, read by the import's writer for the record
	done     bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	for len(b.chunk) == 0 {
		if b.done {
			return 0, io.EOF
		}
		msg, err := b.stream.Recv()
		if errors.Is(err, io.EOF) {
			if n := b.read.Load(); n != b.declared {
				return 0, apperr.Invalid("INVALID_FIELD", "file.size_bytes",
					fmt.Sprintf("the file ended after %d bytes, not the %d declared", n, b.declared))
			}
			b.done = true
			return 0, io.EOF
		}
		if err != nil {
			return 0, err
		}
		if msg.GetFile() != nil {
			return 0, apperr.Invalid("INVALID_FIELD", "file", "the file is described once, in the first message")
		}
		b.chunk = msg.GetChunk()
		if b.read.Load()+int64(len(b.chunk)) > b.declared {
			return 0, apperr.Invalid("INVALID_FIELD", "chunk",
				fmt.Sprintf("the file has more bytes than the %d declared", b.declared))
		}
	}
	n := copy(p, b.chunk)
	b.chunk = b.chunk[n:]
	b.read.Add(int64(n))
	return n, nil
}
