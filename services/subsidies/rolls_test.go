package subsidies_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/election"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// rollClock is the county's clock in these tests: a fixed instant that a test moves.
type rollClock struct{ us atomic.Int64 }

func (c *rollClock) Now() time.Time  { return time.UnixMicro(c.us.Load()) }
func (c *rollClock) Set(t time.Time) { c.us.Store(t.UnixMicro()) }
func (c *rollClock) Month(n int) string {
	return domain.AddMonths(domain.MonthOf(bizdate.Today(c.Now())), n)
}

// newRollClock stands on a day of the current month at 10:00 in the county: before the default compute
// day (20) the schedule leaves the rolls to the test; from it on, the leader computes them.
func newRollClock(day int) *rollClock {
	now := time.Now().In(bizdate.Location)
	c := &rollClock{}
	c.Set(time.Date(now.Year(), now.Month(), day, 10, 0, 0, 0, bizdate.Location))
	return c
}

// rollDB writes entitlements straight into the county's subsidies database, as the programs' decisions
// do: the roll reads nothing else.
type rollDB struct {
	st  *store.Store
	now func() time.Time
}

func openRollDB(t *testing.T, c *county, now func() time.Time) *rollDB {
	t.Helper()
	db, err := sqldb.Open(t.Context(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rollDB{st: store.New(db, outbox.New(db, nil)), now: now}
}

// grant grants a monthly entitlement of program to a household (person "" for 低保) and returns its id.
func (r *rollDB) grant(t *testing.T, program domain.Program, h *identificationv1.Household, person, from, to string, fen int64) string {
	t.Helper()
	hid := strings.TrimPrefix(h.GetName(), "households/")
	beneficiary := "households/" + hid
	if person != "" {
		beneficiary = "persons/" + person
	}
	e := &domain.Entitlement{ID: uuid.NewString(), Program: program, Beneficiary: beneficiary, HouseholdID: hid,
		PersonID: person, RegionCode: h.GetRegionCode(), Source: "tests/" + t.Name(), FromMonth: from, ToMonth: to,
		AmountFen: fen, Covered: 1, Reason: "审批", CreateTime: r.now(), UpdateTime: r.now()}
	if err := r.st.GrantEntitlement(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func (r *rollDB) end(t *testing.T, id, lastMonth, reason string) {
	t.Helper()
	if err := r.st.EndEntitlement(t.Context(), id, lastMonth, reason, r.now()); err != nil {
		t.Fatal(err)
	}
}

func rollClient(c *county) subsidiesv1.PaymentRollServiceClient {
	return subsidiesv1.NewPaymentRollServiceClient(c.Conn)
}

func civilAdmin(t *testing.T, c *county) context.Context {
	return c.As(t, "civil_affairs", "county_admin", "")
}

// allLines reads every line of a roll through the API, page by page.
func allLines(t *testing.T, ctx context.Context, c *county, roll string, req *subsidiesv1.ListRollLinesRequest) []*payrollv1.RollLine {
	t.Helper()
	if req == nil {
		req = &subsidiesv1.ListRollLinesRequest{}
	}
	req.Parent, req.PageSize = roll, 2
	var out []*payrollv1.RollLine
	for {
		resp, err := rollClient(c).ListRollLines(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func lineBriefs(lines []*payrollv1.RollLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%s %s %s %d", l.GetBeneficiary(), l.GetPeriodMonth(), l.GetKind(), l.GetAmountFen()))
	}
	return out
}

func member(name string, seq int, rel identificationv1.Relation) *identificationv1.Member {
	return &identificationv1.Member{FullName: name, IdNumber: IDNumber("19700101", seq), RelationToHead: rel}
}

// TestPaymentRollFlow is the roll's life over the API: compute, recompute, approve, a death and a late
// approval in the next month, export, hand-off, and every refusal on the way.
func TestPaymentRollFlow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := newRollClock(10)
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		db := openRollDB(t, c, clock.Now)
		m1, m2 := clock.Month(-1), clock.Month(0)
		h1 := c.CreateHousehold(t, village1, member("张三丰", 1, identificationv1.Relation_RELATION_HEAD))
		h2 := c.CreateHousehold(t, village2, member("李四", 2, identificationv1.Relation_RELATION_HEAD))
		h3 := c.CreateHousehold(t, village1, member("王五", 3, identificationv1.Relation_RELATION_HEAD))
		p3 := h3.GetMembers()[0].GetPersonId()
		e1 := db.grant(t, domain.ProgramDibao, h1, "", clock.Month(-6), "", 120000)
		db.grant(t, domain.ProgramDibao, h2, "", m1, "", 80000)
		db.grant(t, domain.ProgramCareSubsidy, h3, p3, clock.Month(-3), "", 10000)
		civil, admin := c.CivilAffairs(t), civilAdmin(t, c)
		name := "paymentRolls/dibao-" + m1

		first, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1, RequestId: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		if first.GetName() != name || first.GetState() != payrollv1.RollState_ROLL_STATE_DRAFT ||
			first.GetTotals().GetLineCount() != 2 || first.GetTotals().GetAmountFen() != 200000 || first.GetFencingToken() <= 0 ||
			first.GetComputedBy() != "u-civil_affairs-department_staff-county" {
			t.Fatalf("first computation %v", first)
		}
		before := allLines(t, civil, c, name, nil)

		t.Run("a retry with the same request id returns the first result", func(t *testing.T) {
			again, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1, RequestId: "r1"})
			if err != nil || !proto.Equal(again, first) {
				t.Fatalf("%v %v", again, err)
			}
		})
		t.Run("a draft recomputed gives identical lines under a newer token", func(t *testing.T) {
			again, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1})
			if err != nil || again.GetComputations() != 2 || again.GetFencingToken() <= first.GetFencingToken() || again.GetEtag() == first.GetEtag() {
				t.Fatalf("%v %v", again, err)
			}
			after := allLines(t, civil, c, name, nil)
			if len(after) != len(before) {
				t.Fatalf("lines %v, before %v", lineBriefs(after), lineBriefs(before))
			}
			for i := range after {
				if !proto.Equal(after[i], before[i]) {
					t.Errorf("line %d: %v, before %v", i, after[i], before[i])
				}
			}
		})
		t.Run("refusals", func(t *testing.T) {
			tests := []struct {
				name   string
				call   func() error
				code   codes.Code
				reason string
				detail string // the BadRequest field or PreconditionFailure type
				roll   string // the PreconditionFailure subject, when not the first roll
			}{
				{"残联 computing 低保", func() error {
					_, err := rollClient(c).ComputeRoll(c.Federation(t), &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1})
					return err
				}, codes.PermissionDenied, "PROGRAM_OF_OTHER_DEPARTMENT", "", ""},
				{"民政 approving the care subsidy", func() error {
					_, err := rollClient(c).ApproveRoll(admin, &subsidiesv1.ApproveRollRequest{Name: "paymentRolls/care-subsidy-" + m1})
					return err
				}, codes.PermissionDenied, "PROGRAM_OF_OTHER_DEPARTMENT", "", ""},
				{"department staff approving", func() error {
					_, err := rollClient(c).ApproveRoll(civil, &subsidiesv1.ApproveRollRequest{Name: name})
					return err
				}, codes.PermissionDenied, "ACCESS_DENIED", "", ""},
				{"finance computing", func() error {
					_, err := rollClient(c).ComputeRoll(c.As(t, "finance", "department_staff", ""), &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1})
					return err
				}, codes.PermissionDenied, "ACCESS_DENIED", "", ""},
				{"a future month", func() error {
					_, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: clock.Month(1)})
					return err
				}, codes.InvalidArgument, "MONTH_INVALID", "month", ""},
				{"a malformed month", func() error {
					_, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: "2026-13"})
					return err
				}, codes.InvalidArgument, "INVALID_FIELD", "month", ""},
				{"no program", func() error {
					_, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Month: m1})
					return err
				}, codes.InvalidArgument, "INVALID_FIELD", "program", ""},
				{"the next month before this one is approved", func() error {
					_, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m2})
					return err
				}, codes.FailedPrecondition, "ROLL_EARLIER_NOT_APPROVED", "EARLIER_ROLL_APPROVED", "paymentRolls/dibao-" + m2},
				{"handing off a draft", func() error {
					_, err := rollClient(c).HandOffRoll(admin, &subsidiesv1.HandOffRollRequest{Name: name})
					return err
				}, codes.FailedPrecondition, "ROLL_NOT_APPROVED", "ROLL_APPROVED", ""},
				{"approving a roll reviewed before its recomputation", func() error {
					_, err := rollClient(c).ApproveRoll(admin, &subsidiesv1.ApproveRollRequest{Name: name, Etag: first.GetEtag()})
					return err
				}, codes.Aborted, "STALE_ETAG", "", ""},
				{"an unknown roll", func() error {
					_, err := rollClient(c).GetRoll(civil, &subsidiesv1.GetRollRequest{Name: "paymentRolls/dibao-2001-01"})
					return err
				}, codes.NotFound, "NOT_FOUND", "", ""},
				{"a township officer filtering another township", func() error {
					_, err := rollClient(c).ListRollLines(c.As(t, "civil_affairs", "township_officer", village1[:9]),
						&subsidiesv1.ListRollLinesRequest{Parent: name, RegionCode: village2[:9]})
					return err
				}, codes.PermissionDenied, "ROLL_OUT_OF_REGION_SCOPE", "", ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code, info, br, pf := errorDetails(tt.call())
					subject := cmp.Or(tt.roll, name)
					if code != tt.code || info.GetReason() != tt.reason {
						t.Fatalf("got %v %v, want %v %s", code, info, tt.code, tt.reason)
					}
					switch {
					case tt.code == codes.InvalidArgument && (len(br.GetFieldViolations()) == 0 || br.GetFieldViolations()[0].GetField() != tt.detail):
						t.Errorf("bad request %v", br)
					case tt.code == codes.FailedPrecondition && (len(pf.GetViolations()) == 0 || pf.GetViolations()[0].GetType() != tt.detail ||
						pf.GetViolations()[0].GetSubject() != subject):
						t.Errorf("precondition failure %v", pf)
					}
				})
			}
		})
		t.Run("a township officer sees the lines of their township only", func(t *testing.T) {
			lines := allLines(t, c.As(t, "civil_affairs", "township_officer", village1[:9]), c, name, nil)
			if len(lines) != 1 || lines[0].GetRegionCode() != village1 {
				t.Errorf("%v", lineBriefs(lines))
			}
		})

		current, err := rollClient(c).GetRoll(civil, &subsidiesv1.GetRollRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		approved, err := rollClient(c).ApproveRoll(admin, &subsidiesv1.ApproveRollRequest{Name: name, Etag: current.GetEtag()})
		if err != nil || approved.GetState() != payrollv1.RollState_ROLL_STATE_APPROVED || approved.GetApprovedBy() != "u-civil_affairs-county_admin-county" ||
			approved.GetApproveTime().AsTime().UnixMicro() != clock.Now().UnixMicro() {
			t.Fatalf("approve: %v %v", approved, err)
		}
		t.Run("an approved roll is unchanged by a rerun", func(t *testing.T) {
			_, err := rollClient(c).ComputeRoll(admin, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1})
			if code, info, _, pf := errorDetails(err); code != codes.FailedPrecondition || info.GetReason() != "ROLL_NOT_DRAFT" || len(pf.GetViolations()) != 1 {
				t.Fatalf("rerun: %v", err)
			}
			after := allLines(t, civil, c, name, nil)
			if strings.Join(lineBriefs(after), ";") != strings.Join(lineBriefs(before), ";") {
				t.Errorf("lines changed: %v", lineBriefs(after))
			}
			got, _ := rollClient(c).GetRoll(civil, &subsidiesv1.GetRollRequest{Name: name})
			if !proto.Equal(got, approved) {
				t.Errorf("roll changed: %v", got)
			}
		})

		// Month m2: h1's only member died two months ago, recorded only now, so the household's 低保 ends
		// with that month: nothing is paid for m2 and m1, already paid, is recovered. h4 was approved late,
		// from four months ago.
		db.end(t, e1, clock.Month(-2), "户主死亡")
		h4 := c.CreateHousehold(t, village2, member("赵六", 4, identificationv1.Relation_RELATION_HEAD))
		db.grant(t, domain.ProgramDibao, h4, "", clock.Month(-4), "", 30000)
		name2 := "paymentRolls/dibao-" + m2
		r2, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m2})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a death: no payment from the next month and a recovery of what was paid", func(t *testing.T) {
			lines := allLines(t, civil, c, name2, nil)
			h1b, h2b, h4b := "households/"+id(h1), "households/"+id(h2), "households/"+id(h4)
			want := []string{
				h1b + " " + m1 + " ROLL_LINE_KIND_RECOVERY -120000",
				h2b + " " + m2 + " ROLL_LINE_KIND_REGULAR 80000",
				h4b + " " + m1 + " ROLL_LINE_KIND_BACK_PAY 30000", // back pay reaches back to the first roll only
				h4b + " " + m2 + " ROLL_LINE_KIND_REGULAR 30000",
			}
			if village1 > village2 {
				t.Fatal("the expected order assumes village1 sorts first")
			}
			if got := lineBriefs(lines); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if !strings.Contains(lines[0].GetReason(), "户主死亡") || lines[0].GetEntitlementIds()[0] != e1 {
				t.Errorf("recovery line %v", lines[0])
			}
			tot := r2.GetTotals()
			if tot.GetLineCount() != 4 || tot.GetAmountFen() != -120000+80000+30000+30000 || tot.GetRecoveryFen() != -120000 ||
				tot.GetBackPayCount() != 1 || r2.GetFirstMonth() != m1 {
				t.Errorf("totals %v", r2)
			}
			only, err := rollClient(c).ListRollLines(civil, &subsidiesv1.ListRollLinesRequest{Parent: name2,
				Kind: payrollv1.RollLineKind_ROLL_LINE_KIND_RECOVERY})
			if err != nil || len(only.GetLines()) != 1 {
				t.Errorf("recoveries %v %v", only, err)
			}
		})
		t.Run("export to CSV and XLSX with masked names and no 身份证号", func(t *testing.T) {
			finance := c.As(t, "finance", "department_staff", "")
			body, err := rollClient(c).ExportRoll(finance, &subsidiesv1.ExportRollRequest{Name: name2})
			if err != nil {
				t.Fatal(err)
			}
			if body.GetContentType() != "text/csv; charset=utf-8" || !bytes.HasPrefix(body.GetData(), []byte("\uFEFF")) {
				t.Fatalf("content type %q", body.GetContentType())
			}
			rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body.GetData(), []byte("\uFEFF")))).ReadAll()
			if err != nil || len(rows) != 5 || rows[0][0] != "序号" || rows[0][6] != "姓名" {
				t.Fatalf("csv %v %v", rows, err)
			}
			if rows[1][6] != "张*丰" || rows[1][7] != "追回" || rows[1][9] != "-120000" || rows[1][10] != "-1200.00" || rows[4][6] != "赵*" {
				t.Errorf("rows %v", rows)
			}
			for _, m := range []int{1, 2, 3, 4} {
				if strings.Contains(string(body.GetData()), IDNumber("19700101", m)[:14]) {
					t.Errorf("a 身份证号 appears in the export")
				}
			}
			x, err := rollClient(c).ExportRoll(finance, &subsidiesv1.ExportRollRequest{Name: name2,
				Format: payrollv1.RollExportFormat_ROLL_EXPORT_FORMAT_XLSX, Kind: payrollv1.RollLineKind_ROLL_LINE_KIND_REGULAR})
			if err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(bytes.NewReader(x.GetData()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheet := f.GetSheetName(0)
			xrows, err := f.GetRows(sheet)
			if err != nil || len(xrows) != 3 || xrows[0][7] != "发放类型" || xrows[1][7] != "正常发放" || xrows[1][9] != "80000" || xrows[1][6] != "李*" {
				t.Errorf("xlsx %s %v %v", sheet, xrows, err)
			}
		})
		t.Run("the care subsidy roll is 残联's", func(t *testing.T) {
			r, err := rollClient(c).ComputeRoll(c.Federation(t), &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_CARE_SUBSIDY, Month: m2})
			if err != nil || r.GetTotals().GetLineCount() != 1 || r.GetTotals().GetAmountFen() != 10000 {
				t.Fatalf("%v %v", r, err)
			}
			lines := allLines(t, c.Federation(t), c, r.GetName(), nil)
			if len(lines) != 1 || lines[0].GetPersonId() != p3 || lines[0].GetBeneficiary() != "persons/"+p3 {
				t.Errorf("%v", lines)
			}
		})
		t.Run("hand-off appends roll.handed_off to the change feed", func(t *testing.T) {
			got, err := rollClient(c).HandOffRoll(admin, &subsidiesv1.HandOffRollRequest{Name: name})
			if err != nil || got.GetState() != payrollv1.RollState_ROLL_STATE_HANDED_OFF || got.GetHandedOffBy() != "u-civil_affairs-county_admin-county" {
				t.Fatalf("%v %v", got, err)
			}
			changes, err := commonv1.NewChangeFeedServiceClient(c.Conn).ListChanges(c.As(t, "finance", "county_admin", ""),
				&commonv1.ListChangesRequest{Topics: []string{"roll.handed_off"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(changes.GetChanges()) != 1 {
				t.Fatalf("changes %v", changes)
			}
			var p payrollv1.RollHandedOff
			if err := changes.GetChanges()[0].GetPayload().UnmarshalTo(&p); err != nil {
				t.Fatal(err)
			}
			if p.GetRoll() != name || p.GetTotals().GetAmountFen() != 200000 || p.GetMonth() != m1 {
				t.Errorf("payload %v", &p)
			}
		})
		t.Run("rolls list newest first", func(t *testing.T) {
			resp, err := rollClient(c).ListRolls(c.As(t, "county_government", "auditor", ""), &subsidiesv1.ListRollsRequest{PageSize: 2})
			if err != nil || len(resp.GetRolls()) != 2 || resp.GetNextPageToken() == "" || resp.GetRolls()[0].GetMonth() != m2 {
				t.Fatalf("%v %v", resp, err)
			}
			rest, err := rollClient(c).ListRolls(c.As(t, "county_government", "auditor", ""), &subsidiesv1.ListRollsRequest{PageSize: 2, PageToken: resp.GetNextPageToken()})
			if err != nil || len(rest.GetRolls()) != 1 || rest.GetRolls()[0].GetName() != name {
				t.Fatalf("%v %v", rest, err)
			}
		})
	})
}

