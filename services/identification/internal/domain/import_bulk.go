package domain

import (
	"context"
	"fmt"

	"fupin.dev/services/platform/apperr"
)

// The bulk load (docs/IMPORT.md, "Bulk load of a whole county"). A county's first import is its whole
// ledger: 350,000 households into a register that holds none. The ordinary path writes it in batches of
// 1,000, each visible at its commit and each household with its change on the feed, which every follower
// then handles one by one. The bulk load runs the same checks, in the same pipeline, with the same report,
// but writes the whole file in ONE transaction: readers see the register as it was until the load
// commits, a crash at any stage leaves nothing behind (a rerun is a clean run), the register's other
// writers wait for it, and it publishes one change, register.bulk_loaded, after which followers resync
// from the register's snapshot (ExportRegister with its feed position) instead of reading a change per
// household.

// checkBulk applies the bulk load's rule: the file's declared size is required and the register must
// hold fewer than a tenth of it.
func (im *LedgerImporter) checkBulk(ctx context.Context, declared int64) error {
	if declared <= 0 {
		return apperr.Invalid(ReasonBulkLoadSizeRequired, "settings.declared_households",
			"a bulk load must declare the file's number of households")
	}
	n, err := im.store.CountHouseholds(ctx)
	if err != nil {
		return err
	}
	if n*BulkLoadShare >= declared {
		return apperr.Refused(ReasonBulkLoadRegisterTooFull, apperr.Violation{Type: ReasonBulkLoadRegisterTooFull,
			Subject: "households", Description: fmt.Sprintf("the register holds %d households, 10 %% or more of the %d the file "+
				"declares: a bulk load is only for a register holding fewer than 10 %% of the file's households "+
				"(a county's first import); import in the ordinary mode", n, declared)})
	}
	return nil
}

// BulkLoadMinHouseholds is the smallest file the service loads in bulk when it chooses the mode (a
// LedgerImportOptions.Auto import): below it the ordinary path is about as fast and keeps a change per
// household on the feed.
const BulkLoadMinHouseholds = 1000

// ChooseBulk is the mode an Auto import takes, from the file's declared households: a bulk load when it
// declares at least BulkLoadMinHouseholds and the register holds fewer than a tenth of them (the rule
// checkBulk applies to a client that asks for bulk), the ordinary path otherwise.
func (im *LedgerImporter) ChooseBulk(ctx context.Context, declared int64) (bool, error) {
	if declared < BulkLoadMinHouseholds {
		return false, nil
	}
	n, err := im.store.CountHouseholds(ctx)
	if err != nil {
		return false, err
	}
	return n*BulkLoadShare < declared, nil
}

// runBulk runs the pipeline inside one transaction that also publishes the load's change and writes the
// import record; the stages can be failed by opts.Crash.
func (s *ledgerSession) runBulk(ctx context.Context, rd *rowReader, emit func(LedgerImportProgress) error) error {
	crash := func(st BulkStage) error {
		if s.opts.Crash == nil {
			return nil
		}
		return s.opts.Crash(st)
	}
	inner := s.opts.InBatch
	s.opts.InBatch = func(ctx context.Context, importID string, written int) error {
		if inner != nil {
			if err := inner(ctx, importID, written); err != nil {
				return err
			}
		}
		return crash(BulkStageBatch)
	}
	var end func()
	defer func() {
		if end != nil {
			end()
		}
	}()
	err := s.im.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if end, err = s.im.store.BeginBulkLoad(ctx); err != nil {
			return err
		}
		if err := s.run(ctx, rd, emit); err != nil {
			return err
		}
		if err := s.im.store.FinishBulkLoad(ctx); err != nil {
			return err
		}
		if err := crash(BulkStageChecked); err != nil {
			return err
		}
		if s.sum.Imported > 0 {
			if err := s.im.store.PublishBulkLoad(ctx, BulkLoad{ImportID: s.rec.ID, Households: s.sum.Imported,
				Persons: s.sum.Persons, RegionCode: s.region}); err != nil {
				return err
			}
		}
		if err := crash(BulkStageFeed); err != nil {
			return err
		}
		rec := *s.rec
		rec.State, rec.Summary, rec.Updated, rec.Finished = LedgerImportDone, s.sum, s.im.svc.now(), s.im.svc.now()
		rec.Summary.Done = true
		return s.im.store.SaveImport(ctx, &rec)
	})
	if err != nil {
		// Nothing of the load was committed: the record says so.
		s.sum = LedgerImportSummary{ImportID: s.sum.ImportID, Rows: s.sum.Rows}
		s.rec.LastNumber, s.rec.LastRow = "", 0
	}
	return err
}

// commonPrefix returns the longest common prefix of two region codes.
func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}
