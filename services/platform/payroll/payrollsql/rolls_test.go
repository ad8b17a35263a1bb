package payrollsql_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsql"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// computeDay is a policy with one value: the roll's compute day.
type computeDay int

func (d computeDay) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	if parameter != paramComputeDay {
		return policy.Value{}, policy.ErrNotFound
	}
	raw := json.RawMessage(fmt.Sprint(int(d)))
	return policy.Value{Parameter: parameter, Raw: raw, Hash: "h"}, json.Unmarshal(raw, into)
}

// counterLocks hands out growing tokens, as etcd revisions grow; it never waits (each test computes one
// roll at a time).
type counterLocks struct{ n int64 }

func (l *counterLocks) Lock(context.Context, string) (int64, func(), error) {
	l.n += 100
	return l.n, func() {}, nil
}

// rollFixture is a store with the roll use cases on a movable clock.
type rollFixture struct {
	s     *payrollsql.Store
	rolls *payroll.Rolls
	now   time.Time
	at    time.Time
}

func newRollFixture(t *testing.T, d sqldb.Dialect) *rollFixture {
	// Microsecond precision in the local zone, as times read back from the database are.
	now := time.UnixMicro(time.Date(2026, 6, 25, 10, 0, 0, 0, bizdate.Location).UnixMicro())
	f := &rollFixture{s: newStore(t, d), now: now}
	f.at = f.now
	f.rolls = payroll.NewRolls(subsidiesConfig, f.s, &counterLocks{n: 1000}, computeDay(20), func() time.Time { return f.now })
	return f
}

var civil = payroll.RollCaller{Actor: "u-civil", Department: payroll.DepartmentCivilAffairs}

func (f *rollFixture) grant(t *testing.T, id, beneficiary, region, from, to string, fen int64) {
	t.Helper()
	f.at = f.at.Add(time.Second)
	e := &payroll.Entitlement{ID: id, Program: payroll.ProgramDibao, Beneficiary: beneficiary, HouseholdID: beneficiary[len("households/"):],
		RegionCode: region, Source: "dibaoCases/" + id, FromMonth: from, ToMonth: to, AmountFen: fen, Covered: 1,
		Reason: "低保审批", CreateTime: f.at, UpdateTime: f.at}
	if err := f.s.GrantEntitlement(t.Context(), e); err != nil {
		t.Fatal(err)
	}
}

func (f *rollFixture) compute(t *testing.T, month string, token int64) *payroll.Roll {
	t.Helper()
	r, err := f.rolls.Compute(t.Context(), civil, payroll.ProgramDibao, month, token)
	if err != nil {
		t.Fatalf("compute %s: %v", month, err)
	}
	return r
}

func (f *rollFixture) approve(t *testing.T, month string) {
	t.Helper()
	if _, err := f.rolls.Approve(t.Context(), civil, payroll.RollID(payroll.ProgramDibao, month), ""); err != nil {
		t.Fatalf("approve %s: %v", month, err)
	}
}

