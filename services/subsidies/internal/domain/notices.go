package domain

import (
	"context"

	"fupin.dev/services/platform/intake"
	"fupin.dev/services/platform/workflow"
)

// Public notices (公示) of 低保 postings and the objections received online against them (platform/intake):
// the notice shows the household head's name (or the 单人保 applicant's), masked by the engine, the
// household's size at the application and the proposal; never the income or the amount, which would tell
// the income.

// ReliefOffice is the office that posts 低保 notices.
const ReliefOffice = "县民政局"

// PublishNotices makes 低保 postings read the subjects' names from the register through names (the
// identification service, on behalf of the officer who starts the posting). Without it notices show no
// name.
func (d *Dibao) PublishNotices(names RollNames) { d.names = names }

// notice is what a 低保 posting's notice shows.
func (d *Dibao) notice(ctx context.Context, k *workflow.Case) (workflow.NoticeFacts, error) {
	app := dibaoApplicationOf(k)
	f := workflow.NoticeFacts{Title: "最低生活保障公示", Office: ReliefOffice, HouseholdSize: app.HouseholdSize, Proposal: "拟纳入农村最低生活保障"}
	if app.Urban {
		f.Proposal = "拟纳入城市最低生活保障"
	}
	if app.PersonID != "" {
		f.HouseholdSize, f.Proposal = 0, f.Proposal+"（单人保）"
	}
	if d.names == nil {
		return f, nil
	}
	names, err := d.names.RollNames(ctx, []string{app.HouseholdID})
	if err != nil {
		return f, err
	}
	f.SubjectName = names[app.HouseholdID].Head
	if app.PersonID != "" {
		f.SubjectName = names[app.HouseholdID].Members[app.PersonID]
	}
	return f, nil
}

// HandleObjections registers how objections received online to 低保 postings are accepted: as an
// objection an officer records.
func (d *Dibao) HandleObjections(in *intake.Intake) {
	in.Handle(KindDibao, intake.Kind{
		Accept: func(ctx context.Context, by workflow.Caller, caseID string, o workflow.ObjectionInput) error {
			_, err := d.FileObjection(ctx, by, caseID, o)
			return err
		},
		CaseName: func(c *workflow.Case) string { return DibaoCaseSource(c.ID) },
	})
}
