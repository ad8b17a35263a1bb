package pii

import (
	"strings"
	"unicode/utf8"
)

// maskedMiddle replaces characters 5–16 of a 身份证号 in its masked form.
const maskedMiddle = "************"

// MaskIDNumber masks a 身份证号 for display: the first 4 characters (province and city, the same for most of
// a county) and the last 2 (the sex digit and the check character) are kept, the 12 between become '*'
// ("4206************3X"). With the birth year that [ViewPerson] may show beside it, this leaves at least 3,285
// numbers per region code (docs/MASKING.md); the former form with the last 4 characters and the birth date
// left fewer than ten.
//
// It is idempotent: masking a masked number (of either form) gives the current form, so a stored mask of an
// older form is brought up to date on read. Anything that is not 18 characters long (after
// [NormalizeIDNumber]) is masked entirely, one '*' per character, so a malformed value never leaks.
func MaskIDNumber(s string) string {
	s = NormalizeIDNumber(s)
	n := utf8.RuneCountInString(s)
	if n != IDNumberLength || len(s) != IDNumberLength {
		return strings.Repeat("*", n)
	}
	return s[:4] + maskedMiddle + s[16:]
}

// MaskCertificateNumber masks a 残疾人证号 (or a masked one, of either form): its 身份证号 as [MaskIDNumber]
// does, then the category and grade digits, which say nothing about the number ("4206************3X41").
// Anything that is not 20 characters long is masked entirely.
func MaskCertificateNumber(s string) string {
	s = toASCIIDigits(strings.TrimSpace(s))
	n := utf8.RuneCountInString(s)
	if n != CertificateLength || len(s) != CertificateLength {
		return strings.Repeat("*", n)
	}
	return MaskIDNumber(s[:IDNumberLength]) + s[IDNumberLength:]
}

// MaskName masks a person's name for public notices: the first character is kept and every other
// character becomes '*' (张三丰 → 张**, 李四 → 李*). Surrounding white space is removed first.
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	first, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(size + utf8.RuneCountInString(s[size:]))
	b.WriteRune(first)
	for range s[size:] {
		b.WriteByte('*')
	}
	return b.String()
}