func (f *rollFixture) lines(t *testing.T, month string, q payroll.RollLineQuery) []payroll.RollLine {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	ls, err := f.rolls.Lines(t.Context(), civil, payroll.RollID(payroll.ProgramDibao, month), q)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// reduceMarchTwice pays households/h1 (village 990001001001) 1,200 元 a month from January, computes and
// approves the rolls of March and April and computes May's, reducing March after each approval: the first
// reduction (to 900 元) is recovered in April; the second (to 600 元) would need a second recovery of
// March, so May's roll holds it. It returns May's roll.
func (f *rollFixture) reduceMarchTwice(t *testing.T) *payroll.Roll {
	t.Helper()
	f.grant(t, "e1", "households/h1", "990001001001", "2026-01", "", 120000)
	f.compute(t, "2026-03", 1)
	f.approve(t, "2026-03")
	if err := f.s.EndEntitlement(t.Context(), "e1", "2026-02", "减员", f.now); err != nil {
		t.Fatal(err)
	}
	f.grant(t, "e2", "households/h1", "990001001001", "2026-03", "", 90000)
	f.compute(t, "2026-04", 2)
	f.approve(t, "2026-04")
	if err := f.s.EndEntitlement(t.Context(), "e2", "2026-02", "再次减员", f.now); err != nil {
		t.Fatal(err)
	}
	f.grant(t, "e3", "households/h1", "990001001001", "2026-03", "", 60000)
	return f.compute(t, "2026-05", 3)
}

// refusedWith checks err is a refusal of kind with reason.
func refusedWith(t *testing.T, err error, kind apperr.Kind, reason string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind || e.Reason != reason {
		t.Fatalf("got %v, want %s (kind %d)", err, reason, kind)
	}
}

func TestRollStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		ctx := t.Context()
		f.grant(t, "e1", "households/h1", "990001001001", "2026-01", "", 120000)
		f.grant(t, "e2", "households/h2", "990001002003", "2026-03", "", 80000)
		f.grant(t, "e3", "households/h3", "990001001002", "2026-03", "2026-03", 50000) // ended before April

		t.Run("the first roll pays its month only", func(t *testing.T) {
			r := f.compute(t, "2026-04", 10)
			want := payroll.RollTotals{Lines: 2, AmountFen: 200000, Regular: 2, RegularFen: 200000}
			if r.State != payroll.RollDraft || r.Totals != want || r.FirstMonth != "2026-04" || r.FencingToken != 10 ||
				r.Computations != 1 || r.ComputedBy != "u-civil" {
				t.Fatalf("roll %+v", r)
			}
			got, err := f.s.GetRoll(ctx, payroll.ProgramDibao, "2026-04")
			if err != nil || !reflect.DeepEqual(got, r) {
				t.Fatalf("read back %+v %v\nwant %+v", got, err, r)
			}
		})
		t.Run("a draft recomputed gives the same lines", func(t *testing.T) {
			before := f.lines(t, "2026-04", payroll.RollLineQuery{})
			f.now = f.now.Add(time.Minute)
			r := f.compute(t, "2026-04", 10)
			after := f.lines(t, "2026-04", payroll.RollLineQuery{})
			if !reflect.DeepEqual(before, after) || len(after) != 2 || r.Computations != 2 || r.Version != 2 {
				t.Fatalf("before %v\nafter %v\nroll %+v", before, after, r)
			}
			// The roll's order: village, then beneficiary.
			if after[0].RegionCode != "990001001001" || after[1].RegionCode != "990001002003" {
				t.Errorf("order %v", after)
			}
		})
		t.Run("a smaller fencing token is refused, an equal or larger one accepted", func(t *testing.T) {
			_, err := f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-04", 9)
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollFenced)
			if r := f.compute(t, "2026-04", 12); r.FencingToken != 12 {
				t.Errorf("token %d", r.FencingToken)
			}
			_, err = f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-04", 10)
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollFenced)
		})
		t.Run("a second roll of the month cannot be created", func(t *testing.T) {
			err := f.s.CreateRoll(ctx, &payroll.Roll{Program: payroll.ProgramDibao, Month: "2026-04", State: payroll.RollDraft, CreateTime: f.now})
			if !errors.Is(err, payroll.ErrRollExists) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("the next month waits for this one's approval", func(t *testing.T) {
			_, err := f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-05", 20)
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollEarlierNotApproved)
		})
		t.Run("hand-off needs approval; approval needs the current etag", func(t *testing.T) {
			_, err := f.rolls.HandOff(ctx, civil, "dibao-2026-04")
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollNotApproved)
			_, err = f.rolls.Approve(ctx, civil, "dibao-2026-04", "1")
			if !errors.Is(err, apperr.StaleEtag) {
				t.Fatalf("stale etag: %v", err)
			}
			r, err := f.rolls.Approve(ctx, civil, "dibao-2026-04", "3")
			if err != nil || r.State != payroll.RollApproved || r.ApprovedBy != "u-civil" || !r.ApproveTime.Equal(f.now) {
				t.Fatalf("approve: %+v %v", r, err)
			}
			_, err = f.rolls.Approve(ctx, civil, "dibao-2026-04", "")
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollNotDraft)
		})
		t.Run("an approved roll never changes", func(t *testing.T) {
			before := f.lines(t, "2026-04", payroll.RollLineQuery{})
			_, err := f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-04", 99)
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollNotDraft)
			if after := f.lines(t, "2026-04", payroll.RollLineQuery{}); !reflect.DeepEqual(before, after) {
				t.Fatalf("lines changed: %v", after)
			}
		})
		t.Run("death and late approval: recovery and back pay in the next roll", func(t *testing.T) {
			// h1's head died in March, recorded now: the household's 低保 ends with March.
			if err := f.s.EndEntitlement(ctx, "e1", "2026-03", "死亡", f.now); err != nil {
				t.Fatal(err)
			}
			// h4 was approved late, from February.
			f.grant(t, "e4", "households/h4", "990001001001", "2026-02", "", 30000)
			r := f.compute(t, "2026-05", 20)
			got := f.lines(t, "2026-05", payroll.RollLineQuery{})
			type brief struct {
				B, P string
				K    payroll.RollLineKind
				F    int64
			}
			var gotB []brief
			for _, l := range got {
				gotB = append(gotB, brief{l.Beneficiary, l.Period, l.Kind, l.AmountFen})
			}
			want := []brief{
				{"households/h1", "2026-04", payroll.RollLineRecovery, -120000},
				{"households/h4", "2026-04", payroll.RollLineBackPay, 30000}, // back pay starts at the first roll, April
				{"households/h4", "2026-05", payroll.RollLineRegular, 30000},
				{"households/h2", "2026-05", payroll.RollLineRegular, 80000},
			}
			if !reflect.DeepEqual(gotB, want) {
				t.Fatalf("lines\n%v\nwant\n%v", gotB, want)
			}
			wantT := payroll.RollTotals{Lines: 4, AmountFen: 20000, Regular: 2, RegularFen: 110000, BackPay: 1, BackPayFen: 30000,
				Recovery: 1, RecoveryFen: -120000}
			if r.Totals != wantT || r.FirstMonth != "2026-04" {
				t.Fatalf("roll %+v", r)
			}
			if got[0].Reason != "追回 2026-04: 应发 0 分, 已发 120000 分; 原因: 死亡" || !reflect.DeepEqual(got[0].EntitlementIDs, []string{"e1"}) {
				t.Errorf("recovery line %+v", got[0])
			}
		})
		t.Run("a month before the latest roll cannot be computed", func(t *testing.T) {
			_, err := f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-03", 30)
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollMonthBehind)
		})
		t.Run("a future month is invalid", func(t *testing.T) {
			_, err := f.rolls.Compute(ctx, civil, payroll.ProgramDibao, "2026-07", 30)
			refusedWith(t, err, apperr.KindInvalid, "MONTH_INVALID")
		})
		t.Run("the other department is denied", func(t *testing.T) {
			fed := payroll.RollCaller{Actor: "u-fed", Department: payroll.DepartmentFederation}
			_, err := f.rolls.Compute(ctx, fed, payroll.ProgramDibao, "2026-05", 40)
			refusedWith(t, err, apperr.KindPermissionDenied, payroll.ReasonProgramOfOtherDepartment)
			_, err = f.rolls.Approve(ctx, fed, "dibao-2026-05", "")
			refusedWith(t, err, apperr.KindPermissionDenied, payroll.ReasonProgramOfOtherDepartment)
		})
		t.Run("lines page, filter by kind and region, and stay in scope", func(t *testing.T) {
			all := f.lines(t, "2026-05", payroll.RollLineQuery{})
			var paged []payroll.RollLine
			q := payroll.RollLineQuery{Limit: 3}
			for {
				page := f.lines(t, "2026-05", q)
				paged = append(paged, page...)
				if len(page) < q.Limit {
					break
				}
				q.After = &page[len(page)-1]
			}
			if !reflect.DeepEqual(all, paged) {
				t.Errorf("paged %v", paged)
			}
			if ls := f.lines(t, "2026-05", payroll.RollLineQuery{Kind: payroll.RollLineRegular}); len(ls) != 2 {
				t.Errorf("regular %v", ls)
			}
			if ls := f.lines(t, "2026-05", payroll.RollLineQuery{RegionPrefix: "990001002"}); len(ls) != 1 || ls[0].Beneficiary != "households/h2" {
				t.Errorf("township 002 %v", ls)
			}
			township := payroll.RollCaller{Actor: "u-t", Department: payroll.DepartmentCivilAffairs, Scope: "990001001"}
			ls, err := f.rolls.Lines(ctx, township, "dibao-2026-05", payroll.RollLineQuery{Limit: 100})
			if err != nil || len(ls) != 3 {
				t.Errorf("township scope: %v %v", ls, err)
			}
			_, err = f.rolls.Lines(ctx, township, "dibao-2026-05", payroll.RollLineQuery{RegionPrefix: "990001002", Limit: 100})
			refusedWith(t, err, apperr.KindPermissionDenied, payroll.ReasonRollOutOfRegionScope)
			_, err = f.rolls.Lines(ctx, civil, "dibao-2026-01", payroll.RollLineQuery{Limit: 100})
			if !errors.Is(err, payroll.ErrRollNotFound) {
				t.Errorf("unknown roll: %v", err)
			}
		})
		t.Run("hand-off publishes the totals on the change feed", func(t *testing.T) {
			f.approve(t, "2026-05")
			r, err := f.rolls.HandOff(ctx, civil, "dibao-2026-05")
			if err != nil || r.State != payroll.RollHandedOff || r.HandedOffBy != "u-civil" {
				t.Fatalf("%+v %v", r, err)
			}
			changes, err := outbox.New(f.s.DB(), nil).List(ctx, outbox.Query{Topics: []string{payrollsql.TopicRollHandedOff}, Limit: 10})
			if err != nil || len(changes) != 1 {
				t.Fatalf("changes %v %v", changes, err)
			}
			var p payrollv1.RollHandedOff
			if err := changes[0].GetPayload().UnmarshalTo(&p); err != nil {
				t.Fatal(err)
			}
			if p.GetRoll() != "paymentRolls/dibao-2026-05" || p.GetTotals().GetAmountFen() != 20000 || p.GetTotals().GetRecoveryCount() != 1 ||
				p.GetHandedOffBy() != "u-civil" || changes[0].GetResource() != "paymentRolls/dibao-2026-05" ||
				p.GetProgramCode() != "dibao" || p.GetDepartment() != "civil_affairs" || p.GetMonth() != "2026-05" ||
				p.GetLineCount() != 4 || p.GetAmountFen() != 20000 || p.GetProgram() != payrollv1.Program_PROGRAM_DIBAO {
				t.Errorf("payload %v", &p)
			}
			_, err = f.rolls.HandOff(ctx, civil, "dibao-2026-05")
			refusedWith(t, err, apperr.KindRefused, payroll.ReasonRollNotApproved)
		})
		t.Run("rolls list newest month first and page", func(t *testing.T) {
			fed := payroll.RollCaller{Actor: "u-fed", Department: payroll.DepartmentFederation}
			e := &payroll.Entitlement{ID: "c1", Program: payroll.ProgramCareSubsidy, Beneficiary: "persons/p1", HouseholdID: "h9",
				PersonID: "p1", RegionCode: "990001001001", Source: "s", FromMonth: "2026-05", AmountFen: 10000, Covered: 1,
				CreateTime: f.now, UpdateTime: f.now}
			if err := f.s.GrantEntitlement(ctx, e); err != nil {
				t.Fatal(err)
			}
			if _, err := f.rolls.Compute(ctx, fed, payroll.ProgramCareSubsidy, "2026-05", 41); err != nil {
				t.Fatal(err)
			}
			var names []string
			q := payroll.RollQuery{Limit: 2}
			for {
				page, err := f.rolls.List(ctx, civil, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					names = append(names, r.ID())
				}
				if len(page) < q.Limit {
					break
				}
				q.AfterMonth, q.AfterProgram = page[len(page)-1].Month, page[len(page)-1].Program
			}
			want := []string{"dibao-2026-05", "care-subsidy-2026-05", "dibao-2026-04"}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("rolls %v", names)
			}
			only, err := f.rolls.List(ctx, civil, payroll.RollQuery{Program: payroll.ProgramCareSubsidy, Limit: 10})
			if err != nil || len(only) != 1 {
				t.Errorf("care only %v %v", only, err)
			}
		})
	})
}

