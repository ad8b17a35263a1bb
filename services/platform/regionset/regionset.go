// Package regionset makes the county's region master data (行政区划) known to every process that checks
// tokens, without any of them reading the identification service's database or file.
//
// The master data is identification's: it loads it (FUPIN_REGIONS_FILE) into its database and, on every
// start, publishes the code, level and name of each region to etcd under Prefix (Publish). Every service and the
// gateway keep a live Set of those regions (an etcdx.Mirror of the prefix) that their token verifier
// consults: a township officer's token must name a township of the master data, a village officer's a
// village. While etcd is unreachable the set keeps what it last knew.
package regionset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/services/platform/etcdx"
)

// Prefix is the etcd key prefix of the published regions: /fupin/regions/<12-digit code> →
// {"level":…,"name":…}.
const Prefix = "/fupin/regions/"

// Region levels, as in the master data.
const (
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelVillage  = "village"
)

// ErrNotKnown is returned by Set.Known while no region master data has been published (a fresh install
// before identification's first start) or, in the gateway, before etcd has answered once.
var ErrNotKnown = errors.New("the county's region master data is not known yet (the identification service publishes it to etcd when it starts)")

var codeRE = regexp.MustCompile(`^[0-9]{12}$`)

// Region is one region of the master data as published: its 12-digit code (统计用区划代码: county 6 +
// township 3 + village 3, upper levels padded with zeros), its level and its name (e.g. 龙泉镇).
type Region struct {
	Code  string `json:"code"`
	Level string `json:"level"`
	// Name is the region's name (城关镇, 东街社区): public, shown on the public notice pages.
	Name string `json:"name,omitempty"`
}

// Scope is the region scope a token names this region by: the county's 6 digits, a township's 9, a
// village's whole 12-digit code.
func (r Region) Scope() string {
	switch r.Level {
	case LevelCounty:
		return r.Code[:6]
	case LevelTownship:
		return r.Code[:9]
	}
	return r.Code
}

// check refuses a code that is not 12 digits or a level that does not match the code's shape.
func (r Region) check() error {
	if !codeRE.MatchString(r.Code) {
		return fmt.Errorf("region code %q is not 12 digits", r.Code)
	}
	want := LevelVillage
	switch {
	case r.Code[6:] == "000000":
		want = LevelCounty
	case r.Code[9:] == "000":
		want = LevelTownship
	}
	if r.Level != want {
		return fmt.Errorf("region %s: level %q, want %q for a code of that shape", r.Code, r.Level, want)
	}
	return nil
}

// value is what etcd holds for a region.
type value struct {
	Level string `json:"level"`
	Name  string `json:"name,omitempty"`
}

// maxTxnOps keeps each transaction below etcd's default limit of 128 operations.
const maxTxnOps = 100

// Publish makes etcd hold exactly regions under Prefix: it writes what is new or changed and deletes what
// is no longer there, so every replica of identification may publish on start without coordination.
func Publish(ctx context.Context, cli *clientv3.Client, regions []Region) error {
	want := make(map[string]string, len(regions))
	for _, r := range regions {
		if err := r.check(); err != nil {
			return fmt.Errorf("regionset: publish: %w", err)
		}
		b, _ := json.Marshal(value{Level: r.Level, Name: r.Name})
		want[Prefix+r.Code] = string(b)
	}
	resp, err := cli.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("regionset: publish: list %s: %w", Prefix, err)
	}
	have := make(map[string]string, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		have[string(kv.Key)] = string(kv.Value)
	}
	var ops []clientv3.Op
	for k, v := range want {
		if old, ok := have[k]; !ok || old != v {
			ops = append(ops, clientv3.OpPut(k, v))
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			ops = append(ops, clientv3.OpDelete(k))
		}
	}
	for len(ops) > 0 {
		n := min(len(ops), maxTxnOps)
		if _, err := cli.Txn(ctx).Then(ops[:n]...).Commit(); err != nil {
			return fmt.Errorf("regionset: publish: %w", err)
		}
		ops = ops[n:]
	}
	return nil
}

// Set is the live set of the county's region scopes. It is safe for concurrent use; Known and Name never
// touch etcd.
type Set struct {
	scopes  atomic.Pointer[scopes]
	regions atomic.Pointer[[]Region] // by code
	mirror  *etcdx.Mirror
	logger  *slog.Logger
}

// scopes are the regions by scope, with their names; county is the county's scope.
type scopes struct {
	names  map[string]string
	county string
}

