package domain_test

import (
	"fmt"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestCaseStepsAreOnTheTrail(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		h := f.household(t, villageSmall, domain.RegistryOrdinary)
		other := f.household(t, villageSmall, domain.RegistryOrdinary)
		k := f.to(t, f.open(t, domain.KindIdentification, h), stageTownship, poorFacts())
		if _, err := decide(f, t, k.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		f.open(t, domain.KindIdentification, other)

		events, err := f.cases.TrailEvents(t.Context(), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range events {
			if e.Resource != "cases/"+k.ID || e.Source != domain.TrailSourceCases || e.Actor == "" || e.Date == "" {
				t.Errorf("event %+v", e)
			}
			kinds = append(kinds, e.Kind)
		}
		// Application, survey, village review, posting start, township review, decision, and the posting's
		// end; nothing of the other household's case.
		want := []string{"identification.application", "identification.survey", "identification.village_review",
			"identification.posting", "identification.township_review", "identification.county_decision",
			"identification.posting_ended"}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Errorf("trail kinds %v", kinds)
		}
	})
}