func TestRollHeldAdjustmentsStored(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		r := f.reduceMarchTwice(t)
		if len(r.Held) != 1 || r.Held[0].Period != "2026-03" || r.Held[0].AmountFen != -30000 || r.Held[0].Kind != payroll.RollLineRecovery {
			t.Fatalf("held %+v", r.Held)
		}
		got, err := f.s.GetRoll(t.Context(), payroll.ProgramDibao, "2026-05")
		if err != nil || !reflect.DeepEqual(got.Held, r.Held) {
			t.Fatalf("held read back %+v %v", got, err)
		}
		// April's own month was paid 90000 and is due 60000: recovered normally.
		ls := f.lines(t, "2026-05", payroll.RollLineQuery{Kind: payroll.RollLineRecovery})
		if len(ls) != 1 || ls[0].Period != "2026-04" || ls[0].AmountFen != -30000 {
			t.Errorf("recoveries %+v", ls)
		}
	})
}

func TestRollScheduledMonth(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		f.grant(t, "e1", "households/h1", "990001001001", "2026-01", "", 120000)
		at := func(day int, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, bizdate.Location) }
		check := func(name string, now time.Time, want bool) {
			t.Helper()
			f.now = now
			month, due, err := f.rolls.ScheduledMonth(t.Context(), payroll.ProgramDibao)
			if err != nil || due != want || (due && month != "2026-06") {
				t.Errorf("%s: %q %v %v, want due %v", name, month, due, err, want)
			}
		}
		check("the day before the compute day", at(19, 23), false)
		check("the compute day, no roll yet", at(20, 0), true)
		if _, err := f.rolls.ComputeScheduled(t.Context(), payroll.ProgramDibao, "2026-06"); err != nil {
			t.Fatal(err)
		}
		check("a draft computed today", at(20, 23), false)
		check("a draft computed yesterday", at(21, 0), true)
		f.approve(t, "2026-06")
		check("an approved roll", at(22, 0), false)
		// A program with nothing to pay gets no roll from the schedule.
		r, err := f.rolls.ComputeScheduled(t.Context(), payroll.ProgramDestitute, "2026-06")
		if err != nil || r != nil {
			t.Fatalf("empty program: %+v %v", r, err)
		}
		if _, err := f.s.GetRoll(t.Context(), payroll.ProgramDestitute, "2026-06"); !errors.Is(err, payroll.ErrRollNotFound) {
			t.Errorf("an empty roll was created: %v", err)
		}
	})
}

