package domain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fupin.dev/services/identification/ledger"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/tabular"
	"golang.org/x/sync/errgroup"
)

// Reasons of the bulk import (values of fupin.identification.v1.ErrorReason, 250–299).
const (
	ReasonImportHeaderInvalid     = "IMPORT_HEADER_INVALID"
	ReasonImportValueRequired     = "IMPORT_VALUE_REQUIRED"
	ReasonImportValueInvalid      = "IMPORT_VALUE_INVALID"
	ReasonImportLabelUnknown      = "IMPORT_LABEL_UNKNOWN"
	ReasonImportValueInconsistent = "IMPORT_VALUE_INCONSISTENT"
	ReasonImportHouseholdSplit    = "IMPORT_HOUSEHOLD_SPLIT"
	ReasonImportHouseholdConflict = "IMPORT_HOUSEHOLD_CONFLICT"
	ReasonImportAlreadyImported   = "IMPORT_ALREADY_IMPORTED"
	ReasonImportRowsOutOfOrder    = "IMPORT_ROWS_OUT_OF_ORDER"
	ReasonImportFileTooLarge      = "IMPORT_FILE_TOO_LARGE"
)

// Reasons of the bulk load (fupin.common.v1.ErrorReason 53–55).
const (
	ReasonBulkLoadRegisterTooFull = "BULK_LOAD_REGISTER_TOO_FULL"
	ReasonBulkLoadSizeRequired    = "BULK_LOAD_SIZE_REQUIRED"
	ReasonBulkLoadInProgress      = "BULK_LOAD_IN_PROGRESS"
)

// BulkLoadShare is the rule of the bulk load: the register must hold fewer than one in BulkLoadShare of
// the households the file declares (10 %), so the load is a county's first import and not an update.
const BulkLoadShare = 10

// BulkStage names a point of the bulk load where a test may inject a crash (LedgerImportOptions.Crash).
type BulkStage string

// The stages of a bulk load, in order.
const (
	// BulkStageBatch: after a batch's households were checked on their own and written into the load's
	// staging tables (nothing is visible to readers yet).
	BulkStageBatch BulkStage = "batch"
	// BulkStageChecked: every row staged and the set-wise checks done, before the merge.
	BulkStageChecked BulkStage = "checked"
	// BulkStageMerged: the households that passed merged into the register's tables, before the load's
	// change goes on the feed.
	BulkStageMerged BulkStage = "merged"
	// BulkStageFeed: after the register.bulk_loaded change was appended, before the commit.
	BulkStageFeed BulkStage = "feed"
)

// BulkLoad is the one change a bulk load publishes (register.bulk_loaded).
type BulkLoad struct {
	ImportID   string
	Households int64
	Persons    int64
	// RegionCode is the longest region prefix of every household loaded (the county's code, usually), so
	// followers with a region scope see the change when the load touches their scope.
	RegionCode string
}

// Limits of the bulk import.
const (
	// DefaultLedgerBatch households are written per transaction unless the caller says otherwise.
	DefaultLedgerBatch = 1000
	// MaxLedgerBatch bounds the households of one transaction.
	MaxLedgerBatch = 20000
	// headerSearchRows is how many rows at the top of a file may precede the header row (titles).
	headerSearchRows = 20
	maxNameRunes     = 50
	maxAddressRunes  = 200
	maxNumberLength  = 40
)

// LedgerRow is one row of a household ledger file (户籍台账): its row number in the file (1 for the first
// row), its cells as text and how each was stored (nil: all text, as in a CSV file).
type LedgerRow struct {
	Row   int64
	Cells []string
	Types []tabular.CellType
}

// LedgerOutcome is what happened to a household that was not simply imported.
type LedgerOutcome int32

// Import outcomes; the numbers are those of fupin.identification.v1.LedgerOutcome.
const (
	LedgerOutcomeUnspecified LedgerOutcome = iota
	LedgerRejected                         // not written: a row breaks a rule
	LedgerConflict                         // not written: the 户编号 is registered with different content
	LedgerAlreadyImported                  // skipped: the 户编号 is registered with the same content
)

// LedgerIssue is one finding of an import: a cell that breaks a rule, or a household skipped.
type LedgerIssue struct {
	Row             int64
	Column          string // a ledger column header; "" when no single cell is to blame
	HouseholdNumber string
	Outcome         LedgerOutcome
	Reason          string
	Description     string // never holds a 身份证号
}

// LedgerImportSummary counts what an import did (or, on a dry run, would do).
type LedgerImportSummary struct {
	ImportID        string // "" on a dry run
	DryRun          bool
	Done            bool
	Rows            int64
	Households      int64
	Imported        int64
	Persons         int64
	AlreadyImported int64
	Conflicting     int64
	Rejected        int64
}

// LedgerImportProgress is what an import reports after each batch: the batch's findings in row order and the
// running totals (final when Summary.Done is set).
type LedgerImportProgress struct {
	Issues  []LedgerIssue
	Summary LedgerImportSummary
}

// The import's findings may tell the caller that a person is held by a household outside their scope
// (PERSON_IN_OTHER_HOUSEHOLD), as CreateHousehold's refusals do: each batch's such findings go to
// LedgerImportOptions.Disclosed, and the limit is checked before the import starts and before a batch's
// findings are sent (conflicts.go).

// LedgerImportOptions say how to import.
type LedgerImportOptions struct {
	// DryRun checks everything and reports as for a real import, but writes nothing (not even the import
	// record).
	DryRun bool
	// Source names where the rows come from (a file name), for the import record and status history.
	Source string
	// BatchSize is the number of households written per transaction (default DefaultLedgerBatch).
	BatchSize int
	// InBatch, when set, runs inside each batch's transaction after its households are written, with the
	// number written: the API writes the batch's audit row there.
	InBatch func(ctx context.Context, importID string, written int) error
	// Disclosed, when set, runs after each batch whose findings tell the caller about persons held outside
	// their scope, with those member records and outside any transaction: the API records them as the
	// platform's server does for refused requests (conflicts.Book.Record).
	Disclosed func(ctx context.Context, members []string) error
	// RequestID and SizeBytes describe an uploaded file (UploadLedger) on the import record: the client's
	// id of the upload, by which it finds the record, and the file's declared size.
	RequestID string
	SizeBytes int64
	// BytesRead, when set, says how many bytes of the uploaded file the reader has taken so far; each
	// batch's record update keeps it, so the record shows the upload's progress.
	BytesRead func() int64
	// Bulk loads the file in one transaction with one change on the feed (register.bulk_loaded) instead of
	// one per household; DeclaredHouseholds (the file's households, counted by the client) is then
	// required, and the register must hold fewer than a tenth of it.
	Bulk               bool
	DeclaredHouseholds int64
	// Auto lets the service choose (ChooseBulk): a bulk load when DeclaredHouseholds is at least
	// BulkLoadMinHouseholds and the register holds fewer than a tenth of it, the ordinary path otherwise.
	Auto bool
	// Crash, when set (tests), is called at each stage of a bulk load; an error from it stops the load
	// there, as a crash would.
	Crash func(BulkStage) error
}

