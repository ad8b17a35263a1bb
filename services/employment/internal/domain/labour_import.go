package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
)

// The quarterly labour file (劳动力就业情况) from the provincial 人社 platform: one row per spell of a
// person, matched to the ledger by the blind index of the 身份证号, which is never stored. Columns by their
// Chinese headers (docs/IMPORT.md, "The labour file"); the whole file is one transaction, and a spell's id
// is derived from its key (person, first month, 务工状况, 就业方式, employer), so a rerun of the same file
// writes the same rows again and never a second copy.

// Reasons of the import's refusals of a whole file.
const (
	ReasonImportFileTooLarge = "IMPORT_FILE_TOO_LARGE"
	ReasonImportHeader       = "IMPORT_HEADER_INVALID"
	ReasonImportStream       = "IMPORT_STREAM_INVALID"
	ReasonImportFormat       = "IMPORT_FORMAT_INVALID"
)

// Outcome is what became of a row (fupin.employment.v1.LabourImportOutcome).
type Outcome int32

const (
	OutcomeApplied   Outcome = 1
	OutcomeUnmatched Outcome = 2
	OutcomeInvalid   Outcome = 3
	OutcomeEnded     Outcome = 4
)

// ImportIssue is a row not applied. Description never holds the cell's value.
type ImportIssue struct {
	Row         int64
	Column      string
	Outcome     Outcome
	Reason      string
	Description string
}

// ImportSummary counts what an import did.
type ImportSummary struct {
	Rows, Applied, Unmatched, Invalid, Ended, Spells, Periods int64
	DryRun                                                    bool
}

// LabourRow is a data row of the file: its number, cells and which cells were stored as text.
type LabourRow struct {
	Num   int64
	Cells []string
	Text  func(i int) bool
}

// The file's headers.
const (
	colID       = "身份证号"
	colName     = "姓名"
	colStatus   = "务工状况"
	colMode     = "就业方式"
	colEmployer = "就业单位"
	colPlace    = "务工地点"
	colIncome   = "月收入(元)"
	colFrom     = "起始年月"
	colTo       = "截止年月"
	colWantWork = "就业意愿"
	colWantTrn  = "培训意愿"
	colUnempReg = "失业登记"
	colBenefit  = "失业保险金月额(元)"
	colInsured  = "参加职工养老保险"
	colPension  = "领取养老金"
)

// labourColumns are the headers the file may have; the first three are required.
var labourColumns = []string{colID, colStatus, colFrom, colName, colMode, colEmployer, colPlace, colIncome, colTo, colWantWork,
	colWantTrn, colUnempReg, colBenefit, colInsured, colPension}

// LabourHeader is where each known column is (-1: absent).
type LabourHeader map[string]int

// normalizeHeader folds full-width parentheses and spaces, so 月收入（元） and 月收入(元) are one column.
func normalizeHeader(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	s = strings.NewReplacer("（", "(", "）", ")", " ", "", "\u3000", "").Replace(s)
	return s
}

// ParseLabourHeader reads the header row; unknown columns are ignored, a required one missing or a known
// one twice refuses the file.
func ParseLabourHeader(cells []string) (LabourHeader, error) {
	h := LabourHeader{}
	for _, c := range labourColumns {
		h[c] = -1
	}
	for i, cell := range cells {
		name := normalizeHeader(cell)
		pos, known := h[name]
		if !known {
			continue
		}
		if pos >= 0 {
			return nil, apperr.Invalid(ReasonImportHeader, "chunk", "the header names "+name+" twice")
		}
		h[name] = i
	}
	for _, c := range labourColumns[:3] {
		if h[c] < 0 {
			return nil, apperr.Invalid(ReasonImportHeader, "chunk", "the header lacks the column "+c+" (docs/IMPORT.md, \"The labour file\")")
		}
	}
	return h, nil
}