// TestRollScheduledMonthInArrears checks a program paid in arrears (公益岗 wages) is computed for the month
// before on the compute day.
func TestRollScheduledMonthInArrears(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		cfg := subsidiesConfig
		cfg.InArrears = []payroll.Program{payroll.ProgramDibao}
		f.rolls = payroll.NewRolls(cfg, f.s, &counterLocks{n: 1000}, computeDay(20), func() time.Time { return f.now })
		f.now = time.Date(2026, 6, 19, 23, 0, 0, 0, bizdate.Location)
		if _, due, err := f.rolls.ScheduledMonth(t.Context(), payroll.ProgramDibao); err != nil || due {
			t.Fatalf("before the compute day: due %v %v", due, err)
		}
		f.now = time.Date(2026, 6, 20, 0, 0, 0, 0, bizdate.Location)
		month, due, err := f.rolls.ScheduledMonth(t.Context(), payroll.ProgramDibao)
		if err != nil || !due || month != "2026-05" {
			t.Errorf("in arrears on the compute day: %q %v %v, want 2026-05 due", month, due, err)
		}
		if month, due, err := f.rolls.ScheduledMonth(t.Context(), payroll.ProgramDestitute); err != nil || !due || month != "2026-06" {
			t.Errorf("a program not in arrears: %q %v %v, want 2026-06 due", month, due, err)
		}
	})
}

