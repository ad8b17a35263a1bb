package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// fakePolicy serves fixed values for every region, in force from 2024-01-01.
type fakePolicy map[string]string

func (f fakePolicy) Decode(parameter, region string, _ time.Time, into any) (policy.Value, error) {
	raw, ok := f[parameter]
	if !ok {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		return policy.Value{}, err
	}
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw),
		Hash: "hash-of-" + parameter + "=" + raw}, nil
}

// clock is a movable business clock (noon in Shanghai on a date).
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func (c *clock) set(date string) {
	d, err := bizdate.Parse(date)
	if err != nil {
		panic(err)
	}
	c.t = d.Add(12 * time.Hour)
}

const (
	stepApplication = "application"
	stepSurvey      = "survey"
	stepReview      = "village_review"
	stepPosting     = "posting"
	stepTownship    = "township_review"
	stepDecision    = "county_decision"
)

type fixture struct {
	db     *sqldb.DB
	engine *workflow.Engine
	clock  *clock
	// guardErr, when set, is what the survey guard returns.
	guardErr error
	// reviewEnds makes the village review guard end the case with a refusal.
	reviewEnds bool
}

func newFixture(t *testing.T, d sqldb.Dialect, pol workflow.Policy) *fixture {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clock: &clock{}}
	f.clock.set("2025-06-01")
	n := 0
	f.engine = workflow.New(db, workflow.Options{Now: f.clock.now, Policy: pol, NewID: func() string {
		n++
		return fmt.Sprintf("c%04d", n)
	}})
	def := workflow.Definition{Kind: "test", OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: stepApplication},
		{Name: stepSurvey, Repeatable: true, Guard: func(_ context.Context, c *workflow.Case, s *workflow.Step) error {
			if f.guardErr != nil {
				return f.guardErr
			}
			var in map[string]any
			if err := s.Bind(&in); err != nil {
				return err
			}
			if in == nil {
				in = map[string]any{}
			}
			in["round_seen"] = c.Round
			return s.SetData(in)
		}},
		{Name: stepReview, Guard: func(_ context.Context, _ *workflow.Case, s *workflow.Step) error {
			if f.reviewEnds {
				s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: "the review did not pass"}
			}
			return nil
		}},
		{Name: stepPosting, Posting: &workflow.PostingRule{MinDaysParameter: "test.posting_days", ReopenAt: stepSurvey}},
		{Name: stepTownship},
		{Name: stepDecision},
	}}
	if err := f.engine.Register(def); err != nil {
		t.Fatal(err)
	}
	return f
}

var county = workflow.Caller{Actor: "county-1"}

