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
	w.subsidies = subsidies
	employmentv1.RegisterEmploymentSubsidyServiceServer(w.p.Server.GRPC(), api.NewEmploymentSubsidies(subsidies))
	return nil, nil
}

// registerEvents tells each area that follows the register's deaths and moves, in the change's
// transaction: 公益岗 (pay stops from the next month) and the employment subsidies (a move carries open
// applications to the new village; a death needs nothing, as an open application fails rule ALIVE).
type registerEvents struct{ w *wiring }

var _ domain.PostsRegisterFollower = registerEvents{}

func (r registerEvents) PersonDied(ctx context.Context, personID, date string) error {
	if r.w.posts == nil {
		return nil
	}
	return r.w.posts.PersonDied(ctx, personID, date)
}

func (r registerEvents) HouseholdMoved(ctx context.Context, householdID, regionCode, date string) error {
	if r.w.posts != nil {
		if err := r.w.posts.HouseholdMoved(ctx, householdID, regionCode, date); err != nil {
			return err
		}
	}
	if r.w.subsidies != nil {
		return r.w.subsidies.HouseholdMoved(ctx, householdID, regionCode)
	}
	return nil
}
