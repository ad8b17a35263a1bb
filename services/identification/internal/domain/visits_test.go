package domain_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// areaPolicy is a small policy table for the visits and statistics tests: the entry with the longest
// region prefix among those in force on the date wins, as in platform/policy.
type areaPolicy []policy.Entry

func (p areaPolicy) Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error) {
	day := bizdate.Today(date)
	var best *policy.Entry
	for i := range p {
		e := &p[i]
		if e.Parameter != parameter || e.Effective > day || (e.Region != "*" && !strings.HasPrefix(regionCode, e.Region)) {
			continue
		}
		if best == nil || len(e.Region) > len(best.Region) || (len(e.Region) == len(best.Region) && e.Effective > best.Effective) {
			best = e
		}
	}
	if best == nil {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	if err := json.Unmarshal(best.Value, into); err != nil {
		return policy.Value{}, err
	}
	return policy.Value{Parameter: parameter, Region: best.Region, Effective: best.Effective, Raw: best.Value,
		Hash: "hash-" + parameter + "-" + best.Region}, nil
}

func areaDefaults() areaPolicy {
	return areaPolicy{
		{Parameter: domain.ParamVisitInterval, Region: "*", Effective: "2024-01-01", Value: json.RawMessage(`30`)},
		{Parameter: domain.ParamVillageExitMaxIncidence, Region: "*", Effective: "2024-01-01", Value: json.RawMessage(`{"num":2,"den":100}`)},
		{Parameter: domain.ParamVillageExitMinIncome, Region: "*", Effective: "2024-01-01", Value: json.RawMessage(`5000000`)},
	}
}

// Regions of the area tests.
const (
	areaVillage  = "990001002001" // 红桥村, rural, township 990001002
	areaVillage2 = "990001002002" // 石门村, rural, township 990001002
	areaOther    = "990001003001" // 河西村, rural, township 990001003
	areaUrban    = "990001001001" // 东街社区, urban, township 990001001
)

type areaFixture struct {
	store  *store.Store
	svc    *domain.Service
	visits *domain.Visits
	stats  *domain.Statistics
	clock  time.Time
	pol    areaPolicy
	seq    int
}

func newAreaFixture(t *testing.T, d sqldb.Dialect) *areaFixture {
	t.Helper()
	db := sqldbtest.Open(t, d)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, outbox.New(db, nil))
	if err := st.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Level: domain.LevelCounty, Name: "示范县"},
		{Code: "990001001000", Level: domain.LevelTownship, Name: "城关镇", Parent: "990001000000"},
		{Code: areaUrban, Level: domain.LevelVillage, Name: "东街社区", Urban: true, Parent: "990001001000",
			Populations: []domain.Population{{Year: 2025, Residents: 1000}}},
		{Code: "990001002000", Level: domain.LevelTownship, Name: "青山乡", Parent: "990001000000"},
		{Code: areaVillage, Level: domain.LevelVillage, Name: "红桥村", Parent: "990001002000",
			Populations: []domain.Population{{Year: 2024, Residents: 150}, {Year: 2025, Residents: 200}}},
		{Code: areaVillage2, Level: domain.LevelVillage, Name: "石门村", Parent: "990001002000",
			Populations: []domain.Population{{Year: 2025, Residents: 300}}},
		{Code: "990001003000", Level: domain.LevelTownship, Name: "河西镇", Parent: "990001000000"},
		{Code: areaOther, Level: domain.LevelVillage, Name: "河西村", Parent: "990001003000"},
	}); err != nil {
		t.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &areaFixture{store: st, pol: areaDefaults()}
	f.set("2025-06-15")
	now := func() time.Time { return f.clock }
	n := 0
	newID := func() string { n++; return fmt.Sprintf("a%05d", n) }
	f.svc = domain.NewService(st, protector, now, newID)
	f.visits = domain.NewVisits(st, protector, &f.pol, now, newID)
	f.stats = domain.NewStatistics(st, &f.pol, now)
	return f
}

// set moves the clock to 10:00 in Shanghai on a business date.
func (f *areaFixture) set(date string) {
	d, err := bizdate.Parse(date)
	if err != nil {
		panic(err)
	}
	f.clock = d.Add(10 * time.Hour)
}

