package pii

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseDisabilityCertificate(t *testing.T) {
	id := makeID("420621", "19750310", "231")
	x := xID(t)
	tests := []struct {
		name         string
		in           string
		wantCategory int
		wantGrade    int
		wantID       string
	}{
		{name: "physical grade 1", in: id + "41", wantCategory: CategoryPhysical, wantGrade: 1, wantID: id},
		{name: "multiple grade 4", in: id + "74", wantCategory: CategoryMultiple, wantGrade: 4, wantID: id},
		{name: "visual grade 2", in: id + "12", wantCategory: CategoryVisual, wantGrade: 2, wantID: id},
		{name: "X check character", in: x + "53", wantCategory: CategoryIntellectual, wantGrade: 3, wantID: x},
		{name: "lower-case x normalised", in: strings.ToLower(x) + "62", wantCategory: CategoryMental, wantGrade: 2, wantID: x},
		{name: "full-width category and grade", in: id + "４１", wantCategory: CategoryPhysical, wantGrade: 1, wantID: id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseDisabilityCertificate(tt.in, today)
			if err != nil {
				t.Fatalf("ParseDisabilityCertificate: %v", err)
			}
			if c.Category != tt.wantCategory || c.Grade != tt.wantGrade || c.IDNumber != tt.wantID {
				t.Errorf("got %+v", c)
			}
			if c.ID.Region != "420621" {
				t.Errorf("ID.Region = %q", c.ID.Region)
			}
			if c.Number() != fmt.Sprintf("%s%d%d", tt.wantID, tt.wantCategory, tt.wantGrade) {
				t.Errorf("Number() = %q", c.Number())
			}
		})
	}
}

func TestParseDisabilityCertificateInvalid(t *testing.T) {
	id := makeID("420621", "19750310", "231")
	tests := []struct {
		name string
		in   string
		want error
	}{
		{name: "19 characters", in: id + "4", want: ErrCertLength},
		{name: "21 characters", in: id + "412", want: ErrCertLength},
		{name: "only the 身份证号", in: id, want: ErrCertLength},
		{name: "category 0", in: id + "01", want: ErrCertCategory},
		{name: "category 8", in: id + "81", want: ErrCertCategory},
		{name: "category a letter", in: id + "A1", want: ErrCertCategory},
		{name: "20 characters, one of them Chinese", in: id + "4级", want: ErrIDCharacters},
		{name: "grade 0", in: id + "40", want: ErrCertGrade},
		{name: "grade 5", in: id + "45", want: ErrCertGrade},
		{name: "bad check character of the 身份证号", in: wrongCheck(id) + "41", want: ErrIDCheckDigit},
		{name: "impossible birth date", in: makeID("420621", "19750230", "231") + "41", want: ErrIDBirthDate},
		{name: "future birth date", in: makeID("420621", "20260101", "231") + "41", want: ErrIDFutureBirth},
		{name: "region starting with 0", in: makeID("020621", "19750310", "231") + "41", want: ErrIDRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDisabilityCertificate(tt.in, today)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			assertNoDigitsOf(t, err.Error(), tt.in)
		})
	}
}

func TestCertificateNeverPrintsTheNumber(t *testing.T) {
	id := makeID("420621", "19750310", "231")
	c, err := ParseDisabilityCertificate(id+"41", today)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("certificate", "cert", c)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), c.String(), logged.String()} {
		if strings.Contains(out, id[4:14]) {
			t.Errorf("output %q contains the number", out)
		}
	}
	if !strings.Contains(c.String(), "4206************"+id[16:]) {
		t.Errorf("String() = %q, want the masked number", c.String())
	}
}
