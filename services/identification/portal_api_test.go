package identification_test

import (
	"context"
	"slices"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// The portal's APIs of issue 10 over real gRPC: the member-name search of ListHouseholds, the 办理 inbox
// and the auditors' read of the audit log.

func TestMemberNameSearch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		const village, other = "990001002003", "990001001001"
		mk := func(t *testing.T, region string, seq int, names ...string) string {
			req := newHousehold(region, seq)
			for i, n := range names {
				req.Household.Members[i].FullName = n
			}
			hh, err := h.households.CreateHousehold(h.admin(t), req)
			if err != nil {
				t.Fatal(err)
			}
			return hh.GetName()
		}
		a := mk(t, village, 1, "欧阳娜娜", "张秀英")
		b := mk(t, village, 2, "欧阳明", "李四")
		c := mk(t, other, 3, "欧阳娜娜", "王五")
		// A member who moved out no longer finds the household.
		dd := mk(t, village, 4, "赵六", "钱七")
		got, err := h.households.GetHousehold(h.admin(t), &identificationv1.GetHouseholdRequest{Name: dd})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.households.RecordMoveOut(h.admin(t), &identificationv1.RecordMoveOutRequest{Name: got.GetMembers()[1].GetName(),
			EffectiveDate: daysAgo(0), Destination: "外出务工落户"}); err != nil {
			t.Fatal(err)
		}
		names := func(t *testing.T, ctx context.Context, filter string) []string {
			t.Helper()
			resp, err := h.households.ListHouseholds(ctx, &identificationv1.ListHouseholdsRequest{Filter: filter})
			if err != nil {
				t.Fatalf("%s: %v", filter, err)
			}
			var out []string
			for _, hh := range resp.GetHouseholds() {
				out = append(out, hh.GetName())
				for _, m := range hh.GetMembers() {
					if len(m.GetIdNumber()) == 18 && m.GetIdNumber()[4] != '*' {
						t.Errorf("%s: a plain 身份证号 in a search result", filter)
					}
				}
			}
			slices.Sort(out)
			return out
		}
		sorted := func(xs ...string) []string { slices.Sort(xs); return xs }
		township := h.as(t, "rural_revitalization", "township_officer", village[:9])
		for _, tc := range []struct {
			ctx    context.Context
			filter string
			want   []string
		}{
			{h.admin(t), `member_name = "欧阳娜娜"`, sorted(a, c)},
			{township, `member_name = "欧阳娜娜"`, []string{a}},
			{h.admin(t), `member_name:"欧阳*"`, sorted(a, b, c)},
			{h.admin(t), `member_name:"欧阳"`, sorted(a, b, c)},
			{h.admin(t), `member_name = " 张秀英 "`, []string{a}},
			{h.admin(t), `member_name = "钱七"`, nil},
			{h.admin(t), `member_name = "赵六"`, []string{dd}},
		} {
			if got := names(t, tc.ctx, tc.filter); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
			}
		}
		_, err = h.households.ListHouseholds(h.admin(t), &identificationv1.ListHouseholdsRequest{Filter: "member_name = \"\u200b\""})
		if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "filter" {
			t.Errorf("a name without a letter: %v %v", code, br)
		}
	})
}

