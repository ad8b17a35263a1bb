package identification_test

import (
	"regexp"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/sqldb"
)

// Other departments' services match persons by the blind index of their 身份证号 (两线合一); people never
// see it.
func TestBlindIndexOnlyForServices(t *testing.T) {
	h := start(t, sqldb.SQLite)
	created, err := h.households.CreateHousehold(h.admin(t), newHousehold("990001001001", 1))
	if err != nil {
		t.Fatal(err)
	}
	get := &identificationv1.GetHouseholdRequest{Name: created.GetName()}
	person, err := h.households.GetHousehold(h.admin(t, "case_handling"), get)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range person.GetMembers() {
		if m.GetIdIndex() != "" {
			t.Errorf("a county admin received the blind index of %s", m.GetName())
		}
	}
	service, err := h.households.GetHousehold(h.as(t, "civil_affairs", "service", ""), get)
	if err != nil {
		t.Fatal(err)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, m := range service.GetMembers() {
		if !hex32.MatchString(m.GetIdIndex()) {
			t.Errorf("service caller: id_index of %s = %q, want 32 hex characters", m.GetName(), m.GetIdIndex())
		}
		if seen[m.GetIdIndex()] {
			t.Errorf("two members share the blind index %s", m.GetIdIndex())
		}
		seen[m.GetIdIndex()] = true
		if m.GetIdNumber() == newHousehold("990001001001", 1).GetHousehold().GetMembers()[0].GetIdNumber() {
			t.Errorf("service caller without purpose received a plain 身份证号")
		}
	}
	again, err := h.households.GetHousehold(h.as(t, "disabled_persons_federation", "service", ""), get)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetMembers()[0].GetIdIndex() != service.GetMembers()[0].GetIdIndex() {
		t.Error("the blind index differs between callers: departments could not match persons")
	}
}
