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
		{name: "three characters", in: "张三丰", want: "张**"},
		{name: "two characters", in: "李四", want: "李*"},
		{name: "compound surname keeps only the first character", in: "欧阳修文", want: "欧***"},
		{name: "one character", in: "王", want: "王"},
		{name: "minority name with separator", in: "阿依·买买提", want: "阿*****"},
		{name: "latin letters", in: "Anna", want: "A***"},
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
