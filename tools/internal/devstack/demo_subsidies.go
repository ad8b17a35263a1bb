package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/discovery"
	"fupin.dev/services/subsidies"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// The demo's size and wording. Every mutation carries a request_id derived from the record it acts on, so
// a seed interrupted half-way and run again returns the first results instead of acting twice.
const (
	demoDibaoCases      = 12
	demoCertificates    = 5
	demoBackdateReason  = "演示数据补录"
	demoCallTimeout     = 30 * time.Second
	demoTokenTTL        = time.Hour
	demoRequestIDPrefix = "demo-"
)

// demoSubsidies seeds the subsidies service of a fresh demo county through its gRPC API, as 民政 and 残联
// staff would: 低保 cases walked from the application to the county's decision, disability certificates
// with approved care subsidies, and this month's draft rolls of both programs.
type demoSubsidies struct {
	log   *slog.Logger
	now   time.Time
	today string

	households identificationv1.HouseholdServiceClient
	dibao      subsidiesv1.DibaoServiceClient
	certs      subsidiesv1.CertificateServiceClient
	care       subsidiesv1.DisabilitySubsidyServiceClient
	rolls      subsidiesv1.PaymentRollServiceClient

	token func(sub, dept, role, region string) (string, error)
}

// seedDemoSubsidies runs the demo seed when the subsidies service holds no 低保 case yet. It never fails the
// stack: a refused step is logged and the seed goes on with the next household.
func (s *Stack) seedDemoSubsidies(ctx context.Context, logger *slog.Logger) {
	logger = logger.With("component", "demo-subsidies")
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	idConn, err := discovery.Dial(s.Etcd, identification.Name, opts...)
	if err != nil {
		logger.Warn("demo subsidies not seeded", "err", err)
		return
	}
	defer idConn.Close()
	subConn, err := discovery.Dial(s.Etcd, subsidies.Name, opts...)
	if err != nil {
		logger.Warn("demo subsidies not seeded", "err", err)
		return
	}
	defer subConn.Close()
	now := time.Now()
	d := &demoSubsidies{log: logger, now: now, today: bizdate.Today(now),
		households: identificationv1.NewHouseholdServiceClient(idConn),
		dibao:      subsidiesv1.NewDibaoServiceClient(subConn),
		certs:      subsidiesv1.NewCertificateServiceClient(subConn),
		care:       subsidiesv1.NewDisabilitySubsidyServiceClient(subConn),
		rolls:      subsidiesv1.NewPaymentRollServiceClient(subConn),
		token: func(sub, dept, role, region string) (string, error) {
			return s.Token(sub, dept, role, region, demoTokenTTL)
		},
	}
	d.run(ctx)
}

func (d *demoSubsidies) run(ctx context.Context) {
	start := time.Now()
	civilAdmin, err := d.as(ctx, "civil_affairs", "county_admin", "")
	if err != nil {
		d.log.Warn("demo subsidies not seeded", "err", err)
		return
	}
	existing, err := call(civilAdmin, d.dibao.ListDibaoCases, &subsidiesv1.ListDibaoCasesRequest{PageSize: 1})
	if err != nil {
		d.log.Warn("demo subsidies not seeded: cannot list 低保 cases", "err", err)
		return
	}
	if len(existing.GetDibaoCases()) > 0 {
		d.log.Debug("subsidies already holds data; no demo seeded")
		return
	}
	dibaoHouseholds, cases := d.seedDibao(ctx)
	certs, subs := d.seedCareSubsidies(ctx, dibaoHouseholds)
	var rolls []string
	for _, r := range []struct {
		dept    string
		program payrollv1.Program
	}{{"civil_affairs", payrollv1.Program_PROGRAM_DIBAO}, {"disabled_persons_federation", payrollv1.Program_PROGRAM_CARE_SUBSIDY}} {
		if ctx.Err() != nil {
			return
		}
		month := d.today[:7]
		staff, err := d.as(ctx, r.dept, "department_staff", "")
		if err == nil {
			var roll *payrollv1.Roll
			roll, err = call(staff, d.rolls.ComputeRoll, &subsidiesv1.ComputeRollRequest{Program: r.program, Month: month,
				RequestId: demoRequestIDPrefix + "roll-" + strings.ToLower(strings.TrimPrefix(r.program.String(), "PROGRAM_")) + "-" + month})
			if err == nil {
				rolls = append(rolls, fmt.Sprintf("%s (%d lines)", roll.GetName(), roll.GetTotals().GetLineCount()))
			}
		}
		if err != nil {
			d.log.Warn("demo roll not computed", "program", r.program, "month", month, "err", err)
		}
	}
	d.log.Info("demo subsidies seeded through the API", "dibao_cases_approved", cases, "certificates", certs,
		"care_subsidies_approved", subs, "draft_rolls", strings.Join(rolls, ", "), "took", time.Since(start).Round(time.Millisecond))
}

