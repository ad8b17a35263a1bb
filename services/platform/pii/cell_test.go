package pii_test

import (
	"errors"
	"testing"

	"fupin.dev/services/platform/pii"
)

func TestCheckIDNumberCell(t *testing.T) {
	tests := []struct {
		name   string
		cell   string
		text   bool
		stored bool // refused as stored as a number
	}{
		{"text, 18 characters", "99000919650814800X", true, false},
		{"text, 18 digits", "990009196508148000", true, false},
		{"a number of 18 digits", "990009196508148000", false, true},
		{"a number of 15 digits", "990009650814800", false, true},
		{"a number in E-notation", "9.9000919650814803E+17", false, true},
		{"text in E-notation (a CSV saved from a number column)", "9.90009E+17", true, true},
		{"text in E-notation, lower case", "9.90009e+17", true, true},
		{"an empty cell stored as text", "", true, false},
		{"text that is not a number at all", "E+", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pii.CheckIDNumberCell(tt.cell, tt.text)
			if got := errors.Is(err, pii.ErrIDStoredAsNumber); got != tt.stored {
				t.Errorf("CheckIDNumberCell(%q, %v) = %v", tt.cell, tt.text, err)
			}
		})
	}
}