// LedgerImportState is the state of an import record.
type LedgerImportState int32

// Import states; the numbers are those of fupin.identification.v1.ImportState.
const (
	LedgerImportRunning LedgerImportState = 1 // started; a crash leaves it so, with the counts of the batches committed
	LedgerImportDone    LedgerImportState = 2
	LedgerImportFailed  LedgerImportState = 3
	// LedgerImportInterrupted: the stream ended before the import did (the client went away, the
	// connection was lost, the service stopped), or a running record stopped reporting (the service crashed).
	LedgerImportInterrupted LedgerImportState = 4
)

// LedgerImport is the trail of one import (痕迹): who imported what, when, what it did and how far it got.
type LedgerImport struct {
	ID       string
	Actor    string
	Source   string
	State    LedgerImportState
	Started  time.Time
	Finished time.Time
	// Updated is when the import last wrote a batch or reported that it is alive (see ImportHeartbeat).
	Updated time.Time
	Summary LedgerImportSummary
	// LastNumber is the 户编号 of the last household written; every row up to LastRow is decided.
	LastNumber string
	LastRow    int64
	// Message says why a failed or interrupted import stopped; never personal data.
	Message string
	// RequestID, SizeBytes and BytesRead: of an uploaded file (LedgerImportOptions), else empty.
	RequestID string
	SizeBytes int64
	BytesRead int64
}

// KnownPerson is a person the register already has, found by blind index.
type KnownPerson struct {
	ID string
	// Held is true while the person is a current member of an active household: Holder, in the village
	// HolderRegion.
	Held         bool
	Holder       string
	HolderRegion string
}

// LedgerImportStore is what the bulk import needs from the store.
type LedgerImportStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// ListRegions returns regions in code order under parent ("" for all).
	ListRegions(ctx context.Context, parent, after string, limit int) ([]*Region, error)
	// HouseholdsByNumber returns the households registered under these numbers, by number, with their
	// members (not their history).
	HouseholdsByNumber(ctx context.Context, numbers []string) (map[string]*Household, error)
	// PersonsByIndex returns the persons the register knows by these blind indexes, by blind index.
	PersonsByIndex(ctx context.Context, indexes []string) (map[string]KnownPerson, error)
	LedgerImportRecords
	// CreateHouseholds inserts households that passed every check, with their members, first status
	// entries and change-feed entries, in the transaction in ctx, faster than CreateHousehold one by one.
	// A member whose PersonID is in existing keeps that person's record (its attributes updated) instead
	// of inserting one. The database still refuses a person held twice or a number used twice.
	CreateHouseholds(ctx context.Context, hs []*Household, existing map[string]bool) error
	// RefreshPlannerStatistics updates the database's planner statistics after a bulk load, so the
	// queries over the register (statistics, lists) are planned for its new size.
	RefreshPlannerStatistics(ctx context.Context) error
	// LoadHouseholds is CreateHouseholds for a bulk load: the same rows, without a change per household.
	LoadHouseholds(ctx context.Context, hs []*Household, existing map[string]bool) error
	// CountHouseholds returns the number of households the register holds (any state).
	CountHouseholds(ctx context.Context) (int64, error)
	// BeginBulkLoad makes the register's other writers wait for the transaction in ctx (they all append
	// to the change feed, whose order lock it takes on PostgreSQL; SQLite has one writer anyway); end is
	// called once that transaction has ended.
	BeginBulkLoad(ctx context.Context) (end func(), err error)
	// FinishBulkLoad completes the load's writes in the transaction in ctx once every row is written
	// (indexes built in bulk), before its change is published.
	FinishBulkLoad(ctx context.Context) error
	// PublishBulkLoad appends the load's one change (register.bulk_loaded) in the transaction in ctx.
	PublishBulkLoad(ctx context.Context, load BulkLoad) error
	BulkStaging
}

// BulkStaging is the bulk load's staging (import_bulk.go): temporary tables of the load's transaction,
// checked set-wise and merged into the register.
type BulkStaging interface {
	// BeginStaging creates the staging tables in the transaction in ctx; EndStaging drops them.
	BeginStaging(ctx context.Context) error
	EndStaging(ctx context.Context) error
	// StageHouseholds appends a batch of households and findings.
	StageHouseholds(ctx context.Context, hs []StagedHousehold, issues []StagedIssue) error
	// StagedSuspects runs the checks against the register and across the file over every staged row and
	// marks the households they concern; it returns the persons the register knows among the file's,
	// by blind index, and how many households were marked.
	StagedSuspects(ctx context.Context) (map[string]KnownPerson, int64, error)
	// StagedHouseholds reads back the marked households in file order, after seq, at most limit.
	StagedHouseholds(ctx context.Context, after int64, limit int) ([]StagedHousehold, error)
	// ResolveStaged records decisions: households not to write, members who are a known person, findings.
	ResolveStaged(ctx context.Context, skip []int64, reuse []StagedReuse, issues []StagedIssue) error
	// StagedIssuesAfter returns the findings in the report's order after a position (nil: the start).
	StagedIssuesAfter(ctx context.Context, after *StagedIssue, limit int) ([]StagedIssue, error)
	// MergeStaged writes the staged households that passed into the register.
	MergeStaged(ctx context.Context) (StagedMerge, error)
}

