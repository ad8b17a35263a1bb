package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/workflow"
)

// The disability certificate register (残疾人证) of 残联. A certificate is registered from its 20-character
// number; its holder is found in the identification register and linked by person id and by the blind
// index of the embedded 身份证号. The plain number is kept sealed only, so neither the database nor a log
// ever holds it; responses show the masked copy unless the caller may read it in plain text.

// CertificateStatus is where a disability certificate (残疾人证) stands. Numbers equal
// fupin.subsidies.v1.CertificateStatus.
type CertificateStatus int32

// Certificate statuses.
const (
	CertificateStatusUnspecified CertificateStatus = iota
	CertificateValid                               // 有效
	CertificateRevoked                             // 注销
	CertificateMoved                               // 迁出: moved to another county's register
)

// CertificateStatusNames are how List filters write statuses.
var CertificateStatusNames = map[string]int32{
	"VALID": int32(CertificateValid), "REVOKED": int32(CertificateRevoked), "MOVED": int32(CertificateMoved),
}

// Certificate is one disability certificate (残疾人证), linked to its holder by the blind index of the
// 身份证号 embedded in its number, and to identification's person and household.
type Certificate struct {
	ID string
	// NumberCipher and NumberMasked hold the 20-character number (身份证号 + category + grade): sealed, and
	// masked for display. IDIndex is the blind index of the embedded 身份证号.
	NumberCipher []byte
	NumberMasked string
	IDIndex      string
	PersonID     string
	HouseholdID  string
	RegionCode   string
	// Category is 1 视力 … 7 多重; Grade 1 (most severe) … 4. Both come from the number.
	Category int
	Grade    int
	Status   CertificateStatus
	// IssueDate is when it was issued; StatusDate when the status last changed (YYYY-MM-DD).
	IssueDate  string
	StatusDate string
	Reason     string
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Name is the certificate's resource name.
func (c *Certificate) Name() string { return "certificates/" + c.ID }

// ValidOn reports whether the certificate is in force on date (YYYY-MM-DD): issued on or before it, and
// still valid or ended only after it. A certificate revoked on D is no longer valid on D.
func (c *Certificate) ValidOn(date string) bool {
	return c.IssueDate <= date && (c.Status == CertificateValid || c.StatusDate > date)
}

// Etag is the certificate's AIP-154 etag: it changes whenever the certificate does.
func (c *Certificate) Etag() string {
	sum := sha256.Sum256([]byte("certificate/" + c.ID + "/" + strconv.FormatInt(c.Version, 10)))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// CertificateReader is how the other areas (低保 supplements and 单人保, 特困 conditions) read the
// certificate register.
type CertificateReader interface {
	// ValidCertificates returns, per person id, the certificate valid on date (YYYY-MM-DD) of each of the
	// persons that has one.
	ValidCertificates(ctx context.Context, personIDs []string, date string) (map[string]*Certificate, error)
}

// Reasons of the certificate and 两项补贴 area (fupin.subsidies.v1.ErrorReason 100–149), and the
// service-wide register reasons it uses (1–2).
const (
	ReasonCertificateNumberInvalid    = "CERTIFICATE_NUMBER_INVALID"
	ReasonCertificateIDNumberInvalid  = "CERTIFICATE_ID_NUMBER_INVALID"
	ReasonCertificateCategoryInvalid  = "CERTIFICATE_CATEGORY_INVALID"
	ReasonCertificateGradeInvalid     = "CERTIFICATE_GRADE_INVALID"
	ReasonCertificateExists           = "CERTIFICATE_EXISTS"
	ReasonCertificateNotValid         = "CERTIFICATE_NOT_VALID"
	ReasonDisabilitySubsidyIneligible = "DISABILITY_SUBSIDY_INELIGIBLE"
	ReasonSubsidyAlreadyGranted       = "SUBSIDY_ALREADY_GRANTED"
	ReasonOpinionRequired             = "OPINION_REQUIRED"
	certReasonRegisterUnavailable     = "REGISTER_UNAVAILABLE"
	certReasonRegisterSubjectUnknown  = "REGISTER_SUBJECT_UNKNOWN"
)

// Violation types of the area's rules.
const (
	RuleCertificateStatus = "CERTIFICATE_STATUS"
)

// Errors of the certificate register.
var (
	ErrCertificateNotFound = apperr.NotFound("certificate")
	ErrCertificateExists   = apperr.Exists(ReasonCertificateExists, "the person already holds a valid disability certificate")
	errCertOutOfScope      = apperr.Denied(workflow.ReasonOutOfRegionScope, "the certificate's holder lives outside the caller's region scope")
	// ErrHolderRegisterUnavailable is what a HolderRegister returns when identification cannot answer.
	ErrHolderRegisterUnavailable = apperr.Unavailable(certReasonRegisterUnavailable,
		"the identification register did not answer: retry later")
)

// ErrHolderUnknown is what a HolderRegister returns when no current member of a household in the
// caller's scope has the 身份证号 (NOT_FOUND, like every register subject the caller cannot see, so it
// never confirms that a person lives elsewhere).
var ErrHolderUnknown = &apperr.Error{Kind: apperr.KindNotFound, Reason: certReasonRegisterSubjectUnknown,
	Message: "the 身份证号 in the number is not a current member of a household in the identification register within the caller's scope"}

// ParseCertificateNumber checks a 残疾人证号 with pii.ParseDisabilityCertificate and turns what is wrong
// into a BadRequest on field, with a reason per kind of problem. The description never holds the number.
func ParseCertificateNumber(number, field string, today time.Time) (pii.Certificate, error) {
	c, err := pii.ParseDisabilityCertificate(number, today)
	if err == nil {
		return c, nil
	}
	reason := ReasonCertificateIDNumberInvalid
	switch {
	case errors.Is(err, pii.ErrCertLength), errors.Is(err, pii.ErrIDCharacters):
		reason = ReasonCertificateNumberInvalid
	case errors.Is(err, pii.ErrCertCategory):
		reason = ReasonCertificateCategoryInvalid
	case errors.Is(err, pii.ErrCertGrade):
		reason = ReasonCertificateGradeInvalid
	}
	return pii.Certificate{}, apperr.Invalid(reason, field, err.Error())
}

// CertificateHolder is where the identification register has a certificate's holder.
type CertificateHolder struct {
	PersonID    string
	HouseholdID string
	RegionCode  string
}

// HolderRegister finds a certificate's holder in the identification register.
type HolderRegister interface {
	// FindHolder returns the current member whose 身份证号 is idNumber (its blind index is idIndex), as the
	// caller in ctx may see it: ErrHolderUnknown when there is none, ErrHolderRegisterUnavailable when the
	// register cannot answer.
	FindHolder(ctx context.Context, idNumber, idIndex string) (CertificateHolder, error)
}

// NumberProtector seals certificate numbers and computes blind indexes; *pii.Protector implements it.
type NumberProtector interface {
	Seal(plaintext string) ([]byte, error)
	Open(sealed []byte) (string, error)
	BlindIndex(idNumber string) string
}

// CertificateQuery selects a page of certificates.
type CertificateQuery struct {
	// Scope is the caller's region prefix.
	Scope string
	// Filter is an AIP-160 expression over status, category, grade, region_code, household and person_id.
	Filter string
	// After is the last id of the previous page.
	After string
	Limit int
}

// CertificateStore keeps certificates; *store.Store implements it.
type CertificateStore interface {
	CertificateReader
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreateCertificate inserts c; ErrCertificateExists when the person already holds a valid one.
	CreateCertificate(ctx context.Context, c *Certificate) error
	// GetCertificate returns one certificate or ErrCertificateNotFound.
	GetCertificate(ctx context.Context, id string) (*Certificate, error)
	// UpdateCertificate changes a certificate with fn inside a transaction, locking it, and saves it with
	// its version raised by one.
	UpdateCertificate(ctx context.Context, id string, fn func(c *Certificate) error) (*Certificate, error)
	// ListCertificates returns a page in id order and the id to continue after ("" on the last page).
	ListCertificates(ctx context.Context, q CertificateQuery) ([]*Certificate, string, error)
}

// HolderSubsidies stops what a holder is paid because of a certificate when the certificate ends;
// *DisabilitySubsidies implements it.
type HolderSubsidies interface {
	// StopHolderSubsidies ends the person's 两项补贴 entitlements with lastMonth as the last month paid.
	StopHolderSubsidies(ctx context.Context, personID, lastMonth, reason string) error
}

// Certificates are the certificate register's use cases.
type Certificates struct {
	store     CertificateStore
	register  HolderRegister
	protector NumberProtector
	subsidies HolderSubsidies
	newID     func() string
	now       func() time.Time
}

// NewCertificates returns the certificate use cases. subsidies is told when a certificate ends, in the
// same transaction.
func NewCertificates(store CertificateStore, register HolderRegister, protector NumberProtector,
	subsidies HolderSubsidies, newID func() string, now func() time.Time) *Certificates {
	return &Certificates{store: store, register: register, protector: protector, subsidies: subsidies, newID: newID, now: now}
}

// NewCertificate is what RegisterCertificate receives.
type NewCertificate struct {
	// Number is the 20-character 残疾人证号 as typed.
	Number string
	// IssueDate is the date it was issued (YYYY-MM-DD).
	IssueDate string
}

// RegisterCertificate checks a certificate's number and issue date, finds its holder in the register
// and records it. A person holds at most one valid certificate.
func (cs *Certificates) RegisterCertificate(ctx context.Context, by workflow.Caller, in NewCertificate) (*Certificate, error) {
	now := cs.now()
	today := bizdate.Today(now)
	num, numErr := ParseCertificateNumber(in.Number, "number", now)
	var bad []apperr.FieldViolation
	if e, ok := apperr.As(numErr); ok {
		bad = append(bad, e.Fields...)
	} else if numErr != nil {
		return nil, numErr
	}
	if _, err := bizdate.Parse(in.IssueDate); err != nil {
		bad = append(bad, apperr.FieldViolation{Field: "issue_date", Reason: workflow.ReasonInvalidField, Description: err.Error()})
	} else if in.IssueDate > today {
		bad = append(bad, apperr.FieldViolation{Field: "issue_date", Reason: workflow.ReasonInvalidField,
			Description: "is after today (" + today + ")"})
	} else if numErr == nil && in.IssueDate < bizdate.Today(num.ID.Birth) {
		bad = append(bad, apperr.FieldViolation{Field: "issue_date", Reason: workflow.ReasonInvalidField,
			Description: "is before the holder's birth date"})
	}
	if len(bad) > 0 {
		return nil, apperr.InvalidFields(bad...)
	}
	index := cs.protector.BlindIndex(num.IDNumber)
	holder, err := cs.register.FindHolder(ctx, num.IDNumber, index)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(holder.RegionCode, by.Scope) {
		return nil, ErrHolderUnknown
	}
	sealed, err := cs.protector.Seal(num.Number())
	if err != nil {
		return nil, fmt.Errorf("seal certificate number: %w", err)
	}
	c := &Certificate{ID: cs.newID(), NumberCipher: sealed, NumberMasked: num.String(), IDIndex: index,
		PersonID: holder.PersonID, HouseholdID: holder.HouseholdID, RegionCode: holder.RegionCode,
		Category: num.Category, Grade: num.Grade, Status: CertificateValid, IssueDate: in.IssueDate,
		StatusDate: in.IssueDate, Version: 1, CreateTime: now, UpdateTime: now}
	err = cs.store.InTx(ctx, func(ctx context.Context) error {
		held, err := cs.store.ValidCertificates(ctx, []string{holder.PersonID}, "9999-12-31")
		if err != nil {
			return err
		}
		if len(held) > 0 {
			return ErrCertificateExists
		}
		return cs.store.CreateCertificate(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// GetCertificate returns a certificate in the caller's scope.
func (cs *Certificates) GetCertificate(ctx context.Context, by workflow.Caller, id string) (*Certificate, error) {
	c, err := cs.store.GetCertificate(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(c.RegionCode, by.Scope) {
		return nil, errCertOutOfScope
	}
	return c, nil
}

// ListCertificates lists a page of certificates in the caller's scope.
func (cs *Certificates) ListCertificates(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*Certificate, string, error) {
	return cs.store.ListCertificates(ctx, CertificateQuery{Scope: by.Scope, Filter: filter, After: after, Limit: limit})
}

// Reveal opens a certificate's sealed number, for callers allowed to read it in plain text.
func (cs *Certificates) Reveal(c *Certificate) (string, error) {
	n, err := cs.protector.Open(c.NumberCipher)
	if err != nil {
		return "", fmt.Errorf("open certificate %s: %w", c.ID, err)
	}
	return n, nil
}

// CertificateEnd is a revocation (注销) or a move (迁出).
type CertificateEnd struct {
	// Date is when it takes effect (YYYY-MM-DD): not in the future, not before the issue date.
	Date   string
	Reason string
	// Etag, when set, must match the certificate's.
	Etag string
}

// RevokeCertificate cancels a valid certificate (注销); the holder's 两项补贴 stop after the month of
// the revocation, in the same transaction.
func (cs *Certificates) RevokeCertificate(ctx context.Context, by workflow.Caller, id string, end CertificateEnd) (*Certificate, error) {
	return cs.end(ctx, by, id, CertificateRevoked, end, "残疾人证注销")
}

// MoveCertificate records that a valid certificate moved to another county (迁出); the holder's 两项补贴
// stop as for a revocation.
func (cs *Certificates) MoveCertificate(ctx context.Context, by workflow.Caller, id string, end CertificateEnd) (*Certificate, error) {
	return cs.end(ctx, by, id, CertificateMoved, end, "残疾人证迁出")
}

func (cs *Certificates) end(ctx context.Context, by workflow.Caller, id string, to CertificateStatus, end CertificateEnd, what string) (*Certificate, error) {
	now := cs.now()
	today := bizdate.Today(now)
	if _, err := bizdate.Parse(end.Date); err != nil {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "effective_date", err.Error())
	}
	if end.Date > today {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "effective_date", "is after today ("+today+")")
	}
	if strings.TrimSpace(end.Reason) == "" {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "reason", "say why")
	}
	var out *Certificate
	err := cs.store.InTx(ctx, func(ctx context.Context) error {
		c, err := cs.store.UpdateCertificate(ctx, id, func(c *Certificate) error {
			if !strings.HasPrefix(c.RegionCode, by.Scope) {
				return errCertOutOfScope
			}
			if end.Etag != "" && end.Etag != c.Etag() {
				return apperr.StaleEtag
			}
			if c.Status != CertificateValid {
				return apperr.Refused(ReasonCertificateNotValid, apperr.Violation{Type: RuleCertificateStatus, Subject: c.Name(),
					Description: fmt.Sprintf("the certificate is %s since %s: only a valid certificate can be revoked or moved",
						certificateStatusName(c.Status), c.StatusDate)})
			}
			if end.Date < c.IssueDate {
				return apperr.Invalid(workflow.ReasonInvalidField, "effective_date", "is before the issue date ("+c.IssueDate+")")
			}
			c.Status, c.StatusDate, c.Reason, c.UpdateTime = to, end.Date, strings.TrimSpace(end.Reason), now
			return nil
		})
		if err != nil {
			return err
		}
		out = c
		return cs.subsidies.StopHolderSubsidies(ctx, c.PersonID, MonthOf(end.Date), what+": "+c.Reason)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func certificateStatusName(s CertificateStatus) string {
	switch s {
	case CertificateValid:
		return "valid (有效)"
	case CertificateRevoked:
		return "revoked (注销)"
	case CertificateMoved:
		return "moved (迁出)"
	}
	return "unspecified"
}
