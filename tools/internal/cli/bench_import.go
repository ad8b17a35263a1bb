package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/tabular"
	_ "github.com/jackc/pgx/v5/stdlib" // the bench creates and drops its PostgreSQL database
)

// runBenchImport measures the bulk import the way a county runs it: it writes a synthetic county as a
// ledger file, starts `fupin dev` as a child process with the settings of `make run` (auth, audit, change
// feed, telemetry set up; SQLite on disk, or PostgreSQL with --postgres), then runs `fupin import
// households` as a second child process, which streams the file through the real ImportHouseholds RPC.
// It prints the settings, the import's time and rate, and each process's peak memory and CPU time.
func runBenchImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	households := fs.Int("households", 350000, "households in the synthetic county imported")
	postgres := fs.String("postgres", "", "PostgreSQL server DSN (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable): import into a fresh database there instead of SQLite")
	xlsx := fs.Bool("xlsx", false, "import an XLSX file instead of CSV (at most ~300,000 households fit one worksheet)")
	batch := fs.Int("batch", 0, "households per transaction (default: the service's, 1000)")
	bulk := fs.Bool("bulk", false, "import with `fupin import households --bulk` (one transaction, one register.bulk_loaded; subsidies resyncs from the register's snapshot)")
	perMessage := fs.Int("rows-per-message", 2000, "rows per stream message")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory")
	cpuProfile := fs.String("cpuprofile", "", "write the county process's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *households <= 0 {
		return fmt.Errorf("%w: fupin bench import [--households N] [--postgres DSN] [--xlsx] [--batch N]", errUsage)
	}
	dir, err := os.MkdirTemp("", "fupin-bench-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	file := filepath.Join(dir, "county.csv")
	if *xlsx {
		file = filepath.Join(dir, "county.xlsx")
	}
	regions, err := synth.LoadRegions(filepath.Join(*deploy, "regions", "demo-county.json"))
	if err != nil {
		return err
	}
	t0 := time.Now()
	w, err := tabular.Create(file)
	if err != nil {
		return err
	}
	persons, err := writeCounty(w, synth.New(20240101, regions, time.Now()), *households, false)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	seedTook := time.Since(t0)
	info, err := os.Stat(file)
	if err != nil {
		return err
	}

	database := "SQLite (WAL) on disk"
	var extra []string
	var pgURL string
	data := filepath.Join(dir, "data")
	registerURL, subsidiesURL := "sqlite:"+filepath.Join(data, "identification.db"), "sqlite:"+filepath.Join(data, "subsidies.db")
	if *postgres != "" {
		var drop func()
		if pgURL, drop, err = freshPostgresDB(ctx, *postgres); err != nil {
			return err
		}
		defer drop()
		// Subsidies, which follows the register, on PostgreSQL too (a database of its own).
		if subsidiesURL, drop, err = freshPostgresDB(ctx, *postgres); err != nil {
			return err
		}
		defer drop()
		registerURL = pgURL
		extra = append(extra, "--db-url", "identification="+pgURL, "--db-url", "subsidies="+subsidiesURL)
		u, _ := url.Parse(pgURL)
		database = "PostgreSQL " + u.Host + "/" + strings.TrimPrefix(u.Path, "/") + " (subsidies in a database of its own)"
	}
	county, err := startCountyProcess(ctx, data, *deploy, 0, *cpuProfile, extra, stderr)
	if err != nil {
		return err
	}
	defer func() {
		_ = county.cmd.Process.Signal(os.Interrupt)
		_ = county.cmd.Wait()
	}()

	fmt.Fprintf(stdout, "fupin bench import\n  settings: %d households, %d persons (%d rows + header), %s file of %.1f MB, written in %s;\n"+
		"            `fupin import households` (child process) streams it through ImportHouseholds (gRPC, etcd discovery)\n"+
		"            in messages of %d rows to `fupin dev` (child process: full interceptor chain, audit, change feed);\n"+
		"            %s; batch %s households per transaction; %d CPU cores, load average %s\n",
		*households, persons, persons, strings.ToUpper(string(tabular.FormatOf(file))), float64(info.Size())/1e6,
		seedTook.Round(10*time.Millisecond), *perMessage, database, orDefault(*batch, "1000 (default)"), runtime.NumCPU(), loadAverage())

	self, err := os.Executable()
	if err != nil {
		return err
	}
	importArgs := []string{"import", "households", file, "--etcd", county.etcdAddr, "--data", data,
		"--rows-per-message", strconv.Itoa(*perMessage), "--max-print", "20"}
	if *batch > 0 {
		importArgs = append(importArgs, "--batch", strconv.Itoa(*batch))
	}
	if *bulk {
		importArgs = append(importArgs, "--bulk")
	}
	if *xlsx {
		// fupin seed writes inline strings (≈780 bytes a row unpacked): a full worksheet passes the
		// reader's default unpacked size, which is sized for files as Excel saves them.
		importArgs = append(importArgs, "--max-unzip-mb", "1024")
	}
	countyCPU0 := cpuTime(county.cmd.Process.Pid)
	pgCPU0 := postgresCPU(ctx, pgURL)
	imp := exec.CommandContext(ctx, self, importArgs...)
	var out bytes.Buffer
	imp.Stdout, imp.Stderr = &out, &out
	start := time.Now()
	runErr := imp.Run()
	took := time.Since(start)
	importCPU := cpuTime(county.cmd.Process.Pid) - countyCPU0
	var followed time.Duration
	if runErr == nil {
		// Subsidies follows the register: the county is done when subsidies' cursor has reached the
		// register's last change (after a bulk load, when its resync from the snapshot is done).
		if err := waitFollowed(ctx, registerURL, subsidiesURL, 10*time.Minute); err != nil {
			return err
		}
		followed = time.Since(start)
	}
	countyCPU := cpuTime(county.cmd.Process.Pid) - countyCPU0
	pgCPU := postgresCPU(ctx, pgURL) + postgresCPU(ctx, subsidiesURL) - pgCPU0
	fmt.Fprintf(stdout, "  importer: %s", indent(out.String()))
	if runErr != nil {
		return fmt.Errorf("the import failed: %w", runErr)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("imported %d households", *households)) {
		return errors.New("the import did not write every household")
	}
	var importerRSS, importerCPU string
	if ru, ok := imp.ProcessState.SysUsage().(*syscall.Rusage); ok {
		importerRSS = fmt.Sprintf("%d kB", ru.Maxrss)
		importerCPU = (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Round(10 * time.Millisecond).String()
	}
	mode := "ordinary path"
	if *bulk {
		mode = "bulk load"
	}
	fmt.Fprintf(stdout, "  result:   %s: imported in %s, followed by subsidies after %s (total) for %d households: %.0f rows/s, %.0f households/s (total)\n",
		mode, took.Round(10*time.Millisecond), followed.Round(10*time.Millisecond),
		*households, float64(persons)/followed.Seconds(), float64(*households)/followed.Seconds())
	fmt.Fprintf(stdout, "  memory:   county process (etcd + services + gateway) peak RSS %s; importer peak RSS %s\n",
		peakRSS(county.cmd.Process.Pid), importerRSS)
	fmt.Fprintf(stdout, "  cpu:      county process %s (%s until the import ended), importer %s", countyCPU.Round(10*time.Millisecond),
		importCPU.Round(10*time.Millisecond), importerCPU)
	if pgURL != "" && pgCPU > 0 {
		fmt.Fprintf(stdout, ", PostgreSQL backends of the bench database %s", pgCPU.Round(10*time.Millisecond))
	}
	fmt.Fprintln(stdout)
	return nil
}

// waitFollowed waits until the subsidies service's cursor of the register's feed has reached the
// register's last change.
func waitFollowed(ctx context.Context, registerURL, subsidiesURL string, limit time.Duration) error {
	reg, err := sqldb.Open(ctx, registerURL)
	if err != nil {
		return err
	}
	defer reg.Close()
	sub, err := sqldb.Open(ctx, subsidiesURL)
	if err != nil {
		return err
	}
	defer sub.Close()
	var last int64
	if err := reg.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fupin_outbox`).Scan(&last); err != nil {
		return fmt.Errorf("the register's feed: %w", err)
	}
	deadline := time.Now().Add(limit)
	for {
		var cursor int64
		err := sub.Q(ctx).QueryRowContext(ctx, `SELECT sequence FROM fupin_cursors WHERE name = 'identification/households'`).Scan(&cursor)
		if err == nil && cursor >= last {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("subsidies did not follow the register within %s (cursor %d, last change %d, %v)", limit, cursor, last, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func orDefault(n int, def string) string {
	if n > 0 {
		return strconv.Itoa(n)
	}
	return def
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n            ") + "\n"
}

// postgresCPU is the CPU time used so far by the server processes connected to the database dbURL
// names, when the server runs on this machine (0 otherwise): where the database's own work shows.
func postgresCPU(ctx context.Context, dbURL string) time.Duration {
	if dbURL == "" {
		return 0
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return 0
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			total += cpuTime(pid)
		}
	}
	return total
}

// cpuTime reads a process's user + system CPU time from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks (USER_HZ = 100 on Linux)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// dbURLFlag collects `fupin dev --db-url SERVICE=URL` values.
type dbURLFlag map[string]string

func (f dbURLFlag) String() string {
	var out []string
	for k, v := range f {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func (f dbURLFlag) Set(v string) error {
	name, url, ok := strings.Cut(v, "=")
	if !ok || name == "" || url == "" {
		return errors.New("want SERVICE=URL")
	}
	f[name] = url
	return nil
}
