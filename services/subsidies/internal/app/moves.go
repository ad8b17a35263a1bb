package app

import (
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// moveFollower returns the follower of the register's moves (household.moved): the household's valid
// certificates, open cases, running 低保 coverages and entitlements still paying take the new village. Its
// engine only moves cases between regions, which needs no definitions (engines keep nothing else).
func moveFollower(w *wiring) domain.Follower {
	return domain.NewMoveFollower(w.st, workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID}), w.now)
}
