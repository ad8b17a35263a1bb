package pii

import "testing"

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "digit check character", in: "420621198001011235", want: "4206************35"},
		{name: "X check character", in: "42062119800101123X", want: "4206************3X"},
		{name: "lower-case x normalised", in: "42062119800101123x", want: "4206************3X"},
		{name: "the former mask brought up to date", in: "4206**********1235", want: "4206************35"},
		{name: "the current mask unchanged", in: "4206************35", want: "4206************35"},
		{name: "17 characters fully masked", in: "42062119800101123", want: "*****************"},
		{name: "19 characters fully masked", in: "4206211980010112345", want: "*******************"},
		{name: "15-digit old number fully masked", in: "420621800101123", want: "***************"},
		{name: "non-ASCII masked per character", in: "身份证", want: "***"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskIDNumber(tt.in); got != tt.want {
				t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskCertificateNumber(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "number", in: "42062119800101123541", want: "4206************3541"},
		{name: "X check character", in: "42062119800101123X72", want: "4206************3X72"},
		{name: "the former mask brought up to date", in: "4206**********123541", want: "4206************3541"},
		{name: "19 characters fully masked", in: "4206211980010112354", want: "*******************"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskCertificateNumber(tt.in); got != tt.want {
				t.Errorf("MaskCertificateNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "two characters", in: "王五", want: "王*"},
		{name: "three characters", in: "王大山", want: "王*山"},
		{name: "four characters", in: "李小四儿", want: "李**儿"},
		{name: "compound surname, four characters", in: "欧阳娜娜", want: "欧**娜"},
		{name: "compound surname, three characters", in: "司马迁", want: "司*迁"},
		{name: "one character", in: "王", want: "*"},
		{name: "minority name with separator", in: "阿依·买买提", want: "阿****提"},
		{name: "latin letters", in: "Anna", want: "A**a"},
		{name: "spaces trimmed", in: " 赵六 ", want: "赵*"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskName(tt.in); got != tt.want {
				t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		name, in, normal, masked string
		ok                       bool
	}{
		{name: "mobile", in: "13812345678", normal: "13812345678", masked: "138****5678", ok: true},
		{name: "mobile with spaces", in: " 138 1234 5678 ", normal: "13812345678", masked: "138****5678", ok: true},
		{name: "landline", in: "0713-1234567", normal: "0713-1234567", masked: "071*****4567", ok: true},
		{name: "not a mobile prefix", in: "12812345678", normal: "12812345678", masked: "128****5678"},
		{name: "too short", in: "12345", normal: "12345", masked: "*****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizePhone(tt.in)
			if got != tt.normal || ok != tt.ok {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.normal, tt.ok)
			}
			if m := MaskPhone(got); m != tt.masked {
				t.Errorf("MaskPhone(%q) = %q, want %q", got, m, tt.masked)
			}
		})
	}
}
