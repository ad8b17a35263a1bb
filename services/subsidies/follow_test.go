package subsidies_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
)

// The subscriber's own follower, the journal, records every change it is given in the subsidies
// service's database (register_changes, keyed by the register feed's sequence): what it holds is what
// every follower saw.

// registerFeed is the register's household feed, as a service reads it.
func (c *county) registerFeed(t *testing.T) []*commonv1.Change {
	t.Helper()
	resp, err := commonv1.NewChangeFeedServiceClient(c.Register).ListChanges(c.As(t, "civil_affairs", "service", ""),
		&commonv1.ListChangesRequest{PageSize: 5000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*commonv1.Change
	for _, ch := range resp.GetChanges() {
		if len(ch.GetTopic()) > 10 && ch.GetTopic()[:10] == "household." {
			out = append(out, ch)
		}
	}
	return out
}

// waitJournal waits until the journal holds n changes and returns them (failing after a generous deadline).
func waitJournal(t *testing.T, st *store.Store, n int) []domain.HouseholdChange {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.RegisterChanges(t.Context(), "", 0, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal holds %d changes, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameChanges checks the journal holds exactly the register's feed: every change once, in order.
func sameChanges(t *testing.T, journal []domain.HouseholdChange, feed []*commonv1.Change) {
	t.Helper()
	var got, want []string
	for _, j := range journal {
		got = append(got, fmt.Sprintf("%d %s households/%s", j.Sequence, j.Topic, j.HouseholdID))
	}
	for _, f := range feed {
		want = append(want, fmt.Sprintf("%d %s %s", f.GetSequence(), f.GetTopic(), f.GetResource()))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("journal\n got %v\nwant %v", got, want)
	}
}

func TestFollowRegister(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		st := c.openSubsidiesStore(t)
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		today := bizdate.Today(time.Now())

		// A household is registered, loses a member, and becomes poor.
		h := c.CreateHousehold(t, village1, cmpHead("张三", "19500101", 11),
			&identificationv1.Member{FullName: "李四", IdNumber: IDNumber("19520202", 12), RelationToHead: identificationv1.Relation_RELATION_SPOUSE})
		if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: h.GetMembers()[1].GetName(), DateOfDeath: today}); err != nil {
			t.Fatal(err)
		}
		c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		journal := waitJournal(t, st, 3)
		sameChanges(t, journal, c.registerFeed(t))
		death := journal[1]
		if death.Topic != "household.members_changed" || death.HouseholdID != cmpHouseholdID(h) || death.Size != 1 ||
			!slices.Equal(death.DepartedPersonIDs, []string{h.GetMembers()[1].GetPersonId()}) || death.EffectiveDate != today ||
			death.RegionCode != village1 {
			t.Errorf("the death as followers see it: %+v", death)
		}
		if status := journal[2]; status.Topic != "household.status_changed" || status.RegistryStatus != domain.RegistryPoor {
			t.Errorf("the status change as followers see it: %+v", status)
		}

		// The service stops; the register changes meanwhile; the service starts again.
		c.stop()
		other := c.CreateHousehold(t, village2, cmpHead("王五", "19600303", 13))
		c.setRegistryStatus(t, other, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		if _, err := households.ArchiveHousehold(c.RegisterAdmin(t), &identificationv1.ArchiveHouseholdRequest{
			Name: h.GetName(), Reason: "户籍注销"}); err != nil {
			t.Fatal(err)
		}
		c.stop = c.startSubsidies(t)
		sameChanges(t, waitJournal(t, st, 6), c.registerFeed(t))

		// A restart with nothing new repeats nothing; a change after it arrives once.
		c.RestartSubsidies(t)
		c.setRegistryStatus(t, other, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
		sameChanges(t, waitJournal(t, st, 7), c.registerFeed(t))
	})
}
