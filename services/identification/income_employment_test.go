package identification_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// TestIncomeAssessmentCountsEmploymentWages runs identification with the real employment service (人社)
// configured: an assessment made while employment is down fails UNAVAILABLE naming it; once it runs, a
// member's wage recorded through employment's API is counted with source 人社, and the survey's wage figure
// of the same member and month is kept on the lines, superseded.
func TestIncomeAssessmentCountsEmploymentWages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		cli := servicetest.Etcd(t, "../../deploy")
		keys := servicetest.NewKeys()
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		base := func(dbURL string) boot.Config {
			return boot.Config{DatabaseURL: dbURL, Etcd: cli, Verifier: keys.Verifier(), PIIKey: keys.PII, Logger: logger}
		}
		idCfg := identification.Config{Config: base(sqldbtest.URL(t, d)), RegionsFile: "../../deploy/regions/demo-county.json",
			EmploymentService: employment.Name}
		idCfg.ServiceKey = keys.Service(identification.Name, identification.Department)
		servicetest.Run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
			cfg := idCfg
			cfg.Ready = ready
			return identification.Run(ctx, cfg)
		})
		conn := servicetest.Dial(t, cli, identification.Name)
		admin := keys.As(t, t.Context(), "rural_revitalization", "county_admin", "")
		households := identificationv1.NewHouseholdServiceClient(conn)
		income := identificationv1.NewIncomeServiceClient(conn)
		h, err := households.CreateHousehold(admin, &identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
			RegionCode: "990001001001", Address: "一组", RegistrationDate: "2020-01-01", RegistrationBackdateReason: "纸质台账迁入",
			Members: []*identificationv1.Member{
				{FullName: "孙工", IdNumber: idNumber("19850304", 601), RelationToHead: identificationv1.Relation_RELATION_HEAD},
				{FullName: "孙妻", IdNumber: idNumber("19870506", 602), RelationToHead: identificationv1.Relation_RELATION_SPOUSE},
			}}})
		if err != nil {
			t.Fatal(err)
		}
		worker, spouse := h.GetMembers()[0].GetPersonId(), h.GetMembers()[1].GetPersonId()
		if _, err := households.SetRegistryStatus(admin, &identificationv1.SetRegistryStatusRequest{Name: h.GetName(),
			RegistryStatus: identificationv1.RegistryStatus_REGISTRY_STATUS_POOR, EffectiveDate: bizdate.Today(time.Now()), Reason: "县定"}); err != nil {
			t.Fatal(err)
		}
		month := bizdate.Today(time.Now())[:7]
		year := int32(time.Now().Year())
		item := func(person string, fen int64) *identificationv1.IncomeItem {
			return &identificationv1.IncomeItem{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_WAGES,
				Source: identificationv1.IncomeSource_INCOME_SOURCE_SURVEY, Period: month, AmountFen: fen, PersonId: person,
				Description: "外出务工"}
		}
		if _, err := income.BatchCreateIncomeItems(admin, &identificationv1.BatchCreateIncomeItemsRequest{Parent: h.GetName(),
			Items: []*identificationv1.IncomeItem{item(worker, 300_000), item(spouse, 100_000), item("", 50_000)}}); err == nil {
			// Recording items publishes a monitoring assessment, which needs employment: refused while it is down.
			t.Fatal("items recorded and assessed while employment is down")
		} else if code, info, _, _ := servicetest.Details(err); code != codes.Unavailable || info.GetReason() != "EMPLOYMENT_UNAVAILABLE" {
			t.Fatalf("while employment is down: %v", err)
		}
		assess := func(t *testing.T) (*identificationv1.IncomeAssessment, error) {
			return income.GetIncomeAssessment(admin, &identificationv1.GetIncomeAssessmentRequest{Household: h.GetName(),
				Window: &identificationv1.GetIncomeAssessmentRequest_Year{Year: year}})
		}
		t.Run("employment configured but down: the assessment fails UNAVAILABLE naming it", func(t *testing.T) {
			_, err := assess(t)
			code, info, _, _ := servicetest.Details(err)
			if code != codes.Unavailable || info.GetReason() != "EMPLOYMENT_UNAVAILABLE" {
				t.Fatalf("got %v", err)
			}
		})

		empCfg := employment.Config{Config: base(sqldbtest.URL(t, d))}
		empCfg.ServiceKey = keys.Service(employment.Name, employment.Department)
		servicetest.Run(t, employment.Name, func(ctx context.Context, ready func(string)) error {
			cfg := empCfg
			cfg.Ready = ready
			return employment.Run(ctx, cfg)
		})
		empConn := servicetest.Dial(t, cli, employment.Name)
		hr := keys.As(t, t.Context(), "human_resources", "county_admin", "")
		ledger := employmentv1.NewLabourLedgerServiceClient(empConn)
		// The labour ledger follows the register: the worker's record appears once it has caught up.
		for deadline := time.Now().Add(30 * time.Second); ; {
			_, err := ledger.GetLabourer(hr, &employmentv1.GetLabourerRequest{Name: "labourers/" + worker})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the worker never reached the labour ledger: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := income.BatchCreateIncomeItems(admin, &identificationv1.BatchCreateIncomeItemsRequest{Parent: h.GetName(),
			Items: []*identificationv1.IncomeItem{item(worker, 300_000), item(spouse, 100_000), item("", 50_000)}}); err != nil {
			t.Fatal(err)
		}
		t.Run("employment running, no wage recorded there: the survey's figures stand", func(t *testing.T) {
			a, err := assess(t)
			if err != nil {
				t.Fatal(err)
			}
			if a.GetEmploymentFacts() != identificationv1.EmploymentFactsState_EMPLOYMENT_FACTS_STATE_COUNTED || a.GetWagesFen() != 450_000 ||
				len(a.GetLines()) != 2 {
				t.Fatalf("assessment %v", a)
			}
			for _, l := range a.GetLines() {
				if l.GetSuperseded() || l.GetSource() != identificationv1.IncomeLineSource_INCOME_LINE_SOURCE_RECORDED ||
					l.GetItemSource() != identificationv1.IncomeSource_INCOME_SOURCE_SURVEY {
					t.Errorf("line %v", l)
				}
			}
		})
		t.Run("a wage recorded by 人社 replaces the survey's for the same member and month, kept superseded", func(t *testing.T) {
			recordWage(t, empConn, hr, worker, month, 420_000)
			a, err := assess(t)
			if err != nil {
				t.Fatal(err)
			}
			// 420,000 (人社, the worker) + 100,000 (survey, the spouse) + 50,000 (survey, the household).
			if a.GetWagesFen() != 570_000 || a.GetEmploymentAsOf() == nil {
				t.Fatalf("assessment %v", a)
			}
			var got []string
			for _, l := range a.GetLines() {
				who := "spouse"
				if l.GetPersonId() == worker {
					who = "worker"
				}
				got = append(got, who+" "+l.GetSource().String()+" "+map[bool]string{true: "superseded", false: "counted"}[l.GetSuperseded()])
				if l.GetMonth() != month {
					t.Errorf("line %v", l)
				}
			}
			want := []string{"worker INCOME_LINE_SOURCE_RECORDED superseded", "worker INCOME_LINE_SOURCE_HUMAN_RESOURCES counted",
				"spouse INCOME_LINE_SOURCE_RECORDED counted"}
			if worker > spouse {
				want = []string{want[2], want[0], want[1]}
			}
			if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Errorf("lines %v, want %v", got, want)
			}
		})
	})
}

// recordWage records, through employment's API as 人社 staff, a working spell of the person for one month
// with its monthly wage.
func recordWage(t *testing.T, conn *grpc.ClientConn, hr context.Context, person, month string, fen int64) {
	t.Helper()
	_, err := employmentv1.NewLabourLedgerServiceClient(conn).CreateEmploymentSpell(hr, &employmentv1.CreateEmploymentSpellRequest{
		Parent: "labourers/" + person, Spell: &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_OUT_OF_PROVINCE,
			Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, Employer: "某电子厂", Place: "44", MonthlyIncomeFen: fen,
			FromMonth: month, ToMonth: month}})
	if err != nil {
		t.Fatal(err)
	}
}