// household registers a household of two in a village today.
func (f *areaFixture) household(t *testing.T, village string) *domain.Household {
	t.Helper()
	f.seq++
	h, err := f.svc.CreateHousehold(t.Context(), domain.Caller{Actor: "admin"}, domain.NewHousehold{RegionCode: village,
		Members: []domain.Member{m(domain.RelationHead, id("19700101", 2*f.seq)), m(domain.RelationSpouse, id("19720202", 2*f.seq+1))}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *areaFixture) helper(t *testing.T, hid, start string, primary bool) *domain.Helper {
	t.Helper()
	h, err := f.visits.CreateHelper(t.Context(), domain.Caller{Actor: "admin"}, hid, domain.Helper{FullName: "刘干部",
		Phone: "13812345678", WorkUnit: "县教育局", Primary: primary, StartDate: start, BackdateReason: "补录台账"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *areaFixture) visit(t *testing.T, hid, helperID, date string) {
	t.Helper()
	if _, err := f.visits.CreateVisit(t.Context(), domain.Caller{Actor: "officer"}, hid, domain.Visit{HelperID: helperID,
		Date: date, Kind: domain.VisitKindHome, BackdateReason: "补录"}); err != nil {
		t.Fatal(err)
	}
}

// wantReason checks that err is a refusal with the reason (and field, when given); "" wants success.
func wantReason(t *testing.T, err error, reason, field string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want %s", err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason %s (%v), want %s", e.Reason, err, reason)
	}
	if field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != field) {
		t.Fatalf("fields %v, want %s", e.Fields, field)
	}
}

func TestCheckPhoneAndMask(t *testing.T) {
	tests := []struct {
		name, phone, masked string
		ok                  bool
	}{
		{"mobile", "13812345678", "138****5678", true},
		{"mobile with spaces", "138 1234 5678", "138****5678", true},
		{"landline with dash", "0713-1234567", "071*****4567", true},
		{"landline without dash", "07131234567", "071****4567", true},
		{"mobile of 10 digits", "1381234567", "", false},
		{"mobile starting 12", "12812345678", "", false},
		{"letters", "1381234567a", "", false},
		{"empty", "", "", false},
	}
	f := newAreaFixture(t, sqldb.SQLite)
	h := f.household(t, areaVillage)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.visits.CreateHelper(t.Context(), county, h.ID, domain.Helper{FullName: "王", Phone: tt.phone,
				StartDate: "2025-06-15"})
			if !tt.ok {
				wantReason(t, err, domain.ReasonPhoneInvalid, "helper.phone")
				return
			}
			wantReason(t, err, "", "")
			if got.PhoneMasked != tt.masked {
				t.Errorf("masked %q, want %q", got.PhoneMasked, tt.masked)
			}
		})
	}
}

