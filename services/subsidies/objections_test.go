package subsidies_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// Objections received online against a 低保 posting (公示), over real gRPC: the notice is public; an
// objection received stops nothing; dismissed, the case posts on and the tracking page shows the reason;
// accepted by the village's 民政 officer, it becomes the case's objection — the posting is interrupted, the
// case goes back to the survey, the notice ends and the tracking page says accepted.
func TestDibaoObjectionsReceivedOnline(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &countyClock{}
		clock.On("2025-03-10")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		h := c.CreateHousehold(t, village2,
			&identificationv1.Member{FullName: "王大山", IdNumber: IDNumber("19800101", 41), RelationToHead: identificationv1.Relation_RELATION_HEAD},
			&identificationv1.Member{FullName: "李秀英", IdNumber: IDNumber("19820202", 42), RelationToHead: identificationv1.Relation_RELATION_SPOUSE})
		dibao := subsidiesv1.NewDibaoServiceClient(c.Conn)
		public := commonv1.NewPublicNoticeServiceClient(c.Conn)
		triage := subsidiesv1.NewReliefObjectionTriageServiceClient(c.Conn)
		anyone := context.Background()
		ca := c.CivilAffairs(t)
		officer := c.As(t, "civil_affairs", "village_officer", village2)

		k, err := dibao.CreateDibaoCase(ca, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-11")
		if k, err = dibao.RecordDibaoSurvey(ca, &subsidiesv1.RecordDibaoSurveyRequest{Name: k.GetName(), Team: []string{"张", "李"},
			Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_Items{Items: &subsidiesv1.DibaoIncomeItems{}}}}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-12")
		if k, err = dibao.RecordDibaoVillageReview(ca, &subsidiesv1.RecordDibaoVillageReviewRequest{Name: k.GetName(),
			RegisteredRepresentatives: 30, Present: 21, VotesFor: 18}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-13")
		if k, err = dibao.StartDibaoPosting(ca, &subsidiesv1.StartDibaoPostingRequest{Name: k.GetName()}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-14")

		list, err := public.ListNotices(anyone, &commonv1.ListNoticesRequest{RegionCode: village2})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetNotices()) != 1 {
			t.Fatalf("notices %v", list.GetNotices())
		}
		n := list.GetNotices()[0]
		if n.GetKind() != "dibao" || n.GetSubjectName() != "王*山" || n.GetState() != commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS ||
			n.GetStartDate() != "2025-03-13" || strings.Contains(n.String(), "李秀英") {
			t.Errorf("notice %v", n)
		}
		submit := func(t *testing.T, content string) (name, tracking string) {
			t.Helper()
			ch, err := public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			var a, b int
			if _, err := fmt.Sscanf(ch.GetQuestion(), "%d + %d = ?", &a, &b); err != nil {
				t.Fatalf("question %q: %v", ch.GetQuestion(), err)
			}
			r, err := public.SubmitObjection(anyone, &commonv1.SubmitObjectionRequest{Notice: n.GetName(), ObjectorName: "赵小红",
				Phone: "13912345678", Content: content, ChallengeToken: ch.GetToken(), ChallengeAnswer: fmt.Sprint(a + b)})
			if err != nil {
				t.Fatal(err)
			}
			if r.GetReceivedDate() != "2025-03-14" {
				t.Errorf("receipt %v", r)
			}
			return "reliefObjections/" + strings.ReplaceAll(r.GetTrackingNumber(), "-", ""), r.GetTrackingNumber()
		}
		getCase := func(t *testing.T) *subsidiesv1.DibaoCase {
			t.Helper()
			got, err := dibao.GetDibaoCase(ca, &subsidiesv1.GetDibaoCaseRequest{Name: k.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		t.Run("triaged only by 民政 officers of the village's scope", func(t *testing.T) {
			name, _ := submit(t, "该户有门面出租")
			waiting, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{PageSize: 1})
			if err != nil || waiting.GetTotalSize() != 1 || waiting.GetReceivedObjections()[0].GetName() != name {
				t.Fatalf("waiting %v, %v", waiting, err)
			}
			o := waiting.GetReceivedObjections()[0]
			if o.GetCase() != k.GetName() || o.GetKind() != "dibao" || o.GetObjectorName() != "赵*红" || o.GetPhone() != "139****5678" {
				t.Errorf("masked objection %v", o)
			}
			other := c.As(t, "civil_affairs", "village_officer", village1)
			if got, err := triage.ListReceivedObjections(other, &commonv1.ListReceivedObjectionsRequest{}); err != nil || got.GetTotalSize() != 0 {
				t.Errorf("another village lists %v, %v", got, err)
			}
			_, err = triage.AcceptReceivedObjection(other, &commonv1.AcceptReceivedObjectionRequest{Name: name})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = triage.AcceptReceivedObjection(c.As(t, "rural_revitalization", "village_officer", village2), &commonv1.AcceptReceivedObjectionRequest{Name: name})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")

			// Dismissed: the posting runs on and the tracking page gives the reason.
			if _, err := triage.DismissReceivedObjection(officer, &commonv1.DismissReceivedObjectionRequest{Name: name, RequestId: "dismiss-1",
				Reason: "门面为村集体所有，异议不成立"}); err != nil {
				t.Fatal(err)
			}
			if got := getCase(t); got.GetState() != subsidiesv1.ReliefCaseState_RELIEF_CASE_STATE_POSTING {
				t.Errorf("a dismissed objection changed the case: %v", got.GetState())
			}
		})

		t.Run("accepted: the posting is interrupted and the case goes back to the survey", func(t *testing.T) {
			name, tracking := submit(t, "该户儿子在县城有稳定工作")
			// Received, it stops nothing.
			if got := getCase(t); got.GetState() != subsidiesv1.ReliefCaseState_RELIEF_CASE_STATE_POSTING {
				t.Fatalf("case %v", got.GetState())
			}
			accepted, err := triage.AcceptReceivedObjection(officer, &commonv1.AcceptReceivedObjectionRequest{Name: name, RequestId: "accept-1", Note: "入户复核"})
			if err != nil {
				t.Fatal(err)
			}
			if accepted.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || accepted.GetTriagedBy() == "" {
				t.Errorf("accepted %v", accepted)
			}
			got := getCase(t)
			p := got.GetPostings()[0]
			if got.GetState() != subsidiesv1.ReliefCaseState_RELIEF_CASE_STATE_OPEN || got.GetNextStep() != "survey" ||
				p.GetState() != subsidiesv1.ReliefPostingState_RELIEF_POSTING_STATE_INTERRUPTED || len(p.GetObjections()) != 1 ||
				!strings.Contains(p.GetObjections()[0].GetObjector(), tracking) || !strings.HasPrefix(p.GetObjections()[0].GetContent(), "该户儿子在县城有稳定工作") ||
				p.GetObjections()[0].GetOccurredAt() != "2025-03-14" {
				t.Errorf("case after the acceptance: %v next %s posting %v", got.GetState(), got.GetNextStep(), p)
			}
			if strings.Contains(p.GetObjections()[0].String(), "赵小红") || strings.Contains(p.GetObjections()[0].String(), "5678") {
				t.Errorf("the case holds the objector's name or phone: %v", p.GetObjections()[0])
			}
			_, err = triage.DismissReceivedObjection(officer, &commonv1.DismissReceivedObjectionRequest{Name: name, Reason: "x"})
			wantCode(t, err, codes.FailedPrecondition, "OBJECTION_ALREADY_TRIAGED")

			st, err := public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: tracking})
			if err != nil || st.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || st.GetTriagedDate() != "2025-03-14" {
				t.Errorf("tracking page %v, %v", st, err)
			}
			ended, err := public.GetNotice(anyone, &commonv1.GetNoticeRequest{Name: n.GetName()})
			if err != nil || ended.GetState() != commonv1.NoticeState_NOTICE_STATE_INTERRUPTED || ended.GetEndedDate() != "2025-03-14" {
				t.Errorf("notice %v, %v", ended, err)
			}
			_, err = public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "NOTICE_CLOSED")

			// Both objections, in their states, with the dismissal's reason.
			for state, want := range map[commonv1.ReceivedObjectionState]string{
				commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED:  "",
				commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_DISMISSED: "门面为村集体所有，异议不成立",
			} {
				l, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{State: state})
				if err != nil || l.GetTotalSize() != 1 || l.GetReceivedObjections()[0].GetDismissReason() != want {
					t.Errorf("%v: %v, %v", state, l, err)
				}
			}
			if l, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{}); err != nil || l.GetTotalSize() != 0 {
				t.Errorf("still waiting: %v, %v", l, err)
			}
		})
	})
}