func (f *fixture) open(t *testing.T, subject string) *workflow.Case {
	t.Helper()
	c, err := f.engine.Open(t.Context(), county, workflow.NewCase{Kind: "test", Subject: subject, RegionCode: "990001002003",
		First: workflow.StepInput{Step: stepApplication, Note: "户报"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) record(t *testing.T, id, step string) *workflow.Case {
	t.Helper()
	in := workflow.StepInput{Step: step, Data: json.RawMessage(`{"k":"v"}`)}
	if step == stepDecision {
		in.Decision = &workflow.Decision{Outcome: workflow.OutcomeApproved, Explanation: "meets the rule"}
	}
	c, err := f.engine.Record(t.Context(), county, id, in)
	if err != nil {
		t.Fatalf("record %s: %v", step, err)
	}
	return c
}

// atPosting opens a case and records every step up to the posting, all on the clock's date.
func (f *fixture) atPosting(t *testing.T, subject string) *workflow.Case {
	t.Helper()
	c := f.open(t, subject)
	f.record(t, c.ID, stepSurvey)
	return f.record(t, c.ID, stepReview)
}

// refused checks err is a refusal with the reason and, when rule is set, a violation of that type on the case.
func refused(t *testing.T, err error, reason, rule, subject, descContains string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want refusal %s", err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason = %s (%v), want %s", e.Reason, err, reason)
	}
	if rule == "" {
		return
	}
	if len(e.Violations) != 1 || e.Violations[0].Type != rule || e.Violations[0].Subject != subject ||
		!strings.Contains(e.Violations[0].Description, descContains) {
		t.Fatalf("violations = %+v, want one %s on %s containing %q", e.Violations, rule, subject, descContains)
	}
}

var sevenDays = fakePolicy{"test.posting_days": "7"}

func TestRegisterChecksDefinitions(t *testing.T) {
	e := workflow.New(nil, workflow.Options{})
	posting := &workflow.PostingRule{MinDaysParameter: "p", ReopenAt: "b"}
	tests := []struct {
		name string
		def  workflow.Definition
		ok   bool
	}{
		{"valid", workflow.Definition{Kind: "a", Steps: []workflow.StepDef{{Name: "a"}, {Name: "b"}, {Name: "p", Posting: posting}, {Name: "z"}}}, true},
		{"no kind", workflow.Definition{Steps: []workflow.StepDef{{Name: "a"}, {Name: "z"}}}, false},
		{"one step", workflow.Definition{Kind: "b", Steps: []workflow.StepDef{{Name: "a"}}}, false},
		{"duplicate step", workflow.Definition{Kind: "c", Steps: []workflow.StepDef{{Name: "a"}, {Name: "a"}}}, false},
		{"posting last", workflow.Definition{Kind: "d", Steps: []workflow.StepDef{{Name: "a"}, {Name: "b"}, {Name: "p", Posting: posting}}}, false},
		{"reopen at a later step", workflow.Definition{Kind: "e", Steps: []workflow.StepDef{{Name: "a"}, {Name: "p", Posting: posting}, {Name: "b"}, {Name: "z"}}}, false},
		{"a repeatable posting", workflow.Definition{Kind: "h", Steps: []workflow.StepDef{{Name: "a"}, {Name: "b"}, {Name: "p", Repeatable: true, Posting: posting}, {Name: "z"}}}, false},
		{"the engine's step name", workflow.Definition{Kind: "i", Steps: []workflow.StepDef{{Name: "a"}, {Name: workflow.StepWithdrawal}, {Name: "z"}}}, false},
		{"reopen at the opening step", workflow.Definition{Kind: "f", Steps: []workflow.StepDef{{Name: "a"}, {Name: "p", Posting: &workflow.PostingRule{MinDaysParameter: "p", ReopenAt: "a"}}, {Name: "z"}}}, false},
		{"posting without a period", workflow.Definition{Kind: "g", Steps: []workflow.StepDef{{Name: "a"}, {Name: "b"}, {Name: "p", Posting: &workflow.PostingRule{ReopenAt: "b"}}, {Name: "z"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.Register(tt.def)
			if (err == nil) != tt.ok {
				t.Errorf("Register = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if err := e.Register(tests[0].def); err == nil {
		t.Error("a kind registered twice was accepted")
	}
}

func TestStepOrder(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()

		t.Run("a case opens with its first step only", func(t *testing.T) {
			_, err := f.engine.Open(ctx, county, workflow.NewCase{Kind: "test", Subject: "households/x", RegionCode: "990001002003",
				First: workflow.StepInput{Step: stepSurvey}})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "households/x", "opens with step application")
		})

		c := f.open(t, "households/order")
		tests := []struct {
			name, step, want string
		}{
			{"village review before the survey", stepReview, "expects step survey, not village_review"},
			{"the application again", stepApplication, "expects step survey, not application"},
			{"township review before the survey", stepTownship, "expects step survey"},
			{"the decision first", stepDecision, "expects step survey"},
			{"an unknown step", "lottery", "expects step survey, not lottery"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := workflow.StepInput{Step: tt.step, Decision: &workflow.Decision{Outcome: workflow.OutcomeApproved}}
				_, err := f.engine.Record(ctx, county, c.ID, in)
				refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, tt.want)
			})
		}
		t.Run("a posting starts only with StartPosting and only when expected", func(t *testing.T) {
			_, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step survey, not posting")
			f.record(t, c.ID, stepSurvey)
			f.record(t, c.ID, stepReview)
			_, err = f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepPosting})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "start it with StartPosting")
			_, err = f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepTownship})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step posting, not township_review")
		})
		t.Run("no completion or objection without a running posting", func(t *testing.T) {
			_, err := f.engine.CompletePosting(ctx, county, c.ID, workflow.StepInput{})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "no posting is running")
			_, err = f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: "不符合"})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "while a posting runs")
		})
		t.Run("no step while the posting runs", func(t *testing.T) {
			if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
				t.Fatal(err)
			}
			_, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepTownship})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "the posting posting is running")
		})
		t.Run("the decision needs the township review first, then closes the case", func(t *testing.T) {
			f.clock.set("2025-06-08")
			if _, err := f.engine.CompletePosting(ctx, county, c.ID, workflow.StepInput{}); err != nil {
				t.Fatal(err)
			}
			_, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepDecision, Decision: &workflow.Decision{Outcome: workflow.OutcomeApproved}})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step township_review")
			f.record(t, c.ID, stepTownship)
			done := f.record(t, c.ID, stepDecision)
			if done.State != workflow.StateClosed || done.Decision == nil || done.Decision.Outcome != workflow.OutcomeApproved ||
				done.Decision.Step != stepDecision || done.Decision.DecidedAt != "2025-06-08" || done.Next != "" {
				t.Errorf("closed case %+v decision %+v", done, done.Decision)
			}
			_, err = f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepDecision, Decision: &workflow.Decision{Outcome: workflow.OutcomeApproved}})
			refused(t, err, workflow.ReasonCaseClosed, workflow.RuleCaseClosed, "cases/"+c.ID, "decided (approved) at step county_decision on 2025-06-08")
			_, err = f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: "迟到的异议"})
			refused(t, err, workflow.ReasonCaseClosed, workflow.RuleCaseClosed, "cases/"+c.ID, "decided")
		})
		t.Run("the trail reads back as recorded", func(t *testing.T) {
			got, err := f.engine.Get(ctx, county, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got.Steps {
				names = append(names, s.Name)
			}
			want := "application survey village_review posting township_review county_decision"
			if strings.Join(names, " ") != want {
				t.Errorf("steps %v, want %s", names, want)
			}
			last := got.Steps[len(got.Steps)-1]
			if last.Decision == nil || last.Decision.Outcome != workflow.OutcomeApproved || got.Decision.Explanation != "meets the rule" ||
				got.Decision.Actor != county.Actor || string(got.Steps[1].Data) != `{"k":"v","round_seen":1}` {
				t.Errorf("decision %+v / %+v, survey data %s", last.Decision, got.Decision, got.Steps[1].Data)
			}
			if p := got.Postings[0]; p.State != workflow.PostingCompleted || p.MinDays != 7 || p.Policy.Hash != "hash-of-test.posting_days=7" ||
				p.StartedAt != "2025-06-01" || p.EndedAt != "2025-06-08" {
				t.Errorf("posting %+v", p)
			}
		})
	})
}