func TestCreateHelperRules(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	h := f.household(t, areaVillage)
	ctx := t.Context()
	// An existing primary assignment from 2025-01-01 to 2025-03-31, and an open secondary one.
	first, err := f.visits.CreateHelper(ctx, county, h.ID, domain.Helper{FullName: "甲", Phone: "13800000001", Primary: true,
		StartDate: "2025-01-01", EndDate: "2025-03-31", BackdateReason: "补录"})
	wantReason(t, err, "", "")
	_ = first
	tests := []struct {
		name   string
		in     domain.Helper
		reason string
		field  string
	}{
		{"a primary starting the day after the other primary ends", domain.Helper{Primary: true, StartDate: "2025-04-01", BackdateReason: "补录"}, "", ""},
		{"a primary starting on the other primary's last day overlaps", domain.Helper{Primary: true, StartDate: "2025-03-31", EndDate: "2025-03-31", BackdateReason: "补录"},
			domain.ReasonHelperPrimaryOverlap, ""},
		{"a primary ending on the other primary's first day overlaps", domain.Helper{Primary: true, StartDate: "2024-12-01", EndDate: "2025-01-01", BackdateReason: "补录"},
			domain.ReasonHelperPrimaryOverlap, ""},
		{"a primary ending the day before the other starts", domain.Helper{Primary: true, StartDate: "2024-12-01", EndDate: "2024-12-31", BackdateReason: "补录"}, "", ""},
		{"an open primary while one is open", domain.Helper{Primary: true, StartDate: "2025-06-15"}, domain.ReasonHelperPrimaryOverlap, ""},
		{"a secondary helper may overlap", domain.Helper{StartDate: "2025-06-15"}, "", ""},
		{"start today needs no reason", domain.Helper{StartDate: "2025-06-15"}, "", ""},
		{"start yesterday needs a reason", domain.Helper{StartDate: "2025-06-14"}, domain.ReasonBackdateReasonRequired, "helper.backdate_reason"},
		{"start tomorrow is refused", domain.Helper{StartDate: "2025-06-16"}, domain.ReasonDateInvalid, "helper.start_date"},
		{"end before start is refused", domain.Helper{StartDate: "2025-06-15", EndDate: "2025-06-14"}, domain.ReasonDateInvalid, "helper.end_date"},
		{"end on the start day is allowed", domain.Helper{StartDate: "2025-06-15", EndDate: "2025-06-15"}, "", ""},
		{"a name is required", domain.Helper{FullName: " ", StartDate: "2025-06-15"}, domain.ReasonPersonNameInvalid, "helper.full_name"},
		{"a name with a right-to-left override", domain.Helper{FullName: "王\u202e大山", StartDate: "2025-06-15"},
			domain.ReasonPersonNameInvalid, "helper.full_name"},
		{"a name that is a lone zero-width space", domain.Helper{FullName: "\u200b", StartDate: "2025-06-15"},
			domain.ReasonPersonNameInvalid, "helper.full_name"},
		{"a name with a line break and a bell", domain.Helper{FullName: "王\n\x07大山", StartDate: "2025-06-15"},
			domain.ReasonPersonNameInvalid, "helper.full_name"},
		{"a name with the middle dot", domain.Helper{FullName: "阿依古丽·买买提", StartDate: "2025-06-15"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.FullName == "" {
				in.FullName = "乙"
			}
			in.Phone = "13900000002"
			_, err := f.visits.CreateHelper(ctx, county, h.ID, in)
			wantReason(t, err, tt.reason, tt.field)
		})
	}
	t.Run("an archived household gets no helper", func(t *testing.T) {
		a := f.household(t, areaVillage)
		if _, err := f.svc.ArchiveHousehold(ctx, county, a.ID, "", "注销"); err != nil {
			t.Fatal(err)
		}
		_, err := f.visits.CreateHelper(ctx, county, a.ID, domain.Helper{FullName: "丙", Phone: "13900000003", StartDate: "2025-06-15"})
		wantReason(t, err, domain.ReasonHouseholdArchived, "")
	})
	t.Run("outside the caller's region scope", func(t *testing.T) {
		_, err := f.visits.CreateHelper(ctx, domain.Caller{Actor: "x", Scope: "990001003"}, h.ID,
			domain.Helper{FullName: "丁", Phone: "13900000004", StartDate: "2025-06-15"})
		wantReason(t, err, domain.ReasonOutOfRegionScope, "")
	})
}

