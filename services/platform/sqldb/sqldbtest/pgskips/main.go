// Command pgskips prints, at the end of `make test`, how many PostgreSQL tests the run skipped for want of
// a server and why, from the directory the tests recorded their skips in (sqldbtest.SkipDirEnv).
package main

import (
	"fmt"
	"os"

	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pgskips DIR")
		os.Exit(2)
	}
	line, err := sqldbtest.SkipReport(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgskips:", err)
		os.Exit(1)
	}
	fmt.Println(line)
}
