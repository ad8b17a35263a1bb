package store_test

import (
	"testing"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

const ledgerWorkshopCode = "91420602MA4KXY123R"

// seedWorkLabourer writes a ledger record the way the core area keeps it.
func seedWorkLabourer(t *testing.T, s *store.Store, id string, registry, monitoring, state, endReason int, endDate string) {
	t.Helper()
	_, err := s.DB().Exec(t.Context(), `INSERT INTO labourers (id, id_index, household_id, region_code, birth_month,
		registry_status, monitoring_status, labour_ability, state, end_reason, end_date, created_us, updated_us)
		VALUES ($1, $2, $3, '420602001002', '1980-01', $4, $5, 1, $6, $7, $8, 0, 0)`,
		id, "idx-"+id, "h-"+id, registry, monitoring, state, endReason, endDate)
	if err != nil {
		t.Fatal(err)
	}
}

func seedWorkSpell(t *testing.T, s *store.Store, id, person string, status, mode int, employer, from, to string) {
	t.Helper()
	_, err := s.DB().Exec(t.Context(), `INSERT INTO employment_spells (id, person_id, work_status, mode, employer, place,
		monthly_income_fen, from_month, to_month, source, created_us) VALUES ($1, $2, $3, $4, $5, '', 300000, $6, $7, 1, 0)`,
		id, person, status, mode, employer, from, to)
	if err != nil {
		t.Fatal(err)
	}
}

func TestWorkLedger(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		s := newStore(t, sqldbtest.Open(t, d))
		seedWorkLabourer(t, s, "p1", 3, 0, 1, 0, "")           // 脱贫户
		seedWorkLabourer(t, s, "p2", 1, 1, 1, 0, "")           // ordinary, monitored
		seedWorkLabourer(t, s, "p3", 1, 0, 1, 0, "")           // ordinary
		seedWorkLabourer(t, s, "p4", 3, 0, 2, 1, "2026-04-15") // died in April
		seedWorkSpell(t, s, "s1", "p1", 1, 3, ledgerWorkshopCode, "2026-01", "")
		seedWorkSpell(t, s, "s2", "p2", 1, 3, "幸福扶贫车间", "2026-02", "2026-05")
		seedWorkSpell(t, s, "s3", "p3", 4, 1, "某电子厂", "2025-06", "2026-02")
		seedWorkSpell(t, s, "s4", "p1", 1, 3, "另一车间", "2025-01", "2025-12")

		at, err := s.SpellsAtEmployer(ctx, ledgerWorkshopCode, "幸福扶贫车间", "2026-03", "2026-03")
		if err != nil || len(at) != 2 || at[0].PersonID != "p1" || !at[0].AtWorkshop || at[0].EmployerCode != ledgerWorkshopCode ||
			at[1].PersonID != "p2" || at[1].HouseholdID != "h-p2" {
			t.Fatalf("at employer %+v %v", at, err)
		}
		if at, _ := s.SpellsAtEmployer(ctx, ledgerWorkshopCode, "幸福扶贫车间", "2026-06", "2026-07"); len(at) != 1 {
			t.Fatalf("after p2's spell ended: %+v", at)
		}
		of, err := s.SpellsOfPerson(ctx, "p3", "2026-01", "2026-12")
		if err != nil || len(of) != 1 || of[0].Away != domain.WorkAwayOutOfProvince {
			t.Fatalf("of person %+v %v", of, err)
		}
		if of, _ := s.SpellsOfPerson(ctx, "p3", "2026-03", "2026-12"); len(of) != 0 {
			t.Fatalf("after the spell: %+v", of)
		}

		for _, tt := range []struct {
			id, month  string
			poor, dead bool
		}{{"p1", "2026-03", true, false}, {"p2", "2026-03", true, false}, {"p3", "2026-03", false, false},
			{"p4", "2026-03", true, false}, {"p4", "2026-04", true, true}} {
			p, err := s.WorkPerson(ctx, tt.id, tt.month)
			if err != nil || p.Poor != tt.poor || p.Dead != tt.dead || p.RegionCode != "420602001002" {
				t.Errorf("%s in %s: %+v %v", tt.id, tt.month, p, err)
			}
		}
		if ids, err := s.HouseholdPersons(ctx, "h-p2"); err != nil || len(ids) != 1 || ids[0] != "p2" {
			t.Fatalf("household persons %v %v", ids, err)
		}
		if ids, err := s.HouseholdPersons(ctx, "h-none"); err != nil || len(ids) != 0 {
			t.Fatalf("no household %v %v", ids, err)
		}
		if _, err := s.WorkPerson(ctx, "nobody", "2026-03"); !isKind(err, apperr.KindNotFound) {
			t.Fatalf("nobody: %v", err)
		}
	})
}
