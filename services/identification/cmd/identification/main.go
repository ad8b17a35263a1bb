// Command identification runs the household register service (乡村振兴局) as its own process, pointed at
// an external etcd and database. Settings come from FUPIN_* environment variables (see README).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"fupin.dev/services/identification"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	base, err := boot.FromEnv(logger)
	if err != nil {
		logger.Error("configuration", "err", err)
		os.Exit(2)
	}
	shutdown, err := telemetry.Setup(ctx, identification.Name)
	if err != nil {
		logger.Error("telemetry", "err", err)
		os.Exit(1)
	}
	flush := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = shutdown(fctx)
	}
	defer flush()
	demo, _ := strconv.Atoi(os.Getenv("FUPIN_DEMO_HOUSEHOLDS"))
	cfg := identification.Config{Config: base, RegionsFile: os.Getenv("FUPIN_REGIONS_FILE"), DemoHouseholds: demo}
	if err := identification.Run(ctx, cfg); err != nil {
		logger.Error("identification stopped", "err", err)
		flush()
		os.Exit(1)
	}
}
