package pii

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of [ParseDisabilityCertificate]; an invalid 身份证号 part is reported with the ErrID… errors of
// [ParseIDNumber]. Like those, they are wrapped with a detail and never contain the number.
var (
	ErrCertLength   = errors.New("残疾人证号 must have 20 characters")
	ErrCertCategory = errors.New("残疾人证号 has an invalid disability category (must be 1-7)")
	ErrCertGrade    = errors.New("残疾人证号 has an invalid disability grade (must be 1-4)")
)

// CertificateLength is the length of a 残疾人证号.
const CertificateLength = 20

// Disability categories (残疾类别), the 19th character of a 残疾人证号.
const (
	CategoryVisual       = 1 // 视力
	CategoryHearing      = 2 // 听力
	CategorySpeech       = 3 // 言语
	CategoryPhysical     = 4 // 肢体
	CategoryIntellectual = 5 // 智力
	CategoryMental       = 6 // 精神
	CategoryMultiple     = 7 // 多重
)

// Certificate is what a valid 残疾人证号 says.
type Certificate struct {
	// IDNumber is the holder's normalised 身份证号 (the first 18 characters).
	IDNumber string
	// ID is what the 身份证号 says.
	ID IDNumber
	// Category is the disability category, 1-7 (see the Category constants).
	Category int
	// Grade is the disability grade, 1-4; 1 is the most severe.
	Grade int
}

// ParseDisabilityCertificate checks a 残疾人证号: an 18-character 身份证号 (checked as by [ParseIDNumber],
// whose errors it returns) followed by the category digit 1-7 and the grade digit 1-4. It is normalised
// like a 身份证号 first (white space, full-width characters, lower-case x).
func ParseDisabilityCertificate(s string, today time.Time) (Certificate, error) {
	s = toASCIIDigits(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n != CertificateLength {
		return Certificate{}, fmt.Errorf("%w: got %d", ErrCertLength, n)
	}
	if len(s) != CertificateLength {
		return Certificate{}, fmt.Errorf("%w: it contains characters other than digits and X", ErrIDCharacters)
	}
	idNumber := NormalizeIDNumber(s[:IDNumberLength])
	id, err := ParseIDNumber(idNumber, today)
	if err != nil {
		return Certificate{}, fmt.Errorf("残疾人证号 characters 1-18: %w", err)
	}
	category, grade := s[18], s[19]
	if category < '1' || category > '7' {
		return Certificate{}, fmt.Errorf("%w: character 19", ErrCertCategory)
	}
	if grade < '1' || grade > '4' {
		return Certificate{}, fmt.Errorf("%w: character 20", ErrCertGrade)
	}
	return Certificate{IDNumber: idNumber, ID: id, Category: int(category - '0'), Grade: int(grade - '0')}, nil
}

// Number returns the certificate number in its canonical form.
func (c Certificate) Number() string {
	return fmt.Sprintf("%s%d%d", c.IDNumber, c.Category, c.Grade)
}

// String returns the certificate with the 身份证号 masked, so that printing a Certificate never leaks it.
func (c Certificate) String() string {
	return fmt.Sprintf("%s%d%d", MaskIDNumber(c.IDNumber), c.Category, c.Grade)
}

// LogValue makes log/slog print the certificate masked.
func (c Certificate) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id_number", MaskIDNumber(c.IDNumber)),
		slog.Int("category", c.Category),
		slog.Int("grade", c.Grade),
	)
}
