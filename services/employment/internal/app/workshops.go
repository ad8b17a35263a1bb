package app

import (
	"context"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/api"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/workflow"
)

// workshopsArea serves the 就业帮扶车间 (registration, recognition, insurance, rewards).
func workshopsArea(w *wiring) ([]func(context.Context) error, error) {
	employmentv1.RegisterWorkshopServiceServer(w.p.Server.GRPC(),
		api.NewWorkshops(domain.NewWorkshops(w.st, w.st, w.p.Policy, newID, w.now)))
	return nil, nil
}

// employmentSubsidiesArea serves the employment subsidies (transport, 吸纳/稳岗, training) on their own
// workflow engine over the service's database, with List filters written as the EmploymentSubsidyService
// contract writes states, outcomes and the person. Engines keep no state besides their definitions, so
// several over one database agree.
func employmentSubsidiesArea(w *wiring) ([]func(context.Context) error, error) {
	names := api.EmploymentSubsidyFilterNames
	engine := workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID, Policy: w.p.Policy,
		StateNames: names.States, OutcomeNames: names.Outcomes, SubjectField: names.Subject})
	subsidies, err := domain.NewEmploymentSubsidies(w.st, w.st, engine, w.p.Policy, newID, w.now)
	if err != nil {
		return nil, err
	}
	employmentv1.RegisterEmploymentSubsidyServiceServer(w.p.Server.GRPC(), api.NewEmploymentSubsidies(subsidies))
	return nil, nil
}
