package identification_test

import (
	"context"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestChangeFeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		feed := commonv1.NewChangeFeedServiceClient(h.conn)
		svc := h.as(t, "civil_affairs", "service", "")

		created, err := h.households.CreateHousehold(h.admin(t), newHousehold("990001002003", 1))
		if err != nil {
			t.Fatal(err)
		}
		// A refused change publishes nothing.
		if _, err := h.households.RecordDeath(h.admin(t), &identificationv1.RecordDeathRequest{
			Name: created.GetMembers()[0].GetName(), DateOfDeath: today()}); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("death of the head without a new head: %v", err)
		}
		if _, err := h.households.RecordDeath(h.admin(t), &identificationv1.RecordDeathRequest{
			Name: created.GetMembers()[1].GetName(), DateOfDeath: today()}); err != nil {
			t.Fatal(err)
		}

		list, err := feed.ListChanges(svc, &commonv1.ListChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := topics(list.GetChanges()); len(got) != 2 || got[0] != "household.created" || got[1] != "household.members_changed" {
			t.Fatalf("topics %v", got)
		}
		var change identificationv1.HouseholdChange
		if err := list.GetChanges()[1].GetPayload().UnmarshalTo(&change); err != nil {
			t.Fatal(err)
		}
		if change.GetHousehold() != created.GetName() || change.GetSize() != 1 || len(change.GetDepartedPersonIds()) != 1 ||
			change.GetDepartedPersonIds()[0] != created.GetMembers()[1].GetPersonId() || change.GetEffectiveDate() != today() {
			t.Errorf("payload %v", &change)
		}

		// Watching from the last cursor delivers the next change, and only it.
		ctx, cancel := context.WithTimeout(svc, 15*time.Second)
		defer cancel()
		stream, err := feed.WatchChanges(ctx, &commonv1.WatchChangesRequest{AfterSequence: list.GetLastSequence()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.households.ArchiveHousehold(h.admin(t), &identificationv1.ArchiveHouseholdRequest{
			Name: created.GetName(), Reason: "合户"}); err != nil {
			t.Fatal(err)
		}
		next, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if next.GetTopic() != "household.archived" || next.GetSequence() <= list.GetLastSequence() || next.GetResource() != created.GetName() {
			t.Errorf("watched %v", next)
		}

		// A township-scoped caller sees only its township's changes.
		other, err := feed.ListChanges(h.as(t, "rural_revitalization", "county_admin", "990001001"), &commonv1.ListChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(other.GetChanges()) != 0 {
			t.Errorf("out-of-scope caller saw %d changes", len(other.GetChanges()))
		}
		// Department staff may not read the feed.
		if _, err := feed.ListChanges(h.as(t, "civil_affairs", "department_staff", ""), &commonv1.ListChangesRequest{}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("department staff: %v", err)
		}
	})
}

func topics(cs []*commonv1.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.GetTopic())
	}
	return out
}

// today is the business date (Asia/Shanghai), as the service computes it.
func today() string { return bizdate.Today(time.Now()) }
