package synth

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// demoCountyPath is the committed region master data of the synthetic demo county.
const demoCountyPath = "../../../deploy/regions/demo-county.json"

// regenerate rewrites deploy/regions/demo-county.json:
//
//	go test ./identification/synth -run TestDemoCountyFile -regenerate-demo-county
var regenerate = flag.Bool("regenerate-demo-county", false, "rewrite deploy/regions/demo-county.json")

// Shape of the synthetic demo county. Province 99 does not exist, so its codes and the 身份证号 made
// for it can never be real.
var (
	demoTownships = []string{
		"城关镇", "青山乡", "河口镇", "石桥镇", "白沙乡", "龙泉镇",
		"柳林乡", "枫树坪乡", "高桥镇", "桃源乡", "黄土岭乡", "双河镇",
	}
	// Villages per township (8-20); 城关镇's count includes its 4 urban communities.
	demoVillageCounts = []int{14, 18, 12, 16, 9, 20, 11, 15, 8, 13, 17, 10}
	demoCommunities   = []string{"东街社区", "西街社区", "南门社区", "北关社区"}
	demoPlaceNames    = []string{
		"红桥", "柳树湾", "石门", "马鞍山", "青龙", "白鹤", "金竹", "松林", "桃花", "杏林", "枫香", "荷花",
		"新民", "和平", "团结", "东风", "胜利", "前进", "长岭", "大坪", "小河", "双龙", "三岔", "五里",
		"七星", "九龙", "十里铺", "白果", "板桥", "杉木", "枣树", "桂花", "梨树", "茶园", "竹园", "龙潭",
		"凤凰", "黄龙", "清水", "大堰", "石板", "白岩", "高峰", "红星", "光明", "幸福", "永安", "太平",
		"兴隆", "新华", "联合", "民主", "群力", "建设", "先锋", "红旗", "曙光", "富强", "天池", "卧龙",
		"鹿鸣", "梅花", "柏树", "古井", "三官", "观音", "回龙", "落鹤", "牛角", "羊角", "鹰嘴", "狮子",
	}
	demoSurnames = []string{
		"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
		"何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
		"肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任",
	}
	demoTerrain = []string{"坪", "湾", "沟", "岭", "庄", "坝", "塘", "垭", "河", "冲", "铺", "寨", "院", "台", "嘴", "畈", "坡"}
)

// demoCounty builds the demo county deterministically.
func demoCounty() []Region {
	rng := rand.New(rand.NewPCG(20250101, 990001))
	seen := map[string]bool{}
	var names []string
	for _, n := range demoPlaceNames {
		names = append(names, n+"村")
		seen[n+"村"] = true
	}
	for len(names) < 240 {
		n := demoSurnames[rng.IntN(len(demoSurnames))] + "家" + demoTerrain[rng.IntN(len(demoTerrain))] + "村"
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })

	pops := func() []Population {
		p24 := int64(400 + rng.IntN(2201))
		p25 := p24 * int64(970+rng.IntN(41)) / 1000
		p25 = max(400, min(2600, p25))
		return []Population{{Year: 2024, Residents: p24}, {Year: 2025, Residents: p25}}
	}
	const from = "2020-01-01"
	county := Region{Code: "990001000000", Name: "示范县 (演示)", Level: LevelCounty, ValidFrom: from,
		Populations: []Population{{Year: 2024}, {Year: 2025}}}
	out := []Region{county}
	next := 0
	for t, tname := range demoTownships {
		town := Region{Code: "990001" + pad3(t+1) + "000", Name: tname, Level: LevelTownship,
			Parent: county.Code, ValidFrom: from, Populations: []Population{{Year: 2024}, {Year: 2025}}}
		var villages []Region
		for v := 0; v < demoVillageCounts[t]; v++ {
			r := Region{Code: town.Code[:9] + pad3(v+1), Level: LevelVillage, Parent: town.Code, ValidFrom: from}
			if t == 0 && v < len(demoCommunities) {
				r.Name, r.Urban = demoCommunities[v], true
			} else {
				r.Name = names[next]
				next++
			}
			r.Populations = pops()
			for i := range town.Populations {
				town.Populations[i].Residents += r.Populations[i].Residents
			}
			villages = append(villages, r)
		}
		for i := range county.Populations {
			out[0].Populations[i].Residents += town.Populations[i].Residents
		}
		out = append(out, town)
		out = append(out, villages...)
	}
	return out
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 3-len(s)) + s
}

