package api

import (
	"context"
	"errors"
	"io"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/conflicts"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
)

// Imports serves fupin.identification.v1.ImportService.
type Imports struct {
	identificationv1.UnimplementedImportServiceServer
	importer  *domain.LedgerImporter
	audit     *audit.Log
	conflicts *conflicts.Book
	now       func() time.Time
}

var _ identificationv1.ImportServiceServer = (*Imports)(nil)

// NewImports returns the import handlers. The platform audits unary mutations itself; a stream has no
// single transaction, so each batch's transaction gets its audit row here, through log, and findings that
// disclose persons held outside the caller's scope are recorded in book, as the platform's server does
// for refused requests.
func NewImports(importer *domain.LedgerImporter, log *audit.Log, book *conflicts.Book, now func() time.Time) *Imports {
	return &Imports{importer: importer, audit: log, conflicts: book, now: now}
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
	opts := domain.LedgerImportOptions{DryRun: settings.GetDryRun(), Source: settings.GetSource(),
		BatchSize: int(settings.GetBatchSize()),
		InBatch: func(ctx context.Context, importID string, written int) error {
			return s.audit.Write(ctx, s.record(ctx, ac, importID, written))
		},
		Disclosed: func(ctx context.Context, members []string) error {
			r := s.record(ctx, ac, "", 0)
			r.Code = codes.AlreadyExists.String()
			return s.conflicts.Record(ctx, r, members)
		}}
	_, err = s.importer.Import(ctx, c, opts, next, func(p domain.LedgerImportProgress) error {
		return stream.Send(toImportResponse(p))
	})
	return err
}

func (s *Imports) record(ctx context.Context, c *auth.Caller, importID string, written int) audit.Record {
	r := audit.Record{At: s.now(), Kind: audit.KindMutation,
		Method: identificationv1.ImportService_ImportHouseholds_FullMethodName, Actor: c.Subject,
		Department: auth.DepartmentCode(c.Department), Role: auth.RoleCode(c.Role), Resource: "imports/" + importID,
		RecordCount: written, Code: "OK", TraceID: trace.SpanContextFromContext(ctx).TraceID().String()}
	if c.Purpose != commonv1.Purpose_PURPOSE_UNSPECIFIED {
		r.Purpose = auth.PurposeCode(c.Purpose)
	}
	if c.OnBehalfOf != nil {
		r.OnBehalfOf = c.OnBehalfOf.Subject
	}
	return r
}

func fromLedgerRows(in []*identificationv1.LedgerRow) []domain.LedgerRow {
	out := make([]domain.LedgerRow, len(in))
	for i, r := range in {
		out[i] = domain.LedgerRow{Row: r.GetRow(), Cells: r.GetCells()}
	}
	return out
}

func toImportResponse(p domain.LedgerImportProgress) *identificationv1.ImportHouseholdsResponse {
	sum := p.Summary
	out := &identificationv1.ImportHouseholdsResponse{Summary: &identificationv1.ImportSummary{
		DryRun: sum.DryRun, Done: sum.Done, Rows: sum.Rows, Households: sum.Households,
		HouseholdsImported: sum.Imported, PersonsImported: sum.Persons, HouseholdsAlreadyImported: sum.AlreadyImported,
		HouseholdsConflicting: sum.Conflicting, HouseholdsRejected: sum.Rejected,
	}}
	if sum.ImportID != "" {
		out.Summary.Import = "imports/" + sum.ImportID
	}
	out.Issues = make([]*identificationv1.ImportIssue, len(p.Issues))
	for i, is := range p.Issues {
		out.Issues[i] = &identificationv1.ImportIssue{Row: is.Row, Column: is.Column, HouseholdNumber: is.HouseholdNumber,
			Outcome: identificationv1.ImportOutcome(is.Outcome), Reason: is.Reason, Description: is.Description}
	}
	return out
}
