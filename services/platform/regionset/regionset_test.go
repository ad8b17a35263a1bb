package regionset_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/regionset"
)

const demoCounty = "../../../deploy/regions/demo-county.json"

func TestScope(t *testing.T) {
	tests := []struct {
		name   string
		region regionset.Region
		want   string
	}{
		{name: "county", region: regionset.Region{Code: "990001000000", Level: regionset.LevelCounty}, want: "990001"},
		{name: "township", region: regionset.Region{Code: "990001002000", Level: regionset.LevelTownship}, want: "990001002"},
		{name: "village", region: regionset.Region{Code: "990001002003", Level: regionset.LevelVillage}, want: "990001002003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.region.Scope(); got != tt.want {
				t.Errorf("Scope() = %q, want %q", got, tt.want)
			}
		})
	}
}

// known asks s about scope and fails the test on an error.
func known(t *testing.T, s *regionset.Set, scope string) bool {
	t.Helper()
	ok, err := s.Known(scope)
	if err != nil {
		t.Fatalf("Known(%q): %v", scope, err)
	}
	return ok
}

func TestPublishedRegionsAreKnownEverywhere(t *testing.T) {
	cli := etcdtest.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	regions, err := regionset.LoadFile(demoCounty)
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) <= 100 {
		t.Fatalf("%d regions: the test wants more than one transaction's worth", len(regions))
	}

	s, err := regionset.Open(ctx, cli, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Known("990001002"); !errors.Is(err, regionset.ErrNotKnown) {
		t.Errorf("Known before anything was published: %v, want ErrNotKnown", err)
	}

	if err := regionset.Publish(ctx, cli, regions); err != nil {
		t.Fatal(err)
	}
	// Publish writes in several transactions and the set follows each: wait for the whole county.
	for _, r := range regions {
		waitKnown(t, ctx, s, r.Scope(), true)
	}
	tests := []struct {
		name  string
		scope string
		want  bool
	}{
		{name: "the county", scope: "990001", want: true},
		{name: "a township", scope: "990001002", want: true},
		{name: "a village", scope: "990001002003", want: true},
		{name: "a township's 12-digit code is not a village", scope: "990001002000", want: false},
		{name: "the county's 12-digit code", scope: "990001000000", want: false},
		{name: "a township that does not exist", scope: "990001099", want: false},
		{name: "a village that does not exist", scope: "990001002999", want: false},
		{name: "another county", scope: "420602", want: false},
		{name: "a 7-digit prefix", scope: "9900010", want: false},
		{name: "empty", scope: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := known(t, s, tt.scope); got != tt.want {
				t.Errorf("Known(%q) = %v, want %v", tt.scope, got, tt.want)
			}
		})
	}

	t.Run("names", func(t *testing.T) {
		for scope, want := range map[string]string{"990001002": "青山乡", "990001006": "龙泉镇", "": "示范县 (演示)", "990001": "示范县 (演示)", "990001099": ""} {
			if got := s.Name(scope); got != want {
				t.Errorf("Name(%q) = %q, want %q", scope, got, want)
			}
		}
	})

	t.Run("publishing again converges: removed regions go, unchanged ones stay", func(t *testing.T) {
		var fewer []regionset.Region
		for _, r := range regions {
			if r.Code != "990001002003" {
				fewer = append(fewer, r)
			}
		}
		if err := regionset.Publish(ctx, cli, fewer); err != nil {
			t.Fatal(err)
		}
		waitKnown(t, ctx, s, "990001002003", false)
		resp, err := cli.Get(ctx, regionset.Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if int(resp.Count) != len(fewer) {
			t.Errorf("%d keys under %s, want %d", resp.Count, regionset.Prefix, len(fewer))
		}
	})

	t.Run("an entry that is not a region is ignored", func(t *testing.T) {
		for key, value := range map[string]string{
			regionset.Prefix + "990001002777": `{"level":"township"}`, // a village's shape
			regionset.Prefix + "99000100277":  `{"level":"village"}`,  // 11 digits
			regionset.Prefix + "990001002778": `not json`,
			regionset.Prefix + "990001002779": `{"level":"village"}`, // a good one, to see the others were read
		} {
			if _, err := cli.Put(ctx, key, value); err != nil {
				t.Fatal(err)
			}
		}
		waitKnown(t, ctx, s, "990001002779", true)
		for _, scope := range []string{"990001002777", "990001002", "99000100277", "990001002778"} {
			if want := scope == "990001002"; known(t, s, scope) != want {
				t.Errorf("Known(%q) = %v, want %v", scope, !want, want)
			}
		}
	})

	t.Run("a bad region is not published", func(t *testing.T) {
		err := regionset.Publish(ctx, cli, []regionset.Region{{Code: "990001002000", Level: regionset.LevelVillage}})
		if err == nil {
			t.Error("Publish accepted a township code as a village")
		}
		if !known(t, s, "990001002") {
			t.Error("a refused publication changed the set")
		}
	})
}

// waitKnown waits until Known(scope) is want.
func waitKnown(t *testing.T, ctx context.Context, s *regionset.Set, scope string, want bool) {
	t.Helper()
	for {
		ok, err := s.Known(scope)
		if err == nil && ok == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Known(%q) = %v, %v; want %v", scope, ok, err, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestOf(t *testing.T) {
	s := regionset.Of(regionset.Region{Code: "990001002000", Level: regionset.LevelTownship})
	if !known(t, s, "990001002") || known(t, s, "990001003") {
		t.Error("a fixed set does not hold exactly its regions")
	}
	if _, err := regionset.Of().Known("990001002"); !errors.Is(err, regionset.ErrNotKnown) {
		t.Errorf("an empty set: %v, want ErrNotKnown", err)
	}
}

func TestLoadFileRejectsMistakes(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":          `[{"code":`,
		"short code":        `[{"code":"99000100200","level":"village"}]`,
		"level of a shape":  `[{"code":"990001002000","level":"village"}]`,
		"letters in a code": `[{"code":"99000100200a","level":"village"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir() + "/regions.json"
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if r, err := regionset.LoadFile(path); err == nil {
				t.Errorf("LoadFile = %v, want an error", r)
			}
		})
	}
}
