package subsidies_test

import (
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc/codes"
)

// A household that moves to another village in the register (household.moved on its feed) takes its
// current subsidies records along: the new township sees them, the old one no longer does.
func TestHouseholdMoveCarriesRecords(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		st := c.openSubsidiesStore(t)
		idHead := IDNumber("19580404", 31)
		h := c.CreateHousehold(t, village1, &identificationv1.Member{FullName: "孙七", IdNumber: idHead,
			RelationToHead: identificationv1.Relation_RELATION_HEAD})
		hid := cmpHouseholdID(h)
		fed := c.Federation(t)
		certs := subsidiesv1.NewCertificateServiceClient(c.Conn)
		subs := subsidiesv1.NewDisabilitySubsidyServiceClient(c.Conn)

		// A certificate registered by 残联, an open care subsidy application, a 低保 entitlement paying now
		// and one that ended last year.
		cert, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: idHead + "41",
			IssueDate: "2020-05-01", RequestId: "move-cert"})
		if err != nil {
			t.Fatal(err)
		}
		app, err := subs.CreateDisabilitySubsidy(fed, &subsidiesv1.CreateDisabilitySubsidyRequest{
			Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE, Certificate: cert.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		grantComparedDibao(t, st, hid, village1, 1)
		now := time.Now()
		if err := st.GrantEntitlement(t.Context(), &domain.Entitlement{ID: "e-old-" + hid, Program: domain.ProgramDibao,
			Beneficiary: "households/" + hid, HouseholdID: hid, RegionCode: village1, Source: "dibaoCases/old-" + hid,
			FromMonth: "2023-01", ToMonth: "2023-12", AmountFen: 100_000, Covered: 1, CreateTime: now, UpdateTime: now}); err != nil {
			t.Fatal(err)
		}
		oldTownship := c.As(t, "disabled_persons_federation", "township_officer", village1[:9])
		newTownship := c.As(t, "disabled_persons_federation", "township_officer", village2[:9])
		if _, err := certs.GetCertificate(oldTownship, &subsidiesv1.GetCertificateRequest{Name: cert.GetName()}); err != nil {
			t.Fatalf("before the move, the old township: %v", err)
		}

		if _, err := identificationv1.NewHouseholdServiceClient(c.Register).MoveHousehold(c.RegisterAdmin(t),
			&identificationv1.MoveHouseholdRequest{Name: h.GetName(), RegionCode: village2, Address: "三组",
				EffectiveDate: bizdate.Today(time.Now())}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the certificate in the new village", func() bool {
			got, err := certs.GetCertificate(fed, &subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			return got.GetRegionCode() == village2
		})

		t.Run("the new township reads the certificate and the application, the old one no longer does", func(t *testing.T) {
			if _, err := certs.GetCertificate(newTownship, &subsidiesv1.GetCertificateRequest{Name: cert.GetName()}); err != nil {
				t.Errorf("new township: %v", err)
			}
			_, err := certs.GetCertificate(oldTownship, &subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			got, err := subs.GetDisabilitySubsidy(newTownship, &subsidiesv1.GetDisabilitySubsidyRequest{Name: app.GetName()})
			if err != nil || got.GetRegionCode() != village2 {
				t.Errorf("the application in the new township: %v %v", got, err)
			}
			_, err = subs.GetDisabilitySubsidy(oldTownship, &subsidiesv1.GetDisabilitySubsidyRequest{Name: app.GetName()})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			listed, err := certs.ListCertificates(newTownship, &subsidiesv1.ListCertificatesRequest{})
			if err != nil || len(listed.GetCertificates()) != 1 {
				t.Errorf("listed in the new township: %v %v", listed, err)
			}
		})
		t.Run("the entitlement paying now moves, the one that ended keeps its village", func(t *testing.T) {
			es, err := st.EntitlementsOfHousehold(t.Context(), hid)
			if err != nil || len(es) != 2 {
				t.Fatalf("entitlements %v %v", es, err)
			}
			for _, e := range es {
				want := village2
				if e.ToMonth == "2023-12" {
					want = village1
				}
				if e.RegionCode != want {
					t.Errorf("entitlement %s (to %q) in %s, want %s", e.ID, e.ToMonth, e.RegionCode, want)
				}
			}
		})
	})
}
