package identification_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Public notices (公示) and objections received online, over real gRPC: the public methods answer without
// a token and hold nothing but a notice's fields; an objection filed online is received, then accepted
// (the posting is interrupted, the trail names it) or dismissed (the tracking page shows the reason).

// personal finds what a public answer must never hold: an 18-character number, a phone number, or a
// name of the test's own persons unmasked.
func personal(msg proto.Message, names ...string) []string {
	var bad []string
	id := regexp.MustCompile(`[0-9]{17}[0-9Xx]`)
	phone := regexp.MustCompile(`(^|[^0-9])(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})([^0-9]|$)`)
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			var values []protoreflect.Value
			if fd.IsList() {
				for i := range v.List().Len() {
					values = append(values, v.List().Get(i))
				}
			} else {
				values = []protoreflect.Value{v}
			}
			for _, x := range values {
				switch fd.Kind() {
				case protoreflect.MessageKind:
					walk(x.Message())
				case protoreflect.StringKind:
					s := x.String()
					if id.MatchString(s) || phone.MatchString(s) {
						bad = append(bad, fmt.Sprintf("%s = %q", fd.FullName(), s))
					}
					for _, n := range names {
						if strings.Contains(s, n) {
							bad = append(bad, fmt.Sprintf("%s holds the name %s", fd.FullName(), n))
						}
					}
				}
			}
			return true
		})
	}
	walk(msg.ProtoReflect())
	return bad
}

// answer solves a challenge's "a + b = ?".
func answer(t *testing.T, c *commonv1.ObjectionChallenge) string {
	t.Helper()
	var a, b int
	if _, err := fmt.Sscanf(c.GetQuestion(), "%d + %d = ?", &a, &b); err != nil {
		t.Fatalf("question %q: %v", c.GetQuestion(), err)
	}
	return fmt.Sprint(a + b)
}

