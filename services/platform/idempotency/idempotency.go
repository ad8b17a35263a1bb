// Package idempotency remembers the result of every mutating call that carried a request_id, so a retry
// returns the first result instead of acting twice. Records are written in the same transaction as the
// change they describe, and kept at least Retention. Each record keeps the whole identity of the caller
// who made the first call, so a retry is answered only to that same identity.
package idempotency

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/sqldb"
)

// Retention is how long a request_id is remembered.
const Retention = 7 * 24 * time.Hour

// Key scopes a request_id to the caller and the method. Caller is the actor (auth.Caller.Actor: the
// subject, or the service's subject and the person's it acts for): the same subject retrying with another
// token finds the record and is then held to its Identity.
type Key struct {
	Caller    string
	Method    string
	RequestID string
}

// Record is the stored outcome of a call.
type Record struct {
	RequestHash []byte
	Response    []byte
	// Identity is the first caller's whole identity (Identity); "" for records kept before it was stored,
	// which match no caller.
	Identity string
}

// Identity is the canonical form of everything that decides what a caller may do and see: subject,
// department, role, region scope and stated purpose, and the same of the person a service acts for. Two
// callers with the same subject but another role, region or purpose (a second token of one official, a
// call without the purpose header) have different identities. Readable on purpose, for whoever inspects
// the table.
func Identity(c *auth.Caller) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	writeIdentity(&b, c)
	if c.OnBehalfOf != nil {
		b.WriteString(" for ")
		writeIdentity(&b, c.OnBehalfOf)
	}
	return b.String()
}

func writeIdentity(b *strings.Builder, c *auth.Caller) {
	b.WriteString("sub=" + c.Subject + " dept=" + auth.DepartmentCode(c.Department) + " role=" + auth.RoleCode(c.Role) +
		" region=" + c.Region)
	if c.Purpose != commonv1.Purpose_PURPOSE_UNSPECIFIED {
		b.WriteString(" purpose=" + auth.PurposeCode(c.Purpose))
	}
}

// Lookup returns the record for key, if one exists.
func Lookup(ctx context.Context, db *sqldb.DB, k Key) (Record, bool, error) {
	var r Record
	err := db.Q(ctx).QueryRowContext(ctx, `SELECT request_hash, response, identity FROM fupin_idempotency
		WHERE caller = $1 AND method = $2 AND request_id = $3`, k.Caller, k.Method, k.RequestID).Scan(&r.RequestHash, &r.Response, &r.Identity)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	return r, err == nil, err
}

// Save stores the outcome; it fails with a unique violation when a concurrent call with the same key
// committed first.
func Save(ctx context.Context, db *sqldb.DB, k Key, r Record, now time.Time) error {
	_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_idempotency (caller, method, request_id, request_hash, response, identity, created_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.Caller, k.Method, k.RequestID, r.RequestHash, r.Response, r.Identity, now.UnixMicro())
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