func (h LabourHeader) cell(r LabourRow, col string) string {
	i := h[col]
	if i < 0 || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// workStatusNames are the 务工状况 cells the file may hold: the platform's codes or their names.
var workStatusNames = map[string]WorkStatus{
	"01": WorkLocalTownship, "1": WorkLocalTownship, "乡镇内务工": WorkLocalTownship, "乡镇内": WorkLocalTownship,
	"02": WorkInCounty, "2": WorkInCounty, "乡镇外县内务工": WorkInCounty, "乡镇外县内": WorkInCounty,
	"03": WorkInProvince, "3": WorkInProvince, "县外省内务工": WorkInProvince, "县外省内": WorkInProvince,
	"04": WorkOutOfProvince, "4": WorkOutOfProvince, "省外务工": WorkOutOfProvince, "省外": WorkOutOfProvince,
	"05": WorkOther, "5": WorkOther, "其他": WorkOther, "其他务工": WorkOther,
	"未就业": WorkUnemployed, "在校": WorkStudent, "在校生": WorkStudent, "不宜就业": WorkUnfit,
}

// modeNames are the 就业方式 cells.
var modeNames = map[string]Mode{"务工": ModeWageWork, "公益岗": ModeWelfarePost, "公益性岗位": ModeWelfarePost,
	"车间": ModeWorkshop, "帮扶车间": ModeWorkshop, "就业帮扶车间": ModeWorkshop, "自主创业": ModeSelfEmployed, "灵活就业": ModeFlexible}

var monthCell = regexp.MustCompile(`^([0-9]{4})[-/.年]?([0-9]{1,2})月?$`)

// parseMonthCell reads 2025-03, 202503, 2025/3, 2025.03 or 2025年3月.
func parseMonthCell(s string) (string, bool) {
	m := monthCell.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	mo, _ := strconv.Atoi(m[2])
	if mo < 1 || mo > 12 {
		return "", false
	}
	return m[1] + "-" + twoDigits(mo), true
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// parseYuan reads an amount in 元 with at most two decimals into 分.
func parseYuan(s string) (int64, bool) {
	s = strings.ReplaceAll(s, ",", "")
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() > 1e12 {
		return 0, false
	}
	return r.Num().Int64(), true
}

// parseFlag reads 是/否 (also Y/N, 1/0); ok is false for anything else, set is false for an empty cell.
func parseFlag(s string) (value, set, ok bool) {
	switch strings.ToUpper(s) {
	case "":
		return false, false, true
	case "是", "Y", "YES", "1", "有":
		return true, true, true
	case "否", "N", "NO", "0", "无":
		return false, true, true
	}
	return false, false, false
}

var placeCell = regexp.MustCompile(`^([0-9]{2}|[0-9]{6,12})$`)

// ParsedRow is a row read: the blind index, the spell, the unemployment periods and the flags it sets.
type ParsedRow struct {
	Num     int64
	IDIndex string
	Spell   Spell
	Periods []UnemploymentPeriod
	// Flags set by the row (nil: the cell was empty).
	WantsWork, WantsTraining, Insured, Pension *bool
}

// ParseLabourRow reads one data row; blind computes the blind index of a 身份证号. An invalid cell is an
// issue naming its column (never its value).
func ParseLabourRow(h LabourHeader, r LabourRow, blind func(string) string, today time.Time) (ParsedRow, *ImportIssue) {
	bad := func(col, reason, desc string) (ParsedRow, *ImportIssue) {
		return ParsedRow{}, &ImportIssue{Row: r.Num, Column: col, Outcome: OutcomeInvalid, Reason: reason, Description: desc}
	}
	out := ParsedRow{Num: r.Num}
	idCell := h.cell(r, colID)
	if err := pii.CheckIDNumberCell(idCell, r.Text == nil || r.Text(h[colID])); err != nil {
		return bad(colID, "ID_NUMBER_NOT_TEXT", err.Error())
	}
	if _, err := pii.ParseIDNumber(idCell, today); err != nil {
		return bad(colID, "ID_NUMBER_INVALID", "not a valid 身份证号: "+idReason(err))
	}
	out.IDIndex = blind(idCell)
	status, ok := workStatusNames[h.cell(r, colStatus)]
	if !ok {
		return bad(colStatus, "WORK_STATUS_INVALID", "务工状况 is 01–05 (or its name), 未就业, 在校 or 不宜就业")
	}
	sp := Spell{WorkStatus: status, Employer: h.cell(r, colEmployer)}
	if v := h.cell(r, colMode); v != "" {
		if sp.Mode, ok = modeNames[v]; !ok {
			return bad(colMode, "MODE_INVALID", "就业方式 is 务工, 公益岗, 车间, 自主创业 or 灵活就业")
		}
	}
	if v := h.cell(r, colPlace); v != "" {
		if !placeCell.MatchString(v) {
			return bad(colPlace, "PLACE_INVALID", "务工地点 is a region code (6–12 digits) or a province's 2-digit code")
		}
		sp.Place = v
	}
	if v := h.cell(r, colIncome); v != "" {
		if sp.MonthlyIncomeFen, ok = parseYuan(v); !ok {
			return bad(colIncome, "AMOUNT_INVALID", "an amount in 元, not negative, with at most two decimals")
		}
	}
	if sp.FromMonth, ok = parseMonthCell(h.cell(r, colFrom)); !ok {
		return bad(colFrom, "MONTH_INVALID", "a month such as 2025-03 or 202503")
	}
	if v := h.cell(r, colTo); v != "" {
		if sp.ToMonth, ok = parseMonthCell(v); !ok {
			return bad(colTo, "MONTH_INVALID", "a month such as 2025-06 or 202506")
		}
	}
	if err := CheckSpell("spell", sp); err != nil {
		e, _ := apperr.As(err)
		col := map[string]string{"spell.mode": colMode, "spell.employer": colEmployer, "spell.monthly_income_fen": colIncome,
			"spell.to_month": colTo, "spell.from_month": colFrom, "spell.work_status": colStatus}[e.Fields[0].Field]
		return bad(col, e.Reason, e.Fields[0].Description)
	}
	out.Spell = sp
	for _, f := range []struct {
		col string
		to  **bool
	}{{colWantWork, &out.WantsWork}, {colWantTrn, &out.WantsTraining}, {colInsured, &out.Insured}, {colPension, &out.Pension}} {
		v, set, ok := parseFlag(h.cell(r, f.col))
		if !ok {
			return bad(f.col, "FLAG_INVALID", "是 or 否")
		}
		if set {
			*f.to = &v
		}
	}
	reg, set, ok := parseFlag(h.cell(r, colUnempReg))
	if !ok {
		return bad(colUnempReg, "FLAG_INVALID", "是 or 否")
	}
	if set && reg {
		out.Periods = append(out.Periods, UnemploymentPeriod{Kind: UnemploymentRegistration, FromMonth: sp.FromMonth, ToMonth: sp.ToMonth})
	}
	if v := h.cell(r, colBenefit); v != "" {
		amount, ok := parseYuan(v)
		if !ok {
			return bad(colBenefit, "AMOUNT_INVALID", "an amount in 元, not negative, with at most two decimals")
		}
		if amount > 0 {
			out.Periods = append(out.Periods, UnemploymentPeriod{Kind: UnemploymentBenefit, FromMonth: sp.FromMonth, ToMonth: sp.ToMonth,
				MonthlyAmountFen: amount})
		}
	}
	return out, nil
}

// idReason names which check a 身份证号 failed, without the number.
func idReason(err error) string {
	for _, e := range []error{pii.ErrIDLength, pii.ErrIDCharacters, pii.ErrIDRegion, pii.ErrIDBirthDate, pii.ErrIDFutureBirth, pii.ErrIDCheckDigit} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "invalid"
}

// spellKey derives an imported spell's id from what makes it the same spell in a rerun.
func spellKey(personID string, s Spell) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{personID, s.FromMonth, strconv.Itoa(int(s.WorkStatus)),
		strconv.Itoa(int(s.Mode)), s.Employer}, "\x00")))
	return "f" + hex.EncodeToString(sum[:15])
}