// LedgerImporter is the bulk import of the household ledger. It applies CreateHousehold's rules to every
// household (sharing its checks: Service.newHousehold and checkVillage) but checks and writes whole
// batches: the CPU-heavy part (parsing, 身份证号 checks, sealing and blind indexes) runs on every CPU while
// the previous batch is written, uniqueness is checked with one lookup per batch, and each batch is one
// transaction through the store's bulk path.
type LedgerImporter struct {
	// Staged makes bulk loads stage the file in temporary tables, check it set-wise in SQL and merge it
	// with one INSERT … SELECT per table (runStaged) instead of checking and writing it batch by batch in
	// the load's transaction (runBatches). Both give the same report and register; the staged load was
	// measured slower on the 2-core machine (it repeats the batches' index work in the merge and loses
	// their overlap with parsing: docs/BENCHMARKS.md), so it is off unless the service is started with
	// FUPIN_IDENTIFICATION_BULK_STAGING=1; it is the ground for building the register's indexes in bulk.
	Staged bool

	svc     *Service
	store   LedgerImportStore
	workers int
	limits  tabular.Limits
}

// NewLedgerImporter returns the bulk import over svc's rules and store. limits bound what one stream may
// send (MaxRows rows, cells of at most MaxCellChars characters; zero fields: the file reader's defaults).
func NewLedgerImporter(svc *Service, store LedgerImportStore, limits tabular.Limits) *LedgerImporter {
	d := tabular.DefaultLimits()
	if limits.MaxRows <= 0 {
		limits.MaxRows = d.MaxRows
	}
	if limits.MaxCellChars <= 0 {
		limits.MaxCellChars = d.MaxCellChars
	}
	return &LedgerImporter{svc: svc, store: store, workers: runtime.GOMAXPROCS(0), limits: limits}
}

// Import reads a ledger's rows from next (until it returns io.EOF) and imports its households for caller
// c. After each batch it calls emit with the batch's findings and the running totals, the last time with
// Summary.Done set. next and emit are each called from one goroutine at a time; next may still be called
// once after Import returned with an error (it should then fail, as a closed stream does).
//
// A household is written whole or not at all. A household whose 户编号 is registered already is never
// written again: with the same content it is reported as already imported, with different content as a
// conflict, so the same file can be imported again after a crash. A header without a required column
// refuses the whole import (IMPORT_HEADER_INVALID).
func (im *LedgerImporter) Import(ctx context.Context, c Caller, opts LedgerImportOptions, next func() ([]LedgerRow, error),
	emit func(LedgerImportProgress) error) (LedgerImportSummary, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultLedgerBatch
	}
	opts.BatchSize = min(opts.BatchSize, MaxLedgerBatch)
	if err := im.svc.checkConflicts(ctx); err != nil {
		return LedgerImportSummary{}, err
	}
	if opts.Auto && !opts.Bulk {
		bulk, err := im.ChooseBulk(ctx, opts.DeclaredHouseholds)
		if err != nil {
			return LedgerImportSummary{}, err
		}
		opts.Bulk = bulk
	}
	if opts.Bulk {
		if err := im.checkBulk(ctx, opts.DeclaredHouseholds); err != nil {
			return LedgerImportSummary{}, err
		}
	}
	rd := &rowReader{next: next, limits: im.limits}
	cols, err := findHeader(rd)
	if err != nil {
		return LedgerImportSummary{}, err
	}
	regions, err := im.regions(ctx)
	if err != nil {
		return LedgerImportSummary{}, err
	}
	now := im.svc.now()
	reason := "imported 导入"
	if opts.Source != "" {
		reason += ": " + opts.Source
	}
	s := &ledgerSession{im: im, c: c, opts: opts, cols: cols, regions: regions, now: now, reason: reason,
		today: bizdate.Today(now), persons: make(map[[16]byte]personSeen)}
	s.sum.DryRun = opts.DryRun
	if !opts.DryRun {
		s.rec = &LedgerImport{ID: im.svc.newID(), Actor: c.Actor, Source: opts.Source, State: LedgerImportRunning,
			Started: now, Updated: now, RequestID: opts.RequestID, SizeBytes: opts.SizeBytes}
		s.rec.BytesRead = s.bytesRead()
		s.sum.ImportID = s.rec.ID
		if err := im.store.InTx(ctx, func(ctx context.Context) error { return im.store.SaveImport(ctx, s.rec) }); err != nil {
			return LedgerImportSummary{}, err
		}
		// The record's name goes to the client at once, so a client whose stream dies before the first
		// batch is done can still read how far the import got.
		if err := emit(LedgerImportProgress{Summary: s.sum}); err != nil {
			err = s.finish(ctx, err)
			return s.sum, err
		}
		defer im.heartbeat(ctx, s.rec.ID)()
	}
	if opts.Bulk && !opts.DryRun {
		err = s.runBulk(ctx, rd, emit)
	} else {
		err = s.run(ctx, rd, emit)
	}
	if s.rec != nil {
		err = s.finish(ctx, err)
	}
	if err != nil {
		return s.sum, err
	}
	if !opts.DryRun && s.sum.Imported > 0 {
		// The households are committed whatever happens here: a failure leaves the planner's old
		// statistics, as before any import, and the next import refreshes them.
		_ = im.store.RefreshPlannerStatistics(ctx)
	}
	s.sum.Done = true
	return s.sum, emit(LedgerImportProgress{Summary: s.sum})
}

func (im *LedgerImporter) regions(ctx context.Context) (map[string]*Region, error) {
	out := map[string]*Region{}
	after := ""
	for {
		page, err := im.store.ListRegions(ctx, "", after, 1000)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			out[r.Code] = r
		}
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].Code
	}
}

// rowReader hands out rows one at a time from the batches next returns, checking that row numbers increase
// and that the stream stays within the limits (the file reader's, which a client may not have applied).
type rowReader struct {
	next   func() ([]LedgerRow, error)
	limits tabular.Limits
	buf    []LedgerRow
	last   int64
	read   int
}

func (r *rowReader) row() (LedgerRow, error) {
	for len(r.buf) == 0 {
		rows, err := r.next()
		if err != nil {
			return LedgerRow{}, err
		}
		r.buf = rows
	}
	row := r.buf[0]
	r.buf = r.buf[1:]
	if row.Row <= r.last {
		return row, apperr.Invalid(ReasonImportRowsOutOfOrder, "rows",
			fmt.Sprintf("row %d comes after row %d: rows must be sent in file order", row.Row, r.last))
	}
	r.last = row.Row
	r.read++
	if int64(r.read) > r.limits.MaxRows {
		return row, apperr.Invalid(ReasonImportFileTooLarge, "rows", fmt.Sprintf("the file has more than %d rows, the most one "+
			"import takes: split it (households written so far stay; a rerun skips them)", r.limits.MaxRows))
	}
	for _, c := range row.Cells {
		if len(c) > r.limits.MaxCellChars && utf8.RuneCountInString(c) > r.limits.MaxCellChars {
			return row, apperr.Invalid(ReasonImportFileTooLarge, "rows", fmt.Sprintf("row %d has a cell longer than %d characters",
				row.Row, r.limits.MaxCellChars))
		}
	}
	return row, nil
}

