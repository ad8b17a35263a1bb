package identification_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// Objections received online against the postings of 防返贫监测 (a clue's 监测对象认定 and a risk removal's
// 风险消除), over real gRPC: accepted by the village officer, each is filed as the posting's objection —
// the posting is interrupted, the clue or removal goes back to verification with the objection as its
// latest step, the notice shows it ended and the tracking page says accepted. (Identification and exit
// postings: TestPublicNotices.)
func TestAcceptMonitoringObjections(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		const village = "990001002003"
		mon := identificationv1.NewMonitoringServiceClient(h.conn)
		public := commonv1.NewPublicNoticeServiceClient(h.conn)
		triage := identificationv1.NewObjectionTriageServiceClient(h.conn)
		anyone := context.Background()
		officer := h.as(t, "rural_revitalization", "village_officer", village)

		// The village posts a clue for no days, so a clue can be decided the day it is posted and the
		// household be monitored — the only way to reach a risk removal without a clock. A village's own
		// policy value applies to it alone; the service reads it through its etcd mirror.
		if err := policy.Set(t.Context(), h.etcd, "monitoring.posting_days", village, "2024-01-02", json.RawMessage("0")); err != nil {
			t.Fatal(err)
		}
		policies := commonv1.NewPolicyServiceClient(h.conn)
		for deadline := time.Now().Add(10 * time.Second); ; {
			v, err := policies.GetPolicyValue(h.admin(t), &commonv1.GetPolicyValueRequest{Parameter: "monitoring.posting_days", RegionCode: village})
			if err == nil && v.GetRegion() == village {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the village's posting period never applied: %v, %v", v, err)
			}
			time.Sleep(20 * time.Millisecond)
		}

		req := newHousehold(village, 301)
		req.Household.RegistryStatus = identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED
		req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(60), "纸质台账迁入"
		household, err := h.households.CreateHousehold(h.admin(t), req)
		if err != nil {
			t.Fatal(err)
		}

		// object files an objection online against the village's notice in progress of the kind and
		// accepts it as the village officer.
		object := func(t *testing.T, kind, content string) {
			t.Helper()
			list, err := public.ListNotices(anyone, &commonv1.ListNoticesRequest{RegionCode: village, State: commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS})
			if err != nil {
				t.Fatal(err)
			}
			var n *commonv1.Notice
			for _, x := range list.GetNotices() {
				if x.GetKind() == kind {
					n = x
				}
			}
			if n == nil {
				t.Fatalf("no %s notice in progress: %v", kind, list.GetNotices())
			}
			c, err := public.GetObjectionChallenge(anyone, &commonv1.GetObjectionChallengeRequest{Notice: n.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			receipt, err := public.SubmitObjection(anyone, &commonv1.SubmitObjectionRequest{Notice: n.GetName(), ObjectorName: "赵小红",
				Phone: "13912345678", Content: content, ChallengeToken: c.GetToken(), ChallengeAnswer: answer(t, c)})
			if err != nil {
				t.Fatal(err)
			}
			name := "receivedObjections/" + strings.ReplaceAll(receipt.GetTrackingNumber(), "-", "")

			waiting, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{PageSize: 1})
			if err != nil || waiting.GetTotalSize() != 1 || len(waiting.GetReceivedObjections()) != 1 || waiting.GetReceivedObjections()[0].GetName() != name ||
				waiting.GetReceivedObjections()[0].GetKind() != kind {
				t.Fatalf("waiting for triage: %v, %v", waiting, err)
			}
			accepted, err := triage.AcceptReceivedObjection(officer, &commonv1.AcceptReceivedObjectionRequest{Name: name, RequestId: "accept-" + kind, Note: "入户核实"})
			if err != nil {
				t.Fatal(err)
			}
			if accepted.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || accepted.GetTriagedBy() == "" {
				t.Errorf("accepted %v", accepted)
			}
			// The same request again answers the same; the objection cannot be triaged a second time.
			again, err := triage.AcceptReceivedObjection(officer, &commonv1.AcceptReceivedObjectionRequest{Name: name, RequestId: "accept-" + kind, Note: "入户核实"})
			if err != nil || again.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED {
				t.Errorf("the accept's retry: %v, %v", again, err)
			}
			_, err = triage.DismissReceivedObjection(officer, &commonv1.DismissReceivedObjectionRequest{Name: name, Reason: "x"})
			wantCode(t, err, codes.FailedPrecondition, "OBJECTION_ALREADY_TRIAGED")

			if left, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{PageSize: 1}); err != nil || left.GetTotalSize() != 0 {
				t.Errorf("still waiting after the acceptance: %v, %v", left, err)
			}
			st, err := public.GetObjectionStatus(anyone, &commonv1.GetObjectionStatusRequest{TrackingNumber: receipt.GetTrackingNumber()})
			if err != nil || st.GetState() != commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED || st.GetTriagedDate() != today() {
				t.Errorf("tracking page %v, %v", st, err)
			}
			got, err := public.GetNotice(anyone, &commonv1.GetNoticeRequest{Name: n.GetName()})
			if err != nil || got.GetState() != commonv1.NoticeState_NOTICE_STATE_INTERRUPTED || got.GetEndedDate() != today() {
				t.Errorf("notice after the acceptance %v, %v", got, err)
			}
		}

		// lastObjection checks a monitoring case's steps end with the objection received online.
		lastObjection := func(t *testing.T, steps []*identificationv1.MonitoringStep, content string) {
			t.Helper()
			last := steps[len(steps)-1]
			if last.GetKind() != identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_OBJECTION || !strings.Contains(last.GetNote(), content) ||
				last.GetOccurredDate() != today() {
				t.Errorf("last step %v", last)
			}
			for _, s := range steps {
				if strings.Contains(s.String(), "赵小红") || strings.Contains(s.String(), "13912345678") {
					t.Errorf("a step holds the objector's name or phone: %v", s)
				}
			}
		}

		verify := &identificationv1.MonitoringVerification{Outcome: true,
			ProposedType: identificationv1.MonitoringType_MONITORING_TYPE_UNSTABLE, Findings: "人均纯收入 3,800 元"}
		clue, err := mon.CreateClue(officer, &identificationv1.CreateClueRequest{Clue: &identificationv1.Clue{
			Household: household.GetName(), Source: identificationv1.ClueSource_CLUE_SOURCE_SELF_REPORT,
			Kind: identificationv1.ClueKind_CLUE_KIND_INCOME_DROP, Facts: "务工中断", AroseDate: daysAgo(10)}})
		if err != nil {
			t.Fatal(err)
		}
		if clue, err = mon.VerifyClue(officer, &identificationv1.VerifyClueRequest{Name: clue.GetName(), Verification: verify}); err != nil {
			t.Fatal(err)
		}
		if clue, err = mon.PublicizeClue(officer, &identificationv1.PublicizeClueRequest{Name: clue.GetName(), Note: "村务公开栏"}); err != nil {
			t.Fatal(err)
		}

		t.Run("a clue's posting: accepted, the clue goes back to verification", func(t *testing.T) {
			object(t, "monitoring_clue", "该户有经营收入未计入")
			got, err := mon.GetClue(officer, &identificationv1.GetClueRequest{Name: clue.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_OPEN {
				t.Errorf("clue stage %v", got.GetStage())
			}
			lastObjection(t, got.GetSteps(), "该户有经营收入未计入")
			_, err = mon.DecideClue(h.admin(t), &identificationv1.DecideClueRequest{Name: clue.GetName(), Confirm: true})
			wantCode(t, err, codes.FailedPrecondition, "STEP_OUT_OF_ORDER")
		})

		// Verified and posted again, the clue is confirmed the same day: the household is monitored.
		if clue, err = mon.VerifyClue(officer, &identificationv1.VerifyClueRequest{Name: clue.GetName(), Verification: verify}); err != nil {
			t.Fatal(err)
		}
		if clue, err = mon.PublicizeClue(officer, &identificationv1.PublicizeClueRequest{Name: clue.GetName(), Note: "村务公开栏"}); err != nil {
			t.Fatal(err)
		}
		if clue, err = mon.DecideClue(h.admin(t), &identificationv1.DecideClueRequest{Name: clue.GetName(), Confirm: true}); err != nil ||
			clue.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_CONFIRMED {
			t.Fatalf("confirmed clue %v, %v", clue, err)
		}

		t.Run("a risk removal's posting: accepted, the removal goes back to verification", func(t *testing.T) {
			r, err := mon.CreateRiskRemoval(officer, &identificationv1.CreateRiskRemovalRequest{Parent: household.GetName(),
				Verification: &identificationv1.MonitoringVerification{Outcome: true, Findings: "务工收入稳定"}})
			if err != nil {
				t.Fatal(err)
			}
			if r, err = mon.PublicizeRiskRemoval(officer, &identificationv1.PublicizeRiskRemovalRequest{Name: r.GetName(), Note: "村务公开栏"}); err != nil {
				t.Fatal(err)
			}
			if r.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_POSTING {
				t.Fatalf("removal %v", r)
			}
			object(t, "monitoring_risk_removal", "该户务工已中断")
			got, err := mon.GetRiskRemoval(officer, &identificationv1.GetRiskRemovalRequest{Name: r.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_OPEN {
				t.Errorf("removal stage %v", got.GetStage())
			}
			lastObjection(t, got.GetSteps(), "该户务工已中断")
			// The objection named the removal: the list of received objections says which case it was.
			all, err := triage.ListReceivedObjections(officer, &commonv1.ListReceivedObjectionsRequest{State: commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED})
			if err != nil {
				t.Fatal(err)
			}
			cases := map[string]string{}
			for _, o := range all.GetReceivedObjections() {
				cases[o.GetKind()] = o.GetCase()
			}
			if cases["monitoring_clue"] != clue.GetName() || cases["monitoring_risk_removal"] != r.GetName() {
				t.Errorf("accepted objections name %v, want %s and %s", cases, clue.GetName(), r.GetName())
			}
			// Still monitored: the removal is not decided.
			hh, err := h.households.GetHousehold(h.admin(t), &identificationv1.GetHouseholdRequest{Name: household.GetName()})
			if err != nil || hh.GetMonitoringType() != identificationv1.MonitoringType_MONITORING_TYPE_UNSTABLE {
				t.Errorf("household %v, %v", hh.GetMonitoringType(), err)
			}
		})
	})
}
