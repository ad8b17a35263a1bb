package sqldbtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// SkipDirEnv names the directory where the PostgreSQL tests skipped for want of a server are recorded, one
// file per test: `make test` makes the directory, passes it to every test process and prints SkipReport's
// line after the run, so a contributor without a server sees how much did not run (go test prints only
// "ok" for a package whose PostgreSQL half was skipped).
const SkipDirEnv = "FUPIN_TEST_SKIP_DIR"

// skipPostgres skips t because no PostgreSQL server answered, recording why in SkipDirEnv's directory.
func skipPostgres(t testing.TB, reason string) {
	t.Helper()
	if dir := os.Getenv(SkipDirEnv); dir != "" {
		if err := recordSkip(dir, t.Name(), reason); err != nil {
			t.Logf("recording the skip in %s: %v", dir, err)
		}
	}
	t.Skipf("SKIPPING PostgreSQL test: %s; set FUPIN_TEST_POSTGRES_DSN", reason)
}

// recordSkip writes one file per skipped test: test processes run in parallel, and a file of its own is
// never interleaved with another's line.
func recordSkip(dir, test, reason string) error {
	f, err := os.CreateTemp(dir, "skip-*")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\t%s\n", test, strings.Join(strings.Fields(reason), " "))
	return errors.Join(err, f.Close())
}

// SkipReport is the one line `make test` prints at the end: how many PostgreSQL tests the run skipped and
// why (the reasons, most frequent first).
func SkipReport(dir string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "skip-*"))
	if err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return "PostgreSQL tests: none skipped.", nil
	}
	reasons := map[string]int{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		_, reason, _ := strings.Cut(strings.TrimSpace(string(b)), "\t")
		reasons[reason]++
	}
	order := make([]string, 0, len(reasons))
	for r := range reasons {
		order = append(order, r)
	}
	sort.Slice(order, func(i, j int) bool {
		if reasons[order[i]] != reasons[order[j]] {
			return reasons[order[i]] > reasons[order[j]]
		}
		return order[i] < order[j]
	})
	return fmt.Sprintf("PostgreSQL tests: %d SKIPPED (%s): start a server or set FUPIN_TEST_POSTGRES_DSN (README); under CI=true they fail instead.",
		len(paths), strings.Join(order, "; ")), nil
}
