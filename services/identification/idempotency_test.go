package identification_test

import (
	"bytes"
	"testing"

	"fupin.dev/services/platform/sqldb"
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
