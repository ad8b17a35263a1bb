package domain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var today = time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)

// id makes a valid 身份证号 for a birth date and sequence, in the synthetic county 990001.
func id(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq)
	return first17 + string(pii.IDCheckChar(first17))
}

func newService(t *testing.T) *domain.Service {
	t.Helper()
	db := sqldbtest.Open(t, sqldb.SQLite)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, outbox.New(db, nil))
	if err := st.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Level: domain.LevelCounty, Name: "示范县"},
		{Code: "990001001000", Level: domain.LevelTownship, Name: "城关镇", Parent: "990001000000"},
		{Code: "990001001001", Level: domain.LevelVillage, Name: "东街社区", Urban: true, Parent: "990001001000"},
		{Code: "990001002000", Level: domain.LevelTownship, Name: "青山乡", Parent: "990001000000"},
		{Code: "990001002001", Level: domain.LevelVillage, Name: "红桥村", Parent: "990001002000"},
		{Code: "990001002002", Level: domain.LevelVillage, Name: "旧村", Parent: "990001002000", ValidTo: "2024-01-01"},
	}); err != nil {
		t.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return domain.NewService(st, protector, func() time.Time { return today }, func() string {
		n++
		return fmt.Sprintf("id-%04d", n)
	})
}

var county = domain.Caller{Actor: "tester"}

func m(rel domain.Relation, idNumber string) domain.Member {
	return domain.Member{Person: domain.Person{FullName: "张三", IDNumber: idNumber}, Relation: rel}
}

func family() domain.NewHousehold {
	return domain.NewHousehold{RegionCode: "990001002001", Members: []domain.Member{
		m(domain.RelationHead, id("19700101", 11)), m(domain.RelationSpouse, id("19720202", 22)),
		m(domain.RelationDaughter, id("20100303", 32)),
	}}
}

// refusal returns the *apperr.Error in err or fails.
func refusal(t *testing.T, err error) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want a refusal", err)
	}
	return e
}

func TestCreateHouseholdRules(t *testing.T) {
	badCheck := id("19700101", 11)
	badCheck = badCheck[:17] + map[bool]string{true: "0", false: "1"}[badCheck[17] != '0']
	tests := []struct {
		name   string
		edit   func(h *domain.NewHousehold)
		caller domain.Caller
		kind   apperr.Kind
		reason string
		field  string
	}{
		{"valid household", func(*domain.NewHousehold) {}, county, 0, "", ""},
		{"wrong check digit names the member", func(h *domain.NewHousehold) { h.Members[1].IDNumber = badCheck },
			county, apperr.KindInvalid, domain.ReasonIDNumberInvalid, "household.members[1].id_number"},
		{"future birth date", func(h *domain.NewHousehold) { h.Members[2].IDNumber = id("20251231", 32) },
			county, apperr.KindInvalid, domain.ReasonIDNumberInvalid, "household.members[2].id_number"},
		{"no head", func(h *domain.NewHousehold) { h.Members[0].Relation = domain.RelationSon },
			county, apperr.KindInvalid, domain.ReasonHeadCount, "household.members"},
		{"two heads", func(h *domain.NewHousehold) { h.Members[1].Relation = domain.RelationHead },
			county, apperr.KindInvalid, domain.ReasonHeadCount, "household.members"},
		{"same person twice", func(h *domain.NewHousehold) { h.Members[2].IDNumber = h.Members[0].IDNumber },
			county, apperr.KindInvalid, domain.ReasonPersonRepeated, "household.members[2].id_number"},
		{"unknown region", func(h *domain.NewHousehold) { h.RegionCode = "990001009009" },
			county, apperr.KindInvalid, domain.ReasonRegionUnknown, "household.region_code"},
		{"a township is not a village", func(h *domain.NewHousehold) { h.RegionCode = "990001002000" },
			county, apperr.KindInvalid, domain.ReasonRegionUnknown, "household.region_code"},
		{"a retired region code", func(h *domain.NewHousehold) { h.RegionCode = "990001002002" },
			county, apperr.KindInvalid, domain.ReasonRegionUnknown, "household.region_code"},
		{"township officer outside their township", func(*domain.NewHousehold) {},
			domain.Caller{Actor: "t", Scope: "990001001"}, apperr.KindPermissionDenied, domain.ReasonOutOfRegionScope, ""},
		{"township officer inside their township", func(*domain.NewHousehold) {},
			domain.Caller{Actor: "t", Scope: "990001002"}, 0, "", ""},
		{"membership starting in the future", func(h *domain.NewHousehold) { h.Members[1].StartDate = "2025-07-01" },
			county, apperr.KindInvalid, domain.ReasonDateInvalid, "household.members[1].start_date"},
		{"a name with a right-to-left override", func(h *domain.NewHousehold) { h.Members[1].FullName = "王\u202e大山" },
			county, apperr.KindInvalid, domain.ReasonPersonNameInvalid, "household.members[1].full_name"},
		{"a name that is a lone zero-width space", func(h *domain.NewHousehold) { h.Members[1].FullName = "\u200b" },
			county, apperr.KindInvalid, domain.ReasonPersonNameInvalid, "household.members[1].full_name"},
		{"a name with a line break and a bell", func(h *domain.NewHousehold) { h.Members[2].FullName = "王\n\x07大山" },
			county, apperr.KindInvalid, domain.ReasonPersonNameInvalid, "household.members[2].full_name"},
		{"no name", func(h *domain.NewHousehold) { h.Members[0].FullName = "" },
			county, apperr.KindInvalid, domain.ReasonPersonNameInvalid, "household.members[0].full_name"},
		{"a name with the middle dot", func(h *domain.NewHousehold) { h.Members[1].FullName = "阿依古丽·买买提" }, county, 0, "", ""},
		{"a compound surname", func(h *domain.NewHousehold) { h.Members[1].FullName = "欧阳娜娜" }, county, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t)
			in := family()
			tt.edit(&in)
			h, err := svc.CreateHousehold(t.Context(), tt.caller, in)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if h.Size() != 3 || h.Head() == nil || h.Status.Registry != domain.RegistryOrdinary {
					t.Errorf("created %+v", h)
				}
				return
			}
			e := refusal(t, err)
			if e.Kind != tt.kind || e.Reason != tt.reason {
				t.Errorf("got %v (kind %d), want kind %d reason %s", e, e.Kind, tt.kind, tt.reason)
			}
			if tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.field) {
				t.Errorf("fields %+v, want %s", e.Fields, tt.field)
			}
		})
	}
}