// columns maps the layout's columns to their positions in the file (-1: absent).
type columns struct {
	pos       map[string]int
	headerRow int64
}

func (cs *columns) cell(r LedgerRow, name string) string {
	i, ok := cs.pos[name]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return ledger.Clean(r.Cells[i])
}

// text reports whether the cell of a column was stored as text (a number keeps 15 digits).
func (cs *columns) text(r LedgerRow, name string) bool {
	i, ok := cs.pos[name]
	return !ok || i >= len(r.Types) || r.Types[i].IsText()
}

// findHeader reads rows until the header row: the first of the first rows that has the column 户编号.
func findHeader(rd *rowReader) (*columns, error) {
	for rd.read < headerSearchRows {
		row, err := rd.row()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		cs := &columns{pos: map[string]int{}, headerRow: row.Row}
		var dup []apperr.FieldViolation
		found := false
		for i, cell := range row.Cells {
			name := ledger.Clean(strings.TrimPrefix(cell, "\ufeff"))
			if name == ledger.ColNumber {
				found = true
			}
			if _, twice := cs.pos[name]; twice && isColumn(name) {
				dup = append(dup, apperr.FieldViolation{Field: name, Reason: ReasonImportHeaderInvalid,
					Description: fmt.Sprintf("row %d: the column %s appears twice", row.Row, name)})
			}
			if _, seen := cs.pos[name]; !seen && name != "" {
				cs.pos[name] = i
			}
		}
		if !found {
			continue
		}
		for _, col := range ledger.Columns {
			if _, ok := cs.pos[col.Name]; col.Required && !ok {
				dup = append(dup, apperr.FieldViolation{Field: col.Name, Reason: ReasonImportHeaderInvalid,
					Description: fmt.Sprintf("row %d: the header has no column %s", row.Row, col.Name)})
			}
		}
		if len(dup) > 0 {
			return nil, apperr.InvalidFields(dup...)
		}
		return cs, nil
	}
	return nil, apperr.Invalid(ReasonImportHeaderInvalid, ledger.ColNumber,
		fmt.Sprintf("no header row: none of the first %d rows has the column %s", headerSearchRows, ledger.ColNumber))
}

func isColumn(name string) bool {
	return slices.ContainsFunc(ledger.Columns, func(c ledger.Column) bool { return c.Name == name })
}

// rawHousehold is a household's rows as read: consecutive rows with the same 户编号 (or none, as merged
// cells read).
type rawHousehold struct {
	number string
	rows   []LedgerRow
	// earlier is the first row of an earlier household with the same number (the rows are not together).
	earlier int64
	// more counts the rows beyond MaxMembers+1, which are not kept: a file whose 户编号 column is empty
	// would otherwise make one household of every row, in memory.
	more int
	last int64
}

// checked is a household after the checks that need no database: h is nil when it is rejected.
type checked struct {
	raw    *rawHousehold
	h      *Household
	issues []LedgerIssue
	// members of a rejected household, and which of them have a good 身份证号 (with its blind index): they
	// are still looked up in the register, so every problem of the household is reported at once.
	members []Member
	good    []int
	// registered is the 登记日期 the file gives ("": none, the household is registered on the import's day).
	registered string
}

type batchItem struct {
	households []*rawHousehold
	rows       int64
	err        error
}

type checkedBatch struct {
	rows       int64
	households []checked
}

// personSeen is where a person was found in the file: the household's number and the row.
type personSeen struct {
	number string
	row    int64
}

// ledgerSession is one run of Import.
type ledgerSession struct {
	im      *LedgerImporter
	c       Caller
	opts    LedgerImportOptions
	cols    *columns
	regions map[string]*Region
	now     time.Time
	today   string
	reason  string
	rec     *LedgerImport
	sum     LedgerImportSummary
	// persons are, on a dry run, the people of the households passed so far (by blind index), so a
	// person in two households of one file is found though nothing reaches the database (1.2 million
	// people ≈ 60 MB). A real run finds them in the database and keeps only the current batch's.
	persons map[[16]byte]personSeen
	// region is the longest prefix of the region codes written (bulk loads).
	region  string
	written bool
	// staging: a bulk load stages the file's households (stage) and checks them set-wise at its end
	// (import_bulk.go); stagedSeq numbers the households staged, in file order, issueSeq the findings, and
	// stagedOK counts the households staged to be written.
	staging   bool
	stagedSeq int64
	issueSeq  int64
	stagedOK  int64
}

