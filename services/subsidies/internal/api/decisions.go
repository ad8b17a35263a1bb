package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/subsidies/internal/decisionfeed"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// DecisionExport serves fupin.subsidies.v1.DecisionExportService.
type DecisionExport struct {
	subsidiesv1.UnimplementedDecisionExportServiceServer
	export *domain.DecisionExport
	audit  *audit.Log
	now    func() time.Time
}

var _ subsidiesv1.DecisionExportServiceServer = (*DecisionExport)(nil)

// NewDecisionExport returns the export handler. The platform audits unary reads itself; a stream's result
// is known only at its end, so the handler writes the audit row (one per call, with the number of records
// sent) through log. Only other departments' services may call it, so every call is a read of another
// department's data.
func NewDecisionExport(export *domain.DecisionExport, log *audit.Log, now func() time.Time) *DecisionExport {
	return &DecisionExport{export: export, audit: log, now: now}
}

// ExportDecisions streams the decisions in batches, converted with the feed's own messages (the store's),
// so a follower reads the export and the feed alike.
func (s *DecisionExport) ExportDecisions(req *subsidiesv1.ExportDecisionsRequest,
	stream grpc.ServerStreamingServer[subsidiesv1.ExportDecisionsResponse]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	kinds := make([]domain.DecisionKind, len(req.GetKinds()))
	for i, k := range req.GetKinds() {
		kinds[i] = domain.DecisionKind(k)
	}
	n, err := s.export.Export(ctx, reliefCaller(ctx), req.GetRegionCode(), kinds, int(req.GetBatchSize()), req.GetEndedBefore(),
		func(position int64, b domain.DecisionBatch) error {
			return stream.Send(toDecisionBatch(position, b))
		})
	s.auditExport(stream, decisionFilter(req), n, err)
	return err
}

func toDecisionBatch(position int64, b domain.DecisionBatch) *subsidiesv1.ExportDecisionsResponse {
	out := &subsidiesv1.ExportDecisionsResponse{FeedSequence: position}
	for _, c := range b.Coverages {
		out.DibaoCoverages = append(out.DibaoCoverages, decisionfeed.DibaoCoverageMessage(c))
	}
	for _, d := range b.Destitute {
		out.DestituteSupports = append(out.DestituteSupports, decisionfeed.DestituteMessage(d))
	}
	for _, c := range b.Certificates {
		out.Certificates = append(out.Certificates, decisionfeed.CertificateMessage(c))
	}
	return out
}

// auditExport records the call as a cross-department read, as the platform does for unary reads.
func (s *DecisionExport) auditExport(stream grpc.ServerStream, filter string, n int, err error) {
	c, ok := auth.FromContext(stream.Context())
	if !ok {
		return
	}
	r := audit.ByCaller(stream.Context(), c, s.now(), audit.KindRead, subsidiesv1.DecisionExportService_ExportDecisions_FullMethodName,
		"decisions", n)
	r.Filter = filter
	if err != nil {
		r.Code = status.Code(err).String()
	}
	s.audit.Enqueue(r)
}

// decisionFilter writes what an export asked for as the audit log shows a List's filter.
func decisionFilter(req *subsidiesv1.ExportDecisionsRequest) string {
	var terms []string
	if req.GetRegionCode() != "" {
		terms = append(terms, fmt.Sprintf("region_code:%q", req.GetRegionCode()))
	}
	if ks := req.GetKinds(); len(ks) > 0 {
		names := make([]string, len(ks))
		for i, k := range ks {
			names[i] = k.String()
		}
		terms = append(terms, "kind in ["+strings.Join(names, ", ")+"]")
	}
	if req.GetEndedBefore() != "" {
		terms = append(terms, fmt.Sprintf("ended_before:%q", req.GetEndedBefore()))
	}
	return strings.Join(terms, " AND ")
}