func TestBackdating(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		f.clock.set("2025-06-10")
		c, err := f.engine.Open(t.Context(), county, workflow.NewCase{Kind: "test", Subject: "households/dates", RegionCode: "990001002003",
			First: workflow.StepInput{OccurredAt: "2025-06-01", BackdateReason: "纸质申请书补录"}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, occurred, reason string
			wantReason, wantField  string
		}{
			{"tomorrow is refused", "2025-06-11", "", workflow.ReasonInvalidField, "occurred_at"},
			{"not a date", "2025-02-30", "", workflow.ReasonInvalidField, "occurred_at"},
			{"yesterday without a reason", "2025-06-09", "", workflow.ReasonBackdateReasonRequired, "backdate_reason"},
			{"yesterday with a blank reason", "2025-06-09", "  ", workflow.ReasonBackdateReasonRequired, "backdate_reason"},
			{"yesterday with a reason", "2025-06-09", "核查表昨日填写, 今日录入", "", ""},
			{"before the step before", "2025-06-08", "补录", workflow.ReasonInvalidField, "occurred_at"},
			{"today needs no reason", "2025-06-10", "", "", ""},
		}
		// Rows that succeed record survey, then village review; a refused row writes nothing.
		steps := []string{stepSurvey, stepReview}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.engine.Record(t.Context(), county, c.ID, workflow.StepInput{Step: steps[0], OccurredAt: tt.occurred, BackdateReason: tt.reason})
				if tt.wantReason == "" {
					if err != nil {
						t.Fatal(err)
					}
					s := got.Steps[len(got.Steps)-1]
					if s.OccurredAt != tt.occurred || s.BackdateReason != tt.reason || !s.RecordedAt.Equal(f.clock.now()) {
						t.Errorf("step %+v", s)
					}
					steps = steps[1:]
					return
				}
				e, ok := apperr.As(err)
				if !ok || e.Reason != tt.wantReason || e.Kind != apperr.KindInvalid || e.Fields[0].Field != tt.wantField {
					t.Errorf("err = %v, want %s on %s", err, tt.wantReason, tt.wantField)
				}
			})
		}
		got, err := f.engine.Get(t.Context(), county, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Steps) != 3 {
			t.Errorf("%d steps recorded, want 3 (refusals write nothing)", len(got.Steps))
		}
	})
}

