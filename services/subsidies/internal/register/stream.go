// Package register is the subsidies service's client of the identification register (乡村振兴局's
// service): the domain's views of the register, read over gRPC through etcd as service "subsidies" on
// behalf of the caller, so the register applies the caller's region scope and audits both.
package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc"
)

// Export streams the register through identification's RegisterExportService: one call per comparison,
// never a call per household.
type Export struct {
	client identificationv1.RegisterExportServiceClient
	logger *slog.Logger
}

var _ domain.RegisterExport = (*Export)(nil)

// NewExport returns the export over conn (the connection to the identification service). Failures are
// reported to callers as the domain's ErrRegisterUnavailable and their cause logged to logger.
func NewExport(conn grpc.ClientConnInterface, logger *slog.Logger) *Export {
	if logger == nil {
		logger = slog.Default()
	}
	return &Export{client: identificationv1.NewRegisterExportServiceClient(conn), logger: logger}
}

// exportBatch is the number of households per message asked for: a few thousand, so per-message costs
// vanish while a message stays far below the receive limit below.
const exportBatch = 4000

// exportMaxMessage bounds one received message. The register's own limit is 30 members per household,
// so even a batch of large households fits.
const exportMaxMessage = 64 << 20

// ExportRegister streams the active households under scope to each, batch by batch. An error from each is
// returned as it is; any failure of the stream is ErrRegisterUnavailable, since a comparison must see the
// register whole or not at all.
func (e *Export) ExportRegister(ctx context.Context, scope string, each func([]domain.RegisterEntry) error) error {
	if strings.Trim(scope, "0123456789") != "" {
		return nil // a scope no region code lies under (auth.NoRegion): nothing to export
	}
	stream, err := e.client.ExportRegister(ctx, &identificationv1.ExportRegisterRequest{RegionCode: scope, BatchSize: exportBatch},
		grpc.MaxCallRecvMsgSize(exportMaxMessage))
	if err != nil {
		return e.unavailable(ctx, err)
	}
	var entries []domain.RegisterEntry
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return e.unavailable(ctx, err)
		}
		entries = toRegisterEntries(msg.GetHouseholds(), entries[:0])
		if err := each(entries); err != nil {
			return err
		}
	}
}

// unavailable reports a failed export: the caller's own cancellation as it is, anything else as
// ErrRegisterUnavailable with the cause logged (the register's refusal is not the caller's to see).
func (e *Export) unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e.logger.WarnContext(ctx, "register export failed", "err", err)
	return domain.ErrRegisterUnavailable
}

// toRegisterEntries converts a batch into out (reused between batches: the domain keeps no entry).
func toRegisterEntries(hs []*identificationv1.ExportedHousehold, out []domain.RegisterEntry) []domain.RegisterEntry {
	n := 0
	for _, h := range hs {
		n += len(h.GetMembers())
	}
	// One backing array for every member's index of the batch.
	indexes := make([]string, 0, n)
	for _, h := range hs {
		start := len(indexes)
		for _, m := range h.GetMembers() {
			indexes = append(indexes, m.GetIdIndex())
		}
		out = append(out, domain.RegisterEntry{HouseholdID: strings.TrimPrefix(h.GetHousehold(), "households/"),
			RegionCode: h.GetRegionCode(), Registry: int32(h.GetRegistryStatus()), MonitoringType: int32(h.GetMonitoringType()),
			MonitoringStatus: int32(h.GetMonitoringStatus()), Size: int(h.GetSize()), IDIndexes: indexes[start:len(indexes):len(indexes)]})
	}
	return out
}

// Snapshot streams the whole register (the service's own scope) for a resync: each household with its
// ended memberships and its status entry in force today, and the feed position the snapshot reflects
// (the same in every call of each; each is called at least once). Failures are returned as they are:
// the subscription logs them and tries again.
func (e *Export) Snapshot(ctx context.Context, today string, each func(position int64, hs []domain.SnapshotHousehold) error) error {
	stream, err := e.client.ExportRegister(ctx, &identificationv1.ExportRegisterRequest{BatchSize: exportBatch,
		IncludeMemberships: true, HistoryFrom: today, HistoryTo: today}, grpc.MaxCallRecvMsgSize(exportMaxMessage))
	if err != nil {
		return fmt.Errorf("register snapshot: %w", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("register snapshot: %w", err)
		}
		hs := make([]domain.SnapshotHousehold, len(msg.GetHouseholds()))
		for i, h := range msg.GetHouseholds() {
			s := domain.SnapshotHousehold{HouseholdID: strings.TrimPrefix(h.GetHousehold(), "households/"),
				RegionCode: h.GetRegionCode(), RegistryStatus: int32(h.GetRegistryStatus()), MonitoringType: int32(h.GetMonitoringType()),
				MonitoringStatus: int32(h.GetMonitoringStatus()), Size: int(h.GetSize()), CreateDate: h.GetCreateDate()}
			if hist := h.GetStatusHistory(); len(hist) > 0 {
				s.StatusDate = hist[len(hist)-1].GetEffectiveDate()
			}
			for _, m := range h.GetEndedMembers() {
				switch m.GetEndReason() {
				case identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_DEATH, identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_MOVE_OUT:
					s.Departed = append(s.Departed, domain.DepartedMember{PersonID: m.GetPersonId(), EndDate: m.GetEndDate()})
				}
			}
			hs[i] = s
		}
		if err := each(msg.GetFeedSequence(), hs); err != nil {
			return err
		}
	}
}
