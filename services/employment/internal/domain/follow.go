package domain

import (
	"context"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
)

// Following the register (identification's households): the ledger holds a record for every current
// member of a covered household — 脱贫/未脱贫/返贫 (registry status poor, exited, returned), an open 监测对象,
// or 低保 — ACTIVE while the member is of working age, OUTSIDE_WORKING_AGE otherwise (kept so a 15-year-old
// joins the ledger the month they turn 16 without a change in the register). The follower is level-
// triggered: for every household a change names, it reads the household as the register has it now and
// Reconcile writes the difference, so a change handled twice, late, or after a snapshot changes nothing
// more; a resync from the register's snapshot runs the same Reconcile over every household.

// ParamWorkingAge is the policy parameter of the working age (劳动年龄段): {"min": 16, "max": 60}, by
// region and date; both ends included, ages in completed years in the month.
const ParamWorkingAge = "employment.working_age"

// WorkingAge is the value of ParamWorkingAge.
type WorkingAge struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Includes reports whether a person born in birthMonth is of working age in month.
func (w WorkingAge) Includes(birthMonth, month string) bool {
	a := AgeInMonth(birthMonth, month)
	return a >= w.Min && a <= w.Max
}

// Policy reads policy parameters (*policy.Store).
type Policy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// LabourerOutsideAge is the state of a covered member outside the working age (不在劳动年龄段).
const LabourerOutsideAge LabourerState = 3

// Register's enum numbers the ledger reads (fupin.identification.v1).
const (
	registryPoor       = 2 // REGISTRY_STATUS_POOR: 未脱贫
	registryExited     = 3 // REGISTRY_STATUS_EXITED: 已脱贫
	registryReturned   = 4 // REGISTRY_STATUS_RETURNED: 返贫
	monitoringOpen     = 1 // MONITORING_STATUS_OPEN: 监测中
	memberStateActive  = 1 // MEMBER_STATE_ACTIVE
	memberStateDied    = 2 // MEMBER_STATE_DECEASED
	memberStateMovedOu = 3 // MEMBER_STATE_MOVED_OUT
)

// RegisterMember is a membership of a register household as the follower reads it.
type RegisterMember struct {
	PersonID      string
	IDIndex       string
	BirthMonth    string // YYYY-MM
	LabourAbility int32
	// State is the register's MemberState: 1 current, 2 died, 3 moved out (0 for another end).
	State   int32
	EndDate string
}

// RegisterHousehold is a household as the follower reads it from the register (BatchGetHouseholds on the
// feed, ExportRegister's snapshot on a resync).
type RegisterHousehold struct {
	ID               string
	RegionCode       string
	RegistryStatus   int32
	MonitoringStatus int32
	// Archived households (and households the register no longer has) cover no one.
	Archived bool
	Members  []RegisterMember
}

// Covered reports whether the ledger covers the household's members: 脱贫 (poor, exited, returned) or
// an open 监测对象. 低保 households join once subsidies' decisions are followed (dibao is then true).
func (h *RegisterHousehold) Covered(dibao bool) bool {
	if h.Archived {
		return false
	}
	switch h.RegistryStatus {
	case registryPoor, registryExited, registryReturned:
		return true
	}
	return h.MonitoringStatus == monitoringOpen || dibao
}

// DibaoCoverage is a 低保 coverage as subsidies' decisions say (fupin.subsidies.v1.DibaoCoverageDecision).
type DibaoCoverage struct {
	ID          string
	HouseholdID string
	// State is subsidies' DibaoCoverageState: 1 active, 2 渐退期, 3 ended.
	State     int32
	FromMonth string
	// LastMonth is the coverage's last month once fixed ('' while open).
	LastMonth string
}

// DibaoEnded is DIBAO_COVERAGE_STATE_ENDED.
const DibaoEnded = 3

