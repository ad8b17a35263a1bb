package payrollsvc

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsql"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ResultsBenchOptions configure BenchResults.
type ResultsBenchOptions struct {
	// PayerURL and FundsURL name two empty databases: the paying service's and funds'.
	PayerURL, FundsURL string
	// Lines is the number of lines paid, and of results applied (200,000 for the target).
	Lines int
	// FailedPerMille of the results are failures, the rest paid.
	FailedPerMille int
	Seed           uint64
	// Progress receives seeding progress; nil discards it.
	Progress io.Writer
	// PageSize and PagesPerTx are the follower's (defaults ResultsPageSize, ResultsPagesPerTx).
	PageSize, PagesPerTx int
	// CPUProfile, when set, receives a CPU profile of the measured part (the follower applying results).
	CPUProfile io.Writer
}

// ResultsBenchResult is what BenchResults measured.
type ResultsBenchResult struct {
	Dialect  string
	Lines    int
	SeedTime time.Duration
	// Elapsed is from the follower's start until the cursor passed the last result; Applied counts the
	// results it applied (all of them).
	Elapsed time.Duration
	// CPU is this process's CPU time meanwhile: the follower's, and funds' feed server's (in this process
	// too), and SQLite's (in-process); PostgreSQL's own work is not in it.
	CPU time.Duration
	// ServerCPU is, on PostgreSQL, the CPU time of the server's backends serving the two databases
	// (read from /proc, so a local server; 0 when it cannot be read).
	ServerCPU time.Duration
	Applied   int
	Failed    int
}