func TestCreateVisitRules(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	ctx := t.Context()
	h := f.household(t, areaVillage)
	other := f.household(t, areaVillage)
	helper := f.helper(t, h.ID, "2025-05-01", true)
	ended, err := f.visits.CreateHelper(ctx, county, h.ID, domain.Helper{FullName: "旧", Phone: "13900000005", StartDate: "2025-01-01",
		EndDate: "2025-04-30", BackdateReason: "补录"})
	wantReason(t, err, "", "")
	otherHelper := f.helper(t, other.ID, "2025-05-01", true)
	tests := []struct {
		name   string
		helper string
		date   string
		kind   domain.VisitKind
		reason string
		why    string
		field  string
	}{
		{"today needs no reason", helper.ID, "2025-06-15", domain.VisitKindHome, "", "", ""},
		{"yesterday without a reason is refused", helper.ID, "2025-06-14", domain.VisitKindHome, domain.ReasonBackdateReasonRequired, "", "visit.backdate_reason"},
		{"yesterday with a reason", helper.ID, "2025-06-14", domain.VisitKindPhone, "", "手册补录", ""},
		{"tomorrow is refused", helper.ID, "2025-06-16", domain.VisitKindHome, domain.ReasonDateInvalid, "", "visit.visit_date"},
		{"not a date", helper.ID, "2025-02-30", domain.VisitKindHome, domain.ReasonDateInvalid, "", "visit.visit_date"},
		{"a kind is required", helper.ID, "2025-06-15", domain.VisitKindUnspecified, domain.ReasonInvalidField, "", "visit.kind"},
		{"on the assignment's first day", helper.ID, "2025-05-01", domain.VisitKindHome, "", "补录", ""},
		{"the day before the assignment began", helper.ID, "2025-04-30", domain.VisitKindHome, domain.ReasonHelperNotAssigned, "补录", ""},
		{"on an ended assignment's last day", ended.ID, "2025-04-30", domain.VisitKindHome, "", "补录", ""},
		{"the day after an assignment ended", ended.ID, "2025-05-01", domain.VisitKindHome, domain.ReasonHelperNotAssigned, "补录", ""},
		{"another household's helper", otherHelper.ID, "2025-06-15", domain.VisitKindHome, domain.ReasonHelperNotAssigned, "", "visit.helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := f.visits.CreateVisit(ctx, domain.Caller{Actor: "officer"}, h.ID, domain.Visit{HelperID: tt.helper, Date: tt.date,
				Kind: tt.kind, BackdateReason: tt.why, Findings: "住房安全"})
			wantReason(t, err, tt.reason, tt.field)
			if err == nil && (v.Actor != "officer" || !v.RecordTime.Equal(f.clock) || v.Date != tt.date) {
				t.Errorf("visit %+v: want the actor, the recording time and the visit date kept apart", v)
			}
		})
	}
	t.Run("visits list newest first, in pages", func(t *testing.T) {
		first, err := f.visits.ListVisits(ctx, county, h.ID, domain.VisitCursor{}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 2 || first[0].Date != "2025-06-15" || first[1].Date != "2025-06-14" {
			t.Fatalf("first page %+v", first)
		}
		rest, err := f.visits.ListVisits(ctx, county, h.ID, domain.VisitCursor{Date: first[1].Date, ID: first[1].ID}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != 2 || rest[0].Date != "2025-05-01" || rest[1].Date != "2025-04-30" {
			t.Fatalf("second page %+v", rest)
		}
	})
}

func TestEndHelperRules(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	ctx := t.Context()
	h := f.household(t, areaVillage)
	helper := f.helper(t, h.ID, "2025-05-01", true)
	f.visit(t, h.ID, helper.ID, "2025-06-01")
	tests := []struct {
		name, date, reason, want, field string
	}{
		{"before the assignment began", "2025-04-30", "调离", domain.ReasonDateInvalid, "end_date"},
		{"in the future", "2025-06-16", "调离", domain.ReasonDateInvalid, "end_date"},
		{"without a reason", "2025-06-10", "", domain.ReasonInvalidField, "reason"},
		{"before a visit by this helper", "2025-05-31", "调离", domain.ReasonHelperHasLaterVisits, ""},
		{"on the day of its last visit", "2025-06-01", "调离", "", ""},
		{"once ended it cannot end again", "2025-06-10", "调离", domain.ReasonHelperEnded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.visits.EndHelper(ctx, county, h.ID, helper.ID, tt.date, tt.reason)
			wantReason(t, err, tt.want, tt.field)
			if err == nil && (got.EndDate != tt.date || got.EndActor != county.Actor || got.ActiveOn("2025-06-02")) {
				t.Errorf("ended %+v", got)
			}
		})
	}
	t.Run("a new primary may start the day after", func(t *testing.T) {
		f.helper(t, h.ID, "2025-06-02", true)
	})
	t.Run("an unknown helper", func(t *testing.T) {
		_, err := f.visits.EndHelper(ctx, county, h.ID, "nobody", "2025-06-10", "调离")
		if !errorsIsNotFound(err) {
			t.Errorf("err = %v", err)
		}
	})
}

func errorsIsNotFound(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.KindNotFound
}

