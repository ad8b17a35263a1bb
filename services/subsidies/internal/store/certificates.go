package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
)

var (
	_ domain.CertificateStore       = (*Store)(nil)
	_ domain.DisabilitySubsidyStore = (*Store)(nil)
)

const certificateCols = `id, number_cipher, number_masked, id_index, person_id, household_id, region_code, category,
	grade, status, issue_date, status_date, reason, version, created_us, updated_us`

func scanCertificate(r interface{ Scan(dest ...any) error }) (*domain.Certificate, error) {
	var c domain.Certificate
	var created, updated int64
	err := r.Scan(&c.ID, &c.NumberCipher, &c.NumberMasked, &c.IDIndex, &c.PersonID, &c.HouseholdID, &c.RegionCode,
		&c.Category, &c.Grade, &c.Status, &c.IssueDate, &c.StatusDate, &c.Reason, &c.Version, &created, &updated)
	c.CreateTime, c.UpdateTime = time.UnixMicro(created), time.UnixMicro(updated)
	return &c, err
}

func scanCertificateRows(r *sql.Rows) (*domain.Certificate, error) { return scanCertificate(r) }

// CreateCertificate inserts c and publishes certificate.valid in one transaction; a second valid
// certificate of the same person is refused by the database's partial unique index.
func (s *Store) CreateCertificate(ctx context.Context, c *domain.Certificate) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, `INSERT INTO certificates (`+certificateCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			c.ID, c.NumberCipher, c.NumberMasked, c.IDIndex, c.PersonID, c.HouseholdID, c.RegionCode, c.Category, c.Grade,
			int32(c.Status), c.IssueDate, c.StatusDate, c.Reason, c.Version, c.CreateTime.UnixMicro(), c.UpdateTime.UnixMicro())
		if sqldb.IsUniqueViolation(err) {
			return domain.ErrCertificateExists
		}
		if err != nil {
			return fmt.Errorf("create certificate: %w", err)
		}
		return s.publishCertificate(ctx, nil, c)
	})
}

// GetCertificate returns one certificate.
func (s *Store) GetCertificate(ctx context.Context, id string) (*domain.Certificate, error) {
	c, err := scanCertificate(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+certificateCols+` FROM certificates WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrCertificateNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get certificate %s: %w", id, err)
	}
	return c, nil
}

// UpdateCertificate changes a certificate with fn in a transaction (locking the row on PostgreSQL; SQLite
// has one writer) and saves it with its version raised by one; a concurrent change in between is
// refused as a stale etag.
func (s *Store) UpdateCertificate(ctx context.Context, id string, fn func(c *domain.Certificate) error) (*domain.Certificate, error) {
	var out *domain.Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.LockRow(ctx, "certificates", "id", id); err != nil {
			return err
		}
		c, err := s.GetCertificate(ctx, id)
		if err != nil {
			return err
		}
		version, before := c.Version, *c
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.Version = id, version+1
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE certificates SET household_id = $3, region_code = $4, status = $5,
			status_date = $6, reason = $7, version = $8, updated_us = $9 WHERE id = $1 AND version = $2`,
			id, version, c.HouseholdID, c.RegionCode, int32(c.Status), c.StatusDate, c.Reason, c.Version, c.UpdateTime.UnixMicro())
		if sqldb.IsUniqueViolation(err) {
			return domain.ErrCertificateExists
		}
		if err != nil {
			return fmt.Errorf("update certificate %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		out = c
		return s.publishCertificate(ctx, &before, c)
	})
	return out, err
}

var certRegionDigits = regexp.MustCompile(`^[0-9]{1,12}$`)

// certificateFilter declares what ListCertificates filters on.
var certificateFilter = filter.Fields{
	"status":      {Column: "status", Type: filter.Enum, Values: domain.CertificateStatusNames},
	"category":    {Column: "category", Type: filter.Int},
	"grade":       {Column: "grade", Type: filter.Int},
	"region_code": {Column: "region_code", Type: filter.String, Pattern: certRegionDigits.MatchString},
	"household":   {Column: "household_id", Type: filter.String},
	"person_id":   {Column: "person_id", Type: filter.String},
}

// ListCertificates returns a page of the certificates under q.Scope in id order.
func (s *Store) ListCertificates(ctx context.Context, q domain.CertificateQuery) ([]*domain.Certificate, string, error) {
	return certificatePage.List(ctx, s.db, q.Scope, q.After, q.Filter, q.Limit, nil)
}

var certificatePage = sqldb.ScopedPage[*domain.Certificate]{Table: "certificates", Columns: certificateCols,
	Fields: certificateFilter, Scan: scanCertificateRows, ID: func(c *domain.Certificate) string { return c.ID }}

// certValidChunk bounds the persons asked for in one statement (PostgreSQL takes at most 65,535 parameters,
// SQLite 32,766).
const certValidChunk = 500

// ValidCertificates returns, per person, the certificate valid on date: issued on or before it and
// still valid, or ended after it. Should a person have had two (a re-issue), the later issued wins.
func (s *Store) ValidCertificates(ctx context.Context, personIDs []string, date string) (map[string]*domain.Certificate, error) {
	out := make(map[string]*domain.Certificate)
	for start := 0; start < len(personIDs); start += certValidChunk {
		chunk := personIDs[start:min(start+certValidChunk, len(personIDs))]
		args := []any{date}
		for _, p := range chunk {
			args = append(args, p)
		}
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+certificateCols+` FROM certificates
			WHERE person_id IN (`+sqldb.Placeholders(2, len(chunk))+`) AND issue_date <= $1
			AND (status = 1 OR status_date > $1) ORDER BY person_id, issue_date, created_us`, args...)
		cs, err := sqldb.Collect(rows, err, scanCertificateRows)
		if err != nil {
			return nil, fmt.Errorf("valid certificates: %w", err)
		}
		for _, c := range cs {
			out[c.PersonID] = c
		}
	}
	return out, nil
}
