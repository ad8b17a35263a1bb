package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/tabular"
)

// runBenchPortal measures the portal's first page the way an official meets it: a county of --households
// households written by `fupin seed`'s generator and imported with `fupin import households` (as `fupin bench
// import` does) into `fupin dev` in a child process, then the portal's browser harness
// (gateway/portal/e2e/bench-dashboard.mjs: playwright-core driving Debian's chromium, headless) signs in as
// the officer of the largest township through the development identity provider and times the dashboard's
// data shown after navigation, with the browser's cache emptied and warm.
func runBenchPortal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench portal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	households := fs.Int("households", 350000, "households in the synthetic county imported (0: the 3,000-household demo county of fupin dev)")
	runs := fs.Int("runs", 7, "measured navigations of each kind (empty cache, warm cache)")
	user := fs.String("user", "rural_revitalization.township_officer", "the demo user signed in (the development identity provider's username)")
	portal := fs.String("portal", "gateway/portal", "the portal's folder (holds e2e/bench-dashboard.mjs and node_modules with playwright-core)")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory")
	keep := fs.String("keep", "", "keep the county's data directory here and reuse it when it is there already (skips the import on a second run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *households < 0 || *runs <= 0 {
		return fmt.Errorf("%w: fupin bench portal [--households N] [--runs N] [--user U] [--keep DIR]", errUsage)
	}
	script, err := filepath.Abs(filepath.Join(*portal, "e2e", "bench-dashboard.mjs"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("%w: the browser harness: %w (run from the repository's root, or give --portal)", errUsage, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("the portal benchmark drives chromium from Node.js (playwright-core): %w", err)
	}

	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fupin-bench-portal-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	imported := filepath.Join(dir, "imported")
	_, statErr := os.Stat(imported)
	fresh := errors.Is(statErr, os.ErrNotExist)
	demo := 0
	if *households == 0 {
		demo = 3000
	}
	var file string
	var persons int
	if fresh && *households > 0 {
		file = filepath.Join(dir, "county.csv")
		regions, err := synth.LoadRegions(filepath.Join(*deploy, "regions", "demo-county.json"))
		if err != nil {
			return err
		}
		w, err := tabular.Create(file)
		if err != nil {
			return err
		}
		persons, err = writeCounty(w, synth.New(20240101, regions, time.Now()), *households, false)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	county, err := startCountyProcess(ctx, data, *deploy, demo, "", nil, stderr)
	if err != nil {
		return err
	}
	defer func() {
		_ = county.cmd.Process.Signal(os.Interrupt)
		_ = county.cmd.Wait()
	}()
	if err := portalServed(county.gatewayURL); err != nil {
		return err
	}
	if file != "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "importing %d households (%d persons)...\n", *households, persons)
		t0 := time.Now()
		imp := exec.CommandContext(ctx, self, "import", "households", file, "--etcd", county.etcdAddr, "--data", data, "--max-print", "20")
		var out bytes.Buffer
		imp.Stdout, imp.Stderr = &out, &out
		if err := imp.Run(); err != nil {
			return fmt.Errorf("the import failed: %w\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), fmt.Sprintf("imported %d households", *households)) {
			return fmt.Errorf("the import did not write every household:\n%s", out.String())
		}
		fmt.Fprintf(stderr, "imported in %s\n", time.Since(t0).Round(time.Second))
		_ = os.Remove(file)
		if err := os.WriteFile(imported, []byte(strconv.Itoa(*households)+"\n"), 0o644); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "fupin bench portal\n  settings: a %s; `fupin dev` in a child process (SQLite on disk, every interceptor, audit on);\n"+
		"            headless Debian chromium (playwright-core), 1366×768, signed in as %s through the development identity provider;\n"+
		"            each run: a full navigation from /households to / until the KPI figures and the chart are shown;\n"+
		"            %d runs with the browser's cache emptied (CDP Network.clearBrowserCache) and %d warm; %d CPU cores, load average %s\n",
		countyWords(*households, fresh), *user, *runs, *runs, runtime.NumCPU(), loadAverage())
	node := exec.CommandContext(ctx, "node", script, "--url", county.gatewayURL, "--user", *user, "--runs", strconv.Itoa(*runs))
	node.Dir = filepath.Dir(filepath.Dir(script))
	var out bytes.Buffer
	node.Stdout, node.Stderr = &out, stderr
	if err := node.Run(); err != nil {
		return fmt.Errorf("the browser harness failed: %w\n%s", err, out.String())
	}
	var res struct {
		EmptyCache, WarmCache struct {
			Median, Max int
			All         []int
		}
		StatisticsMS int `json:"statistics_ms"`
		FirstLoadMS  int `json:"first_load_ms"`
	}
	line := strings.TrimSpace(out.String())
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer("empty_cache_ms", "EmptyCache", "warm_cache_ms", "WarmCache").Replace(line)), &res); err != nil {
		return fmt.Errorf("the browser harness printed %q: %w", out.String(), err)
	}
	fmt.Fprintf(stdout, "  first load after the county started (server cold, not counted below): %d ms\n", res.FirstLoadMS)
	fmt.Fprintf(stdout, "  empty cache: median %d ms, max %d ms (target ≤ 3000 ms); runs %v\n", res.EmptyCache.Median, res.EmptyCache.Max, res.EmptyCache.All)
	fmt.Fprintf(stdout, "  warm cache:  median %d ms, max %d ms (target ≤ 1500 ms); runs %v\n", res.WarmCache.Median, res.WarmCache.Max, res.WarmCache.All)
	fmt.Fprintf(stdout, "  GetStatistics of the township through the gateway, seen by the harness: %d ms\n", res.StatisticsMS)
	fmt.Fprintf(stdout, "  memory:   county process (etcd + services + gateway) peak RSS %s\n", peakRSS(county.cmd.Process.Pid))
	return nil
}

func countyWords(households int, fresh bool) string {
	switch {
	case households == 0:
		return "3,000-household demo county (fupin dev's seed)"
	case fresh:
		return fmt.Sprintf("%d-household county written by fupin seed's generator and imported with fupin import households", households)
	default:
		return fmt.Sprintf("%d-household county imported earlier (--keep)", households)
	}
}

// portalServed checks that the gateway serves the built portal, not the page saying how to build it.
func portalServed(base string) error {
	resp, err := http.Get(base + "/sign-in-failed")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(b, []byte(`type="module"`)) {
		return errors.New("the gateway serves no portal build: run `make portal` first (this binary embeds gateway/portal/dist when it is built)")
	}
	return nil
}
