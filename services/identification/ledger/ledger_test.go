package ledger_test

import (
	"strings"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/ledger"
)

// The label tables are indexed by the contract's enum numbers: one label per value, none missing.
func TestLabelsMatchContract(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		values map[int32]string
	}{
		{"relation", ledger.RelationLabels, identificationv1.Relation_name},
		{"education", ledger.EducationLabels, identificationv1.Education_name},
		{"health", ledger.HealthLabels, identificationv1.Health_name},
		{"labour ability", ledger.LabourLabels, identificationv1.LabourAbility_name},
		{"registry status", ledger.RegistryLabels, identificationv1.RegistryStatus_name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.labels) != len(tt.values) {
				t.Fatalf("%d labels for %d enum values", len(tt.labels), len(tt.values))
			}
			seen := map[string]bool{}
			for i, l := range tt.labels {
				if (i == 0) != (l == "") || seen[l] {
					t.Errorf("label %d %q: only value 0 is empty, and labels are unique", i, l)
				}
				seen[l] = true
			}
		})
	}
}

func TestLookups(t *testing.T) {
	tests := []struct {
		name   string
		lookup func(string) (int32, bool)
		cell   string
		want   int32
		ok     bool
	}{
		{"relation label", ledger.Relation, "户主", 1, true},
		{"relation synonym", ledger.Relation, "妻", 2, true},
		{"relation with spaces and a full-width space", ledger.Relation, " 子\u3000", 3, true},
		{"relation 儿媳、女婿", ledger.Relation, "儿媳、女婿", 9, true},
		{"relation 女婿", ledger.Relation, "女婿", 9, true},
		{"relation unknown", ledger.Relation, "邻居", 0, false},
		{"relation empty", ledger.Relation, "", 0, true},
		{"education 高中", ledger.Education, "高中", 5, true},
		{"education 中专", ledger.Education, "中专", 5, true},
		{"education 本科", ledger.Education, "本科", 7, true},
		{"education unknown", ledger.Education, "博士后", 0, false},
		{"health 大病", ledger.Health, "大病", 3, true},
		{"health unknown", ledger.Health, "很健康", 0, false},
		{"labour 弱劳动力", ledger.LabourAbility, "弱劳动力", 3, true},
		{"labour label", ledger.LabourAbility, "无劳动力", 5, true},
		{"registry 已脱贫", ledger.Registry, "已脱贫", 3, true},
		{"registry 脱贫户", ledger.Registry, "脱贫户", 3, true},
		{"registry 一般农户", ledger.Registry, "一般农户", 1, true},
		{"registry unknown", ledger.Registry, "五保户", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.lookup(tt.cell)
			if got != tt.want || ok != tt.ok {
				t.Errorf("%q = %d, %v; want %d, %v", tt.cell, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEthnicity(t *testing.T) {
	tests := []struct {
		cell, code string
		ok         bool
	}{
		{"汉族", "01", true}, {"汉", "01", true}, {"01", "01", true}, {"土家族", "15", true}, {"土家", "15", true},
		{"基诺族", "56", true}, {"56", "56", true}, {"97", "97", true}, {"其他", "97", true}, {"", "", true},
		{"57", "", false}, {"00", "", false}, {"火星族", "", false}, {"1", "", false},
	}
	for _, tt := range tests {
		code, ok := ledger.Ethnicity(tt.cell)
		if code != tt.code || ok != tt.ok {
			t.Errorf("Ethnicity(%q) = %q, %v; want %q, %v", tt.cell, code, ok, tt.code, tt.ok)
		}
	}
	for _, c := range []string{"01", "03", "15", "56", "97", "98"} {
		if back, ok := ledger.Ethnicity(ledger.EthnicityName(c)); !ok || back != c {
			t.Errorf("round trip of %s through %s gave %s", c, ledger.EthnicityName(c), back)
		}
	}
}

func TestHeader(t *testing.T) {
	h := ledger.Header()
	if got := strings.Join(h, ","); got != "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度,登记日期" {
		t.Errorf("header %s", got)
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		name, cell, want string
		ok               bool
	}{
		{name: "ISO", cell: "2019-03-01", want: "2019-03-01", ok: true},
		{name: "slashes without zeros", cell: "2019/3/1", want: "2019-03-01", ok: true},
		{name: "dots", cell: "2019.03.01", want: "2019-03-01", ok: true},
		{name: "Chinese", cell: "2019年3月1日", want: "2019-03-01", ok: true},
		{name: "surrounded by spaces", cell: "\u30002019-03-01 ", want: "2019-03-01", ok: true},
		{name: "empty", cell: "", want: "", ok: true},
		{name: "impossible day", cell: "2019-02-30"},
		{name: "a spreadsheet serial number", cell: "43525"},
		{name: "two-digit year", cell: "19-03-01"},
		{name: "month without day", cell: "2019-03"},
		{name: "words", cell: "三月一日"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ledger.Date(tt.cell)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Date(%q) = %q, %v; want %q, %v", tt.cell, got, ok, tt.want, tt.ok)
			}
		})
	}
}