// TestNotBeforeRegistration: a case about a household never opens before the household's registration
// date (登记日期), and its later steps follow the first; the registration date itself is allowed.
func TestNotBeforeRegistration(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		f.clock.set("2025-06-10")
		tests := []struct {
			name, occurred, registered string
			refused                    bool
		}{
			{name: "on the registration date", occurred: "2025-06-03", registered: "2025-06-03"},
			{name: "the day before the registration date", occurred: "2025-06-02", registered: "2025-06-03", refused: true},
			{name: "today, registered today", occurred: "", registered: "2025-06-10"},
			{name: "a year before", occurred: "2024-06-03", registered: "2025-06-03", refused: true},
			{name: "a subject without a registration date", occurred: "2020-01-01", registered: ""},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := f.engine.Open(t.Context(), county, workflow.NewCase{Kind: "test", Subject: fmt.Sprintf("households/r%d", i),
					RegionCode: "990001002003", Registered: tt.registered,
					First: workflow.StepInput{OccurredAt: tt.occurred, BackdateReason: "纸质申请书补录"}})
				if !tt.refused {
					if err != nil {
						t.Fatal(err)
					}
					// A later step cannot go back before the first either.
					_, err = f.engine.Record(t.Context(), county, c.ID, workflow.StepInput{Step: stepSurvey,
						OccurredAt: bizdateBefore(t, c.Steps[0].OccurredAt), BackdateReason: "补录"})
					refused(t, err, workflow.ReasonInvalidField, "", "", "")
					return
				}
				e, ok := apperr.As(err)
				if !ok || e.Kind != apperr.KindInvalid || e.Reason != bizdate.ReasonBeforeRegistration || e.Fields[0].Field != "occurred_at" {
					t.Fatalf("err = %v, want INVALID_ARGUMENT %s on occurred_at", err, bizdate.ReasonBeforeRegistration)
				}
			})
		}
	})
}

// bizdateBefore is the day before date.
func bizdateBefore(t *testing.T, date string) string {
	t.Helper()
	d, err := bizdate.Parse(date)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, -1).Format(bizdate.Layout)
}

func TestPostingDays(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		// A 7-day posting started on 2025-06-01: day 1 is 06-02, day 7 is 06-08.
		tests := []struct {
			name, complete string
			ok             bool
		}{
			{"the start day (day 0)", "2025-06-01", false},
			{"day 6", "2025-06-07", false},
			{"day 7", "2025-06-08", true},
			{"day 8", "2025-06-09", true},
		}
		f := newFixture(t, d, sevenDays)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.clock.set("2025-06-01")
				c := f.atPosting(t, fmt.Sprintf("households/days-%d", i))
				if _, err := f.engine.StartPosting(t.Context(), county, c.ID, workflow.StepInput{Step: stepPosting, Note: "村务公开栏"}); err != nil {
					t.Fatal(err)
				}
				f.clock.set(tt.complete)
				got, err := f.engine.CompletePosting(t.Context(), county, c.ID, workflow.StepInput{Note: "公示无异议"})
				if !tt.ok {
					refused(t, err, workflow.ReasonPostingPeriodNotOver, workflow.RulePostingPeriod, "cases/"+c.ID,
						"can complete on or after 2025-06-08 (day 7)")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.State != workflow.StateOpen || got.Next != stepTownship || got.CurrentPosting().EndedAt != tt.complete {
					t.Errorf("after completion: state %v next %s posting %+v", got.State, got.Next, got.CurrentPosting())
				}
			})
		}
		t.Run("a back-dated completion counts its own date", func(t *testing.T) {
			f.clock.set("2025-06-01")
			c := f.atPosting(t, "households/days-back")
			if _, err := f.engine.StartPosting(t.Context(), county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
				t.Fatal(err)
			}
			f.clock.set("2025-06-20")
			_, err := f.engine.CompletePosting(t.Context(), county, c.ID, workflow.StepInput{OccurredAt: "2025-06-07", BackdateReason: "补录"})
			refused(t, err, workflow.ReasonPostingPeriodNotOver, workflow.RulePostingPeriod, "cases/"+c.ID, "2025-06-07 is day 6")
			if _, err := f.engine.CompletePosting(t.Context(), county, c.ID, workflow.StepInput{OccurredAt: "2025-06-08", BackdateReason: "补录"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the period comes from policy", func(t *testing.T) {
			g := newFixture(t, d, fakePolicy{})
			c := g.atPosting(t, "households/no-policy")
			_, err := g.engine.StartPosting(t.Context(), county, c.ID, workflow.StepInput{Step: stepPosting})
			refused(t, err, workflow.ReasonPolicyValueMissing, workflow.RulePolicyValue, "cases/"+c.ID, "test.posting_days")
		})
	})
}

