package domain

import (
	"context"
	"time"
)

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

// CertificateReader is how the other areas (低保 supplements and 单人保, 特困 conditions) read the
// certificate register.
type CertificateReader interface {
	// ValidCertificates returns, per person id, the certificate valid on date (YYYY-MM-DD) of each of the
	// persons that has one.
	ValidCertificates(ctx context.Context, personIDs []string, date string) (map[string]*Certificate, error)
}