func id(h *identificationv1.Household) string { return strings.TrimPrefix(h.GetName(), "households/") }

// TestPaymentRollTwoReplicas starts a second replica of the subsidies service on the same database: one
// of the two leads, the schedule computes one roll, and computations asked of both at once are
// serialized by the roll's lock, each under a newer fencing token.
func TestPaymentRollTwoReplicas(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := newRollClock(21)
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		c.startSubsidies(t) // the second replica, with the same configuration and database
		db := openRollDB(t, c, clock.Now)
		h := c.CreateHousehold(t, village1, member("张三", 11, identificationv1.Relation_RELATION_HEAD))
		db.grant(t, domain.ProgramDibao, h, "", clock.Month(-2), "", 120000)

		// Both replicas campaign; exactly one leads (etcd orders the candidates).
		waitUntil(t, "both replicas to campaign", func() bool {
			resp, err := c.Etcd.Get(t.Context(), election.Prefix+"subsidies/paymentRolls", clientv3.WithPrefix(), clientv3.WithCountOnly())
			return err == nil && resp.Count == 2
		})
		// The schedule ran when the first replica became leader, before any entitlement existed, and
		// created no empty roll. A policy change wakes the leader: it computes the month's roll.
		if err := policy.Set(t.Context(), c.Etcd, domain.ParamRollComputeDay, policy.AnyRegion, "2025-01-01", []byte("20")); err != nil {
			t.Fatal(err)
		}
		name := "paymentRolls/dibao-" + clock.Month(0)
		var scheduled *payrollv1.Roll
		waitUntil(t, "the leader to compute the roll", func() bool {
			r, err := rollClient(c).GetRoll(c.CivilAffairs(t), &subsidiesv1.GetRollRequest{Name: name})
			scheduled = r
			return err == nil
		})
		if scheduled.GetComputedBy() != "subsidies:schedule" || scheduled.GetComputations() != 1 || scheduled.GetFencingToken() <= 0 ||
			scheduled.GetTotals().GetLineCount() != 1 {
			t.Fatalf("scheduled roll %v", scheduled)
		}
		// The schedule's write is audited like a request's: the service is the actor.
		var audited int
		if err := db.st.DB().Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM fupin_audit
			WHERE kind = 'mutation' AND method = 'background/schedule/paymentRolls' AND actor = 'service:subsidies'
				AND resource = $1 AND record_count = 1`, name).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("audit rows of the scheduled roll: %d (%v), want 1", audited, err)
		}

		// Computations asked of both replicas at once (round robin spreads them) all succeed, one at a
		// time, each with a larger token, and still make one roll.
		const calls = 4
		var wg sync.WaitGroup
		results := make([]*payrollv1.Roll, calls)
		errs := make([]error, calls)
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = rollClient(c).ComputeRoll(c.CivilAffairs(t),
					&subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: clock.Month(0)})
			}()
		}
		wg.Wait()
		tokens := map[int64]bool{}
		for i := range calls {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			tokens[results[i].GetFencingToken()] = true
			if results[i].GetFencingToken() <= scheduled.GetFencingToken() {
				t.Errorf("token %d not above the schedule's %d", results[i].GetFencingToken(), scheduled.GetFencingToken())
			}
		}
		final, err := rollClient(c).GetRoll(c.CivilAffairs(t), &subsidiesv1.GetRollRequest{Name: name})
		if err != nil || final.GetComputations() != 1+calls || len(tokens) != calls || !tokens[final.GetFencingToken()] {
			t.Fatalf("final %v %v; tokens %v", final, err, tokens)
		}
		for tok := range tokens {
			if tok > final.GetFencingToken() {
				t.Errorf("the roll keeps token %d but %d wrote it", final.GetFencingToken(), tok)
			}
		}
		list, err := rollClient(c).ListRolls(c.CivilAffairs(t), &subsidiesv1.ListRollsRequest{})
		if err != nil || len(list.GetRolls()) != 1 {
			t.Fatalf("rolls %v %v", list, err)
		}
		if lines := allLines(t, c.CivilAffairs(t), c, name, nil); len(lines) != 1 {
			t.Errorf("lines %v", lineBriefs(lines))
		}
	})
}

// TestPaymentRollComputedTogether fires ComputeRoll at two replicas at once for a roll that does not exist
// yet, month after month: the platform holds the roll's lock from before the request's transaction until
// after its commit, so the computation that waited sees the committed roll and recomputes it. Every caller
// gets the one roll; none is ABORTED (as when the lock was released before the commit).
func TestPaymentRollComputedTogether(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := newRollClock(10) // before the compute day: the schedule leaves the rolls to the test
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		c.startSubsidies(t) // the second replica, with the same configuration and database
		db := openRollDB(t, c, clock.Now)
		h := c.CreateHousehold(t, village1, member("张三", 12, identificationv1.Relation_RELATION_HEAD))
		db.grant(t, domain.ProgramDibao, h, "", clock.Month(0), "", 120000)
		waitUntil(t, "both replicas to serve", func() bool {
			resp, err := c.Etcd.Get(t.Context(), "fupin/services/"+subsidies.Name+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
			return err == nil && resp.Count == 2
		})

		const rounds, callers = 20, 4
		for round := range rounds {
			month := clock.Month(0)
			var wg sync.WaitGroup
			results := make([]*payrollv1.Roll, callers)
			errs := make([]error, callers)
			for i := range callers {
				wg.Go(func() {
					results[i], errs[i] = rollClient(c).ComputeRoll(c.CivilAffairs(t),
						&subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: month})
				})
			}
			wg.Wait()
			for i := range callers {
				if errs[i] != nil {
					t.Fatalf("round %d (%s), call %d: %v", round, month, i, errs[i])
				}
				if results[i].GetName() != "paymentRolls/dibao-"+month || results[i].GetTotals().GetLineCount() != 1 {
					t.Fatalf("round %d, call %d: %v", round, i, results[i])
				}
			}
			final, err := rollClient(c).GetRoll(c.CivilAffairs(t), &subsidiesv1.GetRollRequest{Name: "paymentRolls/dibao-" + month})
			if err != nil || final.GetComputations() != callers {
				t.Fatalf("round %d: roll %v %v, want %d computations", round, final, err, callers)
			}
			if _, err := rollClient(c).ApproveRoll(civilAdmin(t, c), &subsidiesv1.ApproveRollRequest{Name: final.GetName(), Etag: final.GetEtag()}); err != nil {
				t.Fatalf("round %d: approve: %v", round, err)
			}
			clock.Set(clock.Now().AddDate(0, 1, 0))
		}
	})
}

// waitUntil polls cond with a deadline that only keeps a broken test from hanging.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case <-t.Context().Done():
			t.FailNow()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
