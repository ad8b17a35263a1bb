package app

import (
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/api"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/workflow"
)

// registerMonitoring builds income assessment and monitoring (clues, screening, the decisions they lead
// to and risk removal, on a workflow engine of their own kinds of case) and registers their handlers. The
// income assessment it returns is what other areas read per-capita income from (domain.PerCapitaIncome);
// monitoring is a domain.TrailSource.
func registerMonitoring(p *boot.Process, st *store.Store, now func() time.Time, employment string) (*domain.Incomes, *domain.Monitoring, error) {
	incomes := domain.NewIncomes(st, p.Policy, now, newID)
	if err := countEmploymentWages(p, incomes, employment); err != nil {
		return nil, nil, err
	}
	engine := workflow.New(p.DB, workflow.Options{Now: now, NewID: newID, Policy: p.Policy})
	monitoring, err := domain.NewMonitoring(st, engine, p.PII, p.Policy, now, newID)
	if err != nil {
		return nil, nil, err
	}
	identificationv1.RegisterIncomeServiceServer(p.Server.GRPC(), api.NewIncome(incomes))
	identificationv1.RegisterMonitoringServiceServer(p.Server.GRPC(), api.NewMonitoring(monitoring, now))
	return incomes, monitoring, nil
}
