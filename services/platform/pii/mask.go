package pii

import (
	"strings"
	"unicode/utf8"
)

// MaskIDNumber masks a 身份证号 for display: the first 4 and the last 4 characters are kept and the 10
// between become '*' ("4206**********123X"). Anything that is not 18 characters long (after
// [NormalizeIDNumber]) is masked entirely, one '*' per character, so a malformed value never leaks.
func MaskIDNumber(s string) string {
	s = NormalizeIDNumber(s)
	n := utf8.RuneCountInString(s)
	if n != IDNumberLength || len(s) != IDNumberLength {
		return strings.Repeat("*", n)
	}
	return s[:4] + "**********" + s[14:]
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
