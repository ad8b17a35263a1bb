package subsidies_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// These tests start a small county: an in-process etcd with the default policy, the identification
// service and the subsidies service, each on its own gRPC socket, both on SQLite or both on PostgreSQL.
// They call the subsidies service over real gRPC through etcd discovery, and it calls the register the
// same way, as a service on behalf of the test's caller.

// county is one started county.
type county struct {
	Etcd *clientv3.Client
	// Conn reaches the subsidies service; Register the identification service.
	Conn     *grpc.ClientConn
	Register *grpc.ClientConn
	keys     servicetest.Keys
	// DatabaseURL is the subsidies service's database.
	DatabaseURL string
	cfg         subsidies.Config
	stop        func()
	// Funds is the funds (财政) process when countyOptions.Funds asked for one: a process of the platform
	// named "funds" whose change feed the tests write payment results to, as funds will.
	Funds *boot.Process
}

// countyOptions adjust startCounty.
type countyOptions struct {
	// Now is the clock of both services (nil: time.Now).
	Now func() time.Time
	// Funds starts a funds process (before subsidies, which follows its feed).
	Funds bool
}

// startCounty starts etcd, identification and subsidies on dialect d and stops them when the test ends.
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
	run(t, identification.Name, func(ctx context.Context, ready func(string)) error {
		return identification.Run(ctx, identification.Config{Config: base(sqldbtest.URL(t, d), ready),
			RegionsFile: "../../deploy/regions/demo-county.json"})
	})
	if o.Funds {
		started := make(chan *boot.Process, 1)
		run(t, subsidies.FundsService, func(ctx context.Context, ready func(string)) error {
			p, err := boot.Start(ctx, subsidies.FundsService, commonv1.Department_DEPARTMENT_FINANCE,
				base(sqldbtest.URL(t, d), ready), func(context.Context, *sqldb.DB, *slog.Logger) error { return nil })
			if err != nil {
				return err
			}
			started <- p
			return p.Run(ctx)
		})
		c.Funds = <-started
	}
	c.cfg = subsidies.Config{Config: base(c.DatabaseURL, nil)}
	// Subsidies calls the register with its own key, bound to it (sub service:subsidies, 民政).
	c.cfg.ServiceKey = keys.Service(subsidies.Name, subsidies.Department)
	c.stop = c.startSubsidies(t)
	c.Conn = dial(t, cli, subsidies.Name)
	c.Register = dial(t, cli, identification.Name)
	return c
}

// startSubsidies starts (or restarts) the subsidies service on the county's database; the returned
// function stops it and waits until it has.
func (c *county) startSubsidies(t *testing.T) func() {
	t.Helper()
	return run(t, subsidies.Name, func(ctx context.Context, ready func(string)) error {
		cfg := c.cfg
		cfg.Ready = ready
		return subsidies.Run(ctx, cfg)
	})
}

// RestartSubsidies stops the subsidies service and starts it again on the same database.
func (c *county) RestartSubsidies(t *testing.T) {
	t.Helper()
	c.stop()
	c.stop = c.startSubsidies(t)
}

// run starts one service and waits until it serves (servicetest.Run).
func run(t *testing.T, name string, serve func(ctx context.Context, ready func(string)) error) func() {
	t.Helper()
	return servicetest.Run(t, name, serve)
}

// dial reaches a service through etcd (servicetest.Dial).
func dial(t *testing.T, cli *clientv3.Client, service string) *grpc.ClientConn {
	t.Helper()
	return servicetest.Dial(t, cli, service)
}

// As returns a context calling as the given department, role and region ("" = the whole county), with an
// optional purpose for plain-text reads.
func (c *county) As(t *testing.T, dept, role, region string, purpose ...string) context.Context {
	t.Helper()
	return c.keys.As(t, t.Context(), dept, role, region, purpose...)
}

// CivilAffairs, Federation and Register are the usual callers: 民政 and 残联 county staff, and the
// register's own county admin (乡村振兴局) who creates the households the tests need.
func (c *county) CivilAffairs(t *testing.T) context.Context {
	return c.As(t, "civil_affairs", "department_staff", "")
}

func (c *county) Federation(t *testing.T) context.Context {
	return c.As(t, "disabled_persons_federation", "department_staff", "")
}

func (c *county) RegisterAdmin(t *testing.T) context.Context {
	return c.As(t, "rural_revitalization", "county_admin", "")
}

// Villages of the demo county (deploy/regions/demo-county.json).
const (
	village1 = "990001001001"
	village2 = "990001002003"
)

// IDNumber makes a valid 身份证号 of the demo county for a birth date (YYYYMMDD) and a sequence (0–999).
func IDNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq%1000)
	return first17 + string(pii.IDCheckChar(first17))
}

// registeredSince is the registration date (登记日期) of the tests' households: moved in from paper ledgers,
// so the procedures the tests date in the past are not before it.
const registeredSince = "2020-01-01"

// CreateHousehold registers a household in identification, registered since registeredSince, and returns it.
func (c *county) CreateHousehold(t *testing.T, village string, members ...*identificationv1.Member) *identificationv1.Household {
	t.Helper()
	h, err := identificationv1.NewHouseholdServiceClient(c.Register).CreateHousehold(c.RegisterAdmin(t),
		&identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
			RegionCode: village, Address: "一组", Members: members,
			RegistrationDate: registeredSince, RegistrationBackdateReason: "纸质台账迁入"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// errorDetails splits a gRPC error into its code, ErrorInfo, BadRequest and PreconditionFailure.
func errorDetails(err error) (codes.Code, *errdetails.ErrorInfo, *errdetails.BadRequest, *errdetails.PreconditionFailure) {
	return servicetest.Details(err)
}

func TestCountyStarts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		h := c.CreateHousehold(t, village1, &identificationv1.Member{FullName: "张三", IdNumber: IDNumber("19500101", 1),
			RelationToHead: identificationv1.Relation_RELATION_HEAD})
		if h.GetName() == "" {
			t.Fatal("no household name")
		}
		c.RestartSubsidies(t)
		resp, err := healthpb.NewHealthClient(c.Conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("after a restart: %v %v", resp, err)
		}
	})
}