// Reconcile returns the ledger records to write so that those of household h — known holds every record
// whose household is h or whose person is one of h's members, by person id — agree with h in month (YYYY-MM)
// on today (YYYY-MM-DD): new and changed records only, each stamped now. A current member of a covered
// household is ACTIVE or OUTSIDE_WORKING_AGE; a member who died or moved out, a record of h whose person
// is no longer a member, and the members of a household no longer covered are ENDED with the reason and
// the register's end date (today when it has none). A record that moved to another household is left to
// that household's reconcile.
func Reconcile(h *RegisterHousehold, known map[string]*Labourer, dibao bool, month, today string, age WorkingAge, now time.Time) []*Labourer {
	var out []*Labourer
	covered := h.Covered(dibao)
	seen := make(map[string]bool, len(h.Members))
	current := make(map[string]bool, len(h.Members))
	for _, m := range h.Members {
		if m.State == memberStateActive {
			current[m.PersonID] = true
		}
	}
	for _, m := range h.Members {
		seen[m.PersonID] = true
		if m.State != memberStateActive && current[m.PersonID] {
			continue // an earlier membership of a person who is a member again
		}
		k := known[m.PersonID]
		if m.State == memberStateActive && covered {
			want := Labourer{PersonID: m.PersonID, IDIndex: m.IDIndex, HouseholdID: h.ID, RegionCode: h.RegionCode,
				BirthMonth: m.BirthMonth, RegistryStatus: h.RegistryStatus, MonitoringStatus: h.MonitoringStatus,
				LabourAbility: m.LabourAbility, State: LabourerActive, Dibao: dibao}
			if !age.Includes(m.BirthMonth, month) {
				want.State, want.EndReason = LabourerOutsideAge, EndAge
			}
			if r := upsert(k, want, now); r != nil {
				out = append(out, r)
			}
			continue
		}
		if k == nil || k.HouseholdID != h.ID || k.State == LabourerEnded {
			continue
		}
		reason, date := EndHouseholdNotCovered, today
		switch m.State {
		case memberStateDied:
			reason, date = EndDeath, orDate(m.EndDate, today)
		case memberStateMovedOu:
			reason, date = EndLeftHousehold, orDate(m.EndDate, today)
		case memberStateActive:
		default:
			reason, date = EndLeftHousehold, orDate(m.EndDate, today)
		}
		out = append(out, end(k, reason, date, now))
	}
	for id, k := range known {
		if !seen[id] && k.HouseholdID == h.ID && k.State != LabourerEnded {
			reason := EndLeftHousehold
			if h.Archived {
				reason = EndHouseholdNotCovered
			}
			out = append(out, end(k, reason, today, now))
		}
	}
	return out
}

func orDate(d, def string) string {
	if d == "" {
		return def
	}
	return d
}

// upsert returns the record k made to hold want's register fields (a new record when k is nil), or nil
// when nothing changes. 人社's own fields (spells' status, willingness, the quarterly file's columns) stay.
func upsert(k *Labourer, want Labourer, now time.Time) *Labourer {
	if k == nil {
		want.CreateTime, want.UpdateTime = now, now
		return &want
	}
	r := *k
	r.IDIndex, r.HouseholdID, r.RegionCode, r.BirthMonth = want.IDIndex, want.HouseholdID, want.RegionCode, want.BirthMonth
	r.RegistryStatus, r.MonitoringStatus, r.LabourAbility = want.RegistryStatus, want.MonitoringStatus, want.LabourAbility
	r.State, r.EndReason, r.EndDate, r.Dibao = want.State, want.EndReason, "", want.Dibao
	if sameRegisterFields(k, &r) {
		return nil
	}
	r.UpdateTime = now
	r.Spells, r.Unemployment = nil, nil
	return &r
}

func sameRegisterFields(a, b *Labourer) bool {
	return a.IDIndex == b.IDIndex && a.HouseholdID == b.HouseholdID && a.RegionCode == b.RegionCode &&
		a.BirthMonth == b.BirthMonth && a.RegistryStatus == b.RegistryStatus && a.MonitoringStatus == b.MonitoringStatus &&
		a.LabourAbility == b.LabourAbility && a.State == b.State && a.EndReason == b.EndReason && a.EndDate == b.EndDate &&
		a.Dibao == b.Dibao
}

// end returns k ended for reason on date.
func end(k *Labourer, reason EndReason, date string, now time.Time) *Labourer {
	r := *k
	r.State, r.EndReason, r.EndDate, r.UpdateTime = LabourerEnded, reason, date, now
	r.Spells, r.Unemployment = nil, nil
	return &r
}

// AgeState returns the state a record not ended has in month: ACTIVE inside the working age,
// OUTSIDE_WORKING_AGE outside it (the monthly sweep: members turn 16 and 61 without a change in the
// register).
func AgeState(l *Labourer, month string, age WorkingAge) (LabourerState, EndReason) {
	if age.Includes(l.BirthMonth, month) {
		return LabourerActive, EndNone
	}
	return LabourerOutsideAge, EndAge
}

// FollowStore is what the follower reads and writes (store.Store).
type FollowStore interface {
	// LabourersOf returns, by person id, the records whose household is one of householdIDs or whose
	// person is one of personIDs.
	LabourersOf(ctx context.Context, householdIDs, personIDs []string) (map[string]*Labourer, error)
	// SaveLabourers inserts or replaces the records (register fields and state; 人社's own fields of an
	// existing record stay).
	SaveLabourers(ctx context.Context, ls []*Labourer) error
	// DibaoHouseholds returns which households have a 低保 coverage running in month.
	DibaoHouseholds(ctx context.Context, householdIDs []string, month string) (map[string]bool, error)
	// SaveDibaoCoverages inserts or replaces coverages.
	SaveDibaoCoverages(ctx context.Context, cs []DibaoCoverage, now time.Time) error
}

// Follower applies the register's households to the ledger.
type Follower struct {
	st     FollowStore
	policy Policy
	now    func() time.Time
	// events hears of deaths and moves the ledger records (公益岗 stops pay), in the same transaction.
	events PostsRegisterFollower
}

// OnRegisterEvents makes the follower tell e of each death and each household's move it records.
func (f *Follower) OnRegisterEvents(e PostsRegisterFollower) { f.events = e }

