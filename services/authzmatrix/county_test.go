package authzmatrix_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies"
	"google.golang.org/grpc"
)

// Regions of the demo county (deploy/regions/demo-county.json) the matrix uses: every fixture lies in
// ownVillage of ownTownship; a second household lies in otherVillage of otherTownship, so a list that
// ignores the caller's scope shows it.
const (
	ownTownship   = "990001002"
	ownVillage    = "990001002003"
	otherTownship = "990001001"
	otherVillage  = "990001001001"
)

// county is the started services: one connection per proto package's service ("identification",
// "subsidies", "employment"); fupin.common.v1 services are served by every one.
type county struct {
	keys  servicetest.Keys
	conns map[string]*grpc.ClientConn
}

// startCounty starts etcd with the default policy and every fupin service on SQLite, as `fupin dev` does.
// A new service process joins here.
func startCounty(t *testing.T) *county {
	t.Helper()
	cli := servicetest.Etcd(t, "../../deploy")
	keys := servicetest.NewKeys()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	base := func(name string, dept commonv1.Department, ready func(string)) boot.Config {
		return boot.Config{DatabaseURL: sqldbtest.URL(t, sqldb.SQLite), Etcd: cli, Verifier: keys.Verifier(), PIIKey: keys.PII,
			ServiceKey: keys.Service(name, dept), Logger: logger, Ready: ready}
	}
	servicetest.Run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
		return identification.Run(ctx, identification.Config{Config: base(identification.Name, identification.Department, ready), RegionsFile: "../../deploy/regions/demo-county.json"})
	})
	servicetest.Run(t, subsidies.Name, func(ctx context.Context, ready func(string)) error {
		return subsidies.Run(ctx, subsidies.Config{Config: base(subsidies.Name, subsidies.Department, ready)})
	})
	servicetest.Run(t, employment.Name, func(ctx context.Context, ready func(string)) error {
		return employment.Run(ctx, employment.Config{Config: base(employment.Name, employment.Department, ready)})
	})
	return &county{keys: keys, conns: map[string]*grpc.ClientConn{
		identification.Name: servicetest.Dial(t, cli, identification.Name),
		subsidies.Name:      servicetest.Dial(t, cli, subsidies.Name),
		employment.Name:     servicetest.Dial(t, cli, employment.Name),
	}}
}

// fixtures are records made through the APIs by the officials who make them, named as requests name
// them ("households/…"): requests fill their name and parent fields from here.
type fixtures struct {
	// names in ownVillage, most specific first; a pattern takes the first that matches.
	names []string
	// inScope are those that lie in ownVillage: a caller whose scope does not cover it never reads them.
	inScope map[string]bool
	// idNumber is the 身份证号 of the ownVillage household's head, for lookups.
	idNumber string
}