func TestListOverdue(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newAreaFixture(t, d)
		ctx := t.Context()
		// Households with their helpers' and visits' history, judged as of 2025-06-15 (interval 30 days:
		// 2025-05-16 is day 30, 2025-05-15 day 31).
		type setup struct {
			name    string
			village string
			start   string   // helper assignment start
			end     string   // helper assignment end, "" open
			visits  []string // visit dates
			overdue bool
			days    int
		}
		setups := []setup{
			{"visited on day 30 is in time", areaVillage, "2025-01-01", "", []string{"2025-05-16"}, false, 0},
			{"visited on day 31 is overdue", areaVillage, "2025-01-01", "", []string{"2025-03-01", "2025-05-15"}, true, 31},
			{"never visited, assigned 30 days ago, is in time", areaVillage, "2025-05-16", "", nil, false, 0},
			{"never visited, assigned 31 days ago, is overdue", areaVillage2, "2025-05-15", "", nil, true, 31},
			{"visited today", areaVillage2, "2025-01-01", "", []string{"2025-04-01", "2025-06-15"}, false, 0},
			{"no helper on the date: not listed", areaVillage, "2025-01-01", "2025-05-31", []string{"2025-02-01"}, false, 0},
			{"another township", areaOther, "2025-01-01", "", nil, true, 165},
		}
		want := map[string]setup{}
		for _, s := range setups {
			f.set(s.start)
			h := f.household(t, s.village)
			helper, err := f.visits.CreateHelper(ctx, county, h.ID, domain.Helper{FullName: "干部", Phone: "13800000000", Primary: true,
				StartDate: s.start, EndDate: s.end})
			wantReason(t, err, "", "")
			for _, v := range s.visits {
				f.set(v)
				f.visit(t, h.ID, helper.ID, v)
			}
			want[h.ID] = s
		}
		f.set("2025-06-15")
		got, err := f.visits.ListOverdue(ctx, county, "", "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]*domain.OverdueHousehold{}
		for _, o := range got.Households {
			listed[o.HouseholdID] = o
		}
		for hid, s := range want {
			t.Run(s.name, func(t *testing.T) {
				o := listed[hid]
				if (o != nil) != s.overdue {
					t.Fatalf("listed %v, want %v", o != nil, s.overdue)
				}
				if o != nil && (o.DaysSince != s.days || o.Helper == nil) {
					t.Errorf("days since %d (reference %s), want %d; helper %v", o.DaysSince, o.Reference, s.days, o.Helper)
				}
			})
		}
		if len(got.Policies) != 1 || got.Policies[0].Parameter != domain.ParamVisitInterval {
			t.Errorf("policies %+v", got.Policies)
		}
		t.Run("a township officer sees only their township", func(t *testing.T) {
			got, err := f.visits.ListOverdue(ctx, domain.Caller{Actor: "x", Scope: "990001003"}, "", "", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Households) != 1 || got.Households[0].RegionCode != areaOther {
				t.Errorf("got %+v", got.Households)
			}
			_, err = f.visits.ListOverdue(ctx, domain.Caller{Actor: "x", Scope: "990001003"}, "990001002", "", "", 100)
			wantReason(t, err, domain.ReasonOutOfRegionScope, "")
		})
		t.Run("a region narrows the scope, pages continue after the last household", func(t *testing.T) {
			first, err := f.visits.ListOverdue(ctx, county, "990001002", "", "", 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Households) != 1 || first.Next == "" {
				t.Fatalf("first page %+v", first)
			}
			rest, err := f.visits.ListOverdue(ctx, county, "990001002", "", first.Next, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(rest.Households) != 1 || rest.Next != "" {
				t.Fatalf("second page %+v", rest.Households)
			}
		})
		t.Run("a village's own interval applies to that village only", func(t *testing.T) {
			f.pol = append(f.pol, policy.Entry{Parameter: domain.ParamVisitInterval, Region: areaOther, Effective: "2024-01-01",
				Value: json.RawMessage(`200`)})
			defer func() { f.pol = areaDefaults() }()
			got, err := f.visits.ListOverdue(ctx, county, "", "", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range got.Households {
				if o.RegionCode == areaOther {
					t.Errorf("165 days is within the village's 200")
				}
			}
			if len(got.Households) != 2 || len(got.Policies) != 2 {
				t.Errorf("got %d households, %d policies", len(got.Households), len(got.Policies))
			}
		})
		t.Run("visits after the as-of date do not count", func(t *testing.T) {
			got, err := f.visits.ListOverdue(ctx, county, areaVillage2, "2025-05-31", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			days := map[int]bool{}
			for _, o := range got.Households {
				days[o.DaysSince] = true
			}
			// Visited 2025-04-01 and 2025-06-15: as of 2025-05-31 the last visit is 60 days old.
			if !days[60] {
				t.Errorf("got %+v", got.Households)
			}
		})
		t.Run("as of a date before any policy", func(t *testing.T) {
			_, err := f.visits.ListOverdue(ctx, county, "", "2023-12-31", "", 100)
			wantReason(t, err, domain.ReasonPolicyValueMissing, "")
		})
		t.Run("as of a future date", func(t *testing.T) {
			_, err := f.visits.ListOverdue(ctx, county, "", "2025-06-16", "", 100)
			wantReason(t, err, domain.ReasonDateInvalid, "as_of_date")
		})
		t.Run("an archived household is not listed from the day it was archived", func(t *testing.T) {
			var hid string
			for id, s := range want {
				if s.village == areaOther {
					hid = id
				}
			}
			if _, err := f.svc.ArchiveHousehold(ctx, county, hid, "", "注销"); err != nil {
				t.Fatal(err)
			}
			got, err := f.visits.ListOverdue(ctx, domain.Caller{Scope: "990001003"}, "", "", "", 100)
			if err != nil || len(got.Households) != 0 {
				t.Errorf("got %+v, %v", got, err)
			}
			yesterday, err := f.visits.ListOverdue(ctx, domain.Caller{Scope: "990001003"}, "", "2025-06-14", "", 100)
			if err != nil || len(yesterday.Households) != 1 {
				t.Errorf("as of the day before: %+v, %v", yesterday, err)
			}
		})
	})
}
