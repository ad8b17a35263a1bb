// Command employment runs the employment service (人社) as its own process, pointed at an external etcd
// and database. Settings come from FUPIN_* environment variables (see README); it follows and calls the
// identification service, so it needs FUPIN_SERVICE_KEY_FILE.
package main

import (
	"context"

	"fupin.dev/services/employment"
	"fupin.dev/services/platform/boot"
)

func main() {
	boot.Main(employment.Name, func(ctx context.Context, base boot.Config) error {
		return employment.Run(ctx, employment.Config{Config: base})
	})
}