// NewFollower returns the follower.
func NewFollower(st FollowStore, p Policy, now func() time.Time) *Follower {
	return &Follower{st: st, policy: p, now: now}
}

// Apply reconciles the ledger with the households, in the transaction in ctx.
func (f *Follower) Apply(ctx context.Context, hs []*RegisterHousehold) error {
	if len(hs) == 0 {
		return nil
	}
	now := f.now()
	today := bizdate.Today(now)
	month := today[:7]
	var hids, pids []string
	for _, h := range hs {
		hids = append(hids, h.ID)
		for _, m := range h.Members {
			pids = append(pids, m.PersonID)
		}
	}
	known, err := f.st.LabourersOf(ctx, hids, pids)
	if err != nil {
		return err
	}
	dibao, err := f.st.DibaoHouseholds(ctx, hids, month)
	if err != nil {
		return err
	}
	ages := map[string]WorkingAge{}
	var writes []*Labourer
	at := map[string]int{} // person id → index in writes
	type death struct{ person, date string }
	var deaths []death
	moves := map[string]string{} // household id → its new village
	for _, h := range hs {
		age, ok := ages[h.RegionCode]
		if !ok {
			if _, err := f.policy.Decode(ParamWorkingAge, h.RegionCode, now, &age); err != nil {
				return err
			}
			ages[h.RegionCode] = age
		}
		for _, w := range Reconcile(h, known, dibao[h.ID], month, today, age, now) {
			if prev := known[w.PersonID]; f.events != nil {
				if w.State == LabourerEnded && w.EndReason == EndDeath && (prev == nil || prev.EndReason != EndDeath) {
					deaths = append(deaths, death{w.PersonID, w.EndDate})
				}
				if prev != nil && prev.HouseholdID == w.HouseholdID && prev.RegionCode != w.RegionCode {
					moves[w.HouseholdID] = w.RegionCode
				}
			}
			// A person in two households of one batch (a move) is written once, as the last one left them.
			if i, again := at[w.PersonID]; again {
				writes[i] = w
			} else {
				at[w.PersonID] = len(writes)
				writes = append(writes, w)
			}
			known[w.PersonID] = w
		}
	}
	if err := f.st.SaveLabourers(ctx, writes); err != nil {
		return err
	}
	for _, d := range deaths {
		if err := f.events.PersonDied(ctx, d.person, d.date); err != nil {
			return err
		}
	}
	for _, h := range hs {
		if region, ok := moves[h.ID]; ok {
			if err := f.events.HouseholdMoved(ctx, h.ID, region, today); err != nil {
				return err
			}
		}
	}
	return nil
}

// SweepStore is what the age sweep reads and writes (store.Store).
type SweepStore interface {
	LabourersAfter(ctx context.Context, after string, limit int) ([]*Labourer, error)
	SaveLabourers(ctx context.Context, ls []*Labourer) error
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// sweepPage is the records read and written per transaction of the sweep.
const sweepPage = 2000

// SweepAges moves the records that are not ended between ACTIVE and OUTSIDE_WORKING_AGE as their
// members reach or pass the working age in this month (nothing in the register changes when a person
// turns 16 or 61). Idempotent: run it daily, on any replica; it writes only what changed and returns the
// count.
func SweepAges(ctx context.Context, st SweepStore, p Policy, now time.Time) (int, error) {
	month := bizdate.Today(now)[:7]
	ages := map[string]WorkingAge{}
	changed, after := 0, ""
	for {
		var n int
		err := st.InTx(ctx, func(ctx context.Context) error {
			ls, err := st.LabourersAfter(ctx, after, sweepPage)
			if err != nil {
				return err
			}
			n = len(ls)
			var writes []*Labourer
			for _, l := range ls {
				after = l.PersonID
				age, ok := ages[l.RegionCode]
				if !ok {
					if _, err := p.Decode(ParamWorkingAge, l.RegionCode, now, &age); err != nil {
						return err
					}
					ages[l.RegionCode] = age
				}
				if state, reason := AgeState(l, month, age); state != l.State {
					r := *l
					r.State, r.EndReason, r.UpdateTime = state, reason, now
					writes = append(writes, &r)
				}
			}
			changed += len(writes)
			return st.SaveLabourers(ctx, writes)
		})
		if err != nil || n < sweepPage {
			return changed, err
		}
	}
}

// Coverages records 低保 coverages (subsidies' decisions) and reconciles their households, read from the
// register by households, in the transaction in ctx.
func (f *Follower) Coverages(ctx context.Context, cs []DibaoCoverage, households func(ctx context.Context, ids []string) ([]*RegisterHousehold, error)) error {
	if len(cs) == 0 {
		return nil
	}
	if err := f.st.SaveDibaoCoverages(ctx, cs, f.now()); err != nil {
		return err
	}
	var ids []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.HouseholdID] {
			seen[c.HouseholdID] = true
			ids = append(ids, c.HouseholdID)
		}
	}
	hs, err := households(ctx, ids)
	if err != nil {
		return err
	}
	return f.Apply(ctx, hs)
}
