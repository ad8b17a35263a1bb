// Command fupin is the county's operator tool: `fupin dev` runs the whole county on one machine,
// `fupin token` makes dev tokens, `fupin policy` reads and sets policy, `fupin bench` measures.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fupin.dev/tools/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fupin:", err)
		stop()
		os.Exit(cli.ExitCode(err))
	}
}
