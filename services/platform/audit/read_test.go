package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// TestReader lists a log of every kind of row through the read API's filters, on both databases.
func TestReader(t *testing.T) {
	const hh, other = "households/01938a6e-0000-7000-8000-000000000001", "households/01938a6e-0000-7000-8000-000000000002"
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	const svc = "/fupin.identification.v1.HouseholdService/"
	rows := []audit.Record{
		{Kind: audit.KindRead, Method: svc + "GetHousehold", Actor: "alice", Department: "civil_affairs", Role: "department_staff",
			Purpose: "case_handling", Resource: hh, RecordCount: 1, PersonIDs: []string{"p-1", "p-2"}},
		{Kind: audit.KindRead, Method: svc + "ListHouseholds", Actor: "alice", Department: "civil_affairs", Role: "department_staff",
			Resource: "", RecordCount: 50, Filter: `region_code:"990001002"`, PersonIDs: []string{"p-1", "p-10"}},
		{Kind: audit.KindMutation, Method: svc + "UpdateHousehold", Actor: "bob", Department: "rural_revitalization", Role: "township_officer",
			Resource: hh + "/members/p-1", RecordCount: 1},
		{Kind: audit.KindRead, Method: "/fupin.identification.v1.RegisterExportService/ExportRegister", Actor: "service:subsidies", Role: "service",
			Resource: "households", RecordCount: 3000, Filter: `region_code:"990001"`},
		{Kind: audit.KindDenied, Method: svc + "GetHousehold", Actor: "carol", Resource: other, Code: "PERMISSION_DENIED"},
		{Kind: audit.KindFailed, Method: svc + "UpdateHousehold", Actor: "bob", Resource: other, Code: "FAILED_PRECONDITION"},
	}
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db, l := newLog(t, d)
		for i, r := range rows {
			r.At = at.Add(time.Duration(i) * time.Hour)
			if r.Code == "" {
				r.Code = "OK"
			}
			if err := db.InTx(t.Context(), func(ctx context.Context) error { return l.Write(ctx, r) }); err != nil {
				t.Fatal(err)
			}
		}
		rd := audit.NewReader(db)
		tests := []struct {
			filter string
			want   []int // indexes into rows, newest first
		}{
			{filter: "", want: []int{5, 4, 3, 2, 1, 0}},
			{filter: `household:"` + hh + `"`, want: []int{2, 0}},
			{filter: `household = "` + hh + `"`, want: []int{0}},
			{filter: `person_id = "p-1"`, want: []int{1, 0}},
			{filter: `person_id = "p-10"`, want: []int{1}},
			{filter: `actor = "alice"`, want: []int{1, 0}},
			{filter: `actor:"service:"`, want: []int{3}},
			{filter: `action = AUDIT_ACTION_READ`, want: []int{0}},
			{filter: `action = AUDIT_ACTION_LIST`, want: []int{1}},
			{filter: `action = AUDIT_ACTION_EXPORT`, want: []int{3}},
			{filter: `action = AUDIT_ACTION_CHANGE`, want: []int{2}},
			{filter: `action = AUDIT_ACTION_DENIED`, want: []int{4}},
			{filter: `action = AUDIT_ACTION_FAILED`, want: []int{5}},
			{filter: `time >= "2026-12-01T10:00:00+08:00" AND time < "2026-12-01T04:00:00Z"`, want: []int{2, 1}},
			{filter: `department = "civil_affairs" AND purpose = "case_handling"`, want: []int{0}},
		}
		for _, tt := range tests {
			resp, err := rd.ListAuditRecords(t.Context(), &commonv1.ListAuditRecordsRequest{Filter: tt.filter})
			if err != nil {
				t.Fatalf("%s: %v", tt.filter, err)
			}
			var got []int
			for _, r := range resp.GetAuditRecords() {
				got = append(got, slices.IndexFunc(rows, func(x audit.Record) bool {
					return x.Method == r.GetMethod() && x.Actor == r.GetActor() && x.Kind != "" &&
						x.Resource == r.GetResource() && audit.Action(x) == r.GetAction()
				}))
			}
			if !slices.Equal(got, tt.want) || int(resp.GetTotalSize()) != len(tt.want) {
				t.Errorf("%s: rows %v (total %d), want %v", tt.filter, got, resp.GetTotalSize(), tt.want)
			}
		}

		t.Run("a plain read names its household, a list its count and filter", func(t *testing.T) {
			resp, err := rd.ListAuditRecords(t.Context(), &commonv1.ListAuditRecordsRequest{Filter: `actor = "alice"`})
			if err != nil {
				t.Fatal(err)
			}
			list, read := resp.GetAuditRecords()[0], resp.GetAuditRecords()[1]
			if read.GetHousehold() != hh || read.GetRecordCount() != 1 || !slices.Equal(read.GetPersonIds(), []string{"p-1", "p-2"}) ||
				!read.GetTime().AsTime().Equal(at) || read.GetPurpose() != "case_handling" {
				t.Errorf("plain read %v", read)
			}
			if list.GetRecordCount() != 50 || list.GetFilter() != `region_code:"990001002"` || list.GetHousehold() != "" {
				t.Errorf("list read %v", list)
			}
		})

		t.Run("pages newest first with the total", func(t *testing.T) {
			var got []string
			tok := ""
			for range 4 {
				resp, err := rd.ListAuditRecords(t.Context(), &commonv1.ListAuditRecordsRequest{PageSize: 4, PageToken: tok})
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetTotalSize() != 6 {
					t.Errorf("total %d", resp.GetTotalSize())
				}
				for _, r := range resp.GetAuditRecords() {
					got = append(got, r.GetTime().AsTime().Format("15"))
				}
				if tok = resp.GetNextPageToken(); tok == "" {
					break
				}
			}
			if want := []string{"06", "05", "04", "03", "02", "01"}; !slices.Equal(got, want) {
				t.Errorf("pages %v, want %v", got, want)
			}
		})

		t.Run("a bad filter or token is INVALID_ARGUMENT", func(t *testing.T) {
			for _, req := range []*commonv1.ListAuditRecordsRequest{{Filter: `time > "yesterday"`}, {Filter: `person_id = "%"`},
				{Filter: `action = READ`}, {PageToken: "nope"}} {
				_, err := rd.ListAuditRecords(t.Context(), req)
				if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid {
					t.Errorf("%v: %v", req, err)
				}
			}
		})
	})
}
