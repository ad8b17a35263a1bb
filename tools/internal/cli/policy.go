package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/policy"
)

// runPolicy reads or sets policy values directly in etcd. Setting is an operator action: it prints what
// changed so the change can be recorded.
func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "get" && args[0] != "set" && args[0] != "seed") {
		return fmt.Errorf("%w: fupin policy get PARAMETER [--region CODE] [--date YYYY-MM-DD] | fupin policy set PARAMETER JSON [--region CODE|*] [--effective YYYY-MM-DD] | fupin policy seed [--file deploy/policy/defaults.json]", errUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("policy "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoints := fs.String("etcd", envOr("FUPIN_ETCD_ENDPOINTS", "127.0.0.1:2379"), "etcd endpoints, comma-separated")
	region := fs.String("region", "", "region code (get) or prefix/`*` (set)")
	date := fs.String("date", bizdate.Today(time.Now()), "business date to look up (get)")
	effective := fs.String("effective", bizdate.Today(time.Now()), "effective business date (set)")
	file := fs.String("file", filepath.Join(envOr("FUPIN_DEPLOY_DIR", "deploy"), "policy", "defaults.json"), "defaults file (seed)")
	// Flags may follow the positional arguments.
	var pos []string
	rest := args[1:]
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos = append(pos, rest[0])
			rest = rest[1:]
		}
	}
	cli, err := etcdx.Dial(strings.Split(*endpoints, ","))
	if err != nil {
		return err
	}
	defer cli.Close()
	switch verb {
	case "seed":
		entries, err := policy.LoadDefaultsFile(*file)
		if err != nil {
			return err
		}
		written, err := policy.SeedDefaults(ctx, cli, entries)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d of %d default entries from %s (%d already set, left as they are)\n",
			written, len(entries), *file, len(entries)-written)
	case "get":
		if len(pos) != 1 {
			return fmt.Errorf("%w: fupin policy get PARAMETER", errUsage)
		}
		st, err := policy.Open(ctx, cli, nil)
		if err != nil {
			return err
		}
		defer st.Close()
		d, err := bizdate.Parse(*date)
		if err != nil {
			return fmt.Errorf("%w: --date: %v", errUsage, err)
		}
		v, err := st.Lookup(pos[0], *region, d)
		if err != nil {
			return err
		}
		out, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintln(stdout, string(out))
	case "set":
		if len(pos) != 2 {
			return fmt.Errorf("%w: fupin policy set PARAMETER JSON", errUsage)
		}
		r := *region
		if r == "" {
			r = "*"
		}
		if err := policy.Set(ctx, cli, pos[0], r, *effective, json.RawMessage(pos[1])); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "set %s\n", policy.Key(pos[0], r, *effective))
	}
	return nil
}
