// Command identification runs the household register service (乡村振兴局) as its own process, pointed at
// an external etcd and database. Settings come from FUPIN_* environment variables (see README).
package main

import (
	"context"
	"os"
	"strconv"

	"fupin.dev/services/identification"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/tabular"
)

func main() {
	boot.Main(identification.Name, func(ctx context.Context, base boot.Config) error {
		demo, _ := strconv.Atoi(os.Getenv("FUPIN_DEMO_HOUSEHOLDS"))
		maxRows, _ := strconv.ParseInt(os.Getenv("FUPIN_IMPORT_MAX_ROWS"), 10, 64)
		maxCell, _ := strconv.Atoi(os.Getenv("FUPIN_IMPORT_MAX_CELL_CHARS"))
		maxUpload, _ := strconv.ParseInt(os.Getenv("FUPIN_IMPORT_MAX_UPLOAD_BYTES"), 10, 64)
		return identification.Run(ctx, identification.Config{Config: base,
			RegionsFile: os.Getenv("FUPIN_REGIONS_FILE"), DemoHouseholds: demo,
			ImportLimits: tabular.Limits{MaxRows: maxRows, MaxCellChars: maxCell}, MaxUploadBytes: maxUpload,
			EmploymentService: os.Getenv("FUPIN_EMPLOYMENT_SERVICE")})
	})
}