func TestInboxAndAuditRecords(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		cases := identificationv1.NewCaseServiceClient(h.conn)
		inbox := identificationv1.NewInboxServiceClient(h.conn)
		audits := identificationv1.NewAuditServiceClient(h.conn)
		const village = "990001002003"
		as := callers(t, h, village)
		req := newHousehold(village, 1)
		req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(60), "纸质台账迁入"
		hh, err := h.households.CreateHousehold(h.admin(t), req)
		if err != nil {
			t.Fatal(err)
		}
		k := surveyed(t, cases, as.village, hh.GetName(), poorSurvey()) // waits for the village review

		t.Run("the inbox shows a case to those who may record its next step, in scope", func(t *testing.T) {
			for _, tc := range []struct {
				who  string
				ctx  context.Context
				want int
			}{
				{"village officer", as.village, 1}, {"township officer", as.township, 1}, {"staff", h.as(t, "rural_revitalization", "department_staff", ""), 1},
				{"another village's officer", as.otherVillage, 0}, {"county admin (decides only)", as.county, 0},
			} {
				resp, err := inbox.ListInboxItems(tc.ctx, &commonv1.ListInboxItemsRequest{PageSize: 1})
				if err != nil {
					t.Fatalf("%s: %v", tc.who, err)
				}
				if int(resp.GetTotalSize()) != tc.want || len(resp.GetInboxItems()) != tc.want {
					t.Errorf("%s: total %d, items %v; want %d", tc.who, resp.GetTotalSize(), resp.GetInboxItems(), tc.want)
					continue
				}
				if tc.want == 1 {
					it := resp.GetInboxItems()[0]
					if it.GetResource() != k.GetName() || it.GetNextStep() != "village_review" || it.GetOperation() != "CaseService_RecordVillageReview" ||
						it.GetSubject() != hh.GetName() || it.GetKind() != "identification" || it.GetWaitingSince() == nil {
						t.Errorf("%s: item %v", tc.who, it)
					}
				}
			}
			k2 := posted(t, cases, as.village, k, 1)
			if k2.GetState() != identificationv1.CaseState_CASE_STATE_POSTING {
				t.Fatalf("state %v", k2.GetState())
			}
			resp, err := inbox.ListInboxItems(as.village, &commonv1.ListInboxItemsRequest{})
			if err != nil || len(resp.GetInboxItems()) != 1 || !resp.GetInboxItems()[0].GetPosting() ||
				resp.GetInboxItems()[0].GetOperation() != "CaseService_CompletePosting" {
				t.Errorf("a running posting: %v %v", resp, err)
			}
			_, err = inbox.ListInboxItems(as.auditor, &commonv1.ListInboxItemsRequest{})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		})

		t.Run("the inbox pages longest waiting first, its count on every page", func(t *testing.T) {
			var want []string
			for seq := 2; seq <= 4; seq++ {
				req := newHousehold(village, seq)
				req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(60), "纸质台账迁入"
				hh, err := h.households.CreateHousehold(h.admin(t), req)
				if err != nil {
					t.Fatal(err)
				}
				k, err := cases.CreateCase(as.village, &identificationv1.CreateCaseRequest{Kind: "identification", Household: hh.GetName(),
					OccurredAt: daysAgo(0)})
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, k.GetName())
			}
			var got []string
			token := ""
			for range 5 {
				page, err := inbox.ListInboxItems(as.village, &commonv1.ListInboxItemsRequest{PageSize: 2, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if page.GetTotalSize() != 4 { // the posting case of the test above, and these three
					t.Errorf("total %d on a page, want 4", page.GetTotalSize())
				}
				for _, it := range page.GetInboxItems() {
					got = append(got, it.GetResource())
				}
				if token = page.GetNextPageToken(); token == "" {
					break
				}
			}
			if len(got) != 4 || got[0] != k.GetName() || !slices.Equal(got[1:], want) {
				t.Errorf("pages %v, want %s then %v", got, k.GetName(), want)
			}
			_, err := inbox.ListInboxItems(as.village, &commonv1.ListInboxItemsRequest{PageToken: "bogus"})
			wantCode(t, err, codes.InvalidArgument, "INVALID_FIELD", "page_token")
		})

		t.Run("auditors read the audit log: a plain read names its household, a list its count and filter", func(t *testing.T) {
			plain := h.admin(t, "verification")
			if _, err := h.households.GetHousehold(plain, &identificationv1.GetHouseholdRequest{Name: hh.GetName()}); err != nil {
				t.Fatal(err)
			}
			civil := h.as(t, "civil_affairs", "department_staff", "")
			listed, err := h.households.ListHouseholds(civil, &identificationv1.ListHouseholdsRequest{Filter: `region_code:"990001002"`})
			if err != nil {
				t.Fatal(err)
			}
			servicetest.WaitAudit(t, h.dbURL, func(r audit.Record) bool {
				return r.Method == identificationv1.HouseholdService_ListHouseholds_FullMethodName && r.Department == "civil_affairs"
			})
			auditor := h.as(t, "rural_revitalization", "auditor", "")
			resp, err := audits.ListAuditRecords(auditor, &commonv1.ListAuditRecordsRequest{
				Filter: `household = "` + hh.GetName() + `" AND action = AUDIT_ACTION_READ`})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetTotalSize() != 1 || len(resp.GetAuditRecords()) != 1 {
				t.Fatalf("plain reads of the household: %v", resp)
			}
			r := resp.GetAuditRecords()[0]
			if r.GetHousehold() != hh.GetName() || r.GetPurpose() != "verification" || r.GetRecordCount() != 1 ||
				len(r.GetPersonIds()) != 2 || r.GetMethod() != identificationv1.HouseholdService_GetHousehold_FullMethodName {
				t.Errorf("plain read %v", r)
			}
			// An auditor finds the person by 身份证号 (in a body, never a URL or a filter), then their reads.
			person, err := audits.LookupAuditPerson(auditor, &identificationv1.LookupAuditPersonRequest{IdNumber: idNumber("19650304", 3)})
			if err != nil || !slices.Contains(r.GetPersonIds(), person.GetPersonId()) {
				t.Fatalf("person %v %v, want one of %v", person, err, r.GetPersonIds())
			}
			_, err = audits.LookupAuditPerson(auditor, &identificationv1.LookupAuditPersonRequest{IdNumber: idNumber("19650304", 777)})
			wantCode(t, err, codes.NotFound, "NOT_FOUND")
			_, err = audits.LookupAuditPerson(h.admin(t), &identificationv1.LookupAuditPersonRequest{IdNumber: idNumber("19650304", 3)})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			byPerson, err := audits.ListAuditRecords(auditor, &commonv1.ListAuditRecordsRequest{Filter: `person_id = "` + person.GetPersonId() + `"`})
			if err != nil || byPerson.GetTotalSize() < 2 {
				t.Errorf("reads of the person (the plain read and the list): %v %v", byPerson, err)
			}
			lists, err := audits.ListAuditRecords(h.as(t, "county_government", "auditor", ""), &commonv1.ListAuditRecordsRequest{
				Filter: `action = AUDIT_ACTION_LIST AND department = "civil_affairs"`})
			if err != nil || len(lists.GetAuditRecords()) != 1 || lists.GetAuditRecords()[0].GetFilter() != `region_code:"990001002"` ||
				int(lists.GetAuditRecords()[0].GetRecordCount()) != len(listed.GetHouseholds()) {
				t.Errorf("list reads: %v %v", lists, err)
			}
			changes, err := audits.ListAuditRecords(auditor, &commonv1.ListAuditRecordsRequest{
				Filter: `household:"` + hh.GetName() + `" AND action = AUDIT_ACTION_CHANGE`, PageSize: 1})
			if err != nil || changes.GetTotalSize() != 1 || changes.GetAuditRecords()[0].GetMethod() != identificationv1.HouseholdService_CreateHousehold_FullMethodName {
				t.Errorf("changes of the household: %v %v", changes, err)
			}
			for _, who := range []context.Context{h.admin(t), as.township, h.as(t, "civil_affairs", "auditor", "")} {
				_, err := audits.ListAuditRecords(who, &commonv1.ListAuditRecordsRequest{})
				wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			}
			// Audit rows name no region: an auditor scoped to a township reads none of them, nor finds
			// persons outside the township.
			scoped := h.as(t, "rural_revitalization", "auditor", "990001001")
			_, err = audits.ListAuditRecords(scoped, &commonv1.ListAuditRecordsRequest{})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = audits.LookupAuditPerson(scoped, &identificationv1.LookupAuditPersonRequest{IdNumber: idNumber("19650304", 3)})
			wantCode(t, err, codes.NotFound, "NOT_FOUND")
			_, err = audits.ListAuditRecords(auditor, &commonv1.ListAuditRecordsRequest{Filter: `time > "last week"`})
			wantCode(t, err, codes.InvalidArgument, "INVALID_FIELD", "filter")
		})
	})
}
