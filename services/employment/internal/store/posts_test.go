package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// The 公益岗 store contract and the area's flow on it, on SQLite and PostgreSQL: the store, the
// platform's workflow engine and payroll engine are real; the labour ledger (another area's) is a table of
// facts, and policy is the defaults file.

// defaultsPolicy answers from deploy/policy/defaults.json, with overrides per parameter.
type defaultsPolicy struct {
	entries   []policy.Entry
	overrides map[string]string
}

func loadDefaultsPolicy(t testing.TB) *defaultsPolicy {
	t.Helper()
	entries, err := policy.LoadDefaultsFile("../../../../deploy/policy/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	return &defaultsPolicy{entries: entries, overrides: map[string]string{}}
}

func (p *defaultsPolicy) Decode(parameter, region string, date time.Time, into any) (policy.Value, error) {
	day := bizdate.Today(date)
	var best *policy.Entry
	for i := range p.entries {
		e := &p.entries[i]
		if e.Parameter != parameter || e.Effective > day || (e.Region != "*" && !strings.HasPrefix(region, e.Region)) {
			continue
		}
		if best == nil || len(e.Region) > len(best.Region) || e.Effective > best.Effective {
			best = e
		}
	}
	if best == nil {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	raw := []byte(best.Value)
	if o, ok := p.overrides[parameter]; ok {
		raw = []byte(o)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return policy.Value{}, err
	}
	sum := sha256.Sum256(append([]byte(parameter+"/"+best.Region+"/"), raw...))
	return policy.Value{Parameter: parameter, Region: best.Region, Effective: best.Effective, Raw: raw,
		Hash: hex.EncodeToString(sum[:])}, nil
}

// factsLedger is the labour ledger's answer per person; a month in away puts the person 省外 then.
type factsLedger struct {
	facts map[string]domain.PostHolderFacts
	away  map[string]string // person → month working 省外
}

func (l *factsLedger) PostHolderFacts(_ context.Context, personID, month string) (domain.PostHolderFacts, error) {
	f, ok := l.facts[personID]
	if !ok {
		return domain.PostHolderFacts{}, nil
	}
	if l.away[personID] == month {
		f.Place = domain.WorkPlaceOutOfProvince
	}
	return f, nil
}

const village = "990001001001"

type postsFixture struct {
	s      *store.Store
	posts  *domain.Posts
	rolls  *payroll.Rolls
	ledger *factsLedger
	engine *workflow.Engine
	now    time.Time
	ids    atomic.Int64
}

func newPostsFixture(t testing.TB, d sqldb.Dialect) *postsFixture {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	f := &postsFixture{now: time.Date(2026, 1, 5, 9, 0, 0, 0, bizdate.Location)}
	clock := func() time.Time { return f.now }
	f.s = store.New(db, outbox.New(db, clock))
	newID := func() string { return fmt.Sprintf("id%06d", f.ids.Add(1)) }
	pol := loadDefaultsPolicy(t)
	engine := workflow.New(db, workflow.Options{Now: clock, NewID: newID, Policy: pol})
	f.engine = engine
	person := func(id, birth string) domain.PostHolderFacts {
		return domain.PostHolderFacts{Found: true, PersonID: id, HouseholdID: "h-" + id, RegionCode: village, Name: "王小" + id,
			BirthMonth: birth, PovertyExited: true, Ability: domain.LabourAbilityPartial}
	}
	f.ledger = &factsLedger{facts: map[string]domain.PostHolderFacts{
		"p1": person("p1", "1961-02"), // 65 in February 2026
		"p2": person("p2", "1975-06"),
		"p3": person("p3", "1960-02"), // 66 in February 2026
		"p4": person("p4", "1980-01"),
	}, away: map[string]string{"p2": "2026-02"}}
	var err error
	f.posts, err = domain.NewPosts(f.s, f.ledger, engine, pol, newID, clock)
	if err != nil {
		t.Fatal(err)
	}
	f.rolls = payroll.NewRolls(payroll.Config{Service: "employment", Programs: []payroll.Program{payroll.ProgramWelfarePostWage},
		ComputeDayParam: "employment.roll.compute_day", InArrears: []payroll.Program{payroll.ProgramWelfarePostWage}},
		f.s, noLocks{}, pol, clock)
	return f
}

type noLocks struct{}

func (noLocks) Lock(context.Context, string) (int64, func(), error) { return 1, func() {}, nil }

var (
	county  = workflow.Caller{Actor: "hr-staff"}
	hr      = payroll.RollCaller{Actor: "hr-staff", Department: payroll.DepartmentHumanResources}
	meta    = workflow.StepMeta{}
	refused = func(t *testing.T, err error, reason, rule string) {
		t.Helper()
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindRefused || e.Reason != reason {
			t.Fatalf("err = %v, want FAILED_PRECONDITION %s", err, reason)
		}
		if rule == "" {
			return
		}
		for _, v := range e.Violations {
			if v.Type == rule {
				return
			}
		}
		t.Fatalf("err = %v, want a violation of %s", err, rule)
	}
)

func (f *postsFixture) at(date string) {
	d, err := bizdate.Parse(date)
	if err != nil {
		panic(err)
	}
	f.now = d.Add(9 * time.Hour)
}

func (f *postsFixture) post(t *testing.T) *domain.PublicWelfarePost {
	t.Helper()
	p, err := f.posts.CreatePost(t.Context(), county, domain.NewPost{RegionCode: village, Kind: domain.PostKindRural,
		Title: "村道保洁员", Duties: "村道每日清扫", Funding: domain.PostFundingLinkage, FundingNote: "衔接资金 2026"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// appoint takes a nomination through review, 公示 (from today, 5 days) and appointment.
func (f *postsFixture) appoint(t *testing.T, postID, person, start string) *domain.PostAssignment {
	t.Helper()
	ctx := t.Context()
	c, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: postID, PersonID: person, StartDate: start})
	if err != nil {
		t.Fatalf("nominate %s: %v", person, err)
	}
	id := c.Assignment.ID
	if _, err := f.posts.Review(ctx, county, id, true, meta); err != nil {
		t.Fatalf("review %s: %v", person, err)
	}
	if _, err := f.posts.StartPosting(ctx, county, id, meta); err != nil {
		t.Fatal(err)
	}
	started := f.now
	f.now = started.AddDate(0, 0, 5)
	if _, err := f.posts.CompletePosting(ctx, county, id, meta); err != nil {
		t.Fatal(err)
	}
	c, err = f.posts.Appoint(ctx, county, id, true, meta)
	if err != nil {
		t.Fatalf("appoint %s: %v", person, err)
	}
	f.now = started
	return c.Assignment
}

func TestPostStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newPostsFixture(t, d)
		ctx := t.Context()
		p := f.post(t)
		t.Run("a post takes policy's pay, minimum days and term", func(t *testing.T) {
			got, err := f.s.GetPost(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MonthlyFen != 30000 || got.MinDays != 3 || got.TermMonths != 12 || got.State != domain.PostOpen ||
				got.Title != "村道保洁员" || got.Funding != domain.PostFundingLinkage || got.PolicyHash == "" {
				t.Errorf("post %+v", got)
			}
		})
		t.Run("posts list by region prefix", func(t *testing.T) {
			for prefix, want := range map[string]int{"990001": 1, village: 1, "990001002": 0} {
				ps, err := f.s.ListPosts(ctx, domain.PostQuery{RegionPrefix: prefix})
				if err != nil || len(ps) != want {
					t.Errorf("%s: %d posts, %v; want %d", prefix, len(ps), err, want)
				}
			}
		})
		t.Run("a solar post is paid from solar income", func(t *testing.T) {
			_, err := f.posts.CreatePost(ctx, county, domain.NewPost{RegionCode: village, Kind: domain.PostKindSolar,
				Title: "光伏电站看护", Funding: domain.PostFundingLinkage})
			checkField(t, err, "funding")
		})
		t.Run("a post outside the caller's region is refused", func(t *testing.T) {
			_, err := f.posts.CreatePost(ctx, workflow.Caller{Actor: "t", Scope: "990001002"}, domain.NewPost{RegionCode: village,
				Kind: domain.PostKindRural, Title: "护林员", Funding: domain.PostFundingLinkage})
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindPermissionDenied {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("an attendance of an approved month is never replaced", func(t *testing.T) {
			a := f.appoint(t, p.ID, "p4", "2026-02-01")
			at := &domain.PostAttendance{AssignmentID: a.ID, Month: "2026-02", Days: 3, Grade: domain.PostGradeQualified,
				State: domain.AttendanceApproved, RecordedBy: "v", RecordTime: f.now, ApproveTime: f.now, PersonID: "p4", RegionCode: village}
			if err := f.s.PutAttendance(ctx, at); err != nil {
				t.Fatal(err)
			}
			at.Days, at.State = 1, domain.AttendanceRecorded
			if err := f.s.PutAttendance(ctx, at); err == nil {
				t.Fatal("an approved month was replaced")
			}
			got, err := f.s.GetAttendance(ctx, a.ID, "2026-02")
			if err != nil || got.Days != 3 || got.State != domain.AttendanceApproved {
				t.Fatalf("attendance %+v %v", got, err)
			}
			ls, err := f.s.ListAttendance(ctx, "990001001", "2026-02")
			if err != nil || len(ls) != 1 {
				t.Fatalf("list %d %v", len(ls), err)
			}
		})
	})
}

func checkField(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid {
		t.Fatalf("err = %v, want INVALID_ARGUMENT on %s", err, field)
	}
	for _, fv := range e.Fields {
		if fv.Field == field {
			return
		}
	}
	t.Fatalf("err = %v, want a violation on %s", err, field)
}

// TestPostAssignmentFlow: a post assigned after its 公示; a second post refused; a person working 省外 in
// the month refused; the age cap at 65/66; a month of attendance to the wage roll; a death stopping pay
// with a 追回 of a month paid after it; a vacancy reported on day 6 losing its month.
func TestPostAssignmentFlow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newPostsFixture(t, d)
		ctx := t.Context()
		p1, p2 := f.post(t), f.post(t)

		// p1, aged 65 in the first month, is nominated, reviewed and posted.
		c, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p1.ID, PersonID: "p1", StartDate: "2026-02-01"})
		if err != nil {
			t.Fatal(err)
		}
		a := c.Assignment
		if a.EndDate != "2027-01-31" || a.State != domain.AssignmentNominated || a.HouseholdID != "h-p1" {
			t.Fatalf("nominated %+v", a)
		}
		if _, err := f.posts.Review(ctx, county, a.ID, true, meta); err != nil {
			t.Fatalf("review: %v", err)
		}
		if _, err := f.posts.StartPosting(ctx, county, a.ID, meta); err != nil {
			t.Fatal(err)
		}
		notices, _, err := workflowNotices(ctx, f)
		if err != nil || len(notices) != 1 || notices[0].SubjectName != "王**1" || !strings.Contains(notices[0].Proposal, "村道保洁员") {
			t.Fatalf("notices %+v %v", *notices[0], err)
		}
		t.Run("the 公示 runs its 5 days", func(t *testing.T) {
			f.at("2026-01-09") // day 4
			_, err := f.posts.CompletePosting(ctx, county, a.ID, meta)
			refused(t, err, workflow.ReasonPostingPeriodNotOver, "")
		})
		f.at("2026-01-10") // day 5
		if _, err := f.posts.CompletePosting(ctx, county, a.ID, meta); err != nil {
			t.Fatal(err)
		}
		c, err = f.posts.Appoint(ctx, county, a.ID, true, meta)
		if err != nil {
			t.Fatal(err)
		}
		a = c.Assignment
		if a.State != domain.AssignmentActive || c.Case.Decision == nil {
			t.Fatalf("appointed %+v", a)
		}

		t.Run("a second post is refused", func(t *testing.T) {
			_, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p2.ID, PersonID: "p1", StartDate: "2026-03-01"})
			refused(t, err, domain.ReasonPersonHoldsPost, domain.RuleOnePostPerPerson)
		})
		t.Run("a second holder of the post is refused", func(t *testing.T) {
			_, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p1.ID, PersonID: "p4", StartDate: "2026-03-01"})
			refused(t, err, domain.ReasonPostOccupied, domain.RuleOneHolderPerPost)
		})
		t.Run("a person working 省外 in the first month is refused at the review", func(t *testing.T) {
			c, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p2.ID, PersonID: "p2", StartDate: "2026-02-01"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.posts.Review(ctx, county, c.Assignment.ID, true, meta)
			refused(t, err, domain.ReasonPostHolderIneligible, domain.RulePostNotWorkingAway)
			if _, err := f.posts.Withdraw(ctx, county, c.Assignment.ID, workflow.StepMeta{Note: "省外务工"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("aged 66 in the first month is refused", func(t *testing.T) {
			c, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p2.ID, PersonID: "p3", StartDate: "2026-02-01"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.posts.Review(ctx, county, c.Assignment.ID, true, meta)
			refused(t, err, domain.ReasonPostHolderIneligible, domain.RulePostAgeCap)
			if _, err := f.posts.Review(ctx, county, c.Assignment.ID, false, workflow.StepMeta{Note: "超龄"}); err != nil {
				t.Fatal(err)
			}
			got, _ := f.s.GetAssignment(ctx, c.Assignment.ID)
			if got.State != domain.AssignmentNotAppointed {
				t.Fatalf("refused at review: %+v", got)
			}
		})
		t.Run("a term of 13 months is refused", func(t *testing.T) {
			_, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p2.ID, PersonID: "p4", StartDate: "2026-02-01", EndDate: "2027-02-28"})
			checkField(t, err, "end_date")
		})

		// February: 2 days attended (one short of 3).
		f.at("2026-02-27")
		if _, err := f.posts.RecordAttendance(ctx, county, a.ID, "2026-02", 2, domain.PostGradeQualified, ""); err != nil {
			t.Fatal(err)
		}
		t.Run("no pay without accident insurance", func(t *testing.T) {
			_, err := f.posts.ApproveAttendance(ctx, county, a.ID, "2026-02")
			refused(t, err, domain.ReasonAccidentInsuranceMissing, domain.RuleInsuranceBeforePay)
		})
		if _, err := f.posts.RecordInsurance(ctx, county, a.ID, domain.PostInsurance{Insurer: "人保财险", PolicyNumber: "PA2026-001",
			From: "2026-02-01", To: "2027-01-31"}); err != nil {
			t.Fatal(err)
		}
		f.at("2026-03-03")
		at, err := f.posts.ApproveAttendance(ctx, county, a.ID, "2026-02")
		if err != nil {
			t.Fatal(err)
		}
		if at.PayFen != 20000 || at.EntitlementID == "" || at.State != domain.AttendanceApproved {
			t.Fatalf("approved %+v", at)
		}
		t.Run("an approved month does not change", func(t *testing.T) {
			_, err := f.posts.RecordAttendance(ctx, county, a.ID, "2026-02", 3, domain.PostGradeQualified, "")
			refused(t, err, domain.ReasonAttendanceApproved, domain.RuleAttendanceOnce)
		})
		t.Run("attendance of a month not begun is refused", func(t *testing.T) {
			_, err := f.posts.RecordAttendance(ctx, county, a.ID, "2026-04", 3, domain.PostGradeQualified, "")
			refused(t, err, domain.ReasonAttendanceOutsideTerm, domain.RuleAttendanceInTerm)
		})

		// The roll of February (paid in arrears, computed in March): one regular line of 200 元.
		roll, err := f.rolls.Compute(ctx, hr, payroll.ProgramWelfarePostWage, "2026-02", 1)
		if err != nil {
			t.Fatal(err)
		}
		if roll.Totals.Regular != 1 || roll.Totals.RegularFen != 20000 {
			t.Fatalf("February roll %+v", roll.Totals)
		}
		if _, err := f.rolls.Approve(ctx, hr, roll.ID(), roll.Etag()); err != nil {
			t.Fatal(err)
		}
		// March: 3 days, full pay; approved in April and paid on March's roll.
		f.at("2026-03-31")
		if _, err := f.posts.RecordAttendance(ctx, county, a.ID, "2026-03", 3, domain.PostGradeQualified, ""); err != nil {
			t.Fatal(err)
		}
		f.at("2026-04-02")
		if at, err := f.posts.ApproveAttendance(ctx, county, a.ID, "2026-03"); err != nil || at.PayFen != 30000 {
			t.Fatalf("March %+v %v", at, err)
		}
		roll, err = f.rolls.Compute(ctx, hr, payroll.ProgramWelfarePostWage, "2026-03", 2)
		if err != nil || roll.Totals.RegularFen != 30000 {
			t.Fatalf("March roll %+v %v", roll, err)
		}
		if _, err := f.rolls.Approve(ctx, hr, roll.ID(), roll.Etag()); err != nil {
			t.Fatal(err)
		}

		// The register reports p1's death on 2026-02-20: pay stops from March; March, paid, is taken back.
		if err := f.posts.PersonDied(ctx, "p1", "2026-02-20"); err != nil {
			t.Fatal(err)
		}
		if err := f.posts.PersonDied(ctx, "p1", "2026-02-20"); err != nil { // a change applied twice
			t.Fatal(err)
		}
		got, _ := f.s.GetAssignment(ctx, a.ID)
		if got.State != domain.AssignmentEnded || got.EndedOn != "2026-02-20" || got.EndReason != domain.AssignmentEndDied || got.ForfeitFrom != "2026-03" {
			t.Fatalf("after the death %+v", got)
		}
		f.at("2026-05-02")
		roll, err = f.rolls.Compute(ctx, hr, payroll.ProgramWelfarePostWage, "2026-04", 3)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := f.s.ListRollLines(ctx, payroll.RollLineQuery{Program: payroll.ProgramWelfarePostWage, Month: "2026-04", Limit: 100})
		if err != nil || len(lines) != 1 || lines[0].Kind != payroll.RollLineRecovery || lines[0].Period != "2026-03" ||
			lines[0].AmountFen != -30000 || !strings.Contains(lines[0].Reason, "死亡") {
			t.Fatalf("April's lines %+v %v", lines, err)
		}

		// A vacancy reported on day 6 loses its month, which an approved roll already paid.
		f.at("2026-01-05")
		b := f.appoint(t, p2.ID, "p4", "2026-02-01")
		if _, err := f.posts.RecordInsurance(ctx, county, b.ID, domain.PostInsurance{Insurer: "人保财险", PolicyNumber: "PA2026-002",
			From: "2026-02-01", To: "2027-01-31"}); err != nil {
			t.Fatal(err)
		}
		f.at("2026-04-30")
		for _, m := range []string{"2026-02", "2026-03", "2026-04"} {
			if _, err := f.posts.RecordAttendance(ctx, county, b.ID, m, 20, domain.PostGradeQualified, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.posts.ApproveAttendance(ctx, county, b.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("vacancy reported on day 6: its month is lost", func(t *testing.T) {
			f.at("2026-04-16")
			got, err := f.posts.ReportVacancy(ctx, county, b.ID, domain.Vacancy{VacatedOn: "2026-04-10", Reason: domain.AssignmentEndFoundWork})
			if err != nil {
				t.Fatal(err)
			}
			if !got.VacancyLate || got.ForfeitFrom != "2026-04" || got.State != domain.AssignmentEnded {
				t.Fatalf("vacancy %+v", got)
			}
			ents, _ := f.s.EntitlementsBySource(ctx, got.Source())
			due := map[string]bool{}
			for _, e := range ents {
				if e.ActiveIn(e.FromMonth) {
					due[e.FromMonth] = true
				}
			}
			if !due["2026-02"] || !due["2026-03"] || due["2026-04"] {
				t.Fatalf("months due after a late vacancy %v", due)
			}
		})
		t.Run("a vacancy of an ended assignment is refused", func(t *testing.T) {
			_, err := f.posts.ReportVacancy(ctx, county, b.ID, domain.Vacancy{VacatedOn: "2026-04-10", Reason: domain.AssignmentEndFoundWork})
			refused(t, err, domain.ReasonAssignmentNotActive, domain.RuleAssignmentActive)
		})
	})
}

func workflowNotices(ctx context.Context, f *postsFixture) ([]*workflow.Notice, bool, error) {
	return f.engine.Notices(ctx, workflow.NoticeQuery{RegionPrefix: village, State: workflow.PostingRunning, Limit: 10})
}

// TestPostRenewalAndMove: a renewal (续聘) is nominated while the term it renews runs, and must start the day
// after it; a move of the holder's household to another village ends the assignment (the post stays in
// its village), a move within the village changes nothing.
func TestPostRenewalAndMove(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newPostsFixture(t, d)
		ctx := t.Context()
		p := f.post(t)
		a := f.appoint(t, p.ID, "p4", "2026-02-01")
		if a.EndDate != "2027-01-31" {
			t.Fatalf("term %s", a.EndDate)
		}
		t.Run("a renewal must start the day after the term", func(t *testing.T) {
			_, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p.ID, PersonID: "p4", StartDate: "2027-03-01", RenewsID: a.ID})
			refused(t, err, domain.ReasonRenewalInvalid, domain.RuleRenewalFollows)
		})
		t.Run("a renewal of another person's term is refused", func(t *testing.T) {
			_, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p.ID, PersonID: "p2", StartDate: "2027-02-01", RenewsID: a.ID})
			refused(t, err, domain.ReasonRenewalInvalid, domain.RuleRenewalFollows)
		})
		t.Run("a renewal following the term is nominated while it runs", func(t *testing.T) {
			c, err := f.posts.Nominate(ctx, county, domain.Nomination{PostID: p.ID, PersonID: "p4", StartDate: "2027-02-01", RenewsID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if c.Assignment.RenewsID != a.ID || c.Assignment.EndDate != "2028-01-31" {
				t.Fatalf("renewal %+v", c.Assignment)
			}
		})
		t.Run("a move within the village changes nothing", func(t *testing.T) {
			if err := f.posts.HouseholdMoved(ctx, "h-p4", village, "2026-05-10"); err != nil {
				t.Fatal(err)
			}
			got, _ := f.s.GetAssignment(ctx, a.ID)
			if got.State != domain.AssignmentActive || got.EndedOn != "" {
				t.Fatalf("after a move within the village %+v", got)
			}
		})
		t.Run("a move to another village ends the term and withdraws the renewal", func(t *testing.T) {
			if err := f.posts.HouseholdMoved(ctx, "h-p4", "990001002003", "2026-05-10"); err != nil {
				t.Fatal(err)
			}
			got, _ := f.s.GetAssignment(ctx, a.ID)
			if got.State != domain.AssignmentEnded || got.EndReason != domain.AssignmentEndMoved || got.EndedOn != "2026-05-10" ||
				got.ForfeitFrom != "2026-06" || got.VacancyLate {
				t.Fatalf("after the move %+v", got)
			}
			rs, err := f.s.ListAssignments(ctx, domain.AssignmentQuery{PersonID: "p4"})
			if err != nil || len(rs) != 2 || rs[1].State != domain.AssignmentNotAppointed {
				t.Fatalf("assignments %+v %v", rs, err)
			}
		})
	})
}