func TestCreateDerivesFromIDNumber(t *testing.T) {
	svc := newService(t)
	h, err := svc.CreateHousehold(t.Context(), county, family())
	if err != nil {
		t.Fatal(err)
	}
	head := h.Members[0]
	if head.Sex != domain.SexMale || head.BirthDate != "1970-01-01" || head.StartDate != "2025-06-15" {
		t.Errorf("derived %+v", head)
	}
	if daughter := h.Members[2]; daughter.Sex != domain.SexFemale {
		t.Errorf("daughter sex %v", daughter.Sex)
	}
	if head.IDMasked != pii.MaskIDNumber(id("19700101", 11)) || head.IDMasked == id("19700101", 11) {
		t.Errorf("masked %q", head.IDMasked)
	}
	got, _ := svc.GetHousehold(t.Context(), county, h.ID)
	if got.Members[0].IDNumber != "" {
		t.Error("a read returned the plain number without Reveal")
	}
	if err := svc.Reveal(got); err != nil || got.Members[0].IDNumber != id("19700101", 11) {
		t.Errorf("Reveal gave %q, %v", got.Members[0].IDNumber, err)
	}
}

// Names are stored as pii.NormalizeName gives them, on create, on AddMember and on UpdateMember, and a bad
// one is refused on the field.
func TestNamesAreNormalised(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	in := family()
	in.Members[0].FullName = "\u3000Rene\u0301e "
	h, err := svc.CreateHousehold(ctx, county, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Members[0].FullName; got != "Ren\u00e9e" {
		t.Errorf("created name %q", got)
	}
	added := m(domain.RelationSon, id("20150505", 41))
	added.FullName = " 王小山 "
	h, err = svc.AddMember(ctx, county, h.ID, "", added)
	if err != nil || h.Members[3].FullName != "王小山" {
		t.Fatalf("added %v, %v", h, err)
	}
	bad := m(domain.RelationSon, id("20150505", 43))
	bad.FullName = "王\u202e大山"
	_, err = svc.AddMember(ctx, county, h.ID, "", bad)
	if e := refusal(t, err); e.Reason != domain.ReasonPersonNameInvalid || e.Fields[0].Field != "member.full_name" {
		t.Errorf("AddMember: %+v", e)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"a good name, trimmed", " 阿依古丽·买买提 ", "阿依古丽·买买提"},
		{"a zero-width space", "\u200b", ""},
		{"a bell", "王\x07大山", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.UpdateMember(ctx, county, h.ID, h.Members[1].PersonID, "", []string{"full_name"},
				domain.MemberPatch{FullName: tt.in})
			if tt.want == "" {
				if e := refusal(t, err); e.Reason != domain.ReasonPersonNameInvalid || e.Fields[0].Field != "member.full_name" {
					t.Errorf("got %+v", e)
				}
				return
			}
			if err != nil || got.Members[1].FullName != tt.want {
				t.Errorf("got %q, %v", got.Members[1].FullName, err)
			}
		})
	}
}

func TestPersonInAnotherHousehold(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, err := svc.CreateHousehold(ctx, county, family()); err != nil {
		t.Fatal(err)
	}
	other := domain.NewHousehold{RegionCode: "990001001001", Members: []domain.Member{
		m(domain.RelationHead, id("19800101", 51)), m(domain.RelationSpouse, id("19720202", 22))}}
	_, err := svc.CreateHousehold(ctx, county, other)
	e := refusal(t, err)
	if e.Kind != apperr.KindAlreadyExists || e.Reason != domain.ReasonPersonInOtherHousehold ||
		e.Fields[0].Field != "household.members[1].id_number" {
		t.Errorf("got %+v", e)
	}
}

