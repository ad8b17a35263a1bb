package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// Identification's enum numbers, as the register's export carries them.
const (
	ordinary, poor, exited, returned = 1, 2, 3, 4
	unstable, marginal               = 1, 2
	open, riskRemoved                = 1, 2
)

func entry(id, region string, registry, mtype, mstatus int32, members ...string) domain.RegisterEntry {
	return domain.RegisterEntry{HouseholdID: id, RegionCode: region, Registry: registry, MonitoringType: mtype,
		MonitoringStatus: mstatus, Size: len(members), IDIndexes: members}
}

func dibao(id, region string, covered int, persons ...string) domain.DibaoHousehold {
	return domain.DibaoHousehold{HouseholdID: id, RegionCode: region, Source: "dibaoCases/c-" + id, Covered: covered, IDIndexes: persons}
}

// mm is a mismatch written compactly for the tables: kind, reason, household, and the register statuses.
type mm struct {
	kind      domain.MismatchKind
	reason    domain.MismatchReason
	household string
	registry  int32
}

func defaultRule(t *testing.T) domain.RegisteredRule {
	t.Helper()
	r, err := domain.ComparisonPolicy{RegistryStatuses: []string{"poor", "returned"}, OpenMonitoring: true}.Rule()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func match(rule domain.RegisteredRule, d []domain.DibaoHousehold, register []domain.RegisterEntry) (domain.ComparisonCounts, []domain.Mismatch) {
	m := domain.NewMatcher(rule, d)
	for i := range register {
		m.Add(&register[i])
	}
	return m.Result()
}

func TestMatcher(t *testing.T) {
	const v1, v2 = "990001001001", "990001002003"
	for _, tc := range []struct {
		name     string
		dibao    []domain.DibaoHousehold
		register []domain.RegisterEntry
		want     []mm
		// covered is the number of registered households covered by 低保.
		covered int64
	}{
		{name: "both lists empty"},
		{name: "a registered poor household on the 低保 list by household",
			dibao:    []domain.DibaoHousehold{dibao("h1", v1, 2)},
			register: []domain.RegisterEntry{entry("h1", v1, poor, 0, 0, "a", "b")},
			covered:  1},
		{name: "poor, returned and an open monitoring object, none covered",
			register: []domain.RegisterEntry{entry("h1", v1, poor, 0, 0, "a"), entry("h2", v2, returned, 0, 0, "b"),
				entry("h3", v1, ordinary, marginal, open, "c")},
			want: []mm{{domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered, "h1", poor},
				{domain.MismatchRegisteredNotCovered, domain.ReasonMonitoredNotCovered, "h3", ordinary},
				{domain.MismatchRegisteredNotCovered, domain.ReasonReturnedNotCovered, "h2", returned}}},
		{name: "an exited household whose monitoring is open is reported as a monitoring object",
			register: []domain.RegisterEntry{entry("h1", v1, exited, unstable, open, "a")},
			want:     []mm{{domain.MismatchRegisteredNotCovered, domain.ReasonMonitoredNotCovered, "h1", exited}}},
		{name: "ordinary, exited and risk-removed households are not registered",
			register: []domain.RegisterEntry{entry("h1", v1, ordinary, 0, 0, "a"), entry("h2", v1, exited, 0, 0, "b"),
				entry("h3", v1, exited, unstable, riskRemoved, "c"), entry("h4", v1, ordinary, 0, open, "d")}},
		{name: "the register alone: every registered household is uncovered",
			register: []domain.RegisterEntry{entry("h2", v2, poor, 0, 0, "a"), entry("h1", v2, poor, 0, 0, "b")},
			want: []mm{{domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered, "h1", poor},
				{domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered, "h2", poor}}},
		{name: "the 低保 list alone: every 低保 household is not in the register",
			dibao: []domain.DibaoHousehold{dibao("h1", v1, 1), dibao("h2", v1, 1, "x")},
			want: []mm{{domain.MismatchDibaoNotRegistered, domain.ReasonNotInRegister, "h1", 0},
				{domain.MismatchDibaoNotRegistered, domain.ReasonNotInRegister, "h2", 0}}},
		{name: "a 低保 household that is ordinary in the register",
			dibao:    []domain.DibaoHousehold{dibao("h1", v1, 3)},
			register: []domain.RegisterEntry{entry("h1", v1, ordinary, 0, 0, "a", "b", "c")},
			want:     []mm{{domain.MismatchDibaoNotRegistered, domain.ReasonNotPoor, "h1", ordinary}}},
		{name: "a covered member who moved to a poor household takes the coverage along",
			dibao: []domain.DibaoHousehold{dibao("old", v1, 1, "moved")},
			register: []domain.RegisterEntry{entry("old", v1, ordinary, 0, 0, "stayed"),
				entry("new", v2, poor, 0, 0, "moved", "spouse")},
			covered: 1},
		{name: "recorded persons match by person only: a poor household that lost its covered member is uncovered",
			dibao: []domain.DibaoHousehold{dibao("old", v1, 1, "moved")},
			register: []domain.RegisterEntry{entry("old", v1, poor, 0, 0, "stayed"),
				entry("new", v2, ordinary, 0, 0, "moved")},
			want: []mm{{domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered, "old", poor},
				{domain.MismatchDibaoNotRegistered, domain.ReasonNotPoor, "old", ordinary}}},
		{name: "persons split between an ordinary and a poor household: registered",
			dibao: []domain.DibaoHousehold{dibao("d", v1, 2, "p1", "p2")},
			register: []domain.RegisterEntry{entry("a", v1, ordinary, 0, 0, "p1"),
				entry("b", v1, returned, 0, 0, "p2")},
			covered: 1},
		{name: "a 低保 household whose persons left the compared region is not in the register",
			dibao:    []domain.DibaoHousehold{dibao("d", v1, 1, "gone")},
			register: []domain.RegisterEntry{entry("a", v1, poor, 0, 0, "other")},
			want: []mm{{domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered, "a", poor},
				{domain.MismatchDibaoNotRegistered, domain.ReasonNotInRegister, "d", 0}}},
		{name: "one register household covered by two 低保 households counts once",
			dibao:    []domain.DibaoHousehold{dibao("h1", v1, 1), dibao("x", v1, 1, "a")},
			register: []domain.RegisterEntry{entry("h1", v1, poor, 0, 0, "a")},
			covered:  1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The order the register arrives in must not matter.
			for _, order := range []string{"as listed", "reversed"} {
				register := slices.Clone(tc.register)
				if order == "reversed" {
					slices.Reverse(register)
				}
				counts, got := match(defaultRule(t), tc.dibao, register)
				var short []mm
				for i, m := range got {
					if m.Seq != i+1 {
						t.Errorf("%s: mismatch %d numbered %d", order, i, m.Seq)
					}
					short = append(short, mm{m.Kind, m.Reason, m.HouseholdID, m.Registry})
				}
				if !slices.Equal(short, tc.want) {
					t.Errorf("%s: mismatches\n got %v\nwant %v", order, short, tc.want)
				}
				var notCovered, notRegistered int64
				for _, w := range tc.want {
					if w.kind == domain.MismatchRegisteredNotCovered {
						notCovered++
					} else {
						notRegistered++
					}
				}
				persons := 0
				for _, e := range tc.register {
					persons += len(e.IDIndexes)
				}
				want := domain.ComparisonCounts{RegisterHouseholds: int64(len(tc.register)), RegisterPersons: int64(persons),
					Registered: tc.covered + notCovered, DibaoHouseholds: int64(len(tc.dibao)), RegisteredCovered: tc.covered,
					RegisteredNotCovered: notCovered, DibaoNotRegistered: notRegistered}
				if counts != want {
					t.Errorf("%s: counts\n got %+v\nwant %+v", order, counts, want)
				}
			}
		})
	}
}

