package employment_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// These tests start a small county: an in-process etcd with the default policy, the identification,
// subsidies and employment services, each on its own gRPC socket, all on SQLite or all on PostgreSQL.
// They call the employment service over real gRPC through etcd discovery; it follows the register and
// calls it the same way, as a service.

// county is one started county.
type county struct {
	Etcd *clientv3.Client
	// Conn reaches the employment service; Register the identification service, Relief subsidies.
	Conn     *grpc.ClientConn
	Register *grpc.ClientConn
	Relief   *grpc.ClientConn
	keys     servicetest.Keys
	// DatabaseURL is the employment service's database.
	DatabaseURL string
	cfg         employment.Config
	stop        func()
}

// countyOptions adjust startCounty.
type countyOptions struct {
	// Now is the clock of every service (nil: time.Now).
	Now func() time.Time
}

// startCounty starts etcd, identification, subsidies and employment on dialect d and stops them when
// the test ends.
func startCounty(t *testing.T, d sqldb.Dialect, opts ...countyOptions) *county {
	t.Helper()
	var o countyOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	cli := servicetest.Etcd(t, "../../deploy")
	keys := servicetest.NewKeys()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	base := func(dbURL string, ready func(string)) boot.Config {
		return boot.Config{DatabaseURL: dbURL, Etcd: cli, Verifier: keys.Verifier(), PIIKey: keys.PII,
			Logger: logger, Ready: ready, Now: o.Now}
	}
	c := &county{Etcd: cli, keys: keys, DatabaseURL: sqldbtest.URL(t, d)}
	servicetest.Run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
		return identification.Run(ctx, identification.Config{Config: base(sqldbtest.URL(t, d), ready),
			RegionsFile: "../../deploy/regions/demo-county.json"})
	})
	subCfg := subsidies.Config{Config: base(sqldbtest.URL(t, d), nil)}
	subCfg.ServiceKey = keys.Service(subsidies.Name, subsidies.Department)
	servicetest.Run(t, subsidies.Name, func(ctx context.Context, ready func(string)) error {
		cfg := subCfg
		cfg.Ready = ready
		return subsidies.Run(ctx, cfg)
	})
	c.cfg = employment.Config{Config: base(c.DatabaseURL, nil)}
	// Employment calls the register with its own key, bound to it (sub service:employment, 人社).
	c.cfg.ServiceKey = keys.Service(employment.Name, employment.Department)
	c.stop = c.startEmployment(t)
	c.Conn = servicetest.Dial(t, cli, employment.Name)
	c.Register = servicetest.Dial(t, cli, identification.Name)
	c.Relief = servicetest.Dial(t, cli, subsidies.Name)
	return c
}

// startEmployment starts (or restarts) the employment service on the county's database; the returned
// function stops it and waits until it has.
func (c *county) startEmployment(t *testing.T) func() {
	t.Helper()
	return servicetest.Run(t, employment.Name, func(ctx context.Context, ready func(string)) error {
		cfg := c.cfg
		cfg.Ready = ready
		return employment.Run(ctx, cfg)
	})
}

// RestartEmployment stops the employment service and starts it again on the same database.
func (c *county) RestartEmployment(t *testing.T) {
	t.Helper()
	c.stop()
	c.stop = c.startEmployment(t)
}

// As returns a context calling as the given department, role and region ("" = the whole county), with an
// optional purpose.
func (c *county) As(t *testing.T, dept, role, region string, purpose ...string) context.Context {
	t.Helper()
	return c.keys.As(t, t.Context(), dept, role, region, purpose...)
}

// HR is 人社's county staff, the ledger's keepers.
func (c *county) HR(t *testing.T) context.Context {
	return c.As(t, "human_resources", "department_staff", "")
}

// Ledger and Facts are the service's clients.
func (c *county) Ledger() employmentv1.LabourLedgerServiceClient {
	return employmentv1.NewLabourLedgerServiceClient(c.Conn)
}

func (c *county) Facts() employmentv1.EmploymentFactsServiceClient {
	return employmentv1.NewEmploymentFactsServiceClient(c.Conn)
}

// wantCode fails the test unless err carries code and (when given) reason.
func wantCode(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	got, info, _, _ := servicetest.Details(err)
	if got != code || (reason != "" && info.GetReason() != reason) {
		t.Fatalf("got %v %s (%v), want %v %s", got, info.GetReason(), err, code, reason)
	}
}

// The service starts in a county, registers in etcd, answers its ledger's reads for 人社 and refuses
// the facts to anyone but a service stating its purpose.
func TestEmploymentServes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		list, err := c.Ledger().ListLabourers(c.HR(t), &employmentv1.ListLabourersRequest{Filter: `state = ACTIVE`})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetLabourers()) != 0 || list.GetNextPageToken() != "" {
			t.Fatalf("a new ledger lists %v", list)
		}
		_, err = c.Ledger().GetLabourer(c.HR(t), &employmentv1.GetLabourerRequest{Name: "labourers/0190a0b2-0000-7000-8000-000000000001"})
		wantCode(t, err, codes.NotFound, "LABOURER_NOT_FOUND")
		_, err = c.Ledger().ListLabourers(c.HR(t), &employmentv1.ListLabourersRequest{Filter: `state = RUNNING`})
		wantCode(t, err, codes.InvalidArgument, "")

		req := &employmentv1.BatchGetEmploymentFactsRequest{IdIndexes: []string{"0123456789abcdef0123456789abcdef"},
			FromMonth: "2025-01", ToMonth: "2025-12"}
		facts, err := c.Facts().BatchGetEmploymentFacts(c.As(t, "civil_affairs", "service", "", "dibao_income_check"), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(facts.GetPersons()) != 0 {
			t.Fatalf("facts of an unknown person: %v", facts)
		}
		_, err = c.Facts().BatchGetEmploymentFacts(c.As(t, "civil_affairs", "service", ""), req)
		wantCode(t, err, codes.PermissionDenied, "PURPOSE_REQUIRED")
		_, err = c.Facts().BatchGetEmploymentFacts(c.As(t, "civil_affairs", "department_staff", "", "dibao_income_check"), req)
		wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		long := &employmentv1.BatchGetEmploymentFactsRequest{IdIndexes: req.IdIndexes, FromMonth: "2023-01", ToMonth: "2025-12"}
		_, err = c.Facts().BatchGetEmploymentFacts(c.As(t, "rural_revitalization", "service", "", "income_assessment"), long)
		wantCode(t, err, codes.InvalidArgument, "MONTH_WINDOW_TOO_LONG")
	})
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