func TestDepartures(t *testing.T) {
	tests := []struct {
		name    string
		member  int
		newHead int // -1: none
		date    string
		reason  string
		check   func(t *testing.T, h *domain.Household)
	}{
		{"a member dies", 1, -1, "2025-06-15", "", func(t *testing.T, h *domain.Household) {
			if h.Size() != 2 || h.Members[1].State != domain.MemberDeceased || h.Members[1].EndDate != "2025-06-15" {
				t.Errorf("%+v", h.Members[1])
			}
		}},
		{"the head dies and names a new head", 0, 1, "2025-06-15", "", func(t *testing.T, h *domain.Household) {
			if h.Head() == nil || h.Head().PersonID != h.Members[1].PersonID {
				t.Errorf("head is %+v", h.Head())
			}
		}},
		{"the head dies without a new head", 0, -1, "2025-06-15", domain.ReasonNewHeadRequired, nil},
		{"a date in the future", 1, -1, "2025-06-16", domain.ReasonDateInvalid, nil},
		{"an impossible date", 1, -1, "2025-02-30", domain.ReasonDateInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t)
			ctx := t.Context()
			h, err := svc.CreateHousehold(ctx, county, family())
			if err != nil {
				t.Fatal(err)
			}
			d := domain.Departure{PersonID: h.Members[tt.member].PersonID, Date: tt.date, State: domain.MemberDeceased}
			if tt.newHead >= 0 {
				d.NewHead = h.Members[tt.newHead].PersonID
			}
			got, err := svc.RecordDeparture(ctx, county, h.ID, h.Etag(), d)
			if tt.reason != "" {
				if e := refusal(t, err); e.Reason != tt.reason {
					t.Errorf("reason %s, want %s", e.Reason, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestLastMemberLeavingArchives(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	h, err := svc.CreateHousehold(ctx, county, domain.NewHousehold{RegionCode: "990001002001",
		Members: []domain.Member{m(domain.RelationHead, id("19400101", 11))}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.RecordDeparture(ctx, county, h.ID, "", domain.Departure{PersonID: h.Members[0].PersonID,
		Date: "2025-06-15", State: domain.MemberDeceased})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.HouseholdArchived || got.Size() != 0 {
		t.Errorf("state %v size %d", got.State, got.Size())
	}
}

func TestChangesNeedCurrentEtagAndActiveHousehold(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	h, err := svc.CreateHousehold(ctx, county, family())
	if err != nil {
		t.Fatal(err)
	}
	stale := h.Etag()
	if _, err := svc.UpdateHousehold(ctx, county, h.ID, stale, []string{"address"}, domain.HouseholdPatch{Address: "一组"}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateHousehold(ctx, county, h.ID, stale, []string{"address"}, domain.HouseholdPatch{Address: "二组"})
	if !errors.Is(err, apperr.StaleEtag) {
		t.Errorf("stale etag: %v", err)
	}
	_, err = svc.UpdateHousehold(ctx, county, h.ID, "", []string{"region_code"}, domain.HouseholdPatch{})
	if e := refusal(t, err); e.Reason != domain.ReasonFieldNotUpdatable {
		t.Errorf("mask: %v", e)
	}
	if _, err := svc.ArchiveHousehold(ctx, county, h.ID, "", "重复登记"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateHousehold(ctx, county, h.ID, "", []string{"address"}, domain.HouseholdPatch{Address: "三组"})
	if !errors.Is(err, domain.ErrArchived) {
		t.Errorf("archived: %v", err)
	}
}

func TestRegistryStatusHistory(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	in := family()
	in.Registry = domain.RegistryPoor
	h, err := svc.CreateHousehold(ctx, county, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.SetRegistryStatus(ctx, county, h.ID, h.Etag(), domain.RegistryExited, "2025-06-15", "县级审定 2025-12号")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Registry != domain.RegistryExited || got.Status.ExitYear != 2025 || got.Status.RegistryDate != "2025-06-15" ||
		len(got.History) != 2 || got.History[1].Reason != "县级审定 2025-12号" || got.History[0].Registry != domain.RegistryPoor {
		t.Errorf("status %+v history %+v", got.Status, got.History)
	}
	_, err = svc.SetRegistryStatus(ctx, county, h.ID, "", domain.RegistryReturned, "2025-06-01", "before the exit")
	if e := refusal(t, err); e.Reason != domain.ReasonDateInvalid {
		t.Errorf("back-dated before history: %v", e)
	}
}

func TestLookupHidesOutOfScopeHouseholds(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, err := svc.CreateHousehold(ctx, county, family()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LookupHousehold(ctx, county, id("19720202", 22)); err != nil {
		t.Fatalf("county lookup: %v", err)
	}
	_, err := svc.LookupHousehold(ctx, domain.Caller{Actor: "t", Scope: "990001001"}, id("19720202", 22))
	if !errors.Is(err, domain.ErrHouseholdNotFound) {
		t.Errorf("out-of-scope lookup: %v", err)
	}
}
