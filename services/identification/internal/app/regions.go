package app

import (
	"context"
	"fmt"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/boot"
	"fupin.dev/services/platform/regionset"
)

// publishRegions publishes the code, level and name of every region of the master data this service holds
// (whatever file loaded them, and on every start) to etcd, where the token verifiers of every service and
// of the gateway read them (platform/regionset): a township officer's token must name a township of the
// county, and the gateway shows a signed-in person their region's name and
// the public notice pages the regions' names. It is the only copy of the master
// data outside this service, and says nothing but codes, levels and names.
func publishRegions(ctx context.Context, p *boot.Process, st *store.Store) error {
	regions, err := st.RegionsUnder(ctx, "")
	if err != nil {
		return fmt.Errorf("publish regions: %w", err)
	}
	out := make([]regionset.Region, 0, len(regions))
	for _, r := range regions {
		out = append(out, regionset.Region{Code: r.Code, Level: levelName(r.Level), Name: r.Name})
	}
	return regionset.Publish(ctx, p.Etcd, out)
}

// levelName is the master data's name of a level ("county", "township", "village").
func levelName(l domain.RegionLevel) string {
	for name, level := range levels {
		if level == l {
			return name
		}
	}
	return ""
}