// TestApplyRollLinesInOneTransaction checks a failed insert keeps the roll's lines as they were: the
// removals and the additions commit together.
func TestApplyRollLinesInOneTransaction(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		ctx := t.Context()
		f.grant(t, "e1", "households/h1", "990001001001", "2026-06", "", 120000)
		f.compute(t, "2026-06", 1)
		before := f.lines(t, "2026-06", payroll.RollLineQuery{})
		bad := []payroll.RollLine{{Program: payroll.ProgramDibao, RollMonth: "2026-06", Beneficiary: "households/x", Period: "2026-06",
			Kind: payroll.RollLineRegular, RegionCode: "990001001001", AmountFen: -5}} // a regular line must be positive
		err := f.s.InTx(ctx, func(ctx context.Context) error {
			return f.s.ApplyRollLines(ctx, payroll.ProgramDibao, "2026-06", before, bad)
		})
		if err == nil {
			t.Fatal("a negative regular line was stored")
		}
		if ls := f.lines(t, "2026-06", payroll.RollLineQuery{}); !reflect.DeepEqual(ls, before) {
			t.Errorf("lines after the failed change: %v", ls)
		}
		// Removing and adding lines of a draft, keyed by period, beneficiary and kind.
		moved := before[0]
		moved.AmountFen = 99
		if err := f.s.InTx(ctx, func(ctx context.Context) error {
			return f.s.ApplyRollLines(ctx, payroll.ProgramDibao, "2026-06", before, []payroll.RollLine{moved})
		}); err != nil {
			t.Fatal(err)
		}
		if ls := f.lines(t, "2026-06", payroll.RollLineQuery{}); len(ls) != 1 || ls[0].AmountFen != 99 {
			t.Errorf("lines after the change: %v", ls)
		}
	})
}

