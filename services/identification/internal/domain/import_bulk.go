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

// runBulk runs a bulk load: by batches into the register's tables, or staged and checked set-wise
// (LedgerImporter.Staged).
func (s *ledgerSession) runBulk(ctx context.Context, rd *rowReader, emit func(LedgerImportProgress) error) error {
	if s.im.Staged {
		return s.runStaged(ctx, rd, emit)
	}
	return s.runBatches(ctx, rd, emit)
}

// runBatches runs the bulk load as the ordinary pipeline inside one transaction: each batch is checked
// against the register (one query for its 户编号s, one for its blind indexes) and written into the
// register's tables (Store.LoadHouseholds: COPY, 256-row INSERTs on SQLite) while the next batch is
// parsed and sealed; the transaction also publishes the load's change and writes the import record. The
// stages can be failed by opts.Crash (BulkStageMerged is not one of its stages).
func (s *ledgerSession) runBatches(ctx context.Context, rd *rowReader, emit func(LedgerImportProgress) error) error {
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

// runStaged runs the bulk load inside one transaction: the pipeline stages every household of the file
// (stage), the checks against the register and across the file run set-wise over the staged rows
// (checkStaged), the findings are reported in row order (emitStaged), the households that passed are
// merged into the register (Store.MergeStaged), and the load's change and record are written. The
// stages can be failed by opts.Crash.
func (s *ledgerSession) runStaged(ctx context.Context, rd *rowReader, emit func(LedgerImportProgress) error) error {
	crash := func(st BulkStage) error {
		if s.opts.Crash == nil {
			return nil
		}
		return s.opts.Crash(st)
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
		if err := s.im.store.BeginStaging(ctx); err != nil {
			return err
		}
		s.staging = true
		if err := s.run(ctx, rd, emit); err != nil {
			return err
		}
		if err := s.checkStaged(ctx); err != nil {
			return err
		}
		if err := crash(BulkStageChecked); err != nil {
			return err
		}
		if err := s.emitStaged(ctx, emit); err != nil {
			return err
		}
		merged, err := s.im.store.MergeStaged(ctx)
		if err != nil {
			return err
		}
		if merged.Households != s.sum.Imported {
			return fmt.Errorf("bulk load: %d households merged, %d checked to be written", merged.Households, s.sum.Imported)
		}
		s.sum.Persons, s.region, s.rec.LastNumber = merged.Persons, merged.RegionCode, merged.LastNumber
		if s.opts.InBatch != nil {
			if err := s.opts.InBatch(ctx, s.rec.ID, int(merged.Households)); err != nil {
				return err
			}
		}
		if err := crash(BulkStageMerged); err != nil {
			return err
		}
		if err := s.im.store.EndStaging(ctx); err != nil {
			return err
		}
		if err := s.im.store.FinishBulkLoad(ctx); err != nil {
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

// StagedHousehold is a household of a bulk load's file in the staging tables: Seq is its place in the
// file (1 for the first). A household Rejected for its rows is staged with its number and the members
// whose 身份证号 could be read (their blind index), so they are still checked against the register and
// the file and every problem of the household is reported at once.
type StagedHousehold struct {
	Seq       int64
	Household *Household
	Rejected  bool
	// Rows are the members' rows in the file, by member; 0 for a member not staged.
	Rows       []int64
	Registered string
}

// StagedIssue is a finding of a bulk load, kept in the staging tables until the file is checked, with
// the keys of the report's order: row, column (ColumnOrder: the layout's order), Phase (0: the rows' own
// checks, 1: the checks against the register and the file, as the ordinary path reports a batch) and N
// (the order found).
type StagedIssue struct {
	LedgerIssue
	ColumnOrder int
	Phase       int
	N           int64
}

// StagedReuse names a staged member who is a person the register knows already (not held by a
// household): the load updates that person's record instead of inserting one.
type StagedReuse struct {
	Seq      int64
	Member   int
	PersonID string
}

// StagedMerge is what the merge wrote: households, persons (memberships), the longest region prefix of
// the households written and the last household's number.
type StagedMerge struct {
	Households, Persons int64
	RegionCode          string
	LastNumber          string
}

// stagedChunk is how many households the set-wise checks read back at a time.
const stagedChunk = 2000

// stage writes a checked batch into the load's staging tables: households to be written with their
// ids, rejected ones with the members to look up, and the rows' findings.
func (s *ledgerSession) stage(ctx context.Context, batch []checked) error {
	var hs []StagedHousehold
	var issues []StagedIssue
	for i := range batch {
		b := &batch[i]
		s.sum.Households++
		s.stagedSeq++
		raw := b.raw
		s.rec.LastRow = max(s.rec.LastRow, raw.rows[len(raw.rows)-1].Row, raw.last)
		if b.h == nil {
			s.sum.Rejected++
			issues = s.stagedIssues(issues, b.issues, 0)
			if len(b.good) == 0 {
				continue
			}
			rows := make([]int64, len(b.members))
			for _, j := range b.good {
				rows[j] = raw.rows[j].Row
			}
			hs = append(hs, StagedHousehold{Seq: s.stagedSeq, Household: &Household{Number: raw.number, Members: b.members},
				Rejected: true, Rows: rows})
			continue
		}
		h := b.h
		h.ID = s.im.svc.newID()
		rows := make([]int64, len(h.Members))
		for j := range h.Members {
			h.Members[j].PersonID = s.im.svc.newID()
			rows[j] = raw.rows[j].Row
		}
		s.stagedOK++
		hs = append(hs, StagedHousehold{Seq: s.stagedSeq, Household: h, Rows: rows, Registered: b.registered})
	}
	if err := s.im.store.StageHouseholds(ctx, hs, issues); err != nil {
		return err
	}
	if s.opts.Crash != nil {
		return s.opts.Crash(BulkStageBatch)
	}
	return nil
}

func (s *ledgerSession) stagedIssues(out []StagedIssue, issues []LedgerIssue, phase int) []StagedIssue {
	for _, is := range issues {
		s.issueSeq++
		out = append(out, StagedIssue{LedgerIssue: is, ColumnOrder: columnOrder[is.Column], Phase: phase, N: s.issueSeq})
	}
	return out
}

// checked rebuilds what the checks against the register need of a staged household.
func (sh *StagedHousehold) checked() *checked {
	raw := &rawHousehold{number: sh.Household.Number, rows: make([]LedgerRow, len(sh.Rows))}
	for i, r := range sh.Rows {
		raw.rows[i].Row = r
	}
	b := &checked{raw: raw, registered: sh.Registered}
	if sh.Rejected {
		b.members = sh.Household.Members
		for i, r := range sh.Rows {
			if r > 0 {
				b.good = append(b.good, i)
			}
		}
		return b
	}
	b.h = sh.Household
	return b
}

// checkStaged runs the load's checks against the register and across the file. The store finds, set-wise
// over every staged row, the households concerned by any of them (a person in two households of the
// file, a person the register knows, a number the register holds: none, for a county's first load);
// those are then decided in file order as the ordinary path decides a batch (write): the first household
// of the file to hold a person keeps them, a household whose number is registered is already imported or
// a conflict, a rejected household's readable members are still reported when held elsewhere.
func (s *ledgerSession) checkStaged(ctx context.Context) error {
	known, _, err := s.im.store.StagedSuspects(ctx)
	if err != nil {
		return err
	}
	s.sum.Imported = s.stagedOK
	seen := map[[16]byte]personSeen{}
	var disclosed []string
	for after := int64(0); ; {
		hs, err := s.im.store.StagedHouseholds(ctx, after, stagedChunk)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			break
		}
		after = hs[len(hs)-1].Seq
		numbers := make([]string, 0, len(hs))
		for _, sh := range hs {
			if sh.Household.Number != "" {
				numbers = append(numbers, sh.Household.Number)
			}
		}
		existing, err := s.im.store.HouseholdsByNumber(ctx, numbers)
		if err != nil {
			return err
		}
		var skip []int64
		var reuse []StagedReuse
		var found []LedgerIssue
		for i := range hs {
			sh := &hs[i]
			b := sh.checked()
			if sh.Rejected {
				own := map[string]bool{}
				if e := existing[b.raw.number]; e != nil {
					for _, m := range e.Members {
						own[m.IDIndex] = own[m.IDIndex] || m.Current()
					}
				}
				for _, j := range b.good {
					if issue, ok := s.personTaken(b.raw, j, b.members[j].IDIndex, known, seen, own, &disclosed); ok {
						found = append(found, issue)
					}
				}
				continue
			}
			if e, ok := existing[b.h.Number]; ok {
				issue := compare(b, e)
				if issue.Outcome == LedgerAlreadyImported {
					s.sum.AlreadyImported++
				} else {
					s.sum.Conflicting++
				}
				found = append(found, issue)
				skip = append(skip, sh.Seq)
				s.sum.Imported--
				continue
			}
			var taken []LedgerIssue
			for j, m := range b.h.Members {
				if issue, ok := s.personTaken(b.raw, j, m.IDIndex, known, seen, nil, &disclosed); ok {
					taken = append(taken, issue)
				}
			}
			if len(taken) > 0 {
				s.sum.Rejected++
				found = append(found, taken...)
				skip = append(skip, sh.Seq)
				s.sum.Imported--
				continue
			}
			for j, m := range b.h.Members {
				seen[indexKey(m.IDIndex)] = personSeen{number: b.raw.number, row: b.raw.rows[j].Row}
				if p, ok := known[m.IDIndex]; ok {
					reuse = append(reuse, StagedReuse{Seq: sh.Seq, Member: j, PersonID: p.ID})
				}
			}
		}
		if err := s.im.store.ResolveStaged(ctx, skip, reuse, s.stagedIssues(nil, found, 1)); err != nil {
			return err
		}
	}
	return s.disclose(ctx, disclosed)
}

// emitStaged reports the load's findings in row order, a page at a time.
func (s *ledgerSession) emitStaged(ctx context.Context, emit func(LedgerImportProgress) error) error {
	var after *StagedIssue
	for {
		page, err := s.im.store.StagedIssuesAfter(ctx, after, DefaultLedgerBatch)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		issues := make([]LedgerIssue, len(page))
		for i := range page {
			issues[i] = page[i].LedgerIssue
		}
		if err := emit(LedgerImportProgress{Issues: issues, Summary: s.sum}); err != nil {
			return err
		}
		after = &page[len(page)-1]
	}
}

// commonPrefix returns the longest common prefix of two region codes.
func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}
