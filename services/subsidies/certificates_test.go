package subsidies_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// certNoPlainNumber fails when a response carries any of the plain 身份证号.
func certNoPlainNumber(t *testing.T, what string, m proto.Message, numbers ...string) {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range numbers {
		if strings.Contains(string(b), n) {
			t.Errorf("%s shows a plain 身份证号: %s", what, b)
		}
	}
}

func TestCertificatesAndDisabilitySubsidies(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		idHead, idSpouse := IDNumber("19600101", 11), IDNumber("19620202", 22)
		h := c.CreateHousehold(t, village1,
			&identificationv1.Member{FullName: "王五", IdNumber: idHead, RelationToHead: identificationv1.Relation_RELATION_HEAD},
			&identificationv1.Member{FullName: "赵六", IdNumber: idSpouse, RelationToHead: identificationv1.Relation_RELATION_SPOUSE})
		certs := subsidiesv1.NewCertificateServiceClient(c.Conn)
		subs := subsidiesv1.NewDisabilitySubsidyServiceClient(c.Conn)
		fed := c.Federation(t)
		today := bizdate.Today(time.Now())
		month := today[:7]

		cert, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: idHead + "41",
			IssueDate: "2020-05-01", RequestId: "reg-1"})
		if err != nil {
			t.Fatal(err)
		}
		var head *identificationv1.Member
		for _, m := range h.GetMembers() {
			if m.GetRelationToHead() == identificationv1.Relation_RELATION_HEAD {
				head = m
			}
		}
		if cert.GetCategory() != subsidiesv1.DisabilityCategory_DISABILITY_CATEGORY_PHYSICAL || cert.GetGrade() != 1 ||
			cert.GetStatus() != subsidiesv1.CertificateStatus_CERTIFICATE_STATUS_VALID || cert.GetHolder() != head.GetName() ||
			cert.GetPersonId() != head.GetPersonId() || cert.GetRegionCode() != village1 || cert.GetNumber() != pii.MaskIDNumber(idHead)+"41" {
			t.Fatalf("registered %v", cert)
		}
		certNoPlainNumber(t, "RegisterCertificate without a purpose", cert, idHead)

		t.Run("a retry with the same request id returns the first certificate", func(t *testing.T) {
			again, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: idHead + "41",
				IssueDate: "2020-05-01", RequestId: "reg-1"})
			if err != nil || again.GetName() != cert.GetName() {
				t.Fatalf("got %v, %v", again, err)
			}
		})
		t.Run("a second valid certificate of the person already exists", func(t *testing.T) {
			_, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: idHead + "52", IssueDate: "2021-01-01"})
			if code, info, _, _ := errorDetails(err); code != codes.AlreadyExists || info.GetReason() != "CERTIFICATE_EXISTS" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("bad numbers are refused on the field, in the body only", func(t *testing.T) {
			for _, tt := range []struct{ name, number, reason string }{
				{"grade 5", idSpouse + "45", "CERTIFICATE_GRADE_INVALID"},
				{"category 8", idSpouse + "81", "CERTIFICATE_CATEGORY_INVALID"},
				{"bad check digit", idSpouse[:17] + map[bool]string{true: "1", false: "X"}[idSpouse[17] != '1'] + "41", "CERTIFICATE_ID_NUMBER_INVALID"},
				{"wrong length", idSpouse + "4", "CERTIFICATE_NUMBER_INVALID"},
			} {
				_, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: tt.number, IssueDate: "2021-01-01"})
				code, info, br, _ := errorDetails(err)
				if code != codes.InvalidArgument || info.GetReason() != tt.reason || len(br.GetFieldViolations()) != 1 ||
					br.GetFieldViolations()[0].GetField() != "number" || strings.Contains(err.Error(), idSpouse[:17]) {
					t.Errorf("%s: got %v", tt.name, err)
				}
			}
		})
		t.Run("a person not in the register is not found", func(t *testing.T) {
			_, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: IDNumber("19700101", 999) + "41", IssueDate: "2021-01-01"})
			if code, info, _, _ := errorDetails(err); code != codes.NotFound || info.GetReason() != "REGISTER_SUBJECT_UNKNOWN" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("民政 reads masked and may not write", func(t *testing.T) {
			got, err := certs.GetCertificate(c.CivilAffairs(t), &subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			if err != nil || got.GetGrade() != 1 {
				t.Fatalf("got %v, %v", got, err)
			}
			certNoPlainNumber(t, "GetCertificate for 民政 without a purpose", got, idHead)
			_, err = certs.RegisterCertificate(c.CivilAffairs(t), &subsidiesv1.RegisterCertificateRequest{Number: idSpouse + "41", IssueDate: "2021-01-01"})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Fatalf("民政 registering: %v", err)
			}
			_, err = certs.RevokeCertificate(c.CivilAffairs(t), &subsidiesv1.RevokeCertificateRequest{Name: cert.GetName(), EffectiveDate: today, Reason: "x"})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Fatalf("民政 revoking: %v", err)
			}
		})
		t.Run("民政 stating a purpose still reads masked, audited as 残联's data read by another department", func(t *testing.T) {
			got, err := certs.GetCertificate(c.As(t, "civil_affairs", "county_admin", "", "verification"),
				&subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			certNoPlainNumber(t, "GetCertificate for 民政 with a purpose", got, idHead)
			servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
				return r.Kind == audit.KindRead && r.Method == subsidiesv1.CertificateService_GetCertificate_FullMethodName &&
					r.Department == "civil_affairs" && r.Role == "county_admin" && slices.Equal(r.PersonIDs, []string{cert.GetPersonId()})
			})
		})
		t.Run("the plain number only with a role that may and a purpose", func(t *testing.T) {
			got, err := certs.GetCertificate(c.As(t, "disabled_persons_federation", "department_staff", "", "case_handling"),
				&subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			if err != nil || got.GetNumber() != idHead+"41" {
				t.Fatalf("got %v, %v", got, err)
			}
			got, err = certs.GetCertificate(c.As(t, "disabled_persons_federation", "township_officer", "990001001", "case_handling"),
				&subsidiesv1.GetCertificateRequest{Name: cert.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			certNoPlainNumber(t, "GetCertificate for a township officer", got, idHead)
		})
		t.Run("lists keep to the caller's region", func(t *testing.T) {
			in, err := certs.ListCertificates(c.As(t, "disabled_persons_federation", "township_officer", village1[:9]),
				&subsidiesv1.ListCertificatesRequest{Filter: "status = VALID AND grade <= 2"})
			if err != nil || len(in.GetCertificates()) != 1 {
				t.Fatalf("in scope: %v, %v", in, err)
			}
			certNoPlainNumber(t, "ListCertificates", in, idHead)
			out, err := certs.ListCertificates(c.As(t, "disabled_persons_federation", "township_officer", village2[:9]),
				&subsidiesv1.ListCertificatesRequest{})
			if err != nil || len(out.GetCertificates()) != 0 {
				t.Fatalf("out of scope: %v, %v", out, err)
			}
		})

		township := c.As(t, "disabled_persons_federation", "township_officer", village1[:9])
		var care *subsidiesv1.DisabilitySubsidy
		t.Run("care subsidy: apply, township check, 残联 review, entitlement granted from the application's month", func(t *testing.T) {
			applied := bizdate.Today(time.Now().AddDate(0, 0, -40))
			app, err := subs.CreateDisabilitySubsidy(c.As(t, "disabled_persons_federation", "village_officer", village1),
				&subsidiesv1.CreateDisabilitySubsidyRequest{Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE,
					Certificate: cert.GetName(), OccurredAt: applied, BackdateReason: "纸质申请补录"})
			if err != nil {
				t.Fatal(err)
			}
			if app.GetNextStep() != "township_check" || app.GetPersonId() != head.GetPersonId() || app.GetApplicationDate() != applied {
				t.Fatalf("applied %v", app)
			}
			_, err = subs.ReviewDisabilitySubsidy(fed, &subsidiesv1.ReviewDisabilitySubsidyRequest{Name: app.GetName(), Approved: true})
			if code, info, _, _ := errorDetails(err); code != codes.FailedPrecondition || info.GetReason() != "STEP_OUT_OF_ORDER" {
				t.Fatalf("review before the check: %v", err)
			}
			checked, err := subs.CheckDisabilitySubsidy(township, &subsidiesv1.CheckDisabilitySubsidyRequest{Name: app.GetName(), Approved: true,
				Note: "初审通过"})
			if err != nil {
				t.Fatal(err)
			}
			if e := checked.GetSteps()[1].GetEligibility(); !e.GetEligible() || e.GetAmountFen() != 10000 || len(e.GetPolicyValues()) != 1 ||
				e.GetPolicyValues()[0].GetParameter() != "subsidies.care_subsidy.amounts" || e.GetPolicyValues()[0].GetHash() == "" {
				t.Fatalf("check explanation %v", e)
			}
			care, err = subs.ReviewDisabilitySubsidy(fed, &subsidiesv1.ReviewDisabilitySubsidyRequest{Name: app.GetName(), Approved: true})
			if err != nil {
				t.Fatal(err)
			}
			if care.GetOutcome() != subsidiesv1.DisabilitySubsidyOutcome_DISABILITY_SUBSIDY_OUTCOME_APPROVED ||
				care.GetState() != subsidiesv1.DisabilitySubsidyState_DISABILITY_SUBSIDY_STATE_CLOSED ||
				care.GetAmountFen() != 10000 || care.GetFromMonth() != applied[:7] || care.GetToMonth() != "" {
				t.Fatalf("reviewed %v", care)
			}
			listed, err := subs.ListDisabilitySubsidies(c.CivilAffairs(t), &subsidiesv1.ListDisabilitySubsidiesRequest{
				Filter: `kind = "care_subsidy" AND outcome = DISABILITY_SUBSIDY_OUTCOME_APPROVED`})
			if err != nil || len(listed.GetDisabilitySubsidies()) != 1 {
				t.Fatalf("listed %v, %v", listed, err)
			}
			certNoPlainNumber(t, "ListDisabilitySubsidies", listed, idHead)
		})
		t.Run("living subsidy: refused at the check without 低保, naming the rule", func(t *testing.T) {
			spouseCert, err := certs.RegisterCertificate(fed, &subsidiesv1.RegisterCertificateRequest{Number: idSpouse + "53", IssueDate: "2022-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			app, err := subs.CreateDisabilitySubsidy(fed, &subsidiesv1.CreateDisabilitySubsidyRequest{
				Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_LIVING, Certificate: spouseCert.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = subs.CheckDisabilitySubsidy(township, &subsidiesv1.CheckDisabilitySubsidyRequest{Name: app.GetName(), Approved: true})
			code, info, _, pf := errorDetails(err)
			if code != codes.FailedPrecondition || info.GetReason() != "DISABILITY_SUBSIDY_INELIGIBLE" || len(pf.GetViolations()) != 1 ||
				pf.GetViolations()[0].GetType() != "DIBAO_HOUSEHOLD" {
				t.Fatalf("got %v", err)
			}
			_, err = subs.CheckDisabilitySubsidy(c.CivilAffairs(t), &subsidiesv1.CheckDisabilitySubsidyRequest{Name: app.GetName(), Approved: true})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Fatalf("民政 checking: %v", err)
			}
		})
		t.Run("revoking the certificate ends the care subsidy with the revocation's month", func(t *testing.T) {
			revoked, err := certs.RevokeCertificate(fed, &subsidiesv1.RevokeCertificateRequest{Name: cert.GetName(), EffectiveDate: today,
				Reason: "重新评定", Etag: cert.GetEtag()})
			if err != nil || revoked.GetStatus() != subsidiesv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED || revoked.GetStatusDate() != today {
				t.Fatalf("got %v, %v", revoked, err)
			}
			got, err := subs.GetDisabilitySubsidy(fed, &subsidiesv1.GetDisabilitySubsidyRequest{Name: care.GetName()})
			if err != nil || got.GetToMonth() != month {
				t.Fatalf("got %v, %v", got, err)
			}
			_, err = certs.MoveCertificate(fed, &subsidiesv1.MoveCertificateRequest{Name: cert.GetName(), EffectiveDate: today, Destination: "外县"})
			if code, info, _, pf := errorDetails(err); code != codes.FailedPrecondition || info.GetReason() != "CERTIFICATE_NOT_VALID" ||
				pf.GetViolations()[0].GetType() != "CERTIFICATE_STATUS" {
				t.Fatalf("moving a revoked certificate: %v", err)
			}
		})
	})
}
