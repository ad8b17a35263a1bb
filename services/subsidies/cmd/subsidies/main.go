// Command subsidies runs the subsidies service (民政 and 残联) as its own process, pointed at an external
// etcd and database. Settings come from FUPIN_* environment variables (see README); it calls the
// identification service, so it needs FUPIN_SERVICE_KEY_FILE.
package main

import (
	"context"

	"fupin.dev/services/platform/boot"
	"fupin.dev/services/subsidies"
)

func main() {
	boot.Main(subsidies.Name, func(ctx context.Context, base boot.Config) error {
		return subsidies.Run(ctx, subsidies.Config{Config: base})
	})
}
