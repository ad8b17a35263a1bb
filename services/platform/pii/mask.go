package pii

import (
	"regexp"
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

// MaskName masks a person's name wherever it is shown to people who may not know it: public notices (公示),
// payment rolls handed to banks and boards. Two characters keep the first (李四 → 李*), three keep the first
// and the last (张三丰 → 张*丰), longer names, compound surnames included, keep the first and the last and mask
// every character between (欧阳娜娜 → 欧**娜, 买买提·艾力 → 买****力): the public can tell a neighbour they know,
// and no one learns a name they do not. A one-character name is masked whole. Surrounding white space is
// removed first. It is the one name mask of every service.
func MaskName(s string) string {
	r := []rune(strings.TrimSpace(s))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

var (
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRE = regexp.MustCompile(`^0[0-9]{2,3}-?[0-9]{7,8}$`)
)

// NormalizePhone accepts a mainland mobile number (11 digits from 13–19) or a landline with its area code
// (0713-1234567), with spaces removed, and reports whether it is one.
func NormalizePhone(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	return s, mobileRE.MatchString(s) || landlineRE.MatchString(s)
}

// MaskPhone masks a phone number for display: the first 3 and the last 4 characters stay (138****5678,
// 071*****4567); anything shorter than 8 characters is masked entirely.
func MaskPhone(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}
