// Package relief is the employment service's client of subsidies' (民政's) decisions: 低保 coverages as
// the decision feed and DecisionExportService carry them, converted to what the labour ledger keeps (the
// household and the months; never an amount).
package relief

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"context"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/employment/internal/domain"
	"google.golang.org/grpc"
)

// Topics are subsidies' feed topics of 低保 coverages.
var Topics = []string{"dibao.coverage_started", "dibao.coverage_changed", "dibao.coverage_ended"}

// FromChange reads a coverage from a change of Topics.
func FromChange(c *commonv1.Change) (domain.DibaoCoverage, error) {
	var d subsidiesv1.DibaoCoverageDecision
	if err := c.GetPayload().UnmarshalTo(&d); err != nil {
		return domain.DibaoCoverage{}, fmt.Errorf("change %d (%s): payload: %w", c.GetSequence(), c.GetTopic(), err)
	}
	return fromDecision(&d), nil
}

func fromDecision(d *subsidiesv1.DibaoCoverageDecision) domain.DibaoCoverage {
	return domain.DibaoCoverage{ID: strings.TrimPrefix(d.GetCoverage(), "dibaoCoverages/"), HouseholdID: strings.TrimPrefix(d.GetHousehold(), "households/"),
		State: int32(d.GetState()), FromMonth: d.GetFromMonth(), LastMonth: d.GetLastMonth()}
}

// Export reads DecisionExportService.
type Export struct {
	client subsidiesv1.DecisionExportServiceClient
}

// New returns the export on conn (boot.Process.Dial's connection to subsidies).
func New(conn grpc.ClientConnInterface) *Export {
	return &Export{client: subsidiesv1.NewDecisionExportServiceClient(conn)}
}

// Coverages streams every 低保 coverage with the feed position the export reflects.
func (e *Export) Coverages(ctx context.Context, each func(position int64, cs []domain.DibaoCoverage) error) error {
	stream, err := e.client.ExportDecisions(ctx, &subsidiesv1.ExportDecisionsRequest{
		Kinds: []subsidiesv1.DecisionKind{subsidiesv1.DecisionKind_DECISION_KIND_DIBAO_COVERAGE}}, grpc.MaxCallRecvMsgSize(64<<20))
	if err != nil {
		return fmt.Errorf("subsidies' decisions: %w", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("subsidies' decisions: %w", err)
		}
		cs := make([]domain.DibaoCoverage, len(msg.GetDibaoCoverages()))
		for i, d := range msg.GetDibaoCoverages() {
			cs[i] = fromDecision(d)
		}
		if err := each(msg.GetFeedSequence(), cs); err != nil {
			return err
		}
	}
}
