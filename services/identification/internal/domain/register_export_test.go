package domain_test

import (
	"testing"

	"fupin.dev/services/identification/internal/domain"
)

func TestNarrowScope(t *testing.T) {
	for _, tc := range []struct {
		name, scope, region, want string
	}{
		{"county caller, whole county", "", "", ""},
		{"county caller narrows to a township", "", "990001002", "990001002"},
		{"township caller, no region", "990001002", "", "990001002"},
		{"township caller narrows to its village", "990001002", "990001002003", "990001002003"},
		{"township caller asks for the county: stays in its township", "990001002", "990001", "990001002"},
		{"township caller asks for another township: nothing", "990001002", "990001001", "none"},
		{"village caller asks for a sibling village: nothing", "990001002003", "990001002004", "none"},
		{"same prefix", "990001002", "990001002", "990001002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.NarrowScope(tc.scope, tc.region); got != tc.want {
				t.Errorf("NarrowScope(%q, %q) = %q, want %q", tc.scope, tc.region, got, tc.want)
			}
		})
	}
}
