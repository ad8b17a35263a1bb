package synth

// Name pools. Surnames carry rough frequencies (per mille) of the national distribution; given-name
// characters are split by sex and by birth cohort (older and younger generations name children differently).

var surnames = []weighted{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 20},
	{"吴", 20}, {"周", 19}, {"徐", 13}, {"孙", 12}, {"马", 11}, {"朱", 11}, {"胡", 10}, {"郭", 10},
	{"何", 9}, {"高", 9}, {"林", 9}, {"罗", 9}, {"郑", 8}, {"梁", 7}, {"谢", 6}, {"宋", 6},
	{"唐", 6}, {"许", 5}, {"韩", 5}, {"冯", 5}, {"邓", 5}, {"曹", 5}, {"彭", 5}, {"曾", 5},
	{"肖", 4}, {"田", 4}, {"董", 4}, {"袁", 4}, {"潘", 4}, {"蒋", 4}, {"蔡", 4}, {"余", 4},
	{"杜", 4}, {"叶", 4}, {"程", 4}, {"魏", 4}, {"苏", 4}, {"吕", 4}, {"丁", 4}, {"任", 3},
	{"沈", 3}, {"姚", 3}, {"卢", 3}, {"姜", 3}, {"崔", 3}, {"钟", 3}, {"谭", 3}, {"陆", 3},
	{"汪", 3}, {"范", 3}, {"金", 3}, {"石", 3}, {"廖", 3}, {"贾", 3}, {"夏", 3}, {"韦", 3},
	{"付", 3}, {"方", 3}, {"白", 3}, {"邹", 3}, {"孟", 3}, {"熊", 3}, {"秦", 3}, {"邱", 3},
	{"江", 3}, {"尹", 3}, {"薛", 2}, {"闫", 2}, {"段", 2}, {"雷", 2}, {"侯", 2}, {"龙", 2},
	{"史", 2}, {"陶", 2}, {"黎", 2}, {"贺", 2}, {"顾", 2}, {"毛", 2}, {"郝", 2}, {"龚", 2},
	{"邵", 2}, {"万", 2}, {"覃", 2}, {"向", 2}, {"欧阳", 1}, {"司马", 1},
}

var (
	maleOld = []string{
		"国", "建", "军", "明", "华", "平", "德", "成", "福", "贵", "富", "荣", "生", "山", "中", "民",
		"永", "长", "发", "祥", "根", "财", "保", "家", "忠", "文", "志", "海", "东", "春", "兵", "林",
		"庆", "洪", "树", "金", "义", "和", "有", "学",
	}
	maleYoung = []string{
		"伟", "强", "勇", "磊", "涛", "斌", "杰", "刚", "辉", "鹏", "飞", "波", "超", "峰", "俊", "宇",
		"浩", "轩", "子", "睿", "博", "泽", "晨", "宏", "立", "新", "正", "航", "然", "阳", "鑫", "凯",
		"文", "志", "明", "健", "豪", "诚", "涵", "毅",
	}
	femaleOld = []string{
		"秀", "英", "桂", "兰", "梅", "珍", "凤", "莲", "琴", "云", "翠", "花", "菊", "玉", "淑", "芝",
		"芬", "香", "华", "春", "荣", "群", "仙", "巧", "金", "银", "月", "彩", "素", "美",
	}
	femaleYoung = []string{
		"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "玲", "燕", "萍", "慧", "婷", "雪", "琳", "欣",
		"怡", "佳", "悦", "涵", "诗", "雨", "萱", "思", "晓", "梦", "颖", "洁", "倩", "雯", "瑶", "琪",
		"欢", "蕾", "薇", "彤",
	}
)

// Street names of urban communities' addresses.
var streets = []string{"人民路", "解放路", "建设路", "文化路", "新华街", "中山路", "胜利街", "和平路"}

// weighted is a value with an integer weight.
type weighted struct {
	v string
	w int
}

// table samples values by weight with one random number and a binary search.
type table struct {
	vals []string
	cum  []int
}

func newTable(ws []weighted) table {
	t := table{vals: make([]string, len(ws)), cum: make([]int, len(ws))}
	sum := 0
	for i, w := range ws {
		sum += w.w
		t.vals[i], t.cum[i] = w.v, sum
	}
	return t
}

func (t table) pick(r int) string { return t.vals[t.index(r)] }

func (t table) total() int { return t.cum[len(t.cum)-1] }

// index returns the entry that r (0 <= r < total) falls in.
func (t table) index(r int) int {
	lo, hi := 0, len(t.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if t.cum[mid] > r {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
