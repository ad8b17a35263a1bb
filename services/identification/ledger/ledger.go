// Package ledger is the layout of the county's household ledger files (户籍台账) that
// `fupin import households` reads and `fupin seed` writes: one row per person, rows grouped into
// households by 户编号, Chinese column headers, and Chinese labels in the coded columns.
//
// It is public so the fupin command and the identification service agree on one layout without the
// command importing the service's internals; docs/IMPORT.md describes the same layout for people. Coded
// values are the numbers of the matching fupin.identification.v1 enums (the domain shares them), so this
// package needs neither the generated code nor the domain.
package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Column headers, as they appear in the header row.
const (
	ColNumber     = "户编号"    // household number, unique in the county; groups the rows into households
	ColRegionCode = "行政区划代码" // 12-digit code of the village or community
	ColAddress    = "家庭住址"   // address
	ColName       = "姓名"     // full name
	ColIDNumber   = "身份证号"   // 18-character resident ID number (GB 11643), always text
	ColRelation   = "与户主关系"  // relation to the head (GB/T 4761)
	ColEthnicity  = "民族"     // ethnic group (GB/T 3304), name or 2-digit code
	ColEducation  = "文化程度"   // education (GB/T 4658)
	ColHealth     = "健康状况"   // health
	ColLabour     = "劳动技能"   // labour ability
	ColRegistry   = "户类型"    // registry status: 一般户, 贫困户, 已脱贫, 返贫
	ColExitYear   = "脱贫年度"   // year of exit, for 已脱贫 (and 返贫) households
	// ColRegistrationDate is the registration effective date (登记日期) of the household, optional: empty
	// means the day of the import. A date before it is back-dated with the import as its reason.
	ColRegistrationDate = "登记日期"
)

// Column describes one column of the layout.
type Column struct {
	Name string
	// Required columns must be in the header; a required cell must not be empty (for a household-level
	// column: on at least one row of the household).
	Required bool
	// Household-level columns hold one value per household: every row of the household repeats it or
	// leaves it empty (as merged cells read).
	Household bool
}

// Columns are the layout's columns in the order `fupin seed` writes them. A file may order them
// differently and may have columns of its own, which are ignored.
var Columns = []Column{
	{Name: ColNumber, Required: true, Household: true},
	{Name: ColRegionCode, Required: true, Household: true},
	{Name: ColAddress, Household: true},
	{Name: ColName, Required: true},
	{Name: ColIDNumber, Required: true},
	{Name: ColRelation, Required: true},
	{Name: ColEthnicity},
	{Name: ColEducation},
	{Name: ColHealth},
	{Name: ColLabour},
	{Name: ColRegistry, Household: true},
	{Name: ColExitYear, Household: true},
	{Name: ColRegistrationDate, Household: true},
}

// Header returns the column names in the order of Columns.
func Header() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}

// Labels of the coded columns, indexed by the value of the matching fupin.identification.v1 enum; index 0
// (unspecified) is the empty cell. These are what `fupin seed` writes and what the portal shows.
var (
	// RelationLabels label fupin.identification.v1.Relation (与户主关系).
	RelationLabels = []string{"", "户主", "配偶", "子", "女", "孙子女", "父母", "祖父母", "兄弟姐妹", "儿媳、女婿", "其他亲属", "非亲属"}
	// EducationLabels label fupin.identification.v1.Education (文化程度).
	EducationLabels = []string{"", "学龄前儿童", "文盲或半文盲", "小学", "初中", "高中", "大专", "大学本科", "研究生"}
	// HealthLabels label fupin.identification.v1.Health (健康状况).
	HealthLabels = []string{"", "健康", "长期慢性病", "大病", "残疾"}
	// LabourLabels label fupin.identification.v1.LabourAbility (劳动技能).
	LabourLabels = []string{"", "普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"}
	// RegistryLabels label fupin.identification.v1.RegistryStatus (户类型).
	RegistryLabels = []string{"", "一般户", "贫困户", "已脱贫", "返贫"}
)

// Other spellings found in county ledgers, accepted when reading.
var (
	relationSynonyms = map[string]int32{
		"本人": 1, "户主本人": 1,
		"妻": 2, "妻子": 2, "夫": 2, "丈夫": 2,
		"儿子": 3, "长子": 3, "次子": 3, "三子": 3, "独生子": 3,
		"女儿": 4, "长女": 4, "次女": 4, "三女": 4, "独生女": 4,
		"孙子": 5, "孙女": 5, "外孙子": 5, "外孙女": 5, "孙子女": 5, "外孙子女": 5,
		"父亲": 6, "母亲": 6, "父": 6, "母": 6,
		"祖父": 7, "祖母": 7, "外祖父": 7, "外祖母": 7,
		"兄": 8, "弟": 8, "姐": 8, "妹": 8, "哥哥": 8, "弟弟": 8, "姐姐": 8, "妹妹": 8,
		"儿媳": 9, "女婿": 9, "儿媳/女婿": 9, "儿媳女婿": 9,
		"其他": 10,
	}
	educationSynonyms = map[string]int32{
		"学龄前": 1,
		"文盲":  2, "半文盲": 2,
		"中专": 5, "高中/中专": 5, "中专/高中": 5, "高中或中专": 5, "技校": 5, "职高": 5,
		"大学专科": 6, "专科": 6,
		"本科": 7,
		"硕士": 8, "博士": 8, "研究生及以上": 8,
	}
	healthSynonyms = map[string]int32{
		"慢性病": 2, "患有慢性病": 2,
		"患有大病": 3, "重病": 3,
		"残疾人": 4,
	}
	labourSynonyms = map[string]int32{
		"弱劳动力": 3, "半劳动力": 3,
		"丧失劳动能力": 4,
		"无劳动能力":  5,
	}
	registrySynonyms = map[string]int32{
		"一般农户": 1, "一般": 1,
		"贫困": 2, "建档立卡贫困户": 2, "未脱贫": 2, "未脱贫户": 2,
		"脱贫户": 3, "已脱贫户": 3,
		"返贫户": 4,
	}
)

