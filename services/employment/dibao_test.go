package employment_test

import (
	"sync"
	"testing"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// countyClock is the county's clock, moved by the test (the posting's days must pass).
type countyClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *countyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *countyClock) On(date string) {
	t, _ := bizdate.Parse(date)
	c.mu.Lock()
	c.now = t.Add(10 * time.Hour)
	c.mu.Unlock()
}

// The ledger covers 低保 households (and a 低保 household with no one employed is on the 零就业 list): an ordinary household has no records until 民政 approves its 低保, then
// its working-age member is ACTIVE with 低保 set, from subsidies' feed; a service started later on an empty
// database finds the same from subsidies' export (the resync at the start).
func TestLedgerFollowsDibao(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &countyClock{}
		clock.On("2025-03-10")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		h := c.CreateHousehold(t, village2,
			&identificationv1.Member{FullName: "王大", IdNumber: IDNumber("19800101", 41), RelationToHead: identificationv1.Relation_RELATION_HEAD,
				LabourAbility: identificationv1.LabourAbility_LABOUR_ABILITY_ORDINARY})
		c.waitFollowed(t)
		if got := c.ledger(t); len(got) != 0 {
			t.Fatalf("an ordinary household in the ledger: %v", got)
		}

		dibao := subsidiesv1.NewDibaoServiceClient(c.Relief)
		ca := c.As(t, "civil_affairs", "department_staff", "")
		k, err := dibao.CreateDibaoCase(ca, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-11")
		if _, err = dibao.RecordDibaoSurvey(ca, &subsidiesv1.RecordDibaoSurveyRequest{Name: k.GetName(), Team: []string{"张", "李"},
			Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_RegisterAssessment{RegisterAssessment: true}}}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-12")
		if _, err = dibao.RecordDibaoVillageReview(ca, &subsidiesv1.RecordDibaoVillageReviewRequest{Name: k.GetName(),
			RegisteredRepresentatives: 30, Present: 21, VotesFor: 18}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-13")
		if _, err = dibao.StartDibaoPosting(ca, &subsidiesv1.StartDibaoPostingRequest{Name: k.GetName()}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-20")
		if _, err = dibao.CompleteDibaoPosting(ca, &subsidiesv1.CompleteDibaoPostingRequest{Name: k.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err = dibao.RecordDibaoTownshipReview(ca, &subsidiesv1.RecordDibaoTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-25")
		if _, err = dibao.DecideDibaoCase(c.As(t, "civil_affairs", "county_admin", ""), &subsidiesv1.DecideDibaoCaseRequest{Name: k.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED}); err != nil {
			t.Fatal(err)
		}

		want := func(t *testing.T) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				// Just restarted, the service may not be resolved yet (UNAVAILABLE): ask again.
				var found *employmentv1.Labourer
				resp, err := c.Ledger().ListLabourers(c.HR(t), &employmentv1.ListLabourersRequest{PageSize: 1000})
				for _, l := range resp.GetLabourers() {
					if l.GetHousehold() == h.GetName() {
						found = l
					}
				}
				if err != nil && status.Code(err) != codes.Unavailable {
					t.Fatal(err)
				}
				if found != nil && found.GetDibao() && found.GetState() == employmentv1.LabourerState_LABOURER_STATE_ACTIVE &&
					found.GetRegistryStatus() == identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the 低保 household's member: %v", found)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		want(t) // from subsidies' feed
		// No one in the 低保 household works: it enters 零就业 aid (民政 → 人社), as the coverage arrives.
		c.wantZeroEmployment(t, h.GetName())

		// Started again on an empty database: the coverage comes from the export before the feed.
		c.stop()
		c.cfg.DatabaseURL = sqldbtest.URL(t, d)
		c.DatabaseURL = c.cfg.DatabaseURL
		c.stop = c.startEmployment(t)
		c.waitServing(t)
		want(t)
		c.wantZeroEmployment(t, h.GetName())
	})
}