// seedDibao walks poor demo households through a 低保 case each, back-dated so the 7-day posting has run:
// application ~60 days ago, survey, village review, posting ~40 days ago, completion ~30, township review
// ~28, the county's approval ~25. It returns the households it used and how many cases were approved.
func (d *demoSubsidies) seedDibao(ctx context.Context) (map[string]bool, int) {
	used := map[string]bool{}
	civil, err := d.as(ctx, "civil_affairs", "department_staff", "")
	if err != nil {
		d.log.Warn("demo 低保 cases not seeded", "err", err)
		return used, 0
	}
	civilAdmin, err := d.as(ctx, "civil_affairs", "county_admin", "")
	if err != nil {
		d.log.Warn("demo 低保 cases not seeded", "err", err)
		return used, 0
	}
	list, err := call(civil, d.households.ListHouseholds, &identificationv1.ListHouseholdsRequest{PageSize: 4 * demoDibaoCases,
		Filter: "registry_status = REGISTRY_STATUS_POOR"})
	if err != nil {
		d.log.Warn("demo 低保 cases not seeded: cannot list poor households", "err", err)
		return used, 0
	}
	approved := 0
	for i, h := range list.GetHouseholds() {
		if approved == demoDibaoCases || ctx.Err() != nil {
			break
		}
		if h.GetState() != identificationv1.HouseholdState_HOUSEHOLD_STATE_ACTIVE {
			continue
		}
		used[h.GetName()] = true
		if err := d.walkDibaoCase(civil, civilAdmin, h, i); err != nil {
			d.log.Warn("demo 低保 case not completed", "household", h.GetName(), "err", err)
			continue
		}
		approved++
	}
	return used, approved
}

func (d *demoSubsidies) walkDibaoCase(civil, civilAdmin context.Context, h *identificationv1.Household, i int) error {
	id := strings.TrimPrefix(h.GetName(), "households/")
	rid := func(step string) string { return demoRequestIDPrefix + "dibao-" + id + "-" + step }
	step := func(daysAgo int, note string) *subsidiesv1.ReliefStepDetails {
		return &subsidiesv1.ReliefStepDetails{OccurredAt: d.daysAgo(daysAgo), BackdateReason: demoBackdateReason, Note: note}
	}
	k, err := call(civil, d.dibao.CreateDibaoCase, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName(),
		Details: step(60-i%3, "户主书面申请低保"), RequestId: rid("application")})
	if err != nil {
		return fmt.Errorf("application: %w", err)
	}
	name := k.GetName()
	// Yearly net income that leaves each person 175 to 325 元 a month, under the rural standard (600 元).
	size := int64(max(h.GetSize(), 1))
	income := &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_Items{Items: &subsidiesv1.DibaoIncomeItems{
		Items: []*subsidiesv1.DibaoIncomeItem{
			{Description: "外出务工", AmountFen: size * (150_000 + int64(i%4)*60_000), Months: 12},
			{Description: "种植养殖净收入", AmountFen: size * 60_000, Months: 12},
		}}}}
	if _, err := call(civil, d.dibao.RecordDibaoSurvey, &subsidiesv1.RecordDibaoSurveyRequest{Name: name,
		Team: []string{"民政干事", "村委委员"}, Income: income, Details: step(55, "入户调查"), RequestId: rid("survey")}); err != nil {
		return fmt.Errorf("survey: %w", err)
	}
	if _, err := call(civil, d.dibao.RecordDibaoVillageReview, &subsidiesv1.RecordDibaoVillageReviewRequest{Name: name,
		RegisteredRepresentatives: 30, Present: 24, VotesFor: 20, Details: step(45, "村民代表民主评议"), RequestId: rid("village-review")}); err != nil {
		return fmt.Errorf("village review: %w", err)
	}
	if _, err := call(civil, d.dibao.StartDibaoPosting, &subsidiesv1.StartDibaoPostingRequest{Name: name,
		Details: step(40, "村务公开栏公示"), RequestId: rid("posting")}); err != nil {
		return fmt.Errorf("posting: %w", err)
	}
	if _, err := call(civil, d.dibao.CompleteDibaoPosting, &subsidiesv1.CompleteDibaoPostingRequest{Name: name,
		Details: step(30, "公示期满无异议"), RequestId: rid("posting-complete")}); err != nil {
		return fmt.Errorf("posting completion: %w", err)
	}
	if _, err := call(civil, d.dibao.RecordDibaoTownshipReview, &subsidiesv1.RecordDibaoTownshipReviewRequest{Name: name,
		Approved: true, Details: step(28, "乡镇审核同意"), RequestId: rid("township-review")}); err != nil {
		return fmt.Errorf("township review: %w", err)
	}
	if _, err := call(civilAdmin, d.dibao.DecideDibaoCase, &subsidiesv1.DecideDibaoCaseRequest{Name: name,
		Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED, Details: step(25, "县级审批同意"),
		RequestId: rid("decision")}); err != nil {
		return fmt.Errorf("county decision: %w", err)
	}
	return nil
}