// Clean trims white space, including the full-width space (U+3000) that Chinese input leaves, from a cell.
func Clean(cell string) string {
	return strings.TrimFunc(cell, unicode.IsSpace)
}

func lookup(labels []string, synonyms map[string]int32, cell string) (int32, bool) {
	cell = Clean(cell)
	if cell == "" {
		return 0, true
	}
	for i, l := range labels {
		if i > 0 && l == cell {
			return int32(i), true
		}
	}
	v, ok := synonyms[cell]
	return v, ok
}

// Relation returns the value of a 与户主关系 cell; an empty cell is 0. ok is false for an unknown label.
func Relation(cell string) (v int32, ok bool) { return lookup(RelationLabels, relationSynonyms, cell) }

// Education returns the value of a 文化程度 cell; an empty cell is 0. ok is false for an unknown label.
func Education(cell string) (v int32, ok bool) {
	return lookup(EducationLabels, educationSynonyms, cell)
}

// Health returns the value of a 健康状况 cell; an empty cell is 0. ok is false for an unknown label.
func Health(cell string) (v int32, ok bool) { return lookup(HealthLabels, healthSynonyms, cell) }

// LabourAbility returns the value of a 劳动技能 cell; an empty cell is 0. ok is false for an unknown label.
func LabourAbility(cell string) (v int32, ok bool) { return lookup(LabourLabels, labourSynonyms, cell) }

// Registry returns the value of a 户类型 cell; an empty cell is 0. ok is false for an unknown label.
func Registry(cell string) (v int32, ok bool) { return lookup(RegistryLabels, registrySynonyms, cell) }

// ethnicities are the names of GB/T 3304 codes 01-56; 97 is 其他 and 98 外国血统中国籍人士.
var ethnicities = [...]string{"汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
	"土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
	"达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
	"德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"}

var ethnicityCodes = func() map[string]string {
	m := make(map[string]string, 2*len(ethnicities)+4)
	for i, n := range ethnicities {
		code := string([]byte{byte('0' + (i+1)/10), byte('0' + (i+1)%10)})
		m[n+"族"], m[n] = code, code
	}
	m["其他"], m["其他族"], m["外国血统中国籍人士"], m["外国血统"] = "97", "97", "98", "98"
	return m
}()

// Ethnicity returns the 2-digit GB/T 3304 code of a 民族 cell, which holds a name (汉族, 汉, 土家族) or the
// code itself ("01"); an empty cell is "". ok is false for an unknown name or code.
func Ethnicity(cell string) (code string, ok bool) {
	cell = Clean(cell)
	if cell == "" {
		return "", true
	}
	if len(cell) == 2 && cell[0] >= '0' && cell[0] <= '9' && cell[1] >= '0' && cell[1] <= '9' {
		if n := int(cell[0]-'0')*10 + int(cell[1]-'0'); (n >= 1 && n <= len(ethnicities)) || n == 97 || n == 98 {
			return cell, true
		}
		return "", false
	}
	code, ok = ethnicityCodes[cell]
	return code, ok
}

// EthnicityName returns the name of a GB/T 3304 code ("01" → 汉族), or the code itself when unknown.
func EthnicityName(code string) string {
	if len(code) == 2 && code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' {
		n := int(code[0]-'0')*10 + int(code[1]-'0')
		switch {
		case n >= 1 && n <= len(ethnicities):
			return ethnicities[n-1] + "族"
		case n == 97:
			return "其他"
		case n == 98:
			return "外国血统中国籍人士"
		}
	}
	return code
}

// Date reads a date cell as county ledgers write it — 2019-03-01, 2019/3/1, 2019.3.1 or 2019年3月1日 — and
// returns it as YYYY-MM-DD; ok is false for anything else (a date stored as a spreadsheet number among
// them: format the column as text). An empty cell is "" and ok.
func Date(cell string) (date string, ok bool) {
	cell = Clean(cell)
	if cell == "" {
		return "", true
	}
	s := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(cell)
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 {
		return "", false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || len(p) == 0 || len(p) > 4 || (i > 0 && len(p) > 2) {
			return "", false
		}
		n[i] = v
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
	if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] {
		return "", false // 2019-02-30
	}
	return fmt.Sprintf("%04d-%02d-%02d", n[0], n[1], n[2]), true
}
