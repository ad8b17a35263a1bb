package idempotency_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/idempotency"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var now = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func newDB(t *testing.T, d sqldb.Dialect) *sqldb.DB {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func save(ctx context.Context, db *sqldb.DB, k idempotency.Key, r idempotency.Record, at time.Time) error {
	return db.InTx(ctx, func(ctx context.Context) error { return idempotency.Save(ctx, db, k, r, at) })
}

func key(id string) idempotency.Key {
	return idempotency.Key{Caller: "u-1001", Method: "/fupin.identification.v1.HouseholdService/CreateHousehold", RequestID: id}
}

func TestSaveLookup(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newDB(t, d)
		rec := idempotency.Record{RequestHash: []byte{0x00, 0xff, 0x10}, Response: []byte("\x0a\x0chouseholds/1\x00"),
			Identity: "sub=u-1001 dept=rural_revitalization role=county_admin region= purpose=case_handling"}
		if err := save(t.Context(), db, key("req-1"), rec, now); err != nil {
			t.Fatalf("Save: %v", err)
		}
		other := key("req-1")
		other.Caller = "u-2002"
		otherMethod := key("req-1")
		otherMethod.Method = "/fupin.identification.v1.HouseholdService/UpdateHousehold"
		tests := []struct {
			name      string
			key       idempotency.Key
			wantFound bool
		}{
			{name: "saved key", key: key("req-1"), wantFound: true},
			{name: "other request id", key: key("req-2"), wantFound: false},
			{name: "same id from another caller", key: other, wantFound: false},
			{name: "same id on another method", key: otherMethod, wantFound: false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, found, err := idempotency.Lookup(t.Context(), db, tt.key)
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				if found != tt.wantFound {
					t.Fatalf("found = %v, want %v", found, tt.wantFound)
				}
				if !found {
					if got.RequestHash != nil || got.Response != nil {
						t.Errorf("record for a missing key = %+v, want zero", got)
					}
					return
				}
				if !bytes.Equal(got.RequestHash, rec.RequestHash) || !bytes.Equal(got.Response, rec.Response) || got.Identity != rec.Identity {
					t.Errorf("record = %x / %x / %q, want %x / %x / %q", got.RequestHash, got.Response, got.Identity,
						rec.RequestHash, rec.Response, rec.Identity)
				}
			})
		}
		t.Run("inside the saving transaction", func(t *testing.T) {
			err := db.InTx(t.Context(), func(ctx context.Context) error {
				if err := idempotency.Save(ctx, db, key("req-3"), rec, now); err != nil {
					return err
				}
				_, found, err := idempotency.Lookup(ctx, db, key("req-3"))
				if !found {
					t.Error("the transaction does not see its own record")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestSaveTwice(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newDB(t, d)
		first := idempotency.Record{RequestHash: []byte("hash-1"), Response: []byte("first")}
		if err := save(t.Context(), db, key("req-1"), first, now); err != nil {
			t.Fatalf("first Save: %v", err)
		}
		err := save(t.Context(), db, key("req-1"), idempotency.Record{RequestHash: []byte("hash-2"), Response: []byte("second")}, now.Add(time.Second))
		if err == nil {
			t.Fatal("second Save with the same key succeeded")
		}
		if !sqldb.IsUniqueViolation(err) {
			t.Errorf("second Save error %v is not a unique violation", err)
		}
		got, _, err := idempotency.Lookup(t.Context(), db, key("req-1"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Response) != "first" {
			t.Errorf("response = %q, want the first one kept", got.Response)
		}
	})
}

func TestExpire(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newDB(t, d)
		saved := []struct {
			id   string
			at   time.Time
			kept bool
		}{
			{id: "month-old", at: now.Add(-30 * 24 * time.Hour), kept: false},
			{id: "just-past-retention", at: now.Add(-idempotency.Retention - time.Microsecond), kept: false},
			{id: "exactly-retention", at: now.Add(-idempotency.Retention), kept: true},
			{id: "hour-old", at: now.Add(-time.Hour), kept: true},
			{id: "from-the-future", at: now.Add(time.Hour), kept: true},
		}
		for _, s := range saved {
			if err := save(t.Context(), db, key(s.id), idempotency.Record{RequestHash: []byte{1}, Response: []byte{}}, s.at); err != nil {
				t.Fatalf("Save %s: %v", s.id, err)
			}
		}
		n, err := idempotency.Expire(t.Context(), db, now)
		if err != nil {
			t.Fatalf("Expire: %v", err)
		}
		if n != 2 {
			t.Errorf("Expire deleted %d rows, want 2", n)
		}
		for _, s := range saved {
			t.Run(s.id, func(t *testing.T) {
				_, found, err := idempotency.Lookup(t.Context(), db, key(s.id))
				if err != nil {
					t.Fatal(err)
				}
				if found != s.kept {
					t.Errorf("found after Expire = %v, want %v", found, s.kept)
				}
			})
		}
		if n, err := idempotency.Expire(t.Context(), db, now); err != nil || n != 0 {
			t.Errorf("second Expire = %d, %v; want 0, nil", n, err)
		}
	})
}

// TestIdentity: every part of a caller that decides what it may do or see changes the identity a replay is
// held to; the same caller always gives the same one.
func TestIdentity(t *testing.T) {
	township := func() *auth.Caller {
		return &auth.Caller{Subject: "u-7", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
			Role: commonv1.Role_ROLE_TOWNSHIP_OFFICER, Region: "990001002"}
	}
	service := func(person *auth.Caller) *auth.Caller {
		return &auth.Caller{Subject: "service:subsidies", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
			Role: commonv1.Role_ROLE_SERVICE, OnBehalfOf: person}
	}
	base := idempotency.Identity(township())
	if want := "sub=u-7 dept=rural_revitalization role=township_officer region=990001002"; base != want {
		t.Errorf("Identity = %q, want %q", base, want)
	}
	tests := []struct {
		name   string
		change func(*auth.Caller) *auth.Caller
		same   bool
	}{
		{name: "same caller", change: func(c *auth.Caller) *auth.Caller { return c }, same: true},
		{name: "PlainText is decided per method, not part of the identity", same: true,
			change: func(c *auth.Caller) *auth.Caller { c.PlainText = true; return c }},
		{name: "another subject", change: func(c *auth.Caller) *auth.Caller { c.Subject = "u-8"; return c }},
		{name: "another department", change: func(c *auth.Caller) *auth.Caller {
			c.Department = commonv1.Department_DEPARTMENT_HUMAN_RESOURCES
			return c
		}},
		{name: "another role", change: func(c *auth.Caller) *auth.Caller { c.Role = commonv1.Role_ROLE_VILLAGE_OFFICER; return c }},
		{name: "another region", change: func(c *auth.Caller) *auth.Caller { c.Region = "990001001"; return c }},
		{name: "the whole county", change: func(c *auth.Caller) *auth.Caller { c.Region = ""; return c }},
		{name: "a stated purpose", change: func(c *auth.Caller) *auth.Caller {
			c.Purpose = commonv1.Purpose_PURPOSE_VERIFICATION
			return c
		}},
		{name: "a service acting for the caller", change: func(c *auth.Caller) *auth.Caller { return service(c) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idempotency.Identity(tt.change(township())); (got == base) != tt.same {
				t.Errorf("Identity = %q; equal to %q: %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
	t.Run("the person a service acts for", func(t *testing.T) {
		a, b := township(), township()
		b.Region = "990001001"
		if idempotency.Identity(service(a)) == idempotency.Identity(service(b)) {
			t.Error("a service acting for the same subject in two regions has one identity")
		}
		a.Purpose = commonv1.Purpose_PURPOSE_CASE_HANDLING
		if got := idempotency.Identity(service(a)); got != "sub=service:subsidies dept=civil_affairs role=service region= for "+
			"sub=u-7 dept=rural_revitalization role=township_officer region=990001002 purpose=case_handling" {
			t.Errorf("Identity = %q", got)
		}
	})
}
