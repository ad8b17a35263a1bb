package domain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/workflow"
)

// on moves the environment's clock to a business date (10:00 in Shanghai).
func (e *monEnv) on(date string) {
	t, _ := time.Parse("2006-01-02", date)
	e.now = t.Add(2 * time.Hour)
}

// clue registers a household and a clue about it that arose (and is recorded) on 2025-06-01.
func (e *monEnv) clue(t *testing.T, registry domain.RegistryStatus) (*domain.Household, *domain.Clue) {
	t.Helper()
	e.on("2025-06-01")
	h := e.household(t, "990001002001", 1, 2, registry)
	c, _, err := e.mon.CreateClue(t.Context(), rural, domain.NewClue{HouseholdID: h.ID, Source: domain.ClueSourceSelfReport,
		Kind: domain.ClueIncomeDrop, Facts: "务工中断, 收入骤减", AroseDate: "2025-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

func atRisk(date string, t domain.MonitoringType) domain.MonitoringVerification {
	return domain.MonitoringVerification{OccurredDate: date, Outcome: true, ProposedType: t, Findings: "入户核实: 人均纯收入低于监测标准"}
}

// posted verifies the clue on 06-02 and posts it on 06-03 (day 1 is 06-04, day 5 is 06-08).
func (e *monEnv) posted(t *testing.T, c *domain.Clue, mt domain.MonitoringType) *domain.Clue {
	t.Helper()
	ctx := t.Context()
	e.on("2025-06-02")
	c, err := e.mon.VerifyClue(ctx, county, c.ID, "", atRisk("", mt))
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != domain.StageVerified {
		t.Fatalf("stage after verification %v", c.Stage)
	}
	e.on("2025-06-03")
	if c, err = e.mon.PublicizeClue(ctx, county, c.ID, domain.MonitoringStepInput{Note: "村务公开栏"}); err != nil {
		t.Fatal(err)
	}
	if c.Stage != domain.StagePosting {
		t.Fatalf("stage after posting %v", c.Stage)
	}
	return c
}

func TestClueDecision(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h, c := e.clue(t, domain.RegistryExited)
	c = e.posted(t, c, domain.MonitoringUnstable)
	e.on("2025-06-08")
	c, err := e.mon.DecideClue(ctx, county, c.ID, true, 0, domain.MonitoringStepInput{Note: "县防返贫监测领导小组 2025-6 号"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != domain.StageConfirmed || c.MonitoringType != domain.MonitoringUnstable || c.DecidedDate != "2025-06-08" ||
		!c.DecidedOnTime() || c.Case == nil || c.Case.Decision.Outcome != workflow.OutcomeApproved {
		t.Errorf("clue %+v", c)
	}
	got, err := e.svc.GetHousehold(ctx, county, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := got.History[len(got.History)-1]
	if got.Status.MonitoringType != domain.MonitoringUnstable || got.Status.MonitoringStatus != domain.MonitoringStatusOpen ||
		got.Status.MonitoringDate != "2025-06-08" || got.Status.Registry != domain.RegistryExited ||
		last.EffectiveDate != "2025-06-08" || last.MonitoringStatus != domain.MonitoringStatusOpen || last.Reason != "防返贫监测对象认定 (clues/"+c.ID+")" {
		t.Errorf("household status %+v, last history %+v", got.Status, last)
	}
	changes, _ := e.feed.List(ctx, outbox.Query{Topics: []string{"household.status_changed"}, Limit: 10})
	if len(changes) != 1 || changes[0].GetResource() != "households/"+h.ID {
		t.Errorf("status changes on the feed: %v", changes)
	}
	// The trail: intake (the day the clue was recorded), verification, posting, its completion, decision.
	var names []string
	for _, s := range c.Case.Steps {
		names = append(names, s.Name)
	}
	if len(names) != 4 || names[0] != "intake" || names[3] != "decision" || c.Case.Postings[0].State != workflow.PostingCompleted {
		t.Errorf("trail %v postings %+v", names, c.Case.Postings)
	}
	t.Run("the household's trail shows every step", func(t *testing.T) {
		events, err := e.mon.TrailEvents(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range events {
			kinds = append(kinds, ev.Kind)
			if ev.Source != domain.TrailSourceMonitoring || ev.Resource != c.Name() {
				t.Errorf("event %+v", ev)
			}
		}
		want := "[clue_recorded clue_intake clue_verification clue_posting clue_decision clue_posting_completed]"
		if fmt.Sprint(kinds) != want || events[4].Summary != "认定为脱贫不稳定户 县防返贫监测领导小组 2025-6 号" {
			t.Errorf("kinds %v, want %s; decision %q", kinds, want, events[4].Summary)
		}
	})
	t.Run("a decided clue takes no more steps", func(t *testing.T) {
		_, err := e.mon.DecideClue(ctx, county, c.ID, false, 0, domain.MonitoringStepInput{Note: "再议"})
		if e2 := refusal(t, err); e2.Reason != workflow.ReasonCaseClosed {
			t.Errorf("err = %v", e2)
		}
	})
	t.Run("the household cannot be confirmed twice", func(t *testing.T) {
		other, _, err := e.mon.CreateClue(ctx, rural, domain.NewClue{HouseholdID: h.ID, Source: domain.ClueSourceCadreScreening,
			Kind: domain.ClueIllness, AroseDate: "2025-06-08"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.mon.VerifyClue(ctx, county, other.ID, "", atRisk("", domain.MonitoringSuddenHardship))
		if e2 := refusal(t, err); e2.Reason != domain.ReasonAlreadyMonitored {
			t.Errorf("err = %v", e2)
		}
	})
}

func TestCluePostingDays(t *testing.T) {
	// Posted on 2025-06-03 with 5 days: day 1 is 06-04, day 5 (the last) 06-08.
	tests := []struct {
		name   string
		date   string
		reason string
	}{
		{"day 4 is too early", "2025-06-07", workflow.ReasonPostingPeriodNotOver},
		{"day 5 completes the posting", "2025-06-08", ""},
		{"day 6", "2025-06-09", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMonEnv(t)
			_, c := e.clue(t, domain.RegistryOrdinary)
			c = e.posted(t, c, domain.MonitoringMarginal)
			e.on(tt.date)
			got, err := e.mon.DecideClue(t.Context(), county, c.ID, true, domain.MonitoringMarginal, domain.MonitoringStepInput{})
			if tt.reason == "" {
				if err != nil || got.Stage != domain.StageConfirmed {
					t.Errorf("decision on %s: %v", tt.date, err)
				}
				return
			}
			if e2 := refusal(t, err); e2.Reason != tt.reason {
				t.Errorf("err = %v", e2)
			}
			again, _ := e.mon.GetClue(t.Context(), county, c.ID)
			if again.Stage != domain.StagePosting {
				t.Errorf("a refused decision changed the clue: %v", again.Stage)
			}
		})
	}
}

func TestClueDeadline(t *testing.T) {
	// Arose 2025-06-01: day 15 (06-16) is on time, day 16 (06-17) late.
	for _, tt := range []struct {
		date   string
		onTime bool
	}{{"2025-06-16", true}, {"2025-06-17", false}} {
		t.Run(tt.date, func(t *testing.T) {
			e := newMonEnv(t)
			_, c := e.clue(t, domain.RegistryOrdinary)
			if c.DeadlineDate != "2025-06-16" {
				t.Fatalf("deadline %s", c.DeadlineDate)
			}
			e.on(tt.date)
			if c.OverdueOn(tt.date) == tt.onTime {
				t.Errorf("overdue on %s: %v", tt.date, c.OverdueOn(tt.date))
			}
			c, err := e.mon.VerifyClue(t.Context(), county, c.ID, "", domain.MonitoringVerification{Outcome: false, Findings: "收入已恢复"})
			if err != nil {
				t.Fatal(err)
			}
			if c.Stage != domain.StageNotConfirmed || c.DecidedDate != tt.date || c.DecidedOnTime() != tt.onTime || c.OverdueOn(tt.date) {
				t.Errorf("clue %+v on time %v", c, c.DecidedOnTime())
			}
		})
	}
}

func TestMonitoringTypeAllowed(t *testing.T) {
	hh := func(r domain.RegistryStatus, history ...domain.RegistryStatus) *domain.Household {
		h := &domain.Household{ID: "h", Status: domain.Status{Registry: r}}
		for _, s := range append(history, r) {
			h.History = append(h.History, domain.StatusChange{Registry: s})
		}
		return h
	}
	monitored := hh(domain.RegistryOrdinary)
	monitored.Status.MonitoringType, monitored.Status.MonitoringStatus = domain.MonitoringMarginal, domain.MonitoringStatusOpen
	removed := hh(domain.RegistryOrdinary)
	removed.Status.MonitoringType, removed.Status.MonitoringStatus = domain.MonitoringMarginal, domain.MonitoringStatusRiskRemoved
	tests := []struct {
		name   string
		h      *domain.Household
		t      domain.MonitoringType
		reason string
	}{
		{"脱贫不稳定户: an exited household", hh(domain.RegistryExited, domain.RegistryPoor), domain.MonitoringUnstable, ""},
		{"脱贫不稳定户: not a household never registered", hh(domain.RegistryOrdinary), domain.MonitoringUnstable, domain.ReasonMonitoringTypeNotAllowed},
		{"边缘易致贫户: a household never registered", hh(domain.RegistryOrdinary), domain.MonitoringMarginal, ""},
		{"边缘易致贫户: not an exited household", hh(domain.RegistryExited), domain.MonitoringMarginal, domain.ReasonMonitoringTypeNotAllowed},
		{"边缘易致贫户: not one once registered", hh(domain.RegistryOrdinary, domain.RegistryPoor), domain.MonitoringMarginal, domain.ReasonMonitoringTypeNotAllowed},
		{"突发严重困难户: a household never registered", hh(domain.RegistryOrdinary), domain.MonitoringSuddenHardship, ""},
		{"突发严重困难户: an exited household", hh(domain.RegistryExited), domain.MonitoringSuddenHardship, ""},
		{"a poor household is in the registry", hh(domain.RegistryPoor), domain.MonitoringSuddenHardship, domain.ReasonMonitoringTypeNotAllowed},
		{"so is a returned one", hh(domain.RegistryReturned), domain.MonitoringUnstable, domain.ReasonMonitoringTypeNotAllowed},
		{"an open monitoring object", monitored, domain.MonitoringSuddenHardship, domain.ReasonAlreadyMonitored},
		{"after risk removal again", removed, domain.MonitoringMarginal, ""},
		{"a type is required", hh(domain.RegistryOrdinary), domain.MonitoringNone, domain.ReasonInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.MonitoringTypeAllowed(tt.h, tt.t)
			if tt.reason == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if e2 := refusal(t, err); e2.Reason != tt.reason {
				t.Errorf("reason %s, want %s", e2.Reason, tt.reason)
			}
		})
	}
}

func TestClueObjectionReopensVerification(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	_, c := e.clue(t, domain.RegistryOrdinary)
	c = e.posted(t, c, domain.MonitoringMarginal)
	e.on("2025-06-05")
	c, err := e.mon.ObjectToClue(ctx, county, c.ID, domain.MonitoringStepInput{Note: "群众反映该户有经营性收入未计入"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != domain.StageOpen || c.Case.Postings[0].State != workflow.PostingInterrupted {
		t.Fatalf("after objection: %v %+v", c.Stage, c.Case.Postings)
	}
	if _, err := e.mon.PublicizeClue(ctx, county, c.ID, domain.MonitoringStepInput{}); refusal(t, err).Reason != workflow.ReasonStepOutOfOrder {
		t.Errorf("posting again without verifying: %v", err)
	}
	if _, err := e.mon.DecideClue(ctx, county, c.ID, true, 0, domain.MonitoringStepInput{}); refusal(t, err).Reason != workflow.ReasonStepOutOfOrder {
		t.Errorf("confirming without a posting: %v", err)
	}
	e.on("2025-06-06")
	if c, err = e.mon.VerifyClue(ctx, county, c.ID, "", atRisk("", domain.MonitoringMarginal)); err != nil {
		t.Fatal(err)
	}
	if c, err = e.mon.PublicizeClue(ctx, county, c.ID, domain.MonitoringStepInput{}); err != nil {
		t.Fatal(err)
	}
	e.on("2025-06-11")
	if c, err = e.mon.DecideClue(ctx, county, c.ID, true, 0, domain.MonitoringStepInput{}); err != nil || c.Stage != domain.StageConfirmed {
		t.Fatalf("decision after the second posting: %v %v", c, err)
	}
	if len(c.Case.Postings) != 2 || c.Case.Round != 2 {
		t.Errorf("postings %d round %d", len(c.Case.Postings), c.Case.Round)
	}
}

func TestClueStepRules(t *testing.T) {
	tests := []struct {
		name   string
		run    func(e *monEnv, c *domain.Clue) (*domain.Clue, error)
		reason string
		stage  domain.MonitoringStage
	}{
		{"not at risk closes the clue", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.VerifyClue(e.ctx, county, c.ID, "", domain.MonitoringVerification{Findings: "务工已恢复"})
		}, "", domain.StageNotConfirmed},
		{"at risk needs a type that fits", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.VerifyClue(e.ctx, county, c.ID, "", atRisk("", domain.MonitoringUnstable))
		}, domain.ReasonMonitoringTypeNotAllowed, domain.StageOpen},
		{"a back-dated verification says why", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.VerifyClue(e.ctx, county, c.ID, "", atRisk("2025-06-01", domain.MonitoringMarginal))
		}, workflow.ReasonBackdateReasonRequired, domain.StageOpen},
		{"and then it is accepted", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			v := atRisk("2025-06-01", domain.MonitoringMarginal)
			v.BackdateReason = "核实表补录"
			return e.mon.VerifyClue(e.ctx, county, c.ID, "", v)
		}, "", domain.StageVerified},
		{"not confirming needs a note", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.DecideClue(e.ctx, county, c.ID, false, 0, domain.MonitoringStepInput{})
		}, domain.ReasonNoteRequired, domain.StageOpen},
		{"the county closes a clue before verification", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.DecideClue(e.ctx, county, c.ID, false, 0, domain.MonitoringStepInput{Note: "重复线索"})
		}, "", domain.StageNotConfirmed},
		{"confirming needs verification and a posting", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.DecideClue(e.ctx, county, c.ID, true, domain.MonitoringMarginal, domain.MonitoringStepInput{})
		}, workflow.ReasonStepOutOfOrder, domain.StageOpen},
		{"a stale etag", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.VerifyClue(e.ctx, county, c.ID, `"stale"`, atRisk("", domain.MonitoringMarginal))
		}, "STALE_ETAG", domain.StageOpen},
		{"outside the caller's scope the clue does not exist", func(e *monEnv, c *domain.Clue) (*domain.Clue, error) {
			return e.mon.VerifyClue(e.ctx, domain.Caller{Actor: "t", Scope: "990001001"}, c.ID, "", atRisk("", domain.MonitoringMarginal))
		}, "NOT_FOUND", domain.StageOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.ctx = t.Context()
			_, c := e.clue(t, domain.RegistryOrdinary)
			e.on("2025-06-02")
			got, err := tt.run(e, c)
			if tt.reason != "" {
				if e2 := refusal(t, err); e2.Reason != tt.reason {
					t.Errorf("reason %s, want %s", e2.Reason, tt.reason)
				}
			} else if err != nil {
				t.Fatalf("refused: %v", err)
			} else if got.Stage != tt.stage {
				t.Errorf("stage %v, want %v", got.Stage, tt.stage)
			}
			stored, err := e.mon.GetClue(t.Context(), county, c.ID)
			if err != nil || stored.Stage != tt.stage {
				t.Errorf("stored stage %v, want %v (%v)", stored.Stage, tt.stage, err)
			}
		})
	}
}