// Open loads the published regions, bounded by ctx, and follows changes until Close (a service, which
// needs etcd to start anyway). A nil logger means slog.Default().
func Open(ctx context.Context, cli *clientv3.Client, logger *slog.Logger) (*Set, error) {
	s := newSet(logger)
	m, err := etcdx.Follow(ctx, cli, Prefix, s.logger, s.replace)
	if err != nil {
		return nil, fmt.Errorf("regionset: open: %w", err)
	}
	s.mirror = m
	return s, nil
}

// OpenInBackground is Open for a process that must start while etcd may be away (the gateway): until etcd
// has answered once, Known reports ErrNotKnown.
func OpenInBackground(cli *clientv3.Client, logger *slog.Logger) *Set {
	s := newSet(logger)
	s.mirror = etcdx.FollowInBackground(cli, Prefix, s.logger, s.replace)
	return s
}

// Of is a fixed set of regions, for tools and tests that run without etcd.
func Of(regions ...Region) *Set {
	s := newSet(nil)
	s.store(regions)
	return s
}

// store replaces the set's regions.
func (s *Set) store(regions []Region) {
	sorted := slices.SortedFunc(slices.Values(regions), func(a, b Region) int { return strings.Compare(a.Code, b.Code) })
	s.scopes.Store(scopesOf(regions))
	s.regions.Store(&sorted)
}

// Region returns the region of a 12-digit code, or a 6- or 9-digit scope.
func (s *Set) Region(code string) (Region, bool) {
	p := s.regions.Load()
	if p == nil {
		return Region{}, false
	}
	code = (code + "000000000000")[:12]
	i, ok := slices.BinarySearchFunc(*p, code, func(r Region, c string) int { return strings.Compare(r.Code, c) })
	if !ok {
		return Region{}, false
	}
	return (*p)[i], true
}

// Within returns the regions of a level under a scope (a township's villages, the county's townships), by code.
func (s *Set) Within(scope, level string) []Region {
	p := s.regions.Load()
	if p == nil {
		return nil
	}
	var out []Region
	for _, r := range *p {
		if r.Level == level && strings.HasPrefix(r.Code, scope) {
			out = append(out, r)
		}
	}
	return out
}

func scopesOf(regions []Region) *scopes {
	sc := &scopes{names: make(map[string]string, len(regions))}
	for _, r := range regions {
		sc.names[r.Scope()] = r.Name
		if r.Level == LevelCounty {
			sc.county = r.Scope()
		}
	}
	return sc
}

func newSet(logger *slog.Logger) *Set {
	if logger == nil {
		logger = slog.Default()
	}
	return &Set{logger: logger.With("component", "regionset")}
}

// Close stops following etcd; the set keeps what it knows. A fixed set has nothing to close.
func (s *Set) Close() {
	if s.mirror != nil {
		s.mirror.Close()
	}
}

// Known reports whether scope (6 digits for the county, 9 for a township, 12 for a village) names a region
// of the master data. It is ErrNotKnown while the set is empty: a fresh install whose identification
// service has not started yet.
func (s *Set) Known(scope string) (bool, error) {
	p := s.scopes.Load()
	if p == nil || len(p.names) == 0 {
		return false, ErrNotKnown
	}
	_, ok := p.names[scope]
	return ok, nil
}

// Name is the name of the region a scope names ("" the whole county: the county's name), e.g. 龙泉镇 for
// a township's 9 digits; "" when the set does not know it.
func (s *Set) Name(scope string) string {
	p := s.scopes.Load()
	if p == nil {
		return ""
	}
	if scope == "" {
		scope = p.county
	}
	return p.names[scope]
}

// replace takes etcd's content under Prefix after a change; entries that are not a region are logged and
// left out.
func (s *Set) replace(kvs map[string][]byte) {
	regions := make([]Region, 0, len(kvs))
	for key, raw := range kvs {
		var v value
		r := Region{Code: strings.TrimPrefix(key, Prefix)}
		err := json.Unmarshal(raw, &v)
		if err == nil {
			r.Level, r.Name = v.Level, v.Name
			err = r.check()
		}
		if err != nil {
			s.logger.Warn("regionset: ignoring an entry that is not a region", "key", key, "error", err)
			continue
		}
		regions = append(regions, r)
	}
	s.store(regions)
}

// LoadFile reads the codes, levels and names of a region master data file (the format of
// deploy/regions/demo-county.json). Only the harnesses that must give a county known regions before its
// identification service has started use it (platform/servicetest, `fupin dev`): services and the gateway
// learn the regions from etcd alone.
func LoadFile(path string) ([]Region, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("regionset: %w", err)
	}
	var regions []Region
	if err := json.Unmarshal(b, &regions); err != nil {
		return nil, fmt.Errorf("regionset: %s: %w", path, err)
	}
	for _, r := range regions {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("regionset: %s: %w", path, err)
		}
	}
	return regions, nil
}