// seedCareSubsidies registers disability certificates for adult members of demo households without a
// 低保 case (members the register lists as disabled first), and takes a care subsidy (重度残疾人护理补贴)
// of each through the township's check and 残联's review. It returns how many certificates were registered
// and how many subsidies approved.
func (d *demoSubsidies) seedCareSubsidies(ctx context.Context, skip map[string]bool) (int, int) {
	staff, err := d.as(ctx, "disabled_persons_federation", "department_staff", "")
	if err == nil {
		var list *identificationv1.ListHouseholdsResponse
		list, err = call(staff, d.households.ListHouseholds, &identificationv1.ListHouseholdsRequest{PageSize: 500,
			Filter: "state = HOUSEHOLD_STATE_ACTIVE"})
		if err == nil {
			return d.certifyMembers(ctx, staff, pickCertificateHolders(list.GetHouseholds(), skip, d.daysAgo(400)))
		}
	}
	d.log.Warn("demo certificates not seeded", "err", err)
	return 0, 0
}

type demoHolder struct {
	household *identificationv1.Household
	personID  string
}

// pickCertificateHolders picks one adult current member, born before issued, per household not in skip:
// disabled members first, then anyone, until there are enough.
func pickCertificateHolders(hs []*identificationv1.Household, skip map[string]bool, issued string) []demoHolder {
	var out []demoHolder
	taken := map[string]bool{}
	for _, disabledOnly := range []bool{true, false} {
		for _, h := range hs {
			if len(out) == demoCertificates {
				return out
			}
			if skip[h.GetName()] || taken[h.GetName()] || h.GetState() != identificationv1.HouseholdState_HOUSEHOLD_STATE_ACTIVE {
				continue
			}
			for _, m := range h.GetMembers() {
				if m.GetState() != identificationv1.MemberState_MEMBER_STATE_ACTIVE || m.GetBirthYear() == 0 ||
					int(m.GetBirthYear()) > adultBornIn(issued) || (disabledOnly && m.GetHealth() != identificationv1.Health_HEALTH_DISABLED) {
					continue
				}
				out = append(out, demoHolder{household: h, personID: m.GetPersonId()})
				taken[h.GetName()] = true
				break
			}
		}
	}
	return out
}

// adultBornIn is the latest birth year of a person surely 18 years old on date (YYYY-MM-DD): the list is
// read without plain access, so it shows birth years, not dates (pii.ViewPerson).
func adultBornIn(date string) int {
	t, err := bizdate.Parse(date)
	if err != nil {
		return 0
	}
	return t.Year() - 19
}

