package subsidies_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// feedChanges lists subsidies' change feed after seq, as a following service reads it.
func feedChanges(t *testing.T, c *county, ctx context.Context, after int64, topics ...string) []*commonv1.Change {
	t.Helper()
	resp, err := commonv1.NewChangeFeedServiceClient(c.Conn).ListChanges(ctx,
		&commonv1.ListChangesRequest{AfterSequence: after, Topics: topics, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetChanges()
}

// exportDecisions reads the whole export, checking that every message names the same position.
func exportDecisions(t *testing.T, ctx context.Context, c *county, req *subsidiesv1.ExportDecisionsRequest) (int64, *subsidiesv1.ExportDecisionsResponse, error) {
	t.Helper()
	stream, err := subsidiesv1.NewDecisionExportServiceClient(c.Conn).ExportDecisions(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	all := &subsidiesv1.ExportDecisionsResponse{FeedSequence: -1}
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return all.GetFeedSequence(), all, nil
		}
		if err != nil {
			return 0, nil, err
		}
		if all.FeedSequence != -1 && m.GetFeedSequence() != all.FeedSequence {
			t.Errorf("positions %d and %d in one export", all.FeedSequence, m.GetFeedSequence())
		}
		all.FeedSequence = m.GetFeedSequence()
		all.DibaoCoverages = append(all.DibaoCoverages, m.GetDibaoCoverages()...)
		all.DestituteSupports = append(all.DestituteSupports, m.GetDestituteSupports()...)
		all.Certificates = append(all.Certificates, m.GetCertificates()...)
	}
}

// TestDecisionFeedThroughTheAPI makes decisions through subsidies' API (and a death through the register's)
// and reads them as 人社's service does: each decision once on the feed, in its transaction (a refused one
// publishes nothing), and the snapshot with the position it reflects, which a follower resumes the feed
// after.
func TestDecisionFeedThroughTheAPI(t *testing.T) {
	clock := &countyClock{}
	clock.On("2025-05-06")
	c := startCounty(t, sqldb.SQLite, countyOptions{Now: clock.Now})
	hr := c.As(t, "human_resources", "service", "")
	oldID, sonID := IDNumber("19500101", 31), IDNumber("19900101", 32)
	h := c.CreateHousehold(t, village1,
		&identificationv1.Member{FullName: "钱老", IdNumber: oldID, RelationToHead: identificationv1.Relation_RELATION_HEAD},
		&identificationv1.Member{FullName: "钱壮", IdNumber: sonID, RelationToHead: identificationv1.Relation_RELATION_SON})
	// Read as a service, which receives the members' blind indexes (people never do).
	h, err := identificationv1.NewHouseholdServiceClient(c.Register).GetHousehold(c.As(t, "civil_affairs", "service", ""),
		&identificationv1.GetHouseholdRequest{Name: h.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	old, son := h.GetMembers()[0], h.GetMembers()[1]
	ds := subsidiesv1.NewDestituteServiceClient(c.Conn)
	ca := c.CivilAffairs(t)
	decide := func(t *testing.T, person string, survey *subsidiesv1.RecordDestituteSurveyRequest) error {
		t.Helper()
		k, err := ds.CreateDestituteCase(ca, &subsidiesv1.CreateDestituteCaseRequest{Person: person})
		if err != nil {
			t.Fatal(err)
		}
		survey.Name = k.GetName()
		if _, err := ds.RecordDestituteSurvey(ca, survey); err != nil {
			t.Fatal(err)
		}
		if _, err := ds.RecordDestituteTownshipReview(ca, &subsidiesv1.RecordDestituteTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
			t.Fatal(err)
		}
		_, err = ds.DecideDestituteCase(ca, &subsidiesv1.DecideDestituteCaseRequest{Name: k.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED})
		return err
	}
	var cert *subsidiesv1.Certificate
	t.Run("a certificate registered: certificate.valid once, with category, grade and blind index", func(t *testing.T) {
		var err error
		cert, err = subsidiesv1.NewCertificateServiceClient(c.Conn).RegisterCertificate(c.Federation(t),
			&subsidiesv1.RegisterCertificateRequest{Number: sonID + "42", IssueDate: "2020-05-01"})
		if err != nil {
			t.Fatal(err)
		}
		cs := feedChanges(t, c, hr, 0, "certificate.valid", "certificate.revoked")
		if len(cs) != 1 || cs[0].GetResource() != cert.GetName() {
			t.Fatalf("changes %v", cs)
		}
		var m subsidiesv1.CertificateDecision
		if err := cs[0].GetPayload().UnmarshalTo(&m); err != nil {
			t.Fatal(err)
		}
		if m.GetIdIndex() != son.GetIdIndex() || m.GetIdIndex() == "" || m.GetGrade() != 2 || m.GetPersonId() != son.GetPersonId() ||
			m.GetCategory() != subsidiesv1.DisabilityCategory_DISABILITY_CATEGORY_PHYSICAL || m.GetHousehold() != h.GetName() {
			t.Errorf("payload %v (son's index %q)", &m, son.GetIdIndex())
		}
	})
	t.Run("a refused 特困 decision publishes nothing; an approved one destitute.started once", func(t *testing.T) {
		before := feedChanges(t, c, hr, 0)
		err := decide(t, son.GetName(), &subsidiesv1.RecordDestituteSurveyRequest{NoIncomeSource: true})
		wantCode(t, err, codes.FailedPrecondition, "DESTITUTE_CONDITIONS_UNMET")
		if after := feedChanges(t, c, hr, 0); len(after) != len(before) {
			t.Fatalf("a refused decision published %v", after[len(before):])
		}
		if err := decide(t, old.GetName(), &subsidiesv1.RecordDestituteSurveyRequest{NoIncomeSource: true, NoAbleSupporter: true}); err != nil {
			t.Fatal(err)
		}
		cs := feedChanges(t, c, hr, 0, "destitute.started")
		if len(cs) != 1 {
			t.Fatalf("changes %v", cs)
		}
		var m subsidiesv1.DestituteSupportDecision
		if err := cs[0].GetPayload().UnmarshalTo(&m); err != nil {
			t.Fatal(err)
		}
		if p := m.GetPerson(); p.GetIdIndex() != old.GetIdIndex() || p.GetFromMonth() != "2025-05" || p.GetToMonth() != "" ||
			m.GetHousehold() != h.GetName() || m.GetRegionCode() != village1 {
			t.Errorf("payload %v", &m)
		}
	})
	t.Run("the snapshot holds what the feed published, at its last position", func(t *testing.T) {
		pos, all, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		cs := feedChanges(t, c, hr, 0)
		if pos != cs[len(cs)-1].GetSequence() {
			t.Errorf("position %d, feed ends at %d", pos, cs[len(cs)-1].GetSequence())
		}
		if len(all.GetCertificates()) != 1 || len(all.GetDestituteSupports()) != 1 || len(all.GetDibaoCoverages()) != 0 {
			t.Fatalf("export %v", all)
		}
		for _, ch := range cs {
			var want proto.Message
			switch ch.GetTopic() {
			case "certificate.valid":
				want = all.GetCertificates()[0]
			case "destitute.started":
				want = all.GetDestituteSupports()[0]
			default:
				continue
			}
			got, err := ch.GetPayload().UnmarshalNew()
			if err != nil || !proto.Equal(got, want) {
				t.Errorf("%s: feed %v, export %v", ch.GetTopic(), got, want)
			}
		}
		servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
			return r.Kind == audit.KindRead && r.Method == subsidiesv1.DecisionExportService_ExportDecisions_FullMethodName &&
				r.Department == "human_resources" && r.Role == "service" && r.RecordCount == 2
		})
	})
	t.Run("a follower resuming after the snapshot's position gets the later decisions, and only them", func(t *testing.T) {
		pos, _, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := subsidiesv1.NewCertificateServiceClient(c.Conn).RevokeCertificate(c.Federation(t), &subsidiesv1.RevokeCertificateRequest{
			Name: cert.GetName(), EffectiveDate: "2025-05-06", Reason: "复评不达标"}); err != nil {
			t.Fatal(err)
		}
		// The death of the supported father reaches subsidies through the register's feed; his 特困 ends
		// with the month of his death, published in the follower's transaction.
		if _, err := identificationv1.NewHouseholdServiceClient(c.Register).RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: old.GetName(), DateOfDeath: "2025-05-02", NewHead: son.GetName()}); err != nil {
			t.Fatal(err)
		}
		var later []*commonv1.Change
		for deadline := time.Now().Add(30 * time.Second); ; {
			if later = feedChanges(t, c, hr, pos); len(later) >= 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		var topics []string
		for _, ch := range later {
			topics = append(topics, ch.GetTopic())
		}
		if !slices.Equal(topics, []string{"certificate.revoked", "destitute.ended"}) {
			t.Fatalf("after the snapshot: %v", topics)
		}
		var m subsidiesv1.DestituteSupportDecision
		if err := later[1].GetPayload().UnmarshalTo(&m); err != nil {
			t.Fatal(err)
		}
		if p := m.GetPerson(); p.GetToMonth() != "2025-05" || p.GetEndReason() == "" || p.GetIdIndex() != old.GetIdIndex() {
			t.Errorf("ended payload %v", &m)
		}
		again, all, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if again != later[1].GetSequence() || all.GetCertificates()[0].GetStatus() != subsidiesv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED ||
			all.GetDestituteSupports()[0].GetPerson().GetToMonth() != "2025-05" {
			t.Errorf("second export at %d: %v", again, all)
		}
		_, none, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{EndedBefore: "2025-06",
			Kinds: []subsidiesv1.DecisionKind{subsidiesv1.DecisionKind_DECISION_KIND_DESTITUTE_SUPPORT}})
		if err != nil || len(none.GetDestituteSupports())+len(none.GetCertificates()) != 0 {
			t.Errorf("ended before 2025-06: %v %v", none, err)
		}
	})
	t.Run("only 人社's and 乡村振兴局's services: people and other departments are refused", func(t *testing.T) {
		if _, _, err := exportDecisions(t, c.As(t, "rural_revitalization", "service", ""), c, &subsidiesv1.ExportDecisionsRequest{}); err != nil {
			t.Errorf("乡村振兴局's service: %v", err)
		}
		for _, who := range []struct{ dept, role string }{
			{"human_resources", "county_admin"}, {"human_resources", "department_staff"}, {"rural_revitalization", "auditor"},
			{"finance", "service"}, {"civil_affairs", "county_admin"}, {"agriculture", "service"},
		} {
			_, _, err := exportDecisions(t, c.As(t, who.dept, who.role, ""), c, &subsidiesv1.ExportDecisionsRequest{})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Errorf("%s %s: %v", who.dept, who.role, err)
			}
		}
		// The feed carries the same blind indexes: people who may read the feed (a county administrator, an
		// auditor) see each decision's change without its payload.
		for _, ch := range feedChanges(t, c, c.As(t, "civil_affairs", "county_admin", ""), 0, domain.DecisionTopics...) {
			if ch.GetPayload() != nil {
				t.Errorf("a county administrator received the payload of %s", ch.GetTopic())
			}
		}
		if len(feedChanges(t, c, c.As(t, "rural_revitalization", "auditor", ""), 0, "certificate.valid")) != 1 {
			t.Error("an auditor does not see the change itself")
		}
		_, _, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{EndedBefore: "2025-13"})
		if code, _, br, _ := errorDetails(err); code != codes.InvalidArgument || len(br.GetFieldViolations()) != 1 ||
			br.GetFieldViolations()[0].GetField() != "ended_before" {
			t.Errorf("a bad month: %v", err)
		}
	})
}
