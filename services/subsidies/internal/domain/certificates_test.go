package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/subsidies/internal/domain"
)

// certIDNumber makes a valid 身份证号 of the demo county for a birth date (YYYYMMDD) and a sequence.
func certIDNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq%1000)
	return first17 + string(pii.IDCheckChar(first17))
}

// certIDNumberEndingX finds a valid 身份证号 whose check character is X.
func certIDNumberEndingX(t *testing.T) string {
	for seq := 0; seq < 1000; seq++ {
		if n := certIDNumber("19800101", seq); n[17] == 'X' {
			return n
		}
	}
	t.Fatal("no sequence gives the check character X")
	return ""
}

func TestParseCertificateNumber(t *testing.T) {
	today := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	id := certIDNumber("19800101", 12)
	withX := certIDNumberEndingX(t)
	badCheck := id[:17] + string("0123456789"[(int(id[17]-'0')+1)%10])
	if id[17] == 'X' {
		badCheck = id[:17] + "0"
	}
	tests := []struct {
		name     string
		number   string
		reason   string // "" when valid
		category int
		grade    int
	}{
		{"physical grade 1", id + "41", "", 4, 1},
		{"visual grade 4, the boundaries of both digits", id + "14", "", 1, 4},
		{"multiple grade 1", id + "71", "", 7, 1},
		{"lower-case x check character", strings.ToLower(withX) + "52", "", 5, 2},
		{"full-width digits and spaces", " " + strings.Map(func(r rune) rune { return r - '0' + '０' }, id) + "６２ ", "", 6, 2},
		{"category 0", id + "01", domain.ReasonCertificateCategoryInvalid, 0, 0},
		{"category 8", id + "81", domain.ReasonCertificateCategoryInvalid, 0, 0},
		{"grade 0", id + "40", domain.ReasonCertificateGradeInvalid, 0, 0},
		{"grade 5", id + "45", domain.ReasonCertificateGradeInvalid, 0, 0},
		{"bad check digit", badCheck + "41", domain.ReasonCertificateIDNumberInvalid, 0, 0},
		{"birth date in the future", certIDNumber("20260311", 1) + "41", domain.ReasonCertificateIDNumberInvalid, 0, 0},
		{"impossible birth date", certIDNumber("19800230", 1) + "41", domain.ReasonCertificateIDNumberInvalid, 0, 0},
		{"19 characters", id + "4", domain.ReasonCertificateNumberInvalid, 0, 0},
		{"21 characters", id + "412", domain.ReasonCertificateNumberInvalid, 0, 0},
		{"the 身份证号 alone", id, domain.ReasonCertificateNumberInvalid, 0, 0},
		{"a letter in the id part", "A" + id[1:] + "41", domain.ReasonCertificateNumberInvalid, 0, 0},
		{"empty", "", domain.ReasonCertificateNumberInvalid, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := domain.ParseCertificateNumber(tt.number, "number", today)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Category != tt.category || c.Grade != tt.grade || len(c.Number()) != 20 || c.Number()[17] == 'x' {
					t.Fatalf("got %v (number length %d)", c, len(c.Number()))
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || e.Reason != tt.reason || len(e.Fields) != 1 || e.Fields[0].Field != "number" {
				t.Fatalf("got %v, want %s on field number", err, tt.reason)
			}
			if len(tt.number) >= 18 && strings.Contains(e.Error(), strings.TrimSpace(tt.number)[:18]) {
				t.Errorf("the refusal shows the number: %v", e)
			}
		})
	}
}

func TestCertificateValidOn(t *testing.T) {
	valid := &domain.Certificate{Status: domain.CertificateValid, IssueDate: "2025-03-01", StatusDate: "2025-03-01"}
	revoked := &domain.Certificate{Status: domain.CertificateRevoked, IssueDate: "2025-03-01", StatusDate: "2026-02-10"}
	moved := &domain.Certificate{Status: domain.CertificateMoved, IssueDate: "2025-03-01", StatusDate: "2026-02-10"}
	tests := []struct {
		name string
		c    *domain.Certificate
		date string
		want bool
	}{
		{"the day before issue", valid, "2025-02-28", false},
		{"the issue date", valid, "2025-03-01", true},
		{"long after", valid, "2030-01-01", true},
		{"revoked: the day before the revocation", revoked, "2026-02-09", true},
		{"revoked: the revocation date", revoked, "2026-02-10", false},
		{"revoked: after", revoked, "2026-03-01", false},
		{"moved: the day before the move", moved, "2026-02-09", true},
		{"moved: the move date", moved, "2026-02-10", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.ValidOn(tt.date); got != tt.want {
				t.Errorf("ValidOn(%s) = %v, want %v", tt.date, got, tt.want)
			}
		})
	}
}

func TestCertificateEtagChangesWithVersion(t *testing.T) {
	a := &domain.Certificate{ID: "c1", Version: 1}
	b := &domain.Certificate{ID: "c1", Version: 2}
	if a.Etag() == b.Etag() || a.Etag() != (&domain.Certificate{ID: "c1", Version: 1}).Etag() {
		t.Errorf("etags %s %s", a.Etag(), b.Etag())
	}
}