// encodeRegions writes one region per line, which keeps diffs of the file readable.
func encodeRegions(regions []Region) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, r := range regions {
		line, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		b.WriteString("  ")
		b.Write(line)
		if i < len(regions)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func TestDemoCountyFile(t *testing.T) {
	if *regenerate {
		if err := os.WriteFile(demoCountyPath, encodeRegions(demoCounty()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	regions, err := LoadRegions(demoCountyPath)
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[string][]Region{}
	for _, r := range regions {
		byLevel[r.Level] = append(byLevel[r.Level], r)
		if !strings.HasPrefix(r.Code, "990001") {
			t.Errorf("%s is outside the synthetic county 990001", r.Code)
		}
	}
	t.Run("one county", func(t *testing.T) {
		c := byLevel[LevelCounty]
		if len(c) != 1 || c[0].Code != "990001000000" || c[0].Name != "示范县 (演示)" {
			t.Fatalf("county = %+v", c)
		}
	})
	t.Run("12 townships with 8-20 villages each", func(t *testing.T) {
		if n := len(byLevel[LevelTownship]); n != 12 {
			t.Fatalf("%d townships", n)
		}
		children := map[string]int{}
		for _, v := range byLevel[LevelVillage] {
			children[v.Parent]++
		}
		for _, town := range byLevel[LevelTownship] {
			if n := children[town.Code]; n < 8 || n > 20 {
				t.Errorf("%s %s has %d villages", town.Code, town.Name, n)
			}
		}
	})
	t.Run("urban communities only in 城关镇", func(t *testing.T) {
		urban := 0
		for _, v := range byLevel[LevelVillage] {
			if v.Urban {
				urban++
				if v.Parent != "990001001000" || !strings.HasSuffix(v.Name, "社区") {
					t.Errorf("urban %s %s", v.Code, v.Name)
				}
			}
		}
		if byLevel[LevelTownship][0].Name != "城关镇" || urban != 4 {
			t.Errorf("%d urban communities", urban)
		}
	})
	t.Run("village populations 400-2600, on both sides of the quorum cutoff", func(t *testing.T) {
		under, over := 0, 0
		for _, v := range byLevel[LevelVillage] {
			for _, p := range v.Populations {
				if p.Residents < 400 || p.Residents > 2600 {
					t.Errorf("%s %d: %d residents", v.Code, p.Year, p.Residents)
				}
			}
			if v.Residents(2025) < 1000 {
				under++
			} else {
				over++
			}
		}
		if under == 0 || over == 0 {
			t.Errorf("under 1000: %d, at least 1000: %d", under, over)
		}
	})
	t.Run("upper levels sum their children", func(t *testing.T) {
		sums := map[string]int64{}
		for _, r := range regions {
			if r.Parent != "" {
				sums[r.Parent+"/2025"] += r.Residents(2025)
			}
		}
		for _, r := range regions {
			if r.Level != LevelVillage && sums[r.Code+"/2025"] != r.Residents(2025) {
				t.Errorf("%s: %d residents, children sum to %d", r.Code, r.Residents(2025), sums[r.Code+"/2025"])
			}
		}
	})
	t.Run("unique names within a township", func(t *testing.T) {
		seen := map[string]bool{}
		for _, v := range byLevel[LevelVillage] {
			if seen[v.Parent+v.Name] {
				t.Errorf("duplicate %s in %s", v.Name, v.Parent)
			}
			seen[v.Parent+v.Name] = true
		}
	})
}
