package domain

import (
	"context"
	"fmt"
	"strings"

	"fupin.dev/services/platform/workflow"
)

// TrailSourceMonitoring names monitoring's events in the household trail.
const TrailSourceMonitoring = "monitoring"

var clueKindLabels = map[ClueKind]string{
	ClueIncomeInRange: "收入低于监测标准", ClueIncomeDrop: "收入骤减", ClueRigidSpending: "刚性支出骤增", ClueDisaster: "因灾",
	ClueAccident: "意外事故", ClueDeath: "家庭成员死亡", ClueIllness: "因病", ClueDisability: "因残", ClueJobLoss: "务工中断",
	ClueOther: "其他",
}

var clueSourceLabels = map[ClueSource]string{
	ClueSourceSelfReport: "农户自主申报", ClueSourceCadreScreening: "干部排查", ClueSourceDepartmentScreening: "部门筛查预警",
}

var monitoringTypeLabels = map[MonitoringType]string{
	MonitoringUnstable: "脱贫不稳定户", MonitoringMarginal: "边缘易致贫户", MonitoringSuddenHardship: "突发严重困难户",
}

// TrailEvents are a household's clues and risk removals with every step of their cases, for 痕迹管理.
func (m *Monitoring) TrailEvents(ctx context.Context, householdID string) ([]TrailEvent, error) {
	clues, err := m.store.CluesOfHousehold(ctx, householdID)
	if err != nil {
		return nil, err
	}
	var out []TrailEvent
	county := workflow.Caller{Actor: "trail"}
	for _, c := range clues {
		out = append(out, TrailEvent{Date: c.AroseDate, RecordTime: c.CreateTime, Source: TrailSourceMonitoring,
			Kind: "clue_recorded", Actor: c.CreatedBy, Resource: c.Name(),
			Summary: fmt.Sprintf("防返贫监测线索: %s (%s)", clueKindLabels[c.Kind], clueSourceLabels[c.Source])})
		if c.CaseID == "" {
			continue
		}
		cs, err := m.engine.Get(ctx, county, c.CaseID)
		if err != nil {
			return nil, err
		}
		out = append(out, caseTrail(cs, "clue", c.Name())...)
	}
	removals, _, err := m.engine.List(ctx, county, workflow.ListQuery{Kinds: []string{KindRiskRemoval},
		Filter: `subject = "households/` + householdID + `"`, Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, cs := range removals {
		out = append(out, caseTrail(cs, "risk_removal", cs.Subject+"/riskRemovals/"+cs.ID)...)
	}
	return out, nil
}

// caseTrail turns a monitoring case's steps, objections and posting completions into trail events named
// prefix_step (clue_verification, risk_removal_decision …).
func caseTrail(cs *workflow.Case, prefix, resource string) []TrailEvent {
	var out []TrailEvent
	for i := range cs.Steps {
		s := &cs.Steps[i]
		e := TrailEvent{Date: s.OccurredAt, RecordTime: s.RecordedAt, Source: TrailSourceMonitoring, Kind: prefix + "_" + s.Name,
			Actor: s.Actor, Resource: resource, Reason: s.BackdateReason, Summary: s.Note}
		d := DecodeStepData(s)
		switch {
		case s.Decision != nil && s.Decision.Outcome == workflow.OutcomeApproved && prefix == "clue":
			e.Summary = strings.TrimSpace("认定为" + monitoringTypeLabels[d.MonitoringType] + " " + s.Note)
		case s.Decision != nil && s.Decision.Outcome == workflow.OutcomeApproved:
			e.Summary = strings.TrimSpace("风险消除 " + s.Note)
		case s.Decision != nil:
			e.Summary = strings.TrimSpace("不予认定/未批准: " + s.Decision.Explanation)
		}
		out = append(out, e)
	}
	for _, p := range cs.Postings {
		for _, o := range p.Objections {
			out = append(out, TrailEvent{Date: o.FiledAt, RecordTime: o.RecordedAt, Source: TrailSourceMonitoring,
				Kind: prefix + "_objection", Actor: o.RecordedBy, Resource: resource, Reason: o.BackdateReason, Summary: "异议: " + o.Content})
		}
		if p.State == workflow.PostingCompleted {
			out = append(out, TrailEvent{Date: p.EndedAt, RecordTime: p.EndRecord, Source: TrailSourceMonitoring,
				Kind: prefix + "_posting_completed", Actor: p.EndedBy, Resource: resource, Reason: p.EndReason,
				Summary: fmt.Sprintf("公示期满 (%d 天)", p.MinDays)})
		}
	}
	return out
}