func TestObjectionReopensVerification(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()
		c := f.atPosting(t, "households/objection")
		if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
			t.Fatal(err)
		}
		f.clock.set("2025-06-04")
		t.Run("an objection needs content and a date within the posting", func(t *testing.T) {
			_, err := f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: " "})
			if e, ok := apperr.As(err); !ok || e.Fields[0].Field != "content" {
				t.Errorf("empty content: %v", err)
			}
			_, err = f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: "有车", OccurredAt: "2025-05-31", BackdateReason: "x"})
			if e, ok := apperr.As(err); !ok || e.Fields[0].Field != "occurred_at" {
				t.Errorf("before the posting: %v", err)
			}
		})
		got, err := f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Objector: "村民(匿名)", Content: "家中有小轿车",
			Attachments: []string{"doc:photo-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != workflow.StateOpen || got.Next != stepSurvey || got.Round != 2 {
			t.Fatalf("after objection: state %v next %s round %d", got.State, got.Next, got.Round)
		}
		if p := got.CurrentPosting(); p.State != workflow.PostingInterrupted || p.EndedAt != "2025-06-04" || len(p.Objections) != 1 {
			t.Fatalf("posting %+v", p)
		}
		t.Run("the case waits for verification", func(t *testing.T) {
			_, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step survey, not posting")
			_, err = f.engine.CompletePosting(ctx, county, c.ID, workflow.StepInput{})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "no posting is running")
		})
		t.Run("a second objection is accepted until verification", func(t *testing.T) {
			f.clock.set("2025-06-05")
			got, err := f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Objector: "12317", Content: "人户分离"})
			if err != nil {
				t.Fatal(err)
			}
			if p := got.CurrentPosting(); len(p.Objections) != 2 || p.EndedAt != "2025-06-04" || got.Round != 2 {
				t.Errorf("posting %+v round %d", p, got.Round)
			}
		})
		t.Run("verification settles the objections; review and posting are redone", func(t *testing.T) {
			f.clock.set("2025-06-06")
			got := f.record(t, c.ID, stepSurvey)
			survey := got.Steps[len(got.Steps)-1]
			if survey.Round != 2 || string(survey.Data) != `{"k":"v","round_seen":2}` {
				t.Errorf("re-survey %+v", survey)
			}
			for _, o := range got.Postings[0].Objections {
				if o.ResolvedBy != survey.Seq {
					t.Errorf("objection %d resolved by %d, want %d", o.Seq, o.ResolvedBy, survey.Seq)
				}
			}
			_, err := f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: "again"})
			refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "while a posting runs")
			f.record(t, c.ID, stepReview)
			if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
				t.Fatal(err)
			}
			// The new period counts from its own start: day 7 of the first posting is day 2 of the second.
			f.clock.set("2025-06-08")
			_, err = f.engine.CompletePosting(ctx, county, c.ID, workflow.StepInput{})
			refused(t, err, workflow.ReasonPostingPeriodNotOver, workflow.RulePostingPeriod, "cases/"+c.ID, "on or after 2025-06-13")
			f.clock.set("2025-06-13")
			if _, err := f.engine.CompletePosting(ctx, county, c.ID, workflow.StepInput{}); err != nil {
				t.Fatal(err)
			}
			f.record(t, c.ID, stepTownship)
			f.record(t, c.ID, stepDecision)
		})
		t.Run("the whole trail is kept", func(t *testing.T) {
			got, err := f.engine.Get(ctx, county, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var trail []string
			for _, s := range got.Steps {
				trail = append(trail, fmt.Sprintf("%s/%d", s.Name, s.Round))
			}
			want := "application/1 survey/1 village_review/1 posting/1 survey/2 village_review/2 posting/2 township_review/2 county_decision/2"
			if strings.Join(trail, " ") != want {
				t.Errorf("trail %v\nwant %s", trail, want)
			}
			if len(got.Postings) != 2 || got.Postings[0].State != workflow.PostingInterrupted || got.Postings[1].State != workflow.PostingCompleted ||
				got.Postings[1].StartedAt != "2025-06-06" || got.Postings[0].Objections[0].Attachments[0] != "doc:photo-1" ||
				got.Postings[0].Objections[1].Objector != "12317" {
				t.Errorf("postings %+v", got.Postings)
			}
		})
	})
}

