package sqldbtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// unreachable is a PostgreSQL DSN nothing listens on.
const unreachable = "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"

// TestSkipsAreRecordedAndReported: without a server (and outside CI) each PostgreSQL test is skipped and
// recorded in the directory `make test` names, and SkipReport counts them and says why; SQLite tests
// record nothing.
func TestSkipsAreRecordedAndReported(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(sqldbtest.SkipDirEnv, dir)
	t.Setenv("FUPIN_TEST_POSTGRES_DSN", unreachable)
	t.Setenv("CI", "")
	if line, err := sqldbtest.SkipReport(dir); err != nil || line != "PostgreSQL tests: none skipped." {
		t.Fatalf("before any skip: %q %v", line, err)
	}
	ran := map[string]bool{}
	for _, name := range []string{"first", "second", "third"} {
		sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
			sqldbtest.Open(t, d)
			ran[name+"/"+string(d)] = true
		})
	}
	if len(ran) != 3 || !ran["first/sqlite"] || ran["first/postgres"] {
		t.Fatalf("ran %v: want the three SQLite halves only", ran)
	}
	line, err := sqldbtest.SkipReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "PostgreSQL tests: 3 SKIPPED (no server at "+unreachable+" (") || strings.Count(line, "no server at") != 1 {
		t.Errorf("report %q", line)
	}
}

// TestSkipsFailUnderCI: under CI=true a missing server fails the test instead of skipping it (run in a
// child process, since a failing test cannot be observed from inside).
func TestSkipsFailUnderCI(t *testing.T) {
	if os.Getenv("SQLDBTEST_CHILD") == "1" {
		sqldbtest.Open(t, sqldb.Postgres)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSkipsFailUnderCI$", "-test.v")
	cmd.Env = append(os.Environ(), "SQLDBTEST_CHILD=1", "CI=true", "FUPIN_TEST_POSTGRES_DSN="+unreachable,
		sqldbtest.SkipDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PostgreSQL is required under CI=true") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if line, _ := sqldbtest.SkipReport(dir); line != "PostgreSQL tests: none skipped." {
		t.Errorf("a failure was recorded as a skip: %q", line)
	}
}