// run drives the pipeline: grouping rows into households (this goroutine's helper reading next) →
// checking each batch on every CPU → writing batches one after another, one transaction each.
func (s *ledgerSession) run(ctx context.Context, rd *rowReader, emit func(LedgerImportProgress) error) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batchItem, 1)
	go s.group(gctx, rd, batches)
	checkedBatches := make(chan checkedBatch, 1)
	g, gctx := errgroup.WithContext(gctx)
	g.Go(func() error {
		defer close(checkedBatches)
		for {
			var item batchItem
			var ok bool
			select {
			case <-gctx.Done():
				return gctx.Err()
			case item, ok = <-batches:
			}
			if !ok {
				return nil
			}
			if item.err != nil {
				return item.err
			}
			out := checkedBatch{rows: item.rows, households: s.check(item.households)}
			select {
			case <-gctx.Done():
				return gctx.Err()
			case checkedBatches <- out:
			}
		}
	})
	g.Go(func() error {
		for b := range checkedBatches {
			s.sum.Rows += b.rows
			if s.staging {
				// A bulk load stages the batch; its findings are reported once the whole file is checked.
				if err := s.stage(gctx, b.households); err != nil {
					return err
				}
				if err := emit(LedgerImportProgress{Summary: s.sum}); err != nil {
					return err
				}
				continue
			}
			issues, disclosed, err := s.write(gctx, b.households)
			if err != nil {
				return err
			}
			if err := s.disclose(gctx, disclosed); err != nil {
				return err
			}
			if err := emit(LedgerImportProgress{Issues: issues, Summary: s.sum}); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// group reads rows after the header and sends batches of whole households. Rows without a 户编号 belong
// to the household above (merged cells read so).
func (s *ledgerSession) group(ctx context.Context, rd *rowReader, out chan<- batchItem) {
	defer close(out)
	send := func(item batchItem) bool {
		select {
		case out <- item:
			return true
		case <-ctx.Done():
			return false
		}
	}
	seen := map[string]int64{}
	var cur *rawHousehold
	var batch []*rawHousehold
	var rows int64
	flush := func() {
		if cur != nil {
			batch = append(batch, cur)
			cur = nil
		}
	}
	for {
		row, err := rd.row()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			send(batchItem{err: err})
			return
		}
		if empty(row) {
			continue
		}
		rows++
		number := s.cols.cell(row, ledger.ColNumber)
		if cur != nil && (number == "" || number == cur.number) {
			if len(cur.rows) <= MaxMembers {
				cur.rows = append(cur.rows, row)
			} else {
				cur.more++
				cur.last = row.Row
			}
			continue
		}
		flush()
		if len(batch) >= s.opts.BatchSize {
			if !send(batchItem{households: batch, rows: rows}) {
				return
			}
			batch, rows = nil, 0
		}
		cur = &rawHousehold{number: number, rows: []LedgerRow{row}}
		if number != "" {
			if first, ok := seen[number]; ok {
				cur.earlier = first
			} else {
				seen[number] = row.Row
			}
		}
	}
	flush()
	if len(batch) > 0 || rows > 0 {
		send(batchItem{households: batch, rows: rows})
	}
}

func empty(r LedgerRow) bool {
	for _, c := range r.Cells {
		if ledger.Clean(c) != "" {
			return false
		}
	}
	return true
}

// check runs the checks that need no database on every household of a batch, on every CPU.
func (s *ledgerSession) check(hs []*rawHousehold) []checked {
	out := make([]checked, len(hs))
	var wg sync.WaitGroup
	workers := max(1, min(s.im.workers, len(hs)))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hs); i += workers {
				out[i] = s.checkHousehold(hs[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// fieldColumns name the ledger column of a member field the shared checks report.
var fieldColumns = map[string]string{
	"full_name": ledger.ColName, "id_number": ledger.ColIDNumber, "relation_to_head": ledger.ColRelation,
}

// checkHousehold reads a household's rows into a NewHousehold and applies the rules that need no
// database: the ledger's own (required cells, labels, forms, consistency) and CreateHousehold's
// (Service.newHousehold, checkVillage, the caller's scope). Every problem is reported, not only the first.
func (s *ledgerSession) checkHousehold(raw *rawHousehold) checked {
	out := checked{raw: raw}
	first := raw.rows[0].Row
	// bad marks the cells already reported, so a shared check does not report them again.
	type cellKey struct {
		member int
		column string
	}
	bad := map[cellKey]bool{}
	relationBad := false // a head count is not reported when a relation cell was unreadable
	add := func(member int, row int64, column, reason, desc string) {
		bad[cellKey{member, column}] = true
		relationBad = relationBad || column == ledger.ColRelation
		out.issues = append(out.issues, LedgerIssue{Row: row, Column: column, HouseholdNumber: raw.number,
			Outcome: LedgerRejected, Reason: reason, Description: desc})
	}
	switch {
	case raw.number == "":
		add(-1, first, ledger.ColNumber, ReasonImportValueRequired,
			"a household's first row needs a 户编号 (its other rows may leave it empty)")
	case !validNumber(raw.number):
		add(-1, first, ledger.ColNumber, ReasonImportValueInvalid,
			fmt.Sprintf("a 户编号 has 1 to %d letters, digits and -", maxNumberLength))
	}
	if raw.more > 0 {
		add(-1, first, ledger.ColNumber, ReasonInvalidField, fmt.Sprintf("a household has at most %d members; %d rows (%d to %d) "+
			"belong to this one: is the 户编号 column filled in?", MaxMembers, len(raw.rows)+raw.more, first, raw.last))
	}
	if raw.earlier > 0 {
		add(-1, first, ledger.ColNumber, ReasonImportHouseholdSplit,
			fmt.Sprintf("户编号 %s appeared before, at row %d: a household's rows must be together", raw.number, raw.earlier))
	}
	// Household-level cells: the first non-empty value; every other row repeats it or is empty.
	value := func(column string) (string, int64) {
		v, at := "", first
		for _, r := range raw.rows {
			c := s.cols.cell(r, column)
			switch {
			case c == "":
			case v == "":
				v, at = c, r.Row
			case c != v:
				add(-1, r.Row, column, ReasonImportValueInconsistent,
					fmt.Sprintf("differs from row %d: every row of a household has the same %s or leaves it empty", at, column))
			}
		}
		return v, at
	}
	in := NewHousehold{Number: raw.number}
	code, codeRow := value(ledger.ColRegionCode)
	region := &Region{}
	switch {
	case code == "":
		add(-1, codeRow, ledger.ColRegionCode, ReasonImportValueRequired, "the household's 12-digit village code is required")
	case len(code) != 12 || strings.Trim(code, "0123456789") != "":
		add(-1, codeRow, ledger.ColRegionCode, ReasonImportValueInvalid, "a village code has 12 digits")
	default:
		if problem := checkVillage(code, s.regions[code]); problem != "" {
			add(-1, codeRow, ledger.ColRegionCode, ReasonRegionUnknown, problem)
		} else if s.c.check(code) != nil {
			add(-1, codeRow, ledger.ColRegionCode, ReasonOutOfRegionScope, "the village lies outside the caller's region scope")
		} else {
			region = s.regions[code]
		}
	}
	in.RegionCode = code
	address, addressRow := value(ledger.ColAddress)
	if utf8.RuneCountInString(address) > maxAddressRunes {
		add(-1, addressRow, ledger.ColAddress, ReasonImportValueInvalid, fmt.Sprintf("at most %d characters", maxAddressRunes))
	}
	in.Address = address
	registry, registryRow := value(ledger.ColRegistry)
	if v, ok := ledger.Registry(registry); ok {
		in.Registry = RegistryStatus(v)
	} else {
		add(-1, registryRow, ledger.ColRegistry, ReasonImportLabelUnknown, unknownLabel(ledger.ColRegistry, ledger.RegistryLabels))
	}
	year, yearRow := value(ledger.ColExitYear)
	if year != "" {
		y, err := strconv.Atoi(year)
		switch {
		case err != nil || len(year) != 4 || y < 1980 || strconv.Itoa(y) > s.today[:4]:
			add(-1, yearRow, ledger.ColExitYear, ReasonImportValueInvalid, "a year of exit has 4 digits and is not in the future")
		case in.Registry != RegistryExited && in.Registry != RegistryReturned:
			add(-1, yearRow, ledger.ColExitYear, ReasonImportValueInvalid, "only 已脱贫 and 返贫 households have a 脱贫年度")
		default:
			in.ExitYear = y
		}
	} else if in.Registry == RegistryExited {
		add(-1, yearRow, ledger.ColExitYear, ReasonImportValueRequired, "an 已脱贫 household needs its 脱贫年度")
	}
	// 登记日期: a ledger moved in says since when the household is registered; the import is the reason
	// the date lies before today.
	registered, registeredRow := value(ledger.ColRegistrationDate)
	if date, ok := ledger.Date(registered); !ok || date > s.today {
		add(-1, registeredRow, ledger.ColRegistrationDate, ReasonImportValueInvalid,
			"a registration date (登记日期) is a date such as 2019-03-01, written as text, and not in the future")
	} else {
		in.RegistrationDate, in.RegistrationReason = date, s.reason
	}

	in.Members = make([]Member, len(raw.rows))
	for i, r := range raw.rows {
		m := &in.Members[i]
		m.FullName = s.cols.cell(r, ledger.ColName)
		if m.FullName == "" {
			add(i, r.Row, ledger.ColName, ReasonImportValueRequired, "a member's name is required")
		} else if utf8.RuneCountInString(m.FullName) > maxNameRunes {
			add(i, r.Row, ledger.ColName, ReasonImportValueInvalid, fmt.Sprintf("at most %d characters", maxNameRunes))
		}
		m.IDNumber = s.cols.cell(r, ledger.ColIDNumber)
		if m.IDNumber == "" {
			add(i, r.Row, ledger.ColIDNumber, ReasonImportValueRequired, "a member's 身份证号 is required")
		} else if err := pii.CheckIDNumberCell(m.IDNumber, s.cols.text(r, ledger.ColIDNumber)); err != nil {
			add(i, r.Row, ledger.ColIDNumber, ReasonIDNumberInvalid, err.Error())
		}
		rel := s.cols.cell(r, ledger.ColRelation)
		if v, ok := ledger.Relation(rel); !ok {
			add(i, r.Row, ledger.ColRelation, ReasonImportLabelUnknown, unknownLabel(ledger.ColRelation, ledger.RelationLabels))
		} else if v == 0 {
			add(i, r.Row, ledger.ColRelation, ReasonImportValueRequired, "a member's relation to the head is required")
		} else {
			m.Relation = Relation(v)
		}
		if v, ok := ledger.Ethnicity(s.cols.cell(r, ledger.ColEthnicity)); ok {
			m.Ethnicity = v
		} else {
			add(i, r.Row, ledger.ColEthnicity, ReasonImportLabelUnknown, "not a 民族 of GB/T 3304: write the name (汉族) or the 2-digit code (01)")
		}
		if v, ok := ledger.Education(s.cols.cell(r, ledger.ColEducation)); ok {
			m.Education = Education(v)
		} else {
			add(i, r.Row, ledger.ColEducation, ReasonImportLabelUnknown, unknownLabel(ledger.ColEducation, ledger.EducationLabels))
		}
		if v, ok := ledger.Health(s.cols.cell(r, ledger.ColHealth)); ok {
			m.Health = Health(v)
		} else {
			add(i, r.Row, ledger.ColHealth, ReasonImportLabelUnknown, unknownLabel(ledger.ColHealth, ledger.HealthLabels))
		}
		if v, ok := ledger.LabourAbility(s.cols.cell(r, ledger.ColLabour)); ok {
			m.LabourAbility = LabourAbility(v)
		} else {
			add(i, r.Row, ledger.ColLabour, ReasonImportLabelUnknown, unknownLabel(ledger.ColLabour, ledger.LabourLabels))
		}
	}

	h, violations := s.im.svc.newHousehold(s.c.Actor, in, region, s.now, s.reason)
	for _, v := range violations {
		if v.Member < 0 && v.Field == "members" && v.Reason == ReasonInvalidField && raw.more > 0 {
			continue // reported above with the household's real size
		}
		if v.Member < 0 {
			s.householdViolation(&out, v, in.Members, relationBad)
			continue
		}
		column := fieldColumns[v.Field]
		if bad[cellKey{v.Member, column}] {
			continue
		}
		desc := v.Description
		if v.Reason == ReasonPersonRepeated {
			desc = fmt.Sprintf("the same 身份证号 is also on row %d", raw.rows[v.Other].Row)
		}
		add(v.Member, raw.rows[v.Member].Row, column, v.Reason, desc)
	}
	if len(out.issues) > 0 {
		for i := range in.Members {
			if in.Members[i].IDIndex != "" && !bad[cellKey{i, ledger.ColIDNumber}] {
				out.good = append(out.good, i)
			}
		}
		out.members = in.Members
		sortIssues(out.issues)
		return out
	}
	out.h, out.registered = h, in.RegistrationDate
	return out
}

// householdViolation reports a household-wide violation of the shared checks at the rows it concerns.
// A head count is not reported when a relation cell was unreadable (the count would be wrong).
func (s *ledgerSession) householdViolation(out *checked, v Violation, members []Member, relationUnreadable bool) {
	raw := out.raw
	issue := LedgerIssue{Row: raw.rows[0].Row, Column: ledger.ColNumber, HouseholdNumber: raw.number,
		Outcome: LedgerRejected, Reason: v.Reason, Description: v.Description}
	if v.Reason != ReasonHeadCount {
		out.issues = append(out.issues, issue)
		return
	}
	if relationUnreadable {
		return
	}
	issue.Column = ledger.ColRelation
	var heads []int
	for i := range members {
		if members[i].Relation == RelationHead {
			heads = append(heads, i)
		}
	}
	if len(heads) == 0 {
		issue.Description = "no member is the head (户主): a household needs exactly one"
		out.issues = append(out.issues, issue)
		return
	}
	for _, i := range heads[1:] {
		issue.Row = raw.rows[i].Row
		issue.Description = fmt.Sprintf("a second head (户主); the head is on row %d: a household needs exactly one", raw.rows[heads[0]].Row)
		out.issues = append(out.issues, issue)
	}
}

func unknownLabel(column string, labels []string) string {
	return fmt.Sprintf("unknown %s: write one of %s", column, strings.Join(labels[1:], ", "))
}

func validNumber(n string) bool {
	if len(n) > maxNumberLength {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// disclose records a batch's findings that tell the caller about persons held outside their scope, then
// checks the caller's limit: past it, the import stops before the findings are sent.
func (s *ledgerSession) disclose(ctx context.Context, members []string) error {
	if len(members) == 0 {
		return nil
	}
	if s.opts.Disclosed != nil {
		if err := s.opts.Disclosed(ctx, members); err != nil {
			return err
		}
	}
	return s.im.svc.checkConflicts(ctx)
}

// write checks a batch against the register (numbers already used, persons already held) and, unless
// this is a dry run, writes the households that pass in one transaction. It returns the batch's findings
// and the member records among them held outside the caller's scope.
func (s *ledgerSession) write(ctx context.Context, batch []checked) ([]LedgerIssue, []string, error) {
	var issues []LedgerIssue
	var candidates, rejected []*checked
	var numbers []string
	for i := range batch {
		b := &batch[i]
		s.sum.Households++
		if b.h == nil {
			s.sum.Rejected++
			issues = append(issues, b.issues...)
			if len(b.good) > 0 {
				rejected = append(rejected, b)
				numbers = append(numbers, b.raw.number)
			}
			continue
		}
		candidates = append(candidates, b)
		numbers = append(numbers, b.h.Number)
	}
	// The decisions are made inside the transaction (so they hold against concurrent writers) but kept
	// apart from the session until it commits, so a retried transaction starts afresh.
	type decision struct {
		issues               []LedgerIssue
		disclosed            []string
		written              []*Household
		seen                 map[[16]byte]personSeen
		persons              int64
		already, conflicting int64
		rejected             int64
	}
	var d decision
	// Every row up to the batch's last is decided once the batch commits.
	var lastRow int64
	if n := len(batch); n > 0 {
		raw := batch[n-1].raw
		lastRow = max(raw.rows[len(raw.rows)-1].Row, raw.last)
	}
	decide := func(ctx context.Context) error {
		d = decision{seen: map[[16]byte]personSeen{}}
		existing, err := s.im.store.HouseholdsByNumber(ctx, numbers)
		if err != nil {
			return err
		}
		var fresh []*checked
		var indexes []string
		for _, b := range rejected {
			for _, i := range b.good {
				indexes = append(indexes, b.members[i].IDIndex)
			}
		}
		for _, b := range candidates {
			if e, ok := existing[b.h.Number]; ok {
				issue := compare(b, e)
				if issue.Outcome == LedgerAlreadyImported {
					d.already++
				} else {
					d.conflicting++
				}
				d.issues = append(d.issues, issue)
				continue
			}
			fresh = append(fresh, b)
			for _, m := range b.h.Members {
				indexes = append(indexes, m.IDIndex)
			}
		}
		known, err := s.im.store.PersonsByIndex(ctx, indexes)
		if err != nil {
			return err
		}
		reuse := map[string]bool{}
		for _, b := range fresh {
			var taken []LedgerIssue
			for i, m := range b.h.Members {
				if issue, ok := s.personTaken(b.raw, i, m.IDIndex, known, d.seen, nil, &d.disclosed); ok {
					taken = append(taken, issue)
				}
			}
			if len(taken) > 0 {
				d.rejected++
				d.issues = append(d.issues, taken...)
				continue
			}
			for i := range b.h.Members {
				m := &b.h.Members[i]
				d.seen[indexKey(m.IDIndex)] = personSeen{number: b.raw.number, row: b.raw.rows[i].Row}
				if p, ok := known[m.IDIndex]; ok {
					m.PersonID = p.ID
					reuse[p.ID] = true
				}
			}
			d.written = append(d.written, b.h)
			d.persons += int64(len(b.h.Members))
		}
		// A household rejected for its rows is still checked against the register and the file (every
		// household passed, in this batch too), so the next run does not find a problem this one could
		// have named. Its own registered household (the same 户编号) is not another household.
		for _, b := range rejected {
			own := map[string]bool{}
			if e := existing[b.raw.number]; e != nil {
				for _, m := range e.Members {
					own[m.IDIndex] = own[m.IDIndex] || m.Current()
				}
			}
			for _, i := range b.good {
				if issue, ok := s.personTaken(b.raw, i, b.members[i].IDIndex, known, d.seen, own, &d.disclosed); ok {
					d.issues = append(d.issues, issue)
				}
			}
		}
		if s.opts.DryRun {
			return nil
		}
		for _, h := range d.written {
			h.ID = s.im.svc.newID()
			for i := range h.Members {
				if h.Members[i].PersonID == "" {
					h.Members[i].PersonID = s.im.svc.newID()
				}
			}
		}
		create := s.im.store.CreateHouseholds
		if s.opts.Bulk {
			create = s.im.store.LoadHouseholds
		}
		if err := create(ctx, d.written, reuse); err != nil {
			return err
		}
		if s.opts.InBatch != nil {
			if err := s.opts.InBatch(ctx, s.rec.ID, len(d.written)); err != nil {
				return err
			}
		}
		if s.opts.Bulk {
			// The load's record is written once, with the load's commit (runBulk): a row the load
			// updated would hold the record's heartbeat until then.
			return nil
		}
		rec := *s.rec
		rec.Updated, rec.LastRow, rec.BytesRead = s.im.svc.now(), lastRow, s.bytesRead()
		if n := len(d.written); n > 0 {
			rec.LastNumber = d.written[n-1].Number
		}
		rec.Summary = s.sum
		rec.Summary.Imported += int64(len(d.written))
		rec.Summary.Persons += d.persons
		rec.Summary.AlreadyImported += d.already
		rec.Summary.Conflicting += d.conflicting
		rec.Summary.Rejected += d.rejected
		return s.im.store.SaveImport(ctx, &rec)
	}
	var err error
	if s.opts.DryRun {
		err = decide(ctx)
	} else {
		// A concurrent writer may take a number or a person between the lookups and the inserts on
		// PostgreSQL; the database refuses it and the batch is decided again.
		for attempt := 0; ; attempt++ {
			err = s.im.store.InTx(ctx, decide)
			// A bulk load's batches join the load's transaction, which other writers wait for: a
			// refusal there is not a race, and a failed statement has ended the transaction anyway.
			if err == nil || s.opts.Bulk || attempt == 2 || !errors.Is(err, ErrPersonTaken) && !errors.Is(err, ErrNumberTaken) {
				break
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if s.opts.DryRun {
		for k, v := range d.seen {
			s.persons[k] = v
		}
	} else {
		s.rec.LastRow = lastRow
		if n := len(d.written); n > 0 {
			s.rec.LastNumber = d.written[n-1].Number
		}
		for _, h := range d.written {
			if !s.written {
				s.region, s.written = h.RegionCode, true
			}
			s.region = commonPrefix(s.region, h.RegionCode)
		}
	}
	s.sum.Imported += int64(len(d.written))
	s.sum.Persons += d.persons
	s.sum.AlreadyImported += d.already
	s.sum.Conflicting += d.conflicting
	s.sum.Rejected += d.rejected
	issues = append(issues, d.issues...)
	sortIssues(issues)
	return issues, d.disclosed, nil
}

// personTaken reports member i of a household of the file (with blind index idx) when the person is
// already a current member of another household: of the register (known; own are the blind indexes of the
// household's own registered members) or passed earlier in the file (s.persons on a dry run, seen in the
// batch).
func (s *ledgerSession) personTaken(raw *rawHousehold, i int, idx string, known map[string]KnownPerson,
	seen map[[16]byte]personSeen, own map[string]bool, disclosed *[]string) (LedgerIssue, bool) {
	issue := LedgerIssue{Row: raw.rows[i].Row, Column: ledger.ColIDNumber, HouseholdNumber: raw.number,
		Outcome: LedgerRejected, Reason: ReasonPersonInOtherHousehold}
	key := indexKey(idx)
	other, inFile := s.persons[key]
	if !inFile {
		other, inFile = seen[key]
	}
	switch {
	case inFile:
		issue.Description = fmt.Sprintf("the person is already a member of household %s, row %d of this file", other.number, other.row)
	case known[idx].Held && !own[idx]:
		issue.Description = "the person is already a member of another household of the register"
		p := known[idx]
		if r := disclosedBy(s.c, Holder{PersonID: p.ID, HouseholdID: p.Holder, RegionCode: p.HolderRegion}); r != "" {
			*disclosed = append(*disclosed, r)
		}
	default:
		return issue, false
	}
	return issue, true
}

// columnOrder is each column's place in the layout, for sorting findings.
var columnOrder = func() map[string]int {
	m := map[string]int{}
	for i, c := range ledger.Columns {
		m[c.Name] = i + 1
	}
	return m
}()

// sortIssues orders findings by row, then by column in the layout's order.
func sortIssues(issues []LedgerIssue) {
	slices.SortStableFunc(issues, func(a, b LedgerIssue) int {
		if a.Row != b.Row {
			return cmp.Compare(a.Row, b.Row)
		}
		return cmp.Compare(columnOrder[a.Column], columnOrder[b.Column])
	})
}

// indexKey is a blind index as 16 bytes, so the sets of persons stay small.
func indexKey(idx string) [16]byte {
	var k [16]byte
	for i := 0; i < 32 && i < len(idx); i++ {
		c := idx[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		}
		k[i/2] |= c << (4 * (1 - i%2))
	}
	return k
}

// compare says whether a household of the file is the registered household e with the same number: the
// same content (village, address, registry status, year of exit and current members with their
// attributes, in order) is an earlier import of it; anything else is a conflict, reported at the first
// cell that differs.
func compare(b *checked, e *Household) LedgerIssue {
	h, raw := b.h, b.raw
	issue := LedgerIssue{Row: raw.rows[0].Row, HouseholdNumber: raw.number, Outcome: LedgerConflict,
		Reason: ReasonImportHouseholdConflict}
	differs := func(row int64, column, what string) LedgerIssue {
		issue.Row, issue.Column = row, column
		issue.Description = fmt.Sprintf("户编号 %s is registered (households/%s) with a different %s; the household was not written", raw.number, e.ID, what)
		return issue
	}
	var current []*Member
	for i := range e.Members {
		if e.Members[i].Current() {
			current = append(current, &e.Members[i])
		}
	}
	switch {
	case e.State != HouseholdActive:
		issue.Column = ledger.ColNumber
		issue.Description = fmt.Sprintf("户编号 %s belongs to an archived household (households/%s); the household was not written", raw.number, e.ID)
		return issue
	case e.RegionCode != h.RegionCode:
		return differs(issue.Row, ledger.ColRegionCode, "village")
	case e.Address != h.Address:
		return differs(issue.Row, ledger.ColAddress, "address")
	case e.Status.Registry != h.Status.Registry:
		return differs(issue.Row, ledger.ColRegistry, "registry status")
	case e.Status.ExitYear != h.Status.ExitYear:
		return differs(issue.Row, ledger.ColExitYear, "year of exit")
	case b.registered != "" && e.Registered != b.registered:
		return differs(issue.Row, ledger.ColRegistrationDate, "registration date (登记日期)")
	}
	for i := range h.Members {
		m, row := &h.Members[i], raw.rows[i].Row
		if i >= len(current) {
			return differs(row, ledger.ColIDNumber, "list of members (this member is not registered in it)")
		}
		r := current[i]
		switch {
		case r.IDIndex != m.IDIndex:
			return differs(row, ledger.ColIDNumber, "member on this row")
		case r.FullName != m.FullName:
			return differs(row, ledger.ColName, "name on this row")
		case r.Relation != m.Relation:
			return differs(row, ledger.ColRelation, "relation to the head on this row")
		case r.Ethnicity != m.Ethnicity:
			return differs(row, ledger.ColEthnicity, "民族 on this row")
		case r.Education != m.Education:
			return differs(row, ledger.ColEducation, "education on this row")
		case r.Health != m.Health:
			return differs(row, ledger.ColHealth, "health on this row")
		case r.LabourAbility != m.LabourAbility:
			return differs(row, ledger.ColLabour, "labour ability on this row")
		}
	}
	if len(current) > len(h.Members) {
		return differs(raw.rows[len(raw.rows)-1].Row, ledger.ColNumber, "list of members (the register has more)")
	}
	issue.Outcome, issue.Reason = LedgerAlreadyImported, ReasonImportAlreadyImported
	issue.Description = fmt.Sprintf("registered with the same content (households/%s): skipped", e.ID)
	return issue
}