func TestRiskRemoval(t *testing.T) {
	e := newMonEnv(t)
	ctx := t.Context()
	h, c := e.clue(t, domain.RegistryOrdinary)
	_, err := e.mon.StartRiskRemoval(ctx, county, h.ID, domain.MonitoringVerification{Outcome: true, Findings: "收入稳定"})
	if e2 := refusal(t, err); e2.Reason != domain.ReasonNotMonitored {
		t.Errorf("risk removal of a household not monitored: %v", e2)
	}
	c = e.posted(t, c, domain.MonitoringMarginal)
	e.on("2025-06-08")
	if _, err := e.mon.DecideClue(ctx, county, c.ID, true, 0, domain.MonitoringStepInput{}); err != nil {
		t.Fatal(err)
	}
	e.on("2025-12-01")
	r, err := e.mon.StartRiskRemoval(ctx, county, h.ID, domain.MonitoringVerification{Outcome: true, Findings: "务工收入稳定, 人均纯收入 9,000 元"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stage != domain.StageVerified || r.MonitoringType != domain.MonitoringMarginal || r.HouseholdID != h.ID {
		t.Errorf("removal %+v", r)
	}
	if _, err := e.mon.StartRiskRemoval(ctx, county, h.ID, domain.MonitoringVerification{Outcome: true, Findings: "again"}); refusal(t, err).Reason != workflow.ReasonCaseAlreadyOpen {
		t.Errorf("a second removal: %v", err)
	}
	e.on("2025-12-02")
	if r, err = e.mon.PublicizeRiskRemoval(ctx, county, h.ID, r.Case.ID, domain.MonitoringStepInput{}); err != nil || r.Stage != domain.StagePosting {
		t.Fatalf("posting %v %v", r, err)
	}
	e.on("2025-12-06") // day 4
	if _, err := e.mon.DecideRiskRemoval(ctx, county, h.ID, r.Case.ID, true, domain.MonitoringStepInput{}); refusal(t, err).Reason != workflow.ReasonPostingPeriodNotOver {
		t.Errorf("approval on day 4: %v", err)
	}
	e.on("2025-12-07") // day 5
	if r, err = e.mon.DecideRiskRemoval(ctx, county, h.ID, r.Case.ID, true, domain.MonitoringStepInput{Note: "县审定"}); err != nil || r.Stage != domain.StageConfirmed {
		t.Fatalf("approval %v %v", r, err)
	}
	got, _ := e.svc.GetHousehold(ctx, county, h.ID)
	if got.Status.MonitoringStatus != domain.MonitoringStatusRiskRemoved || got.Status.MonitoringType != domain.MonitoringMarginal ||
		got.Status.MonitoringDate != "2025-12-07" || got.History[len(got.History)-1].MonitoringStatus != domain.MonitoringStatusRiskRemoved {
		t.Errorf("household %+v", got.Status)
	}
	events, err := e.mon.TrailEvents(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The clue's 6 (recorded, intake, verification, posting, decision, posting completed) and the removal's 5.
	decided := false
	for _, ev := range events {
		decided = decided || (ev.Kind == "risk_removal_decision" && ev.Summary == "风险消除 县审定" &&
			ev.Resource == "households/"+h.ID+"/riskRemovals/"+r.Case.ID)
	}
	if len(events) != 11 || !decided {
		t.Errorf("%d trail events: %+v", len(events), events)
	}
	if _, err := e.mon.GetRiskRemoval(ctx, county, "another", r.Case.ID); !errors.Is(err, domain.ErrRiskRemovalNotFound) {
		t.Errorf("removal under another household: %v", err)
	}
	t.Run("rejecting needs a note and leaves the household monitored", func(t *testing.T) {
		e := newMonEnv(t)
		h, c := e.clue(t, domain.RegistryOrdinary)
		c = e.posted(t, c, domain.MonitoringSuddenHardship)
		e.on("2025-06-08")
		if _, err := e.mon.DecideClue(ctx, county, c.ID, true, 0, domain.MonitoringStepInput{}); err != nil {
			t.Fatal(err)
		}
		r, err := e.mon.StartRiskRemoval(ctx, county, h.ID, domain.MonitoringVerification{Outcome: true, Findings: "已就业"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.mon.DecideRiskRemoval(ctx, county, h.ID, r.Case.ID, false, domain.MonitoringStepInput{}); refusal(t, err).Reason != domain.ReasonNoteRequired {
			t.Errorf("no note: %v", err)
		}
		r, err = e.mon.DecideRiskRemoval(ctx, county, h.ID, r.Case.ID, false, domain.MonitoringStepInput{Note: "收入尚不稳定"})
		if err != nil || r.Stage != domain.StageNotConfirmed {
			t.Fatalf("rejection %v %v", r, err)
		}
		got, _ := e.svc.GetHousehold(ctx, county, h.ID)
		if got.Status.MonitoringStatus != domain.MonitoringStatusOpen {
			t.Errorf("household %+v", got.Status)
		}
	})
}
