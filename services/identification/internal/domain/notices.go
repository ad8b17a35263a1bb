package domain

import (
	"context"
	"strings"

	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/workflow"
)

// Public notices (公示) of this service's postings and the objections received online against them
// (platform/intake). Each posting says what its notice shows — the household head's name (masked by the
// engine), the household's size, the proposal, the office — and each kind of case says how an accepted
// objection is filed: through the same path as one an officer records, so a monitoring clue's stage follows.

// Office is the office that posts this service's notices.
const Office = "县乡村振兴局"

// householdNotice reads the household a posting is about and gives its notice: its head's name and its size.
func householdNotice(ctx context.Context, get func(ctx context.Context, id string) (*Household, error), householdID, title, proposal string) (workflow.NoticeFacts, error) {
	h, err := get(ctx, householdID)
	if err != nil {
		return workflow.NoticeFacts{}, err
	}
	f := workflow.NoticeFacts{Title: title, HouseholdSize: h.Size(), Proposal: proposal, Office: Office}
	if head := h.Head(); head != nil {
		f.SubjectName = head.FullName
	}
	return f, nil
}

func (cs *Cases) identificationNotice(ctx context.Context, c *workflow.Case) (workflow.NoticeFacts, error) {
	return householdNotice(ctx, cs.store.GetHousehold, HouseholdOf(c), "建档立卡贫困户识别公示", "拟识别为建档立卡贫困户")
}

func (cs *Cases) exitNotice(ctx context.Context, c *workflow.Case) (workflow.NoticeFacts, error) {
	return householdNotice(ctx, cs.store.GetHousehold, HouseholdOf(c), "贫困户脱贫退出公示", "拟脱贫退出")
}

func (m *Monitoring) clueNotice(ctx context.Context, c *workflow.Case) (workflow.NoticeFacts, error) {
	proposal := "拟认定为防返贫监测对象"
	if s := c.Latest(monStepVerification); s != nil {
		if label := monitoringTypeLabels[DecodeStepData(s).MonitoringType]; label != "" {
			proposal += "（" + label + "）"
		}
	}
	return householdNotice(ctx, func(ctx context.Context, _ string) (*Household, error) { return m.caseHousehold(ctx, c) }, "",
		"防返贫监测对象认定公示", proposal)
}

func (m *Monitoring) riskRemovalNotice(ctx context.Context, c *workflow.Case) (workflow.NoticeFacts, error) {
	return householdNotice(ctx, m.store.GetHousehold, HouseholdOf(c), "防返贫监测对象风险消除公示", "拟标注风险消除")
}

// HandleObjections registers how objections received online to this service's postings are accepted.
func HandleObjections(in *intake.Intake, cases *Cases, m *Monitoring) {
	caseFile := func(ctx context.Context, by workflow.Caller, caseID string, o workflow.ObjectionInput) error {
		_, err := cases.FileObjection(ctx, Caller(by), caseID, o)
		return err
	}
	caseName := func(c *workflow.Case) string { return c.Name() }
	in.Handle(KindIdentification, intake.Kind{Accept: caseFile, CaseName: caseName})
	in.Handle(KindExit, intake.Kind{Accept: caseFile, CaseName: caseName})
	in.Handle(KindMonitoringClue, intake.Kind{
		Accept: func(ctx context.Context, by workflow.Caller, caseID string, o workflow.ObjectionInput) error {
			c, err := m.engine.Get(ctx, by, caseID)
			if err != nil {
				return err
			}
			_, err = m.ObjectToClue(ctx, Caller(by), strings.TrimPrefix(c.Subject, "clues/"), monitoringObjection(o))
			return err
		},
		CaseName: func(c *workflow.Case) string { return c.Subject },
	})
	in.Handle(KindRiskRemoval, intake.Kind{
		Accept: func(ctx context.Context, by workflow.Caller, caseID string, o workflow.ObjectionInput) error {
			c, err := m.engine.Get(ctx, by, caseID)
			if err != nil {
				return err
			}
			_, err = m.ObjectToRiskRemoval(ctx, Caller(by), HouseholdOf(c), caseID, monitoringObjection(o))
			return err
		},
		CaseName: func(c *workflow.Case) string { return c.Subject + "/riskRemovals/" + c.ID },
	})
}

func monitoringObjection(o workflow.ObjectionInput) MonitoringStepInput {
	return MonitoringStepInput{OccurredDate: o.OccurredAt, BackdateReason: o.BackdateReason, Note: o.Content, Objector: o.Objector}
}