func TestPublicNotices(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		const village = "990001002003"
		cs := callers(t, h, village)
		cases := identificationv1.NewCaseServiceClient(h.conn)
		public := commonv1.NewPublicNoticeServiceClient(h.conn)
		triage := identificationv1.NewObjectionTriageServiceClient(h.conn)
		anyone := context.Background() // no token at all
		names := []string{"王大山", "李秀英", "赵小红", "13912345678"}

		postedCase := func(seq int) *identificationv1.Case {
			req := newHousehold(village, 100+seq)
			req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(30), "纸质台账迁入"
			hh, err := h.households.CreateHousehold(h.admin(t), req)
			if err != nil {
				t.Fatal(err)
			}
			return posted(t, cases, cs.village, surveyed(t, cases, cs.village, hh.GetName(), poorSurvey()), 3)
		}
		k := postedCase(1)
		checked := func(t *testing.T, msg proto.Message, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if bad := personal(msg, names...); len(bad) > 0 {
				t.Errorf("a public answer holds personal data: %v", bad)
			}
		}

		list, err := public.ListNotices(anyone, &commonv1.ListNoticesRequest{RegionCode: village[:9]})
		checked(t, list, err)
		if len(list.GetNotices()) != 1 {
			t.Fatalf("notices %v", list.GetNotices())
		}
		n := list.GetNotices()[0]
		want := &commonv1.Notice{Name: n.GetName(), Kind: "identification", Title: "建档立卡贫困户识别公示", RegionCode: village, SubjectName: "王*山",
			HouseholdSize: 2, Proposal: "拟识别为建档立卡贫困户", StartDate: daysAgo(3), EndDate: daysAgo(-4), DaysRemaining: 4,
			State: commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS, Office: "县乡村振兴局", Hotline: "12317"}
		if !proto.Equal(n, want) {
			t.Errorf("notice\n got %v\nwant %v", n, want)
		}
		if strings.Contains(n.GetName(), strings.TrimPrefix(k.GetName(), "cases/")) {
			t.Errorf("the notice's name %s names the case %s", n.GetName(), k.GetName())
		}
		got, err := public.GetNotice(anyone, &commonv1.GetNoticeRequest{Name: n.GetName()})
		checked(t, got, err)
		if other, err := public.ListNotices(anyone, &commonv1.ListNoticesRequest{RegionCode: "990001001001"}); err != nil || len(other.GetNotices()) != 0 {
			t.Errorf("another village lists %v, %v", other.GetNotices(), err)
		}

		t.Run("the human check is needed, and spent by the objection that passes it", func(t *testing.T) {
			c, err := public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			checked(t, c, err)
			req := &commonv1.SubmitObjectionRequest{Notice: n.GetName(), Content: "该户有小轿车", ChallengeToken: c.GetToken(), ChallengeAnswer: "1000"}
			_, err = public.SubmitObjection(anyone, req)
			wantCode(t, err, codes.InvalidArgument, "OBJECTION_CHALLENGE_FAILED", "challenge_answer")
			req.ChallengeAnswer = answer(t, c)
			receipt, err := public.SubmitObjection(anyone, req)
			checked(t, receipt, err)
			_, err = public.SubmitObjection(anyone, req)
			wantCode(t, err, codes.InvalidArgument, "OBJECTION_CHALLENGE_FAILED", "challenge_token")
			req.ChallengeToken = strings.Replace(c.GetToken(), ".", "x.", 1)
			_, err = public.SubmitObjection(anyone, req)
			wantCode(t, err, codes.InvalidArgument, "OBJECTION_CHALLENGE_FAILED")
		})

		var tracking string
		t.Run("received, triaged in the village's scope, accepted: the posting is interrupted and the trail shows it", func(t *testing.T) {
			c, err := public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			checked(t, c, err)
			receipt, err := public.SubmitObjection(anyone, &commonv1.SubmitObjectionRequest{Notice: n.GetName(), ObjectorName: "赵小红",
				Phone: "139 1234 5678", Content: "该户在县城有商品房", ChallengeToken: c.GetToken(), ChallengeAnswer: answer(t, c)})
			checked(t, receipt, err)
			tracking = receipt.GetTrackingNumber()
			if receipt.GetReceivedDate() != bizdate.Today(time.Now()) || len(strings.ReplaceAll(tracking, "-", "")) != 16 {
				t.Errorf("receipt %v", receipt)
			}
			st, err := public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: strings.ToLower(tracking)})
			checked(t, st, err)
			if st.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_RECEIVED || st.GetNoticeTitle() != "建档立卡贫困户识别公示" {
				t.Errorf("status %v", st)
			}
			// Received, the objection stops nothing: the posting runs on.
			if k, err := cases.GetCase(cs.village, &identificationv1.GetCaseRequest{Name: k.GetName()}); err != nil ||
				k.GetState() != identificationv1.CaseState_CASE_STATE_POSTING {
				t.Fatalf("case %v, %v", k.GetState(), err)
			}

			masked, err := triage.ListReceivedObjections(cs.village, &commonv1.ListReceivedObjectionsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if masked.GetTotalSize() != 2 || len(masked.GetReceivedObjections()) != 2 {
				t.Fatalf("village officer's list: %d, %v", masked.GetTotalSize(), masked.GetReceivedObjections())
			}
			o := masked.GetReceivedObjections()[1]
			if o.GetObjectorName() != "赵*红" || o.GetPhone() != "139****5678" || o.GetCase() != k.GetName() || o.GetSubjectName() != "王*山" ||
				o.GetName() != "receivedObjections/"+strings.ReplaceAll(tracking, "-", "") {
				t.Errorf("masked objection %v", o)
			}
			plain, err := triage.ListReceivedObjections(h.as(t, "rural_revitalization", "village_officer", village, "case_handling"),
				&commonv1.ListReceivedObjectionsRequest{})
			if err != nil || plain.GetReceivedObjections()[1].GetPhone() != "13912345678" || plain.GetReceivedObjections()[1].GetObjectorName() != "赵小红" {
				t.Errorf("plain list %v, %v", plain.GetReceivedObjections(), err)
			}
			if other, err := triage.ListReceivedObjections(cs.otherVillage, &commonv1.ListReceivedObjectionsRequest{}); err != nil || other.GetTotalSize() != 0 {
				t.Errorf("another village sees %v, %v", other, err)
			}
			_, err = triage.AcceptReceivedObjection(cs.otherVillage, &commonv1.AcceptReceivedObjectionRequest{Name: o.GetName()})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")

			accepted, err := triage.AcceptReceivedObjection(cs.village, &commonv1.AcceptReceivedObjectionRequest{Name: o.GetName(),
				RequestId: "accept-1", Note: "核实"})
			if err != nil {
				t.Fatal(err)
			}
			if accepted.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || accepted.GetTriagedBy() == "" {
				t.Errorf("accepted %v", accepted)
			}
			k, err := cases.GetCase(cs.village, &identificationv1.GetCaseRequest{Name: k.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			p := k.GetPostings()[0]
			if k.GetState() != identificationv1.CaseState_CASE_STATE_OPEN || k.GetNextStep() != "survey" ||
				p.GetState() != identificationv1.CasePostingState_CASE_POSTING_STATE_INTERRUPTED || len(p.GetObjections()) != 1 ||
				p.GetObjections()[0].GetObjector() != "网上异议 "+tracking || !strings.HasPrefix(p.GetObjections()[0].GetContent(), "该户在县城有商品房") {
				t.Errorf("case after acceptance: state %v next %s posting %v", k.GetState(), k.GetNextStep(), p)
			}
			if strings.Contains(p.GetObjections()[0].String(), "赵小红") || strings.Contains(p.GetObjections()[0].String(), "5678") {
				t.Errorf("the trail holds the objector's name or phone: %v", p.GetObjections()[0])
			}
			st, err = public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: tracking})
			checked(t, st, err)
			if st.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || st.GetTriagedDate() == "" {
				t.Errorf("status %v", st)
			}
			n, err := public.GetNotice(anyone, &commonv1.GetNoticeRequest{Name: n.GetName()})
			checked(t, n, err)
			if n.GetState() != commonv1.NoticeState_NOTICE_STATE_INTERRUPTED || n.GetEndedDate() == "" {
				t.Errorf("notice after acceptance %v", n)
			}
			_, err = triage.DismissReceivedObjection(cs.village, &commonv1.DismissReceivedObjectionRequest{Name: o.GetName(), Reason: "x"})
			wantCode(t, err, codes.FailedPrecondition, "OBJECTION_ALREADY_TRIAGED")
			// The notice takes no more objections online.
			_, err = public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "NOTICE_CLOSED")
		})

		t.Run("dismissed: the tracking page shows the reason", func(t *testing.T) {
			k2 := postedCase(2)
			list, err := public.ListNotices(anyone, &commonv1.ListNoticesRequest{RegionCode: village, State: commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS})
			checked(t, list, err)
			if len(list.GetNotices()) != 1 {
				t.Fatalf("notices in progress: %v (case %s)", list.GetNotices(), k2.GetName())
			}
			n2 := list.GetNotices()[0]
			c, err := public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n2.GetName()})
			checked(t, c, err)
			receipt, err := public.SubmitObjection(anyone, &commonv1.SubmitObjectionRequest{Notice: n2.GetName(), Content: "不符合条件",
				ChallengeToken: c.GetToken(), ChallengeAnswer: answer(t, c)})
			checked(t, receipt, err)
			name := "receivedObjections/" + strings.ReplaceAll(receipt.GetTrackingNumber(), "-", "")
			_, err = triage.DismissReceivedObjection(cs.township, &commonv1.DismissReceivedObjectionRequest{Name: name, RequestId: "dismiss-1",
				Reason: "经入户核实，该户无商品房，异议不成立"})
			if err != nil {
				t.Fatal(err)
			}
			st, err := public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: receipt.GetTrackingNumber()})
			checked(t, st, err)
			if st.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_DISMISSED || st.GetDismissReason() != "经入户核实，该户无商品房，异议不成立" {
				t.Errorf("status %v", st)
			}
			if k, err := cases.GetCase(cs.village, &identificationv1.GetCaseRequest{Name: k2.GetName()}); err != nil ||
				k.GetState() != identificationv1.CaseState_CASE_STATE_POSTING {
				t.Errorf("a dismissed objection changed the case: %v, %v", k.GetState(), err)
			}
			_, err = public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: "0000-0000-0000-0000"})
			wantCode(t, err, codes.NotFound, "NOT_FOUND")
		})

		t.Run("officials only triage: no token and other departments are refused", func(t *testing.T) {
			_, err := triage.ListReceivedObjections(anyone, &commonv1.ListReceivedObjectionsRequest{})
			wantCode(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
			_, err = triage.ListReceivedObjections(cs.civil, &commonv1.ListReceivedObjectionsRequest{})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		})

		t.Run("public calls are counted per method and day, not audited per reader", func(t *testing.T) {
			db, err := sqldb.Open(t.Context(), h.dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			deadline := time.Now().Add(10 * time.Second)
			for {
				counts, err := audit.PublicCalls(t.Context(), db, bizdate.Today(time.Now()))
				if err != nil {
					t.Fatal(err)
				}
				if counts["/fupin.common.v1.PublicNoticeService/ListNotices OK"] >= 3 && counts["/fupin.common.v1.PublicNoticeService/SubmitObjection InvalidArgument"] >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("counts %v", counts)
				}
				<-time.After(20 * time.Millisecond) // the counts are written with the audit log's next batch
			}
			rows, err := audit.Recent(t.Context(), db, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if strings.Contains(r.Method, "PublicNoticeService") && r.Kind != audit.KindMutation {
					t.Errorf("a public read has an audit row of its own: %+v", r)
				}
			}
		})
	})
}