// TestRollTotalsInCallerScope: a roll read by a township officer shows the totals of the township's lines
// and the township's held corrections only, as its lines are scoped; the county sees the whole roll.
func TestRollTotalsInCallerScope(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		ctx := t.Context()
		// Township 002: a household paid the same every month; township 001: a household whose March is
		// reduced twice (the second recovery is held).
		f.grant(t, "e9", "households/h2", "990001002003", "2026-03", "", 80000)
		f.reduceMarchTwice(t)
		id := payroll.RollID(payroll.ProgramDibao, "2026-05")

		tests := []struct {
			name   string
			scope  string
			totals payroll.RollTotals
			held   int
		}{
			{name: "county", scope: "", held: 1, totals: payroll.RollTotals{Lines: 3, AmountFen: 110000,
				Regular: 2, RegularFen: 140000, Recovery: 1, RecoveryFen: -30000}},
			{name: "township with the held correction", scope: "990001001", held: 1, totals: payroll.RollTotals{Lines: 2,
				AmountFen: 30000, Regular: 1, RegularFen: 60000, Recovery: 1, RecoveryFen: -30000}},
			{name: "other township", scope: "990001002", held: 0, totals: payroll.RollTotals{Lines: 1, AmountFen: 80000,
				Regular: 1, RegularFen: 80000}},
			{name: "village of the other township", scope: "990001002003", held: 0, totals: payroll.RollTotals{Lines: 1,
				AmountFen: 80000, Regular: 1, RegularFen: 80000}},
			{name: "township without lines", scope: "990001003", held: 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := payroll.RollCaller{Actor: "u-" + tt.name, Department: payroll.DepartmentCivilAffairs, Scope: tt.scope}
				// Totals agree with the lines the same caller lists.
				var fromLines payroll.RollTotals
				lines, err := f.rolls.Lines(ctx, c, id, payroll.RollLineQuery{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for i := range lines {
					fromLines.Add(&lines[i])
				}
				if fromLines != tt.totals {
					t.Fatalf("lines in scope sum to %+v, want %+v", fromLines, tt.totals)
				}
				got, err := f.rolls.Get(ctx, c, id)
				if err != nil || got.Totals != tt.totals || len(got.Held) != tt.held {
					t.Fatalf("get: totals %+v held %+v (%v), want %+v and %d held", got.Totals, got.Held, err, tt.totals, tt.held)
				}
				for _, h := range got.Held {
					if !strings.HasPrefix(h.RegionCode, tt.scope) {
						t.Errorf("held correction of %s shown to %s", h.RegionCode, tt.scope)
					}
				}
				list, err := f.rolls.List(ctx, c, payroll.RollQuery{Limit: 1})
				if err != nil || len(list) != 1 || list[0].Totals != tt.totals || len(list[0].Held) != tt.held {
					t.Fatalf("list: %+v %v", list, err)
				}
			})
		}
		t.Run("the stored roll keeps the county's totals", func(t *testing.T) {
			got, err := f.s.GetRoll(ctx, payroll.ProgramDibao, "2026-05")
			if err != nil || got.Totals != tests[0].totals || len(got.Held) != 1 {
				t.Fatalf("stored %+v %v", got, err)
			}
		})
	})
}

// newStore opens a fresh database of dialect d with the platform's tables (the payroll's among them).
func newStore(t *testing.T, d sqldb.Dialect) *payrollsql.Store {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	return payrollsql.New(db, outbox.New(db, nil))
}

// subsidiesConfig pays what subsidies pays, as subsidies configures the engine.
var subsidiesConfig = payroll.Config{Service: "subsidies", ComputeDayParam: paramComputeDay,
	Programs: []payroll.Program{payroll.ProgramDibao, payroll.ProgramDestitute, payroll.ProgramTemporaryAssistance,
		payroll.ProgramLivingSubsidy, payroll.ProgramCareSubsidy}}

const paramComputeDay = "subsidies.roll.compute_day"