// makeFixtures registers, in ownVillage, a household with a helper, an identification case, a
// monitoring clue, a disability certificate with a care subsidy, 低保, 特困 and 临时救助 cases, this month's
// care-subsidy roll and a 两线合一 comparison; and a household with a certificate and a 低保 case in
// otherVillage. Kinds no API makes in one call (risk removals, coverages, eligibility checks) get names
// of records that do not exist: their methods still show who is denied.
func makeFixtures(t *testing.T, c *county) *fixtures {
	t.Helper()
	ctx := t.Context()
	as := func(dept, role string) context.Context {
		return c.keys.AsCaller(t, ctx, servicetest.Caller{Subject: "matrix:fixtures-" + dept + "-" + role, Department: dept, Role: role})
	}
	register, federation, civil := as("rural_revitalization", "county_admin"), as("disabled_persons_federation", "department_staff"),
		as("civil_affairs", "department_staff")
	households := identificationv1.NewHouseholdServiceClient(c.conns[identification.Name])
	today := bizdate.Today(time.Now())
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture %s: %v", what, err)
		}
	}
	idNumber := func(seq int) string {
		first17 := "990001" + "19500101" + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
		return first17 + string(pii.IDCheckChar(first17))
	}
	household := func(village string, seq int) *identificationv1.Household {
		h, err := households.CreateHousehold(register, &identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
			RegionCode: village, Address: "一组", Members: []*identificationv1.Member{
				{FullName: "王大山", IdNumber: idNumber(seq), RelationToHead: identificationv1.Relation_RELATION_HEAD},
				{FullName: "李秀英", IdNumber: idNumber(seq + 1), RelationToHead: identificationv1.Relation_RELATION_SPOUSE}}}})
		must("household", err)
		return h
	}
	certs := subsidiesv1.NewCertificateServiceClient(c.conns[subsidies.Name])
	certificate := func(seq int) *subsidiesv1.Certificate {
		cert, err := certs.RegisterCertificate(federation, &subsidiesv1.RegisterCertificateRequest{Number: idNumber(seq) + "41", IssueDate: "2020-05-10"})
		must("certificate", err)
		return cert
	}
	dibao := subsidiesv1.NewDibaoServiceClient(c.conns[subsidies.Name])
	dibaoCase := func(h *identificationv1.Household) *subsidiesv1.DibaoCase {
		k, err := dibao.CreateDibaoCase(civil, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName()})
		must("低保 case", err)
		return k
	}

	h := household(ownVillage, 10)
	other := household(otherVillage, 20)
	certificate(20)
	dibaoCase(other)

	helper, err := identificationv1.NewVisitServiceClient(c.conns[identification.Name]).CreateHelper(register, &identificationv1.CreateHelperRequest{
		Parent: h.GetName(), Helper: &identificationv1.Helper{FullName: "赵干部", Phone: "13800138000", StartDate: today, Primary: true}})
	must("helper", err)
	idCase, err := identificationv1.NewCaseServiceClient(c.conns[identification.Name]).CreateCase(as("rural_revitalization", "department_staff"), &identificationv1.CreateCaseRequest{
		Kind: "identification", Household: h.GetName(), Year: int32(time.Now().Year())})
	must("identification case", err)
	// The case's posting is public (公示): its notice, and an objection received online against it.
	cases := identificationv1.NewCaseServiceClient(c.conns[identification.Name])
	staff := as("rural_revitalization", "department_staff")
	income := int64(250000)
	_, err = cases.RecordSurvey(staff, &identificationv1.RecordSurveyRequest{Name: idCase.GetName(), Team: []string{"张三", "李四"},
		Facts: &identificationv1.RecordSurveyRequest_HouseholdSurvey{HouseholdSurvey: &identificationv1.HouseholdSurvey{PerCapitaIncomeFen: &income,
			HouseSafetyGrade: identificationv1.HouseSafetyGrade_HOUSE_SAFETY_GRADE_B, SafeDrinkingWater: true,
			SchoolDropout: identificationv1.SchoolDropout_SCHOOL_DROPOUT_NONE, HouseholdLabour: identificationv1.HouseholdLabour_HOUSEHOLD_LABOUR_ABLE}}})
	must("survey", err)
	_, err = cases.RecordVillageReview(staff, &identificationv1.RecordVillageReviewRequest{Name: idCase.GetName(), RegisteredRepresentatives: 30,
		Present: 20, VotesFor: 11})
	must("village review", err)
	_, err = cases.StartPosting(staff, &identificationv1.StartPostingRequest{Name: idCase.GetName()})
	must("posting", err)
	public := commonv1.NewPublicNoticeServiceClient(c.conns[identification.Name])
	notices, err := public.ListNotices(t.Context(), &commonv1.ListNoticesRequest{RegionCode: ownVillage})
	must("notices", err)
	notice := notices.GetNotices()[0].GetName()
	challenge, err := public.GetObjectionChallenge(t.Context(), &commonv1.GetObjectionChallengeRequest{Notice: notice})
	must("challenge", err)
	var a, b int
	_, _ = fmt.Sscanf(challenge.GetQuestion(), "%d + %d = ?", &a, &b)
	receipt, err := public.SubmitObjection(t.Context(), &commonv1.SubmitObjectionRequest{Notice: notice, ObjectorName: "孙异议", Phone: "13700137000",
		Content: "异议", ChallengeToken: challenge.GetToken(), ChallengeAnswer: fmt.Sprint(a + b)})
	must("objection", err)
	objection := "receivedObjections/" + strings.ReplaceAll(receipt.GetTrackingNumber(), "-", "")

	clue, err := identificationv1.NewMonitoringServiceClient(c.conns[identification.Name]).CreateClue(register, &identificationv1.CreateClueRequest{
		Clue: &identificationv1.Clue{Household: h.GetName(), Source: identificationv1.ClueSource_CLUE_SOURCE_CADRE_SCREENING,
			Kind: identificationv1.ClueKind_CLUE_KIND_INCOME_IN_RANGE, Facts: "收入下降"}})
	must("clue", err)
	cert := certificate(10)
	care, err := subsidiesv1.NewDisabilitySubsidyServiceClient(c.conns[subsidies.Name]).CreateDisabilitySubsidy(federation,
		&subsidiesv1.CreateDisabilitySubsidyRequest{Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE, Certificate: cert.GetName()})
	must("care subsidy", err)
	dk := dibaoCase(h)
	destitute, err := subsidiesv1.NewDestituteServiceClient(c.conns[subsidies.Name]).CreateDestituteCase(civil,
		&subsidiesv1.CreateDestituteCaseRequest{Person: h.GetMembers()[0].GetName()})
	must("特困 case", err)
	temporary, err := subsidiesv1.NewTemporaryAssistanceServiceClient(c.conns[subsidies.Name]).CreateTemporaryAssistance(civil,
		&subsidiesv1.CreateTemporaryAssistanceRequest{TemporaryAssistance: &subsidiesv1.TemporaryAssistance{Household: h.GetName(),
			Kind: subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_EMERGENCY, AmountFen: 100000, Reason: "火灾"}})
	must("临时救助", err)
	roll, err := subsidiesv1.NewPaymentRollServiceClient(c.conns[subsidies.Name]).ComputeRoll(federation,
		&subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_CARE_SUBSIDY, Month: today[:7]})
	must("roll", err)
	comparison, err := subsidiesv1.NewComparisonServiceClient(c.conns[subsidies.Name]).RunComparison(as("civil_affairs", "county_admin"),
		&subsidiesv1.RunComparisonRequest{})
	must("comparison", err)

	scoped := []string{
		h.GetMembers()[0].GetName(), helper.GetName(), h.GetName() + "/riskRemovals/none", h.GetName() + "/trail", h.GetName(),
		idCase.GetName(), objection, clue.GetName(), cert.GetName(), care.GetName(), dk.GetName(), destitute.GetName(), temporary.GetName(),
	}
	f := &fixtures{inScope: map[string]bool{}, idNumber: idNumber(10)}
	for _, n := range scoped {
		f.inScope[n] = true
	}
	// The policy parameter comes before the village code: a parameter's pattern admits digits too.
	f.names = append(scoped, "regions/"+ownVillage+"/statistics", "regions/"+ownVillage,
		"identification.poverty_line_fen_per_year", ownVillage,
		"dibaoCoverages/none", "eligibilityChecks/none", comparison.GetName(), roll.GetName(), notice)
	return f
}

// departments are those a caller may belong to, in enum order.
func departments() []commonv1.Department {
	var out []commonv1.Department
	for v := range len(commonv1.Department_name) {
		if d := commonv1.Department(v); d != commonv1.Department_DEPARTMENT_UNSPECIFIED {
			out = append(out, d)
		}
	}
	return out
}