func TestMismatchDetails(t *testing.T) {
	_, got := match(defaultRule(t), []domain.DibaoHousehold{dibao("d", "990001002003", 3)},
		[]domain.RegisterEntry{entry("d", "990001002004", exited, unstable, riskRemoved, "a", "b"),
			entry("p", "990001001001", returned, marginal, riskRemoved, "c")})
	want := []domain.Mismatch{
		{Seq: 1, Kind: domain.MismatchRegisteredNotCovered, Reason: domain.ReasonReturnedNotCovered, HouseholdID: "p",
			RegionCode: "990001001001", Registry: returned, MonitoringType: marginal, MonitoringStatus: riskRemoved, RegisterSize: 1},
		// The 低保 household's region is the entitlement's; its statuses the register's.
		{Seq: 2, Kind: domain.MismatchDibaoNotRegistered, Reason: domain.ReasonNotPoor, HouseholdID: "d", RegionCode: "990001002003",
			Registry: exited, MonitoringType: unstable, MonitoringStatus: riskRemoved, RegisterSize: 2,
			DibaoSource: "dibaoCases/c-d", Covered: 3},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestComparisonPolicy(t *testing.T) {
	monitoredOrdinary := entry("m", "990001001001", ordinary, marginal, open, "a")
	exitedHousehold := entry("e", "990001001001", exited, 0, 0, "b")
	for _, tc := range []struct {
		name    string
		pol     domain.ComparisonPolicy
		wantErr bool
		want    []string // households reported uncovered
	}{
		{name: "the default: poor, returned, open monitoring", pol: domain.ComparisonPolicy{RegistryStatuses: []string{"poor", "returned"}, OpenMonitoring: true},
			want: []string{"m"}},
		{name: "without monitoring objects", pol: domain.ComparisonPolicy{RegistryStatuses: []string{"poor", "returned"}}},
		{name: "a county that also covers exited households", pol: domain.ComparisonPolicy{RegistryStatuses: []string{"exited"}},
			want: []string{"e"}},
		{name: "an unknown status name", pol: domain.ComparisonPolicy{RegistryStatuses: []string{"POOR"}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule, err := tc.pol.Rule()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			_, got := match(rule, nil, []domain.RegisterEntry{exitedHousehold, monitoredOrdinary})
			var ids []string
			for _, m := range got {
				ids = append(ids, m.HouseholdID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("uncovered %v, want %v", ids, tc.want)
			}
		})
	}
}

// missingPolicy has no value in force, so a run that gets past its month check is refused for the policy.
type missingPolicy struct{}

func (missingPolicy) Decode(parameter, region string, _ time.Time, _ any) (policy.Value, error) {
	return policy.Value{}, fmt.Errorf("%s for %q: %w", parameter, region, policy.ErrNotFound)
}

func TestComparisonMonth(t *testing.T) {
	now := time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC) // 2026-04-01 02:00 in Asia/Shanghai
	cs := domain.NewComparisons(nil, nil, missingPolicy{}, func() time.Time { return now }, func() string { return "id" })
	by := workflow.Caller{Actor: "u"}
	for _, tc := range []struct {
		month string
		ok    bool
	}{
		{"", true},         // this month
		{"2026-04", true},  // this month in the business time zone
		{"2026-03", true},  // an earlier month
		{"2026-05", false}, // after this month
		{"2026-4", false},
		{"2026-13", false},
	} {
		_, err := cs.Run(t.Context(), by, tc.month)
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("month %q: %v", tc.month, err)
		}
		if tc.ok && ae.Reason != workflow.ReasonPolicyValueMissing {
			t.Errorf("month %q: refused with %s, want it accepted (then refused for the missing policy)", tc.month, ae.Reason)
		}
		if !tc.ok && (ae.Reason != domain.ReasonMonthInvalid || ae.Kind != apperr.KindInvalid) {
			t.Errorf("month %q: kind %d %s, want INVALID MONTH_INVALID", tc.month, ae.Kind, ae.Reason)
		}
	}
}
