package identification_test

import (
	"bytes"
	"testing"

	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// A response kept for idempotent replay may carry plain personal data (a plain 身份证号 returned to an
// allowed caller who stated a purpose); it rests encrypted, and a retry still gets it back.
func TestReplayedResponsesRestEncrypted(t *testing.T) {
	h := start(t, sqldb.SQLite)
	req := newHousehold("990001001001", 7)
	req.RequestId = "create-plain-7"
	plainID := req.GetHousehold().GetMembers()[0].GetIdNumber()
	first, err := h.households.CreateHousehold(h.admin(t, "case_handling"), req)
	if err != nil {
		t.Fatal(err)
	}
	if first.GetMembers()[0].GetIdNumber() != plainID {
		t.Fatalf("the allowed caller with a purpose got %q, want the plain number", first.GetMembers()[0].GetIdNumber())
	}
	db, err := sqldb.Open(t.Context(), h.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored []byte
	if err := db.Q(t.Context()).QueryRowContext(t.Context(),
		`SELECT response FROM fupin_idempotency WHERE request_id = $1`, req.RequestId).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 || bytes.Contains(stored, []byte(plainID)) || bytes.Contains(stored, []byte(first.GetName())) {
		t.Fatalf("the stored response is not encrypted (%d bytes)", len(stored))
	}
	again, err := h.households.CreateHousehold(h.admin(t, "case_handling"), req)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(again, first) {
		t.Errorf("replay = %v, want the first response %v", again, first)
	}
}

// A retry returns the first call's result only to the identity that made it: the same subject without the
// purpose header, with another purpose, role or region is refused (the first response was plain), and the
// refusal and the allowed replay are both audited.
func TestReplayOnlyToTheFirstIdentity(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		official := servicetest.Caller{Subject: "u-wang", Department: "rural_revitalization", Role: "county_admin", Purpose: "case_handling"}
		req := newHousehold("990001002003", 8)
		req.RequestId = "replay-identity-8"
		first, err := h.households.CreateHousehold(h.keys.AsCaller(t, t.Context(), official), req)
		if err != nil {
			t.Fatal(err)
		}
		if first.GetMembers()[0].GetIdNumber() != req.GetHousehold().GetMembers()[0].GetIdNumber() {
			t.Fatalf("the first call got %q, want the plain number", first.GetMembers()[0].GetIdNumber())
		}
		refused := []struct {
			name   string
			change func(*servicetest.Caller)
		}{
			{name: "without the purpose header", change: func(c *servicetest.Caller) { c.Purpose = "" }},
			{name: "with another purpose", change: func(c *servicetest.Caller) { c.Purpose = "verification" }},
			{name: "as another role of the same subject", change: func(c *servicetest.Caller) { c.Role = "department_staff" }},
			{name: "with a region scope", change: func(c *servicetest.Caller) { c.Region = "990001002" }},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				other := official
				tt.change(&other)
				resp, err := h.households.CreateHousehold(h.keys.AsCaller(t, t.Context(), other), req)
				if code, info, _ := details(t, err); code != codes.PermissionDenied || info.GetReason() != "REPLAY_BY_OTHER_IDENTITY" {
					t.Fatalf("replay: %v %v (response %v), want PERMISSION_DENIED REPLAY_BY_OTHER_IDENTITY", code, info, resp)
				}
			})
		}
		t.Run("the same identity gets the first response, audited as a read", func(t *testing.T) {
			again, err := h.households.CreateHousehold(h.keys.AsCaller(t, t.Context(), official), req)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(again, first) {
				t.Errorf("replay = %v, want %v", again, first)
			}
			servicetest.WaitAudit(t, h.dbURL, func(r audit.Record) bool {
				return r.Kind == audit.KindRead && r.RequestID == req.RequestId && r.Actor == "u-wang" && r.Purpose == "case_handling" &&
					r.Resource == first.GetName()
			})
		})
		t.Run("refused replays are audited as denied", func(t *testing.T) {
			servicetest.WaitAudit(t, h.dbURL, func(r audit.Record) bool {
				return r.Kind == audit.KindDenied && r.RequestID == req.RequestId && r.Role == "department_staff" &&
					r.Code == codes.PermissionDenied.String()
			})
		})
	})
}