// BenchResults hands off a roll of o.Lines 低保 lines in the payer's database, publishes one result per
// line on funds' change feed (funds' own database, served over gRPC on a local port), then times the
// payer's ResultsFollower from start until it has applied them all, as a service does after a bank
// return file (`fupin bench payroll-results`). Seeding, the roll and the feed are not measured.
func BenchResults(ctx context.Context, o ResultsBenchOptions) (*ResultsBenchResult, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	payer, err := openBenchDB(ctx, o.PayerURL)
	if err != nil {
		return nil, err
	}
	defer payer.Close()
	fundsDB, err := openBenchDB(ctx, o.FundsURL)
	if err != nil {
		return nil, err
	}
	defer fundsDB.Close()
	res := &ResultsBenchResult{Dialect: string(payer.Dialect), Lines: o.Lines}
	seedStart := time.Now()
	st := payrollsql.New(payer, outbox.New(payer, nil))
	now := time.Now()
	month := payroll.MonthOf(now.Format("2006-01-02"))
	rng := rand.New(rand.NewPCG(o.Seed, 13))
	for start := 0; start < o.Lines; start += 20_000 {
		var es []*payroll.Entitlement
		for i := start; i < min(start+20_000, o.Lines); i++ {
			id := fmt.Sprintf("b%07d", i)
			es = append(es, &payroll.Entitlement{ID: id, Program: payroll.ProgramDibao, Beneficiary: "households/" + id,
				HouseholdID: id, RegionCode: fmt.Sprintf("990001%03d%03d", 1+i%20, 1+i%25), Source: "bench/" + id,
				FromMonth: month, AmountFen: int64(20_000 + rng.IntN(200_000)), Covered: 1, CreateTime: now, UpdateTime: now})
		}
		if err := st.InTx(ctx, func(ctx context.Context) error { return st.BenchGrantEntitlements(ctx, es) }); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	if err := st.AnalyzeRolls(ctx); err != nil {
		return nil, err
	}
	cfg := payroll.Config{Service: "bench", Programs: []payroll.Program{payroll.ProgramDibao}}
	rolls := payroll.NewRolls(cfg, st, nil, noPolicy{}, time.Now)
	civil := payroll.RollCaller{Actor: "bench:payroll", Department: payroll.DepartmentCivilAffairs}
	fmt.Fprintf(progress, "  computing and handing off the roll of %d lines…\n", o.Lines)
	if _, err := rolls.Compute(ctx, civil, payroll.ProgramDibao, month, 1); err != nil {
		return nil, err
	}
	id := payroll.RollID(payroll.ProgramDibao, month)
	if _, err := rolls.Approve(ctx, civil, id, ""); err != nil {
		return nil, err
	}
	if _, err := rolls.HandOff(ctx, civil, id); err != nil {
		return nil, err
	}

	// Funds' feed: one payment.result per line, as funds publishes them after a bank return file.
	fmt.Fprintf(progress, "  publishing %d results on funds' feed…\n", o.Lines)
	feed := outbox.New(fundsDB, nil)
	var after *payroll.RollLine
	for {
		_, lines, err := rolls.PaymentLines(ctx, id, after, 5000)
		if err != nil {
			return nil, err
		}
		if len(lines) == 0 {
			break
		}
		events := make([]outbox.Event, len(lines))
		for i := range lines {
			l := &lines[i]
			m := &payrollv1.PaymentResult{ResultId: "bank-" + l.Beneficiary[len("households/"):], ProgramCode: l.Program.Code(),
				Beneficiary: l.Beneficiary, PeriodMonth: l.Period, Kind: payrollv1.RollLineKind(l.Kind), Attempt: l.Attempt,
				Roll: RollName(l.Program, l.RollMonth), State: payrollv1.PaymentState_PAYMENT_STATE_PAID, AmountFen: l.AmountFen,
				ResultTime: timestamppb.New(now)}
			if rng.IntN(1000) < o.FailedPerMille {
				m.State, m.FailureReason = payrollv1.PaymentState_PAYMENT_STATE_FAILED, payrollv1.PaymentFailureReason_PAYMENT_FAILURE_REASON_ACCOUNT_CLOSED
				res.Failed++
			}
			events[i] = outbox.Event{Topic: payroll.TopicPaymentResult, Resource: "paymentResults/" + m.GetResultId(),
				RegionCode: l.RegionCode, Payload: m}
		}
		if err := fundsDB.InTx(ctx, func(ctx context.Context) error { return feed.Append(ctx, events...) }); err != nil {
			return nil, err
		}
		after = &lines[len(lines)-1]
	}
	var lastSeq int64
	if err := fundsDB.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fupin_outbox`).Scan(&lastSeq); err != nil {
		return nil, fmt.Errorf("funds' feed: %w", err)
	}
	res.SeedTime = time.Since(seedStart)

	// Funds serves its feed over gRPC as every service does; the follower calls it as the county.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	county := &auth.Caller{Subject: "service:bench", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
		Role: commonv1.Role_ROLE_SERVICE}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(auth.NewContext(ctx, county), req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			return h(srv, &callerStream{ServerStream: ss, ctx: auth.NewContext(ss.Context(), county)})
		}))
	commonv1.RegisterChangeFeedServiceServer(srv, outbox.NewAPI(feed))
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	fmt.Fprintf(progress, "  applying…\n")
	follower := NewResultsFollower(payer, commonv1.NewChangeFeedServiceClient(conn), rolls, outbox.SubscribeOptions{PageSize: o.PageSize, PagesPerTx: o.PagesPerTx})
	follower.Applied = func(_ payroll.Result, o payroll.ResultOutcome) {
		if o == payroll.ResultApplied {
			res.Applied++
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
	}
	start, cpu0, server0 := time.Now(), cpuTime(), backendsCPU(ctx, payer, fundsDB)
	done := make(chan error, 1)
	go func() { done <- follower.Run(runCtx) }()
	for {
		seq, err := outbox.Cursor(ctx, payer, ResultsSubscription)
		if err == nil && seq >= lastSeq {
			break
		}
		select {
		case err := <-done:
			return nil, fmt.Errorf("follower stopped: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	res.Elapsed, res.CPU = time.Since(start), cpuTime()-cpu0
	res.ServerCPU = backendsCPU(ctx, payer, fundsDB) - server0
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	stop()
	<-done
	var paid, failed int
	if err := payer.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN payment_state = 3 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN payment_state = 4 THEN 1 ELSE 0 END), 0) FROM payroll_line_payments`).Scan(&paid, &failed); err != nil {
		return nil, err
	}
	if paid+failed != o.Lines || failed != res.Failed {
		return nil, fmt.Errorf("after the follower: %d paid and %d failed lines of %d (%d failures published)", paid, failed, o.Lines, res.Failed)
	}
	return res, nil
}

type callerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *callerStream) Context() context.Context { return s.ctx }

func openBenchDB(ctx context.Context, url string) (*sqldb.DB, error) {
	db, err := sqldb.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := migrations.Apply(ctx, db, nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// noPolicy answers no policy question: the benchmark never schedules.
type noPolicy struct{}

func (noPolicy) Decode(string, string, time.Time, any) (policy.Value, error) {
	return policy.Value{}, policy.ErrNotFound
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU sums the CPU time of the PostgreSQL backends connected to the databases, as /proc tells it
// for a server on this machine (0 on SQLite or when it cannot be read). A backend that ended meanwhile is
// missed: the benchmark's pools keep theirs.
func backendsCPU(ctx context.Context, dbs ...*sqldb.DB) time.Duration {
	var total time.Duration
	for _, db := range dbs {
		if db.Dialect != sqldb.Postgres {
			return 0
		}
		rows, err := db.Q(ctx).QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
		pids, err := sqldb.Collect(rows, err, func(r *sql.Rows) (int, error) {
			var pid int
			return pid, r.Scan(&pid)
		})
		if err != nil {
			return 0
		}
		for _, pid := range pids {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue
			}
			// Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th, stime the 15th.
			f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
			if len(f) < 13 {
				continue
			}
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(u+st) * time.Second / 100 // clock ticks (USER_HZ 100)
		}
	}
	return total
}
