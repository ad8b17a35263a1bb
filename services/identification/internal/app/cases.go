package app

import (
	"time"

	"fupin.dev/services/identification/internal/api"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/workflow"
)

// newCases builds the identification and exit cases on a workflow engine over the service's database, with
// List filters written as the CaseService contract writes states, outcomes and the household. income may
// be nil: decisions then use the per-capita income the case's survey recorded.
func newCases(p *boot.Process, st *store.Store, now func() time.Time, income domain.PerCapitaIncome) (*domain.Cases, error) {
	engine := workflow.New(p.DB, workflow.Options{Now: now, NewID: newID, Policy: p.Policy,
		StateNames: api.CaseFilterNames.States, OutcomeNames: api.CaseFilterNames.Outcomes, SubjectField: api.CaseFilterNames.Subject})
	return domain.NewCases(st, engine, p.Policy, income, now)
}
