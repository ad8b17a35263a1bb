package boot

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fupin.dev/services/platform/logging"
	"fupin.dev/services/platform/telemetry"
)

// Main is the whole of a service binary's main: the process's one logger (platform/logging: JSON unless
// FUPIN_LOG_FORMAT says text, level FUPIN_LOG_LEVEL), the common settings from FUPIN_* variables (exit 2
// when they are wrong), telemetry from OTEL_* variables, then run until SIGINT or SIGTERM, flushing
// telemetry on the way out (exit 1 when run fails).
func Main(name string, run func(ctx context.Context, base Config) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger, logErr := logging.Setup(os.Stderr, logging.JSON)
	base, err := FromEnv(logger)
	err = errors.Join(logErr, err)
	if err != nil {
		logger.Error("configuration", "err", err)
		os.Exit(2)
	}
	shutdown, err := telemetry.Setup(ctx, name)
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
	if err := run(ctx, base); err != nil {
		logger.Error(name+" stopped", "err", err)
		flush()
		os.Exit(1)
	}
}