// periodKey derives an imported period's id likewise (person, first month, kind).
func periodKey(personID string, u UnemploymentPeriod) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{personID, u.FromMonth, strconv.Itoa(int(u.Kind))}, "\x00")))
	return "f" + hex.EncodeToString(sum[:15])
}

// LabourerFlags is what an import sets on a record: 务工状况 (0 keeps it) and the flags (nil keeps them).
type LabourerFlags struct {
	PersonID                                   string
	WorkStatus                                 WorkStatus
	WantsWork, WantsTraining, Insured, Pension *bool
}

// Match is a ledger record found by blind index.
type Match struct {
	PersonID string
	Ended    bool
}

// ImportStore is what the import reads and writes (store.Store).
type ImportStore interface {
	// MatchIndexes finds the records of the blind indexes (an active record wins over an ended one).
	MatchIndexes(ctx context.Context, indexes []string) (map[string]Match, error)
	// ApplyLabourImport writes the spells and periods (replacing those with the same ids) and the flags,
	// set-wise, in the transaction in ctx.
	ApplyLabourImport(ctx context.Context, spells []Spell, periods []UnemploymentPeriod, flags []LabourerFlags, now time.Time) error
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// LabourImporter imports labour files.
type LabourImporter struct {
	st    ImportStore
	blind func(string) string
	now   func() time.Time
	// applied are told after an import's transaction committed (not on a dry run).
	applied []func()
}

// OnApplied adds fn to what happens after an import committed: the 零就业 evaluation of the county (aid
// area), which the file's spells may change for any household; fn must not block the import's answer.
func (im *LabourImporter) OnApplied(fn func()) { im.applied = append(im.applied, fn) }

// NewLabourImporter returns the importer; blind is the county's blind index (pii.Protector.BlindIndex).
func NewLabourImporter(st ImportStore, blind func(string) string, now func() time.Time) *LabourImporter {
	return &LabourImporter{st: st, blind: blind, now: now}
}

// matchChunk is the blind indexes looked up per statement.
const matchChunk = 1000

// Import reads the file's rows (next returns io.EOF after the last; the first row is the header),
// matches and records them in one transaction (none when dryRun) and returns the summary and the
// issues in row order. audit, when set, writes the import's audit row in its transaction.
func (im *LabourImporter) Import(ctx context.Context, next func() (LabourRow, error), dryRun bool,
	audit func(ctx context.Context, applied int64) error) (ImportSummary, []ImportIssue, error) {
	sum := ImportSummary{DryRun: dryRun}
	header, err := next()
	if errors.Is(err, io.EOF) {
		return sum, nil, apperr.Invalid(ReasonImportHeader, "chunk", "the file is empty: it has no header")
	}
	if err != nil {
		return sum, nil, err
	}
	h, err := ParseLabourHeader(header.Cells)
	if err != nil {
		return sum, nil, err
	}
	now := im.now()
	today, _ := bizdate.Parse(bizdate.Today(now))
	var rows []ParsedRow
	var issues []ImportIssue
	for {
		r, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, nil, err
		}
		if emptyRow(r.Cells) {
			continue
		}
		sum.Rows++
		p, issue := ParseLabourRow(h, r, im.blind, today)
		if issue != nil {
			issues = append(issues, *issue)
			sum.Invalid++
			continue
		}
		rows = append(rows, p)
	}
	indexes := make([]string, 0, len(rows))
	seen := make(map[string]bool, len(rows))
	for _, p := range rows {
		if !seen[p.IDIndex] {
			seen[p.IDIndex] = true
			indexes = append(indexes, p.IDIndex)
		}
	}
	matches := make(map[string]Match, len(indexes))
	for start := 0; start < len(indexes); start += matchChunk {
		m, err := im.st.MatchIndexes(ctx, indexes[start:min(start+matchChunk, len(indexes))])
		if err != nil {
			return sum, nil, err
		}
		for k, v := range m {
			matches[k] = v
		}
	}
	var spells []Spell
	var periods []UnemploymentPeriod
	flags := map[string]*LabourerFlags{}
	var order []string
	bySpell := map[string]int{}
	byPeriod := map[string]int{}
	personSpells := map[string][]Spell{}
	for _, p := range rows {
		m, ok := matches[p.IDIndex]
		switch {
		case !ok:
			issues = append(issues, ImportIssue{Row: p.Num, Column: colID, Outcome: OutcomeUnmatched, Reason: "NOT_IN_LEDGER",
				Description: "the person is not in the labour ledger (not a member of a 脱贫, 监测 or 低保 household)"})
			sum.Unmatched++
			continue
		case m.Ended:
			issues = append(issues, ImportIssue{Row: p.Num, Column: colID, Outcome: OutcomeEnded, Reason: "LABOURER_ENDED",
				Description: "the person's ledger record has ended (died, left the household)"})
			sum.Ended++
			continue
		}
		sum.Applied++
		sp := p.Spell
		sp.PersonID, sp.Source, sp.CreateTime = m.PersonID, SourceImport, now
		sp.ID = spellKey(m.PersonID, sp)
		if i, dup := bySpell[sp.ID]; dup {
			spells[i] = sp // the same spell twice in one file: the later row wins
		} else {
			bySpell[sp.ID] = len(spells)
			spells = append(spells, sp)
		}
		personSpells[m.PersonID] = append(personSpells[m.PersonID], sp)
		for _, u := range p.Periods {
			u.PersonID, u.Source, u.CreateTime = m.PersonID, SourceImport, now
			u.ID = periodKey(m.PersonID, u)
			if i, dup := byPeriod[u.ID]; dup {
				periods[i] = u
			} else {
				byPeriod[u.ID] = len(periods)
				periods = append(periods, u)
			}
		}
		f := flags[m.PersonID]
		if f == nil {
			f = &LabourerFlags{PersonID: m.PersonID}
			flags[m.PersonID] = f
			order = append(order, m.PersonID)
		}
		for _, set := range []struct{ from, to **bool }{{&p.WantsWork, &f.WantsWork}, {&p.WantsTraining, &f.WantsTraining},
			{&p.Insured, &f.Insured}, {&p.Pension, &f.Pension}} {
			if *set.from != nil {
				*set.to = *set.from
			}
		}
	}
	month := bizdate.Today(now)[:7]
	fl := make([]LabourerFlags, 0, len(order))
	for _, id := range order {
		f := flags[id]
		f.WorkStatus = CurrentWorkStatus(personSpells[id], month)
		fl = append(fl, *f)
	}
	sum.Spells, sum.Periods = int64(len(spells)), int64(len(periods))
	sortIssues(issues)
	if dryRun {
		return sum, issues, nil
	}
	err = im.st.InTx(ctx, func(ctx context.Context) error {
		if err := im.st.ApplyLabourImport(ctx, spells, periods, fl, now); err != nil {
			return err
		}
		if audit != nil {
			return audit(ctx, sum.Applied)
		}
		return nil
	})
	if err == nil {
		for _, fn := range im.applied {
			fn()
		}
	}
	return sum, issues, err
}

func emptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// sortIssues orders issues by row (the invalid ones were found in the first pass, the unmatched later).
func sortIssues(is []ImportIssue) {
	// insertion into row order; issues are nearly sorted (two runs)
	slicesSortStable(is)
}
