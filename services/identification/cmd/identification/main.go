// Command identification runs the household register service (乡村振兴局) as its own process, pointed at
// an external etcd and database. Settings come from FUPIN_* environment variables (see README).
package main

import (
	"context"
	"os"
	"strconv"

	"fupin.dev/services/identification"
	"fupin.dev/services/platform/boot"
)

func main() {
	boot.Main(identification.Name, func(ctx context.Context, base boot.Config) error {
		demo, _ := strconv.Atoi(os.Getenv("FUPIN_DEMO_HOUSEHOLDS"))
		return identification.Run(ctx, identification.Config{Config: base,
			RegionsFile: os.Getenv("FUPIN_REGIONS_FILE"), DemoHouseholds: demo})
	})
}