func TestGuards(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()
		c := f.open(t, "households/guard")
		t.Run("a guard's refusal passes unchanged and writes nothing", func(t *testing.T) {
			f.guardErr = apperr.Refused("SURVEY_TEAM_SIZE", apperr.Violation{Type: "TEAM", Subject: "cases/" + c.ID, Description: "too few"})
			defer func() { f.guardErr = nil }()
			_, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepSurvey})
			refused(t, err, "SURVEY_TEAM_SIZE", "TEAM", "cases/"+c.ID, "too few")
			got, _ := f.engine.Get(ctx, county, c.ID)
			if len(got.Steps) != 1 || got.Version != c.Version {
				t.Errorf("refused step was written: %+v", got.Steps)
			}
		})
		t.Run("a guard can end the case with a refusal at its step", func(t *testing.T) {
			f.reviewEnds = true
			defer func() { f.reviewEnds = false }()
			f.record(t, c.ID, stepSurvey)
			got := f.record(t, c.ID, stepReview)
			if got.State != workflow.StateClosed || got.Decision.Outcome != workflow.OutcomeRefused || got.Decision.Step != stepReview {
				t.Errorf("case %+v decision %+v", got, got.Decision)
			}
			again := f.open(t, "households/guard")
			if again.ID == c.ID {
				t.Error("a closed case blocked a new one")
			}
		})
		t.Run("an early approval is a programming error", func(t *testing.T) {
			c := f.open(t, "households/early")
			_, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepSurvey, Decision: &workflow.Decision{Outcome: workflow.OutcomeApproved}})
			if err == nil {
				t.Fatal("approved at the survey")
			}
			if _, ok := apperr.As(err); ok {
				t.Errorf("want a plain error, got refusal %v", err)
			}
		})
	})
}

func TestCasesAndScope(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()
		c := f.open(t, "households/one")
		t.Run("one open case per subject", func(t *testing.T) {
			_, err := f.engine.Open(ctx, county, workflow.NewCase{Kind: "test", Subject: "households/one", RegionCode: "990001002003"})
			refused(t, err, workflow.ReasonCaseAlreadyOpen, workflow.RuleOneOpenCase, "households/one", "cases/"+c.ID)
			open, found, err := f.engine.OpenCase(ctx, county, "test", "households/one")
			if err != nil || !found || open.ID != c.ID {
				t.Errorf("OpenCase = %v %v %v", open, found, err)
			}
		})
		t.Run("region scope", func(t *testing.T) {
			other := workflow.Caller{Actor: "t", Scope: "990001001"}
			if _, err := f.engine.Get(ctx, other, c.ID); !errors.Is(err, apperr.Denied(workflow.ReasonOutOfRegionScope, "")) {
				t.Errorf("get outside scope: %v", err)
			}
			if _, err := f.engine.Record(ctx, other, c.ID, workflow.StepInput{Step: stepSurvey}); !errors.Is(err, apperr.Denied(workflow.ReasonOutOfRegionScope, "")) {
				t.Errorf("record outside scope: %v", err)
			}
			if _, err := f.engine.Open(ctx, other, workflow.NewCase{Kind: "test", Subject: "households/two", RegionCode: "990001002003"}); !errors.Is(err, apperr.Denied(workflow.ReasonOutOfRegionScope, "")) {
				t.Errorf("open outside scope: %v", err)
			}
			inside := workflow.Caller{Actor: "v", Scope: "990001002003"}
			if _, err := f.engine.Get(ctx, inside, c.ID); err != nil {
				t.Errorf("get inside scope: %v", err)
			}
			if _, err := f.engine.Get(ctx, county, "missing"); !errors.Is(err, apperr.NotFound("case")) {
				t.Errorf("missing case: %v", err)
			}
		})
		t.Run("a stale etag is refused", func(t *testing.T) {
			old := c.Etag()
			now := f.record(t, c.ID, stepSurvey)
			if now.Etag() == old {
				t.Fatal("etag did not change")
			}
			_, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepReview, Etag: old})
			if !errors.Is(err, apperr.StaleEtag) {
				t.Errorf("stale etag: %v", err)
			}
			if _, err := f.engine.Record(ctx, county, c.ID, workflow.StepInput{Step: stepReview, Etag: now.Etag()}); err != nil {
				t.Errorf("current etag: %v", err)
			}
		})
		t.Run("the caller's transaction holds the step", func(t *testing.T) {
			boom := errors.New("the service's own change failed")
			err := f.db.InTx(ctx, func(ctx context.Context) error {
				if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			got, _ := f.engine.Get(ctx, county, c.ID)
			if got.State != workflow.StateOpen || len(got.Postings) != 0 {
				t.Errorf("rolled-back posting is visible: %+v", got)
			}
		})
		t.Run("list filters by kind, state and region prefix, in pages", func(t *testing.T) {
			for i := range 3 {
				if _, err := f.engine.Open(ctx, county, workflow.NewCase{Kind: "test", Subject: fmt.Sprintf("households/l%d", i), RegionCode: "990001003001"}); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				name   string
				by     workflow.Caller
				filter string
				want   int
			}{
				{"all", county, "", 4},
				{"a township", county, `region_code:"990001003"`, 3},
				{"a village officer sees their village", workflow.Caller{Scope: "990001002003"}, "", 1},
				{"open", county, "state = OPEN", 4},
				{"posting", county, "state = POSTING", 0},
				{"kind", county, `kind = "test" AND next_step = "survey"`, 3},
				{"subject", county, `subject = "households/one"`, 1},
				{"approved", county, "outcome = APPROVED", 0},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var all []*workflow.Case
					after := ""
					for {
						page, next, err := f.engine.List(ctx, tt.by, workflow.ListQuery{Filter: tt.filter, After: after, Limit: 2})
						if err != nil {
							t.Fatal(err)
						}
						all = append(all, page...)
						if next == "" {
							break
						}
						after = next
					}
					if len(all) != tt.want {
						t.Errorf("%d cases, want %d", len(all), tt.want)
					}
					for _, c := range all {
						if len(c.Steps) == 0 {
							t.Errorf("case %s listed without its trail", c.ID)
						}
					}
				})
			}
			if _, _, err := f.engine.List(ctx, county, workflow.ListQuery{Filter: "state = MAYBE"}); err == nil {
				t.Error("unknown state accepted")
			}
		})
	})
}

func TestStepsAreAppendOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		c := f.open(t, "households/append")
		err := f.db.InTx(t.Context(), func(ctx context.Context) error {
			_, err := f.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_case_steps SET note = 'rewritten' WHERE case_id = $1`, c.ID)
			return err
		})
		if err == nil {
			t.Error("a recorded step was rewritten")
		}
	})
}

func TestRepeatableStepCorrects(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		c := f.open(t, "households/redo")
		f.record(t, c.ID, stepSurvey)
		got := f.record(t, c.ID, stepSurvey)
		if got.Next != stepReview || len(got.Steps) != 3 || got.Latest(stepSurvey).Seq != 3 {
			t.Errorf("after a corrected survey: next %s, %d steps", got.Next, len(got.Steps))
		}
		f.record(t, c.ID, stepReview)
		_, err := f.engine.Record(t.Context(), county, c.ID, workflow.StepInput{Step: stepSurvey})
		refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step posting, not survey")
		_, err = f.engine.Record(t.Context(), county, c.ID, workflow.StepInput{Step: stepReview})
		refused(t, err, workflow.ReasonStepOutOfOrder, workflow.RuleStepOrder, "cases/"+c.ID, "expects step posting, not village_review")
	})
}

func TestWithdraw(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()
		c := f.atPosting(t, "households/withdraw")
		if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
			t.Fatal(err)
		}
		_, err := f.engine.Withdraw(ctx, county, c.ID, workflow.StepInput{Note: " "})
		if e, ok := apperr.As(err); !ok || e.Fields[0].Field != "note" {
			t.Fatalf("withdrawal without a reason: %v", err)
		}
		f.clock.set("2025-06-03")
		got, err := f.engine.Withdraw(ctx, county, c.ID, workflow.StepInput{Note: "申请人撤回申请"})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != workflow.StateClosed || got.Decision.Outcome != workflow.OutcomeWithdrawn || got.Decision.Step != workflow.StepWithdrawal ||
			got.Decision.Explanation != "申请人撤回申请" || got.CurrentPosting().State != workflow.PostingInterrupted || got.CurrentPosting().EndedAt != "2025-06-03" {
			t.Errorf("withdrawn case %+v decision %+v posting %+v", got, got.Decision, got.CurrentPosting())
		}
		_, err = f.engine.Withdraw(ctx, county, c.ID, workflow.StepInput{Note: "again"})
		refused(t, err, workflow.ReasonCaseClosed, workflow.RuleCaseClosed, "cases/"+c.ID, "decided (withdrawn)")
		again, err := f.engine.Get(ctx, county, c.ID)
		if err != nil || again.Decision.Outcome != workflow.OutcomeWithdrawn || again.Steps[len(again.Steps)-1].Decision == nil {
			t.Errorf("read back %+v %v", again, err)
		}
		if _, err := f.engine.Open(ctx, county, workflow.NewCase{Kind: "test", Subject: "households/withdraw", RegionCode: "990001002003"}); err != nil {
			t.Errorf("a withdrawn case blocks a new one: %v", err)
		}
		page, _, err := f.engine.List(ctx, county, workflow.ListQuery{Filter: "outcome = WITHDRAWN"})
		if err != nil || len(page) != 1 {
			t.Errorf("list withdrawn: %d %v", len(page), err)
		}
	})
}

func TestSetRegion(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, sevenDays)
		ctx := t.Context()
		c := f.atPosting(t, "households/moving")
		if _, err := f.engine.StartPosting(ctx, county, c.ID, workflow.StepInput{Step: stepPosting}); err != nil {
			t.Fatal(err)
		}
		before, err := f.engine.Get(ctx, county, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.set("2025-06-02")
		changed, err := f.engine.SetRegion(ctx, c.ID, "990001001001")
		if err != nil || !changed {
			t.Fatalf("SetRegion = %v %v", changed, err)
		}
		moved, err := f.engine.Get(ctx, county, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if moved.RegionCode != "990001001001" || moved.Etag() == before.Etag() || len(moved.Steps) != len(before.Steps) ||
			moved.State != workflow.StatePosting || moved.CurrentPosting().StartedAt != before.CurrentPosting().StartedAt ||
			!moved.UpdateTime.Equal(f.clock.now()) {
			t.Errorf("moved case %+v (before %+v)", moved, before)
		}
		t.Run("the new region sees it, the old one no longer does", func(t *testing.T) {
			if _, err := f.engine.Get(ctx, workflow.Caller{Actor: "t", Scope: "990001001"}, c.ID); err != nil {
				t.Errorf("new township: %v", err)
			}
			if _, err := f.engine.Get(ctx, workflow.Caller{Actor: "t", Scope: "990001002"}, c.ID); !errors.Is(err, apperr.Denied(workflow.ReasonOutOfRegionScope, "")) {
				t.Errorf("old township: %v", err)
			}
			page, _, err := f.engine.List(ctx, workflow.Caller{Actor: "t", Scope: "990001001"}, workflow.ListQuery{})
			if err != nil || len(page) != 1 || page[0].ID != c.ID {
				t.Errorf("list in the new township: %d %v", len(page), err)
			}
		})
		t.Run("the same region again changes nothing", func(t *testing.T) {
			changed, err := f.engine.SetRegion(ctx, c.ID, "990001001001")
			if err != nil || changed {
				t.Fatalf("SetRegion again = %v %v", changed, err)
			}
			again, _ := f.engine.Get(ctx, county, c.ID)
			if again.Etag() != moved.Etag() {
				t.Errorf("etag changed: %s → %s", moved.Etag(), again.Etag())
			}
		})
		t.Run("the posting and steps go on where the case stands", func(t *testing.T) {
			if _, err := f.engine.FileObjection(ctx, county, c.ID, workflow.ObjectionInput{Content: "收入不实"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a closed case keeps the region it was decided in", func(t *testing.T) {
			if _, err := f.engine.Withdraw(ctx, county, c.ID, workflow.StepInput{Note: "迁出本县"}); err != nil {
				t.Fatal(err)
			}
			_, err := f.engine.SetRegion(ctx, c.ID, "990001002003")
			refused(t, err, workflow.ReasonCaseClosed, workflow.RuleCaseClosed, "cases/"+c.ID, "decided (withdrawn)")
		})
		t.Run("bad input", func(t *testing.T) {
			if _, err := f.engine.SetRegion(ctx, "nope", "990001001001"); !errors.Is(err, apperr.NotFound("case")) {
				t.Errorf("unknown case: %v", err)
			}
			if _, err := f.engine.SetRegion(ctx, c.ID, "99x"); err == nil {
				t.Error("a bad region code was accepted")
			}
		})
	})
}

func TestStepMeta(t *testing.T) {
	m := workflow.StepMeta{OccurredAt: "2026-03-02", BackdateReason: "补录", Note: "n", Attachments: []string{"a"}, Etag: `"e"`}
	in, err := m.Input("survey", map[string]int{"x": 1})
	if err != nil || in.Step != "survey" || in.OccurredAt != m.OccurredAt || in.BackdateReason != "补录" || in.Note != "n" ||
		len(in.Attachments) != 1 || in.Etag != `"e"` || string(in.Data) != `{"x":1}` || in.Decision != nil {
		t.Fatalf("Input = %+v %v", in, err)
	}
	if in, _ := m.Input("posting", nil); in.Data != nil {
		t.Errorf("no data gave %s", in.Data)
	}
	for _, approve := range []bool{true, false} {
		in, err := m.Decision("decision", approve, nil)
		want := workflow.OutcomeRefused
		if approve {
			want = workflow.OutcomeApproved
		}
		if err != nil || in.Decision == nil || in.Decision.Outcome != want || in.Step != "decision" {
			t.Errorf("Decision(%v) = %+v %v", approve, in, err)
		}
	}
	if _, err := m.Input("bad", func() {}); err == nil {
		t.Error("unencodable data accepted")
	}
	noon := time.Date(2026, 3, 5, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
	if got := m.Date(noon); got != "2026-03-02" {
		t.Errorf("Date with OccurredAt = %s", got)
	}
	if got := (workflow.StepMeta{}).Date(noon.Add(20 * time.Hour)); got != "2026-03-06" {
		t.Errorf("Date without OccurredAt = %s, want the business date in Shanghai", got)
	}
}
