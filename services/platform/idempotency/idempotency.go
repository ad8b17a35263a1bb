// Package idempotency remembers the result of every mutating call that carried a request_id, so a retry
// returns the first result instead of acting twice. Records are written in the same transaction as the
// change they describe, and kept at least Retention.
package idempotency

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fupin.dev/services/platform/sqldb"
)

// Retention is how long a request_id is remembered.
const Retention = 7 * 24 * time.Hour

// Key scopes a request_id to the caller and the method.
type Key struct {
	Caller    string
	Method    string
	RequestID string
}

// Record is the stored outcome of a call.
type Record struct {
	RequestHash []byte
	Response    []byte
}

// Lookup returns the record for key, if one exists.
func Lookup(ctx context.Context, db *sqldb.DB, k Key) (Record, bool, error) {
	var r Record
	err := db.Q(ctx).QueryRowContext(ctx, `SELECT request_hash, response FROM fupin_idempotency
		WHERE caller = $1 AND method = $2 AND request_id = $3`, k.Caller, k.Method, k.RequestID).Scan(&r.RequestHash, &r.Response)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	return r, err == nil, err
}

// Save stores the outcome; it fails with a unique violation when a concurrent call with the same key
// committed first.
func Save(ctx context.Context, db *sqldb.DB, k Key, r Record, now time.Time) error {
	_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_idempotency (caller, method, request_id, request_hash, response, created_us)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.Caller, k.Method, k.RequestID, r.RequestHash, r.Response, now.UnixMicro())
	return err
}

// Expire deletes records older than Retention.
func Expire(ctx context.Context, db *sqldb.DB, now time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		res, err := db.Q(ctx).ExecContext(ctx, `DELETE FROM fupin_idempotency WHERE created_us < $1`, now.Add(-Retention).UnixMicro())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
