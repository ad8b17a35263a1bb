package domain

import (
	"context"
	"strings"
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
	// Members are the current members, in membership order.
	Members []ExportedMember
}

// ExportedMember is a current member: the person's stable id and blind index, never the number.
type ExportedMember struct {
	PersonID  string
	IDIndex   string
	Relation  Relation
	BirthDate string
}

// ExportQuery selects what the store exports.
type ExportQuery struct {
	// Scope is the region prefix exported (already narrowed to the caller's scope).
	Scope string
	// Statuses limits the registry statuses exported; empty means all.
	Statuses []RegistryStatus
	// BatchSize is how many households each call of the callback receives (the last may be fewer).
	BatchSize int
}

// RegisterExportStore reads the register in one ordered pass.
type RegisterExportStore interface {
	// ExportHouseholds calls each with consecutive batches of the active households under q.Scope, in
	// household id order, each with its current members. It is one consistent read: households joined
	// with memberships and persons in a single query, never a query per household. An error from each
	// stops the export and is returned.
	ExportHouseholds(ctx context.Context, q ExportQuery, each func([]ExportedHousehold) error) error
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
	each func([]ExportedHousehold) error) (int, error) {
	if batchSize <= 0 {
		batchSize = DefaultExportBatch
	}
	batchSize = min(batchSize, MaxExportBatch)
	n := 0
	err := e.store.ExportHouseholds(ctx, ExportQuery{Scope: NarrowScope(c.Scope, region), Statuses: statuses, BatchSize: batchSize},
		func(hs []ExportedHousehold) error {
			n += len(hs)
			return each(hs)
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
