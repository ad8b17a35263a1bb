package api

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/conflicts"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/tabular"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Imports serves fupin.identification.v1.ImportService.
type Imports struct {
	identificationv1.UnimplementedImportServiceServer
	importer  *domain.LedgerImporter
	audit     *audit.Log
	conflicts *conflicts.Book
	now       func() time.Time
	maxUpload int64 // the largest file UploadLedger takes (LimitUploads)
}

var _ identificationv1.ImportServiceServer = (*Imports)(nil)

// NewImports returns the import handlers. The platform audits unary mutations itself; a stream has no
// single transaction, so each batch's transaction gets its audit row here, through log, and findings that
// disclose persons held outside the caller's scope are recorded in book, as the platform's server does
// for refused requests.
func NewImports(importer *domain.LedgerImporter, log *audit.Log, book *conflicts.Book, now func() time.Time) *Imports {
	return &Imports{importer: importer, audit: log, conflicts: book, now: now, maxUpload: DefaultMaxUploadBytes}
}

// ImportHouseholds streams the ledger's rows into the import and its findings back, batch by batch.
func (s *Imports) ImportHouseholds(stream identificationv1.ImportService_ImportHouseholdsServer) error {
	ctx := stream.Context()
	c, ac := caller(ctx)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	settings := first.GetSettings()
	pending := first.GetRows()
	next := func() ([]domain.LedgerRow, error) {
		if pending == nil {
			msg, err := stream.Recv()
			if err != nil {
				return nil, err
			}
			pending = msg.GetRows()
		}
		rows := fromLedgerRows(pending)
		pending = nil
		return rows, nil
	}
	opts := s.options(ac, identificationv1.ImportService_ImportHouseholds_FullMethodName)
	opts.DryRun, opts.Source, opts.BatchSize = settings.GetDryRun(), settings.GetSource(), int(settings.GetBatchSize())
	opts.Bulk, opts.Auto = importMode(settings.GetMode())
	opts.DeclaredHouseholds = settings.GetDeclaredHouseholds()
	_, err = s.importer.Import(ctx, c, opts, next, func(p domain.LedgerImportProgress) error {
		return stream.Send(toImportResponse(p))
	})
	return err
}

// importMode maps a requested mode to the import's options: bulk, or the service's choice (AUTO).
func importMode(m identificationv1.ImportMode) (bulk, auto bool) {
	return m == identificationv1.ImportMode_IMPORT_MODE_BULK, m == identificationv1.ImportMode_IMPORT_MODE_AUTO
}

// options are the import options every import stream shares: each batch's audit row and the record of
// findings that disclose persons held outside the caller's scope, both under the stream's method.
func (s *Imports) options(ac *auth.Caller, method string) domain.LedgerImportOptions {
	return domain.LedgerImportOptions{
		InBatch: func(ctx context.Context, importID string, written int) error {
			return s.audit.Write(ctx, s.record(ctx, ac, method, importID, written))
		},
		Disclosed: func(ctx context.Context, members []string) error {
			r := s.record(ctx, ac, method, "", 0)
			r.Code = codes.AlreadyExists.String()
			return s.conflicts.Record(ctx, r, members)
		}}
}

func (s *Imports) record(ctx context.Context, c *auth.Caller, method, importID string, written int) audit.Record {
	r := audit.ByCaller(ctx, c, s.now(), audit.KindMutation, method, "imports/"+importID, written)
	if c.Purpose != commonv1.Purpose_PURPOSE_UNSPECIFIED {
		r.Purpose = auth.PurposeCode(c.Purpose)
	}
	return r
}

// GetImport returns an import record.
func (s *Imports) GetImport(ctx context.Context, req *identificationv1.GetImportRequest) (*identificationv1.Import, error) {
	rec, err := s.importer.GetImport(ctx, strings.TrimPrefix(req.GetName(), "imports/"))
	if err != nil {
		return nil, err
	}
	return toImport(rec), nil
}

// ListImports lists import records, newest first.
func (s *Imports) ListImports(ctx context.Context, req *identificationv1.ListImportsRequest) (*identificationv1.ListImportsResponse, error) {
	if id := req.GetRequestId(); id != "" {
		// An upload's records: at most a few (one per attempt that reached the import), no paging.
		recs, err := s.importer.ImportsByRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		resp := &identificationv1.ListImportsResponse{}
		for _, r := range recs {
			resp.Imports = append(resp.Imports, toImport(r))
		}
		return resp, nil
	}
	before, err := pagetoken.After(req.GetPageToken(), "im1")
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	recs, next, err := s.importer.ListImports(ctx, before, min(size, maxPageSize))
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListImportsResponse{NextPageToken: pagetoken.Encode("im1", next)}
	for _, r := range recs {
		resp.Imports = append(resp.Imports, toImport(r))
	}
	return resp, nil
}

func toImport(r *domain.LedgerImport) *identificationv1.Import {
	out := &identificationv1.Import{Name: "imports/" + r.ID, Actor: r.Actor, Source: r.Source,
		State: identificationv1.ImportState(r.State), CreateTime: timestamppb.New(r.Started),
		Summary: toImportSummary(r.Summary), LastHouseholdNumber: r.LastNumber, LastRow: r.LastRow, StatusMessage: r.Message,
		RequestId: r.RequestID, SizeBytes: r.SizeBytes, BytesRead: r.BytesRead}
	out.Summary.Import, out.Summary.Done = "", r.State == domain.LedgerImportDone
	if !r.Updated.IsZero() {
		out.UpdateTime = timestamppb.New(r.Updated)
	}
	if !r.Finished.IsZero() {
		out.FinishTime = timestamppb.New(r.Finished)
	}
	return out
}

func fromLedgerRows(in []*identificationv1.LedgerRow) []domain.LedgerRow {
	out := make([]domain.LedgerRow, len(in))
	for i, r := range in {
		out[i] = domain.LedgerRow{Row: r.GetRow(), Cells: r.GetCells()}
		if ts := r.GetCellTypes(); len(ts) > 0 {
			out[i].Types = make([]tabular.CellType, len(ts))
			for j, t := range ts {
				out[i].Types[j] = tabular.CellType(t)
			}
		}
	}
	return out
}

func toImportSummary(sum domain.LedgerImportSummary) *identificationv1.ImportSummary {
	out := &identificationv1.ImportSummary{
		DryRun: sum.DryRun, Done: sum.Done, Rows: sum.Rows, Households: sum.Households,
		HouseholdsImported: sum.Imported, PersonsImported: sum.Persons, HouseholdsAlreadyImported: sum.AlreadyImported,
		HouseholdsConflicting: sum.Conflicting, HouseholdsRejected: sum.Rejected,
	}
	if sum.ImportID != "" {
		out.Import = "imports/" + sum.ImportID
	}
	return out
}

func toImportResponse(p domain.LedgerImportProgress) *identificationv1.ImportHouseholdsResponse {
	out := &identificationv1.ImportHouseholdsResponse{Summary: toImportSummary(p.Summary)}
	out.Issues = make([]*identificationv1.ImportIssue, len(p.Issues))
	for i, is := range p.Issues {
		out.Issues[i] = &identificationv1.ImportIssue{Row: is.Row, Column: is.Column, HouseholdNumber: is.HouseholdNumber,
			Outcome: identificationv1.ImportOutcome(is.Outcome), Reason: is.Reason, Description: is.Description}
	}
	return out
}