func (d *demoSubsidies) certifyMembers(ctx context.Context, staff context.Context, holders []demoHolder) (int, int) {
	admin, err := d.as(ctx, "disabled_persons_federation", "county_admin", "")
	if err != nil {
		d.log.Warn("demo certificates not seeded", "err", err)
		return 0, 0
	}
	// The certificate number embeds the holder's 身份证号. In the county the holder shows it to 残联; the
	// demo reads it from the register as the register's own staff (乡村振兴局) with a stated purpose, since
	// no person of another department ever reads plain numbers there. The read is audited like any other.
	register, err := d.as(ctx, "rural_revitalization", "department_staff", "")
	if err != nil {
		d.log.Warn("demo certificates not seeded", "err", err)
		return 0, 0
	}
	plain := metadata.AppendToOutgoingContext(register, auth.PurposeHeader, auth.PurposeCode(commonv1.Purpose_PURPOSE_CASE_HANDLING))
	categories := []int{4, 1, 5, 2, 6, 3, 7}
	certs, approved := 0, 0
	for i, holder := range holders {
		if ctx.Err() != nil {
			break
		}
		h, err := call(plain, d.households.GetHousehold, &identificationv1.GetHouseholdRequest{Name: holder.household.GetName()})
		if err != nil {
			d.log.Warn("demo certificate not registered", "household", holder.household.GetName(), "err", err)
			continue
		}
		var idNumber string
		for _, m := range h.GetMembers() {
			if m.GetPersonId() == holder.personID {
				idNumber = m.GetIdNumber()
			}
		}
		number := fmt.Sprintf("%s%d%d", idNumber, categories[i%len(categories)], 1+i%2)
		cert, err := call(staff, d.certs.RegisterCertificate, &subsidiesv1.RegisterCertificateRequest{Number: number,
			IssueDate: d.daysAgo(400 + 30*i), RequestId: demoRequestIDPrefix + "certificate-" + holder.personID})
		if err != nil {
			d.log.Warn("demo certificate not registered", "household", h.GetName(), "err", err)
			continue
		}
		certs++
		if err := d.walkCareSubsidy(ctx, staff, admin, cert, h.GetRegionCode()); err != nil {
			d.log.Warn("demo care subsidy not approved", "certificate", cert.GetName(), "err", err)
			continue
		}
		approved++
	}
	return certs, approved
}

// walkCareSubsidy applies for the care subsidy ~20 days ago, has the 残联 officer of the holder's township
// check it ~15 days ago and a 残联 county administrator approve it ~10 days ago.
func (d *demoSubsidies) walkCareSubsidy(ctx, staff, admin context.Context, cert *subsidiesv1.Certificate, region string) error {
	if len(region) < 9 {
		return fmt.Errorf("household region %q has no township", region)
	}
	township, err := d.as(ctx, "disabled_persons_federation", "township_officer", region[:9])
	if err != nil {
		return err
	}
	rid := func(step string) string {
		return demoRequestIDPrefix + "care-" + strings.TrimPrefix(cert.GetName(), "certificates/") + "-" + step
	}
	sub, err := call(staff, d.care.CreateDisabilitySubsidy, &subsidiesv1.CreateDisabilitySubsidyRequest{
		Kind: subsidiesv1.DisabilitySubsidyKind_DISABILITY_SUBSIDY_KIND_CARE, Certificate: cert.GetName(),
		OccurredAt: d.daysAgo(20), BackdateReason: demoBackdateReason, Note: "本人申请重度残疾人护理补贴", RequestId: rid("application")})
	if err != nil {
		return fmt.Errorf("application: %w", err)
	}
	if _, err := call(township, d.care.CheckDisabilitySubsidy, &subsidiesv1.CheckDisabilitySubsidyRequest{Name: sub.GetName(),
		Approved: true, OccurredAt: d.daysAgo(15), BackdateReason: demoBackdateReason, Note: "乡镇初审同意",
		RequestId: rid("check")}); err != nil {
		return fmt.Errorf("township check: %w", err)
	}
	sub, err = call(admin, d.care.ReviewDisabilitySubsidy, &subsidiesv1.ReviewDisabilitySubsidyRequest{Name: sub.GetName(),
		Approved: true, OccurredAt: d.daysAgo(10), BackdateReason: demoBackdateReason, Note: "残联审核同意", RequestId: rid("review")})
	if err != nil {
		return fmt.Errorf("review: %w", err)
	}
	if sub.GetOutcome() != subsidiesv1.DisabilitySubsidyOutcome_DISABILITY_SUBSIDY_OUTCOME_APPROVED {
		return errors.New("review did not approve: " + sub.GetOutcome().String())
	}
	return nil
}

// as returns ctx carrying a token of a demo member of staff (subject dev:demo-<dept>-<role>).
func (d *demoSubsidies) as(ctx context.Context, dept, role, region string) (context.Context, error) {
	tok, err := d.token("dev:demo-"+strings.ReplaceAll(dept, "_", "-")+"-"+strings.ReplaceAll(role, "_", "-"), dept, role, region)
	if err != nil {
		return nil, err
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok), nil
}

// daysAgo is the business date n days before today.
func (d *demoSubsidies) daysAgo(n int) string { return bizdate.Today(d.now.AddDate(0, 0, -n)) }

// call makes one call with a deadline, waiting for the service to be resolved through etcd.
func call[Req, Resp any](ctx context.Context, fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, error) {
	ctx, cancel := context.WithTimeout(ctx, demoCallTimeout)
	defer cancel()
	return fn(ctx, req, grpc.WaitForReady(true))
}
