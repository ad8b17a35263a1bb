package pii

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "a Han name", in: "王大山", want: "王大山"},
		{name: "a compound surname", in: "欧阳娜娜", want: "欧阳娜娜"},
		{name: "a Uyghur name with the middle dot", in: "阿依古丽·买买提", want: "阿依古丽·买买提"},
		{name: "the katakana middle dot", in: "阿依古丽・买买提", want: "阿依古丽・买买提"},
		{name: "a latin name with hyphen and apostrophe", in: "Anna-Lena O'Brien", want: "Anna-Lena O'Brien"},
		{name: "surrounding spaces trimmed, ideographic space too", in: "\u3000 李秀英 ", want: "李秀英"},
		{name: "a decomposed accent composed (NFC)", in: "Rene\u0301e", want: "Ren\u00e9e"},
		{name: "one character", in: "王", want: "王"},
		{name: "exactly 50 characters", in: strings.Repeat("王", 50), want: strings.Repeat("王", 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("NormalizeName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalizeNameRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{name: "right-to-left override", in: "王\u202e大山", want: ErrNameControl},
		{name: "a lone zero-width space", in: "\u200b", want: ErrNameControl},
		{name: "a zero-width joiner inside", in: "王\u200d大山", want: ErrNameControl},
		{name: "a byte order mark", in: "\ufeff王大山", want: ErrNameControl},
		{name: "a line break and a bell", in: "王\n\x07大山", want: ErrNameControl},
		{name: "a tab inside", in: "王\t大山", want: ErrNameControl},
		{name: "empty", in: "", want: ErrNameNoLetter},
		{name: "only spaces", in: " \u3000 ", want: ErrNameNoLetter},
		{name: "only punctuation", in: "·", want: ErrNameNoLetter},
		{name: "only digits", in: "12345", want: ErrNameNoLetter},
		{name: "51 characters", in: strings.Repeat("王", 51), want: ErrNameLength},
		{name: "not UTF-8", in: "王\xff大山", want: ErrNameEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NormalizeName(%q) = %q, %v; want %v", tt.in, got, err, tt.want)
			}
			if strings.Contains(err.Error(), "大山") {
				t.Errorf("the error %q contains the name", err)
			}
		})
	}
}
