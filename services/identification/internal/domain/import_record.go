package domain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fupin.dev/services/platform/apperr"
)

// ErrImportNotFound: no import record with this id.
var ErrImportNotFound = apperr.NotFound("import")

// A running import reports that it is alive every ImportHeartbeat (and with every batch); a running record
// that has not reported for ImportStaleAfter belongs to a process that died (crashed, killed) and reads as
// interrupted. Several replicas may import at once, so a starting replica marks only such stale records:
// never another replica's live import.
const (
	ImportHeartbeat  = 30 * time.Second
	ImportStaleAfter = 4 * ImportHeartbeat
)

// Messages of interrupted imports: what happened, and that a rerun resumes.
const (
	msgStreamEnded = "the stream ended before the import did (the client went away, the connection was lost or the service stopped); " +
		"what was written stays: import the same file again to resume"
	msgNoSignOfLife = "the import stopped reporting (the service stopped or crashed); what was written stays: import the same file again to resume"
)

// LedgerImportRecords is what the import records need from the store.
type LedgerImportRecords interface {
	// SaveImport inserts or updates an import record.
	SaveImport(ctx context.Context, rec *LedgerImport) error
	// TouchImport sets the Updated time of a running import.
	TouchImport(ctx context.Context, id string, at time.Time) error
	// LedgerImport returns an import record, or ErrImportNotFound.
	LedgerImport(ctx context.Context, id string) (*LedgerImport, error)
	// ListLedgerImports returns up to limit records with ids before before ("": from the newest), newest
	// first (ids sort by creation time).
	ListLedgerImports(ctx context.Context, before string, limit int) ([]*LedgerImport, error)
	// LedgerImportsByRequest returns the records of uploads with this request id, newest first.
	LedgerImportsByRequest(ctx context.Context, requestID string) ([]*LedgerImport, error)
	// InterruptImports marks the running records not updated since staleBefore as interrupted, finished at
	// their last update, with message; it returns how many it marked.
	InterruptImports(ctx context.Context, staleBefore time.Time, message string) (int, error)
}

// finish records how an import ended: done, failed (with the refusal's text) or interrupted (the stream
// ended first). It is written even when the request's context has ended.
func (s *ledgerSession) finish(ctx context.Context, err error) error {
	rec := s.rec
	rec.State, rec.Finished, rec.Summary, rec.Message = LedgerImportDone, s.im.svc.now(), s.sum, ""
	rec.BytesRead = s.bytesRead()
	rec.Updated = rec.Finished
	switch e, refused := apperr.As(err); {
	case err == nil:
		rec.Summary.Done = true
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		rec.State, rec.Message = LedgerImportInterrupted, msgStreamEnded
	case refused:
		rec.State, rec.Message = LedgerImportFailed, e.Message
		if len(e.Fields) > 0 {
			rec.Message = e.Fields[0].Description
		}
	default:
		rec.State, rec.Message = LedgerImportFailed, "an internal error stopped the import (the service's log has the cause)"
	}
	fctx := context.WithoutCancel(ctx)
	serr := s.im.store.InTx(fctx, func(ctx context.Context) error { return s.im.store.SaveImport(ctx, rec) })
	if err == nil {
		err = serr
	}
	return err
}

// heartbeat reports that import id is alive every ImportHeartbeat until the returned stop is called, so a
// slow client (a stream that waits for rows) is not taken for a dead import.
func (im *LedgerImporter) heartbeat(ctx context.Context, id string) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ImportHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failed report is retried at the next tick; the record's batches keep it current too.
				_ = im.store.TouchImport(ctx, id, im.svc.now())
			}
		}
	}()
	return func() { cancel(); <-done }
}

// InterruptStale marks running import records that stopped reporting as interrupted: the service runs it
// on start, for the imports a crash left running.
func (im *LedgerImporter) InterruptStale(ctx context.Context) (int, error) {
	n, err := im.store.InterruptImports(ctx, im.svc.now().Add(-ImportStaleAfter), msgNoSignOfLife)
	if err != nil {
		return 0, fmt.Errorf("interrupt stale imports: %w", err)
	}
	return n, nil
}

// GetImport returns an import record. Every record of the county is visible to whoever may read imports:
// a record holds counts and a file name, no personal data.
func (im *LedgerImporter) GetImport(ctx context.Context, id string) (*LedgerImport, error) {
	rec, err := im.store.LedgerImport(ctx, id)
	if err != nil {
		return nil, err
	}
	im.asOfNow(rec)
	return rec, nil
}

// ListImports returns up to limit import records, newest first, before the id before ("": the newest),
// and the cursor of the next page ("" on the last).
func (im *LedgerImporter) ListImports(ctx context.Context, before string, limit int) ([]*LedgerImport, string, error) {
	recs, err := im.store.ListLedgerImports(ctx, before, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		next = recs[limit-1].ID
	}
	for _, r := range recs {
		im.asOfNow(r)
	}
	return recs, next, nil
}

// ImportsByRequest returns the records of the uploads with this request id (UploadLedger), newest first:
// a client that started an upload finds its record, and its progress, by the id it chose.
func (im *LedgerImporter) ImportsByRequest(ctx context.Context, requestID string) ([]*LedgerImport, error) {
	recs, err := im.store.LedgerImportsByRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		im.asOfNow(r)
	}
	return recs, nil
}

// bytesRead is how much of an uploaded file the reader has taken (0 when the rows do not come from a file).
func (s *ledgerSession) bytesRead() int64 {
	if s.opts.BytesRead == nil {
		return 0
	}
	return s.opts.BytesRead()
}

// asOfNow reads a running record that stopped reporting as interrupted, whether or not a restart has
// marked it yet (like a 渐退期 that has run out, it is worked out from the clock on every read).
func (im *LedgerImporter) asOfNow(rec *LedgerImport) {
	if rec.State == LedgerImportRunning && rec.Updated.Before(im.svc.now().Add(-ImportStaleAfter)) {
		rec.State, rec.Message = LedgerImportInterrupted, msgNoSignOfLife
	}
}
