// Package app wires the identification service by hand: store → domain → api on the platform's process.
package app

import (
	"context"
	"fmt"
	"os"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/api"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/tabular"
	"github.com/google/uuid"
)

// Name is the service's name.
const Name = "identification"

// Department is the department the service belongs to and calls other services as (乡村振兴局).
const Department = commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION

// Config configures the identification service.
type Config struct {
	boot.Config
	// RegionsFile, when set, is region master data (JSON) loaded on start; loading is an upsert.
	RegionsFile string
	// DemoHouseholds, when above zero, seeds a synthetic county of that many households on a first start
	// with an empty register (fupin dev).
	DemoHouseholds int
	// ImportLimits bound one ledger import stream: MaxRows rows, cells of MaxCellChars characters (zero:
	// the file reader's defaults, docs/IMPORT.md).
	ImportLimits tabular.Limits
	// MaxUploadBytes is the largest ledger file UploadLedger takes (0: api.DefaultMaxUploadBytes, 256 MiB).
	MaxUploadBytes int64
	// EmploymentService names the employment service (人社) whose wages income assessments count
	// (FUPIN_EMPLOYMENT_SERVICE; "employment" in fupin dev and deploy/). Empty: the deployment runs none, and
	// assessments count recorded figures only and say so (EMPLOYMENT_FACTS_STATE_NOT_CONFIGURED). Set, an
	// assessment made while it does not answer fails UNAVAILABLE (EMPLOYMENT_UNAVAILABLE). Calling it needs
	// the service's own key (boot.Config.ServiceKey).
	EmploymentService string
}

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	p, err := boot.Start(ctx, Name, Department, cfg.Config, store.Migrate)
	if err != nil {
		return err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	st := store.New(p.DB, p.Feed)
	svc := domain.NewService(st, p.PII, now, newID)
	svc.LimitConflicts(p.Conflicts)
	// Cases read per-capita income through domain.PerCapitaIncome. With nil they use the income their
	// survey recorded; pass income assessment (domain.Incomes, whose PerCapitaNet implements it) to make
	// decisions use assessed income, the survey's figure remaining the fallback.
	incomes, monitoring, err := registerMonitoring(p, st, now, cfg.EmploymentService)
	if err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", Name, err)
	}
	cases, engine, err := newCases(p, st, now, incomes)
	if err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", Name, err)
	}
	if err := prepare(ctx, cfg, st, svc, now()); err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", Name, err)
	}
	if err := publishRegions(ctx, p, st); err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", Name, err)
	}
	identificationv1.RegisterHouseholdServiceServer(p.Server.GRPC(), api.NewHouseholds(svc, now))
	identificationv1.RegisterRegionServiceServer(p.Server.GRPC(), api.NewRegions(svc))
	importer := domain.NewLedgerImporter(svc, st, cfg.ImportLimits)
	importer.Staged = os.Getenv("FUPIN_IDENTIFICATION_BULK_STAGING") == "1"
	if _, err := importer.InterruptStale(ctx); err != nil {
		p.Close()
		return fmt.Errorf("%s: %w", Name, err)
	}
	imports := api.NewImports(importer, p.Audit, p.Conflicts, now)
	imports.LimitUploads(cfg.MaxUploadBytes)
	identificationv1.RegisterImportServiceServer(p.Server.GRPC(), imports)
	identificationv1.RegisterCaseServiceServer(p.Server.GRPC(), api.NewCases(cases))
	registerNotices(p, engine, cases, monitoring, now)
	visits := domain.NewVisits(st, p.PII, p.Policy, now, newID)
	identificationv1.RegisterVisitServiceServer(p.Server.GRPC(), api.NewVisits(visits, now))
	identificationv1.RegisterStatisticsServiceServer(p.Server.GRPC(), api.NewStatistics(domain.NewStatistics(st, p.Policy, now)))
	identificationv1.RegisterRegisterExportServiceServer(p.Server.GRPC(), api.NewRegisterExport(domain.NewRegisterExport(st), p.Audit, now))
	// 痕迹管理: the trail merges the events of every domain.TrailSource listed here, sorted by time. An area
	// that records steps of a household (cases, monitoring clues, income assessments…) adds its source.
	trail := domain.NewTrail(st, domain.NewRegisterTrail(st), visits, monitoring, cases)
	identificationv1.RegisterTrailServiceServer(p.Server.GRPC(), api.NewTrail(trail))
	identificationv1.RegisterAuditServiceServer(p.Server.GRPC(), api.NewAuditRecords(audit.NewReader(p.DB), svc))
	return p.Run(ctx)
}

// newID makes record ids: UUIDv7, so ids sort by creation time and pages stay stable.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// prepare loads region master data and, on a first start, the demo county.
func prepare(ctx context.Context, cfg Config, st *store.Store, svc *domain.Service, now time.Time) error {
	if cfg.RegionsFile == "" {
		return nil
	}
	regions, err := synth.LoadRegions(cfg.RegionsFile)
	if err != nil {
		return err
	}
	if err := st.UpsertRegions(ctx, toDomainRegions(regions)); err != nil {
		return err
	}
	if cfg.DemoHouseholds > 0 {
		if err := seedDemo(ctx, st, svc, regions, cfg.DemoHouseholds, now); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	return nil
}
