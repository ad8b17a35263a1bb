// Package cli implements the fupin command's subcommands.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"dev":    {"run the whole county on this machine (in-process etcd, SQLite, gateway on :8080)", runDev},
	"token":  {"sign a person's dev token: fupin token --dept rural_revitalization --role township_officer --region 990001002 [--sub PERSON] (a real person's token names the person)", runToken},
	"pubkey": {"a key file block for a key: fupin pubkey --key subsidies.pem --signs service:subsidies --dept civil_affairs >> public-keys.pem", runPubkey},
	"policy": {"read, set or seed policy values in etcd: fupin policy get|set|seed ...", runPolicy},
	"bench":  {"measure: fupin bench get-household|import|screening|roll|portal ...", runBench},
	"import": {"bulk-load ledgers: fupin import households|clues FILE.csv|FILE.xlsx [--dry-run] [--report FILE]", runImport},
	"seed":   {"write a synthetic county as a household ledger: fupin seed --households N [--out FILE] [--xlsx]", runSeed},
}

// errUsage marks a mistake in the command line (exit code 2).
var errUsage = errors.New("usage")

// ExitCode is the process exit code for err.
func ExitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// Main runs the subcommand args[0].
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fupin <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-7s %s\n", n, commands[n].summary)
	}
}
