package domain

import (
	"context"
	"strings"

	"fupin.dev/services/platform/apperr"
)

// The register export streams the register to other departments' services for bulk matching (两线合一:
// 民政 compares its 低保 list with the poverty registry). Matching needs statuses and blind indexes, not
// names or plain 身份证号, so an exported household carries only those: a department that needs more
// about one household asks for it through GetHousehold, where plain text is governed and audited.

// ExportedHousehold is an active household as the export carries it.
type ExportedHousehold struct {
	ID               string
	RegionCode       string
	Urban            bool
	Registry         RegistryStatus
	MonitoringType   MonitoringType
	MonitoringStatus MonitoringStatus
	Size             int
	// CreateDate is the day (business date) the household was entered in the register.
	CreateDate string
	// Members are the current members, in membership order.
	Members []ExportedMember
	// Ended are the memberships that have ended, in membership order (only with IncludeMemberships).
	Ended []ExportedMember
	// History is the status history of the requested period, oldest first (only with HistoryFrom).
	History []StatusChange
}

// ExportedMember is a current member: the person's stable id and blind index, never the number.
type ExportedMember struct {
	PersonID  string
	IDIndex   string
	Relation  Relation
	BirthDate string
	// The membership's dates and end, and the person's health and labour ability (only with
	// IncludeMemberships).
	State         MemberState
	StartDate     string
	EndDate       string
	EndReason     string
	Health        Health
	LabourAbility LabourAbility
}

// ExportQuery selects what the store exports.
type ExportQuery struct {
	// Scope is the region prefix exported (already narrowed to the caller's scope).
	Scope string
	// Statuses limits the registry statuses exported; empty means all.
	Statuses []RegistryStatus
	// BatchSize is how many households each call of the callback receives (the last may be fewer).
	BatchSize int
	// IncludeMemberships adds ended memberships and each membership's dates, end and person details.
	IncludeMemberships bool
	// HistoryFrom (YYYY-MM-DD), when set, adds each household's status history from the entry in force on
	// that day up to HistoryTo (YYYY-MM-DD, included; empty: up to now).
	HistoryFrom, HistoryTo string
}

// ExportOptions are the optional parts of an export (ExportQuery's IncludeMemberships, HistoryFrom,
// HistoryTo).
type ExportOptions struct {
	IncludeMemberships     bool
	HistoryFrom, HistoryTo string
}

// RegisterExportStore reads the register in one ordered pass.
type RegisterExportStore interface {
	// ExportHouseholds calls each with consecutive batches of the active households under q.Scope, in
	// household id order, each with its current members, and with the position of the change feed the
	// read reflects (the sequence of the last change it includes). It is one consistent read: the feed's
	// position and the households joined with memberships and persons read in one snapshot, never a
	// query per household. each is called at least once (with no households when nothing matches). An
	// error from each stops the export and is returned.
	ExportHouseholds(ctx context.Context, q ExportQuery, each func(position int64, hs []ExportedHousehold) error) error
}

// Export batch sizes: large enough that per-message costs vanish, small enough that a batch of a big
// household mix stays far below gRPC's 4 MiB message limit (2,000 households ≈ 500 KiB).
const (
	DefaultExportBatch = 2000
	MaxExportBatch     = 10000
)

// RegisterExport is the export use case.
type RegisterExport struct {
	store RegisterExportStore
}

// NewRegisterExport returns the export over store.
func NewRegisterExport(store RegisterExportStore) *RegisterExport {
	return &RegisterExport{store: store}
}

// Export streams the register under region (a code prefix; "" for the caller's whole scope) to each, in
// batches of batchSize households (0: the default). The region only narrows the caller's scope: a region
// outside it exports nothing, as a list would show nothing, rather than confirming what lies beyond.
// It returns the number of households exported.
func (e *RegisterExport) Export(ctx context.Context, c Caller, region string, statuses []RegistryStatus, batchSize int,
	opts ExportOptions, each func(position int64, hs []ExportedHousehold) error) (int, error) {
	if opts.HistoryTo != "" && opts.HistoryFrom == "" {
		return 0, apperr.Invalid(ReasonInvalidField, "history_from", "is required with history_to")
	}
	if opts.HistoryTo != "" && opts.HistoryTo < opts.HistoryFrom {
		return 0, apperr.Invalid(ReasonInvalidField, "history_to", "must not be before history_from")
	}
	if batchSize <= 0 {
		batchSize = DefaultExportBatch
	}
	batchSize = min(batchSize, MaxExportBatch)
	n := 0
	err := e.store.ExportHouseholds(ctx, ExportQuery{Scope: NarrowScope(c.Scope, region), Statuses: statuses, BatchSize: batchSize,
		IncludeMemberships: opts.IncludeMemberships, HistoryFrom: opts.HistoryFrom, HistoryTo: opts.HistoryTo},
		func(position int64, hs []ExportedHousehold) error {
			n += len(hs)
			return each(position, hs)
		})
	return n, err
}

// NarrowScope returns the narrower of two region prefixes, or a prefix no region code has when they do
// not overlap.
func NarrowScope(scope, region string) string {
	switch {
	case strings.HasPrefix(region, scope):
		return region
	case strings.HasPrefix(scope, region):
		return scope
	default:
		return noRegion
	}
}

// noRegion is a prefix no region code starts with (codes are digits), the same as auth.NoRegion.
const noRegion = "none"
