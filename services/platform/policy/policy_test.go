package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fupin.dev/services/platform/etcdx"
	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/policy"
)

const waitTimeout = 15 * time.Second

var shanghai = time.FixedZone("CST", 8*60*60)

// day returns midday of a business date in Asia/Shanghai.
func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		panic(err) // test data only
	}
	return d.Add(12 * time.Hour)
}

func set(t *testing.T, cli *clientv3.Client, parameter, region, effective, value string) {
	t.Helper()
	if err := policy.Set(t.Context(), cli, parameter, region, effective, json.RawMessage(value)); err != nil {
		t.Fatalf("set %s/%s/%s: %v", parameter, region, effective, err)
	}
}

func open(t *testing.T, cli *clientv3.Client) *policy.Store {
	t.Helper()
	s, err := policy.Open(t.Context(), cli, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitFor waits, on the store's change notification, until cond holds or the deadline passes.
func waitFor(t *testing.T, s *policy.Store, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	for {
		ch := s.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestLookupPrecedence(t *testing.T) {
	cli := etcdtest.New(t)
	const p = "subsidies.dibao.standard_rural_fen_per_month"
	set(t, cli, p, "*", "2024-01-01", "60000")
	set(t, cli, p, "*", "2025-01-01", "62000")
	set(t, cli, p, "420602", "2024-01-01", "70000")       // county
	set(t, cli, p, "420602", "2025-07-01", "72000")       // county raise
	set(t, cli, p, "420602001", "2024-06-01", "75000")    // township
	set(t, cli, p, "420602001002", "2026-01-01", "80000") // village, not yet in force before 2026
	set(t, cli, "other.param", "420602001002", "2024-01-01", "1")
	s := open(t, cli)

	for _, tc := range []struct {
		name, region, date string
		want               string // raw value; "" means ErrNotFound
		wantRegion         string
	}{
		{"star fallback for another county", "430101001001", "2024-05-01", "60000", "*"},
		{"star latest on or before", "430101001001", "2025-03-01", "62000", "*"},
		{"effective day itself applies", "430101001001", "2025-01-01", "62000", "*"},
		{"day before effective", "430101001001", "2024-12-31", "60000", "*"},
		{"county prefix beats star", "420602003001", "2025-03-01", "70000", "420602"},
		{"county raise after its date", "420602003001", "2025-07-01", "72000", "420602"},
		{"township beats county", "420602001005", "2025-08-01", "75000", "420602001"},
		{"township not yet in force: county applies", "420602001005", "2024-05-31", "70000", "420602"},
		{"future village entry not applied", "420602001002", "2025-12-31", "75000", "420602001"},
		{"village entry once in force", "420602001002", "2026-01-01", "80000", "420602001002"},
		{"prefix of the region code works", "420602001", "2025-08-01", "75000", "420602001"},
		{"empty region: only star", "", "2025-08-01", "62000", "*"},
		{"before any entry", "420602001002", "2023-12-31", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Lookup(p, tc.region, day(tc.date))
			if tc.want == "" {
				if !errors.Is(err, policy.ErrNotFound) || !strings.Contains(err.Error(), p) {
					t.Fatalf("Lookup = %+v, %v; want ErrNotFound naming %s", v, err, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if string(v.Raw) != tc.want || v.Region != tc.wantRegion || v.Parameter != p {
				t.Fatalf("Lookup = %s from %s/%s, want %s from %s", v.Raw, v.Region, v.Effective, tc.want, tc.wantRegion)
			}
		})
	}

	t.Run("unknown parameter", func(t *testing.T) {
		_, err := s.Lookup("no.such.parameter", "420602001002", day("2025-01-01"))
		if !errors.Is(err, policy.ErrNotFound) || !strings.Contains(err.Error(), "no.such.parameter") {
			t.Fatalf("err = %v, want ErrNotFound naming the parameter", err)
		}
	})
	t.Run("region of another parameter does not leak", func(t *testing.T) {
		if _, err := s.Lookup("other.param", "430101001001", day("2025-01-01")); !errors.Is(err, policy.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestLookupUsesShanghaiBusinessDate(t *testing.T) {
	cli := etcdtest.New(t)
	set(t, cli, "identification.poverty_line_fen_per_year", "*", "2024-01-01", "299500")
	set(t, cli, "identification.poverty_line_fen_per_year", "*", "2025-01-01", "310000")
	s := open(t, cli)
	// 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Asia/Shanghai.
	v, err := s.Lookup("identification.poverty_line_fen_per_year", "", time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC))
	if err != nil || string(v.Raw) != "310000" {
		t.Fatalf("Lookup = %s, %v; want 310000 (the new year in Shanghai)", v.Raw, err)
	}
	v, err = s.Lookup("identification.poverty_line_fen_per_year", "", time.Date(2024, 12, 31, 15, 59, 0, 0, time.UTC))
	if err != nil || string(v.Raw) != "299500" {
		t.Fatalf("Lookup = %s, %v; want 299500 (still 2024-12-31 in Shanghai)", v.Raw, err)
	}
}

func TestStoreFollowsChangesWithoutRestart(t *testing.T) {
	cli := etcdtest.New(t)
	const p = "monitoring.clue_deadline_days"
	set(t, cli, p, "*", "2024-01-01", "15")
	s := open(t, cli)
	before := s.Version()

	// A new value, written by another process while the store runs.
	set(t, cli, p, "420602", "2024-01-01", "10")
	waitFor(t, s, "the county value", func() bool {
		v, err := s.Lookup(p, "420602001001", day("2025-01-01"))
		return err == nil && string(v.Raw) == "10"
	})
	if s.Version() <= before {
		t.Fatalf("Version = %d, want above %d", s.Version(), before)
	}

	// A deletion applies too: the county falls back to "*".
	if _, err := cli.Delete(t.Context(), policy.Key(p, "420602", "2024-01-01")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "the deletion", func() bool {
		v, err := s.Lookup(p, "420602001001", day("2025-01-01"))
		return err == nil && string(v.Raw) == "15"
	})

	// An invalid value written behind the platform's back is ignored, not fatal.
	if _, err := cli.Put(t.Context(), policy.Key(p, "430101", "2024-01-01"), "{not json"); err != nil {
		t.Fatal(err)
	}
	set(t, cli, "funds.notice.min_days", "*", "2024-01-01", "10")
	waitFor(t, s, "a later valid value", func() bool {
		_, err := s.Lookup("funds.notice.min_days", "", day("2025-01-01"))
		return err == nil
	})
	if v, err := s.Lookup(p, "430101001001", day("2025-01-01")); err != nil || string(v.Raw) != "15" {
		t.Fatalf("Lookup after invalid put = %s, %v; want the * value 15", v.Raw, err)
	}
}

func TestStoreServesLastValuesWhileEtcdIsDown(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	start := func() *etcdx.Embedded {
		srv, err := etcdx.StartEmbedded(t.Context(), etcdx.EmbeddedOptions{Dir: dir, ClientURL: addr, Fast: true})
		if err != nil {
			t.Fatalf("start etcd on %s: %v", addr, err)
		}
		t.Cleanup(srv.Close)
		return srv
	}
	srv := start()
	// The client and the store close before the servers (defers run before cleanups): etcd waits
	// for open watch streams when it stops.
	cli, err := etcdx.Dial(srv.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	const p = "employment.workshop.min_poor_workers"
	set(t, cli, p, "*", "2024-01-01", "5")
	s, err := policy.Open(t.Context(), cli, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	srv.Close()
	for range 3 {
		v, err := s.Lookup(p, "420602001001", day("2025-01-01"))
		if err != nil || string(v.Raw) != "5" {
			t.Fatalf("Lookup while etcd is down = %s, %v; want the last known 5", v.Raw, err)
		}
	}

	// etcd comes back at the same address: the store resumes following it.
	t0 := time.Now()
	start()
	t.Logf("restarted in %s", time.Since(t0))
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := policy.Set(ctx, cli, p, "*", "2024-01-01", json.RawMessage("8")); err != nil {
		t.Fatalf("set after restart: %v", err)
	}
	t.Logf("set after %s", time.Since(t0))
	waitFor(t, s, "the value written after etcd restarted", func() bool {
		v, err := s.Lookup(p, "420602001001", day("2025-01-01"))
		return err == nil && string(v.Raw) == "8"
	})
	t.Logf("seen after %s", time.Since(t0))
}

func TestSeedDefaultsNeverOverwrites(t *testing.T) {
	cli := etcdtest.New(t)
	entries := []policy.Entry{
		{Parameter: "identification.posting_days", Region: "*", Effective: "2024-01-01", Value: json.RawMessage("7")},
		{Parameter: "monitoring.posting_days", Region: "*", Effective: "2024-01-01", Value: json.RawMessage("5")},
	}
	// An operator already changed one value.
	set(t, cli, "identification.posting_days", "*", "2024-01-01", "10")

	n, err := policy.SeedDefaults(t.Context(), cli, entries)
	if err != nil || n != 1 {
		t.Fatalf("SeedDefaults = %d, %v; want 1 written", n, err)
	}
	n, err = policy.SeedDefaults(t.Context(), cli, entries)
	if err != nil || n != 0 {
		t.Fatalf("second SeedDefaults = %d, %v; want 0 written", n, err)
	}
	s := open(t, cli)
	for p, want := range map[string]string{"identification.posting_days": "10", "monitoring.posting_days": "5"} {
		if v, err := s.Lookup(p, "420602001001", day("2025-01-01")); err != nil || string(v.Raw) != want {
			t.Errorf("%s = %s, %v; want %s", p, v.Raw, err, want)
		}
	}

	// An invalid entry stops the seeding before anything is written.
	bad := append(entries, policy.Entry{Parameter: "x.y", Region: "*", Effective: "2024-13-01", Value: json.RawMessage("1")})
	bad[1].Parameter = "funds.notice.min_days"
	if n, err := policy.SeedDefaults(t.Context(), cli, bad); !errors.Is(err, policy.ErrInvalid) || n != 0 {
		t.Fatalf("SeedDefaults with a bad entry = %d, %v; want ErrInvalid and nothing written", n, err)
	}
	if resp, err := cli.Get(t.Context(), policy.Key("funds.notice.min_days", "*", "2024-01-01")); err != nil || len(resp.Kvs) != 0 {
		t.Fatalf("a valid entry was written despite the bad one: %v %v", resp, err)
	}
}

func TestHashFollowsContent(t *testing.T) {
	cli := etcdtest.New(t)
	const p = "subsidies.dibao.floor_ratio"
	set(t, cli, p, "*", "2024-01-01", `{"num": 20, "den": 100}`)
	s := open(t, cli)
	v1, err := s.Lookup(p, "", day("2025-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(v1.Hash) != 64 || string(v1.Raw) != `{"num":20,"den":100}` {
		t.Fatalf("value %s hash %q: want compact JSON and a hex SHA-256", v1.Raw, v1.Hash)
	}

	// The same content written again, formatted differently: same hash.
	set(t, cli, p, "*", "2024-01-01", `{"num":20,"den":100}`)
	set(t, cli, p, "*", "2024-01-01", `{"num":25,"den":100}`)
	var v2 policy.Value
	waitFor(t, s, "the new value", func() bool {
		v2, err = s.Lookup(p, "", day("2025-01-01"))
		return err == nil && string(v2.Raw) == `{"num":25,"den":100}`
	})
	if v2.Hash == v1.Hash {
		t.Fatalf("hash unchanged after the value changed: %s", v2.Hash)
	}

	// The same value under another region or date is another decision input: another hash.
	set(t, cli, p, "420602", "2024-01-01", `{"num":25,"den":100}`)
	var v3 policy.Value
	waitFor(t, s, "the county value", func() bool {
		v3, err = s.Lookup(p, "420602001001", day("2025-01-01"))
		return err == nil && v3.Region == "420602"
	})
	if v3.Hash == v2.Hash {
		t.Fatal("hash ignores the region")
	}

	set(t, cli, p, "*", "2024-01-01", `{"num":20,"den":100}`)
	waitFor(t, s, "the first value again", func() bool {
		v, err := s.Lookup(p, "", day("2025-01-01"))
		return err == nil && v.Hash == v1.Hash
	})
}

func TestDecode(t *testing.T) {
	cli := etcdtest.New(t)
	set(t, cli, "monitoring.threshold_ratio", "*", "2024-01-01", `{"num":3,"den":2}`)
	set(t, cli, "broken.ratio", "*", "2024-01-01", `{"num":3,"den":0}`)
	s := open(t, cli)

	var r policy.Ratio
	v, err := s.Decode("monitoring.threshold_ratio", "420602001001", day("2025-01-01"), &r)
	if err != nil || r != (policy.Ratio{Num: 3, Den: 2}) || v.Hash == "" {
		t.Fatalf("Decode = %+v, %+v, %v", r, v, err)
	}
	var n int64
	if _, err := s.Decode("monitoring.threshold_ratio", "", day("2025-01-01"), &n); err == nil || !strings.Contains(err.Error(), "monitoring.threshold_ratio") {
		t.Fatalf("Decode into the wrong type: %v, want an error naming the parameter", err)
	}
	if _, err := s.Decode("broken.ratio", "", day("2025-01-01"), &r); err == nil {
		t.Fatal("Decode of a zero denominator succeeded")
	}
	if _, err := s.Decode("missing", "", day("2025-01-01"), &r); !errors.Is(err, policy.ErrNotFound) {
		t.Fatalf("Decode of a missing parameter: %v, want ErrNotFound", err)
	}
}

func TestSetValidates(t *testing.T) {
	cli := etcdtest.New(t)
	for _, tc := range []struct {
		parameter, region, effective, value string
		ok                                  bool
	}{
		{"identification.poverty_line_fen_per_year", "*", "2024-01-01", "299500", true},
		{"a_b.c9", "420602001002", "2024-02-29", `"1.5"`, true},
		{"a", "4", "2024-01-01", "{}", true},
		{"Upper.case", "*", "2024-01-01", "1", false},
		{"with/slash", "*", "2024-01-01", "1", false},
		{"", "*", "2024-01-01", "1", false},
		{"p", "", "2024-01-01", "1", false},
		{"p", "4206020010021", "2024-01-01", "1", false},
		{"p", "42a", "2024-01-01", "1", false},
		{"p", "*", "2023-02-29", "1", false},
		{"p", "*", "2024-1-1", "1", false},
		{"p", "*", "", "1", false},
		{"p", "*", "2024-01-01", "{bad", false},
		{"p", "*", "2024-01-01", "", false},
	} {
		err := policy.Set(t.Context(), cli, tc.parameter, tc.region, tc.effective, json.RawMessage(tc.value))
		if tc.ok && err != nil {
			t.Errorf("Set(%q, %q, %q, %s) = %v, want ok", tc.parameter, tc.region, tc.effective, tc.value, err)
		}
		if !tc.ok && !errors.Is(err, policy.ErrInvalid) {
			t.Errorf("Set(%q, %q, %q, %s) = %v, want ErrInvalid", tc.parameter, tc.region, tc.effective, tc.value, err)
		}
	}
}

func TestDefaultsFile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "deploy", "policy", "defaults.json")
	entries, err := policy.LoadDefaultsFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	cli := etcdtest.New(t)
	n, err := policy.SeedDefaults(t.Context(), cli, entries)
	if err != nil || n != len(entries) {
		t.Fatalf("seed = %d, %v; want %d written", n, err, len(entries))
	}
	s := open(t, cli)
	date := day("2025-06-01")
	for p, want := range map[string]string{
		"identification.poverty_line_fen_per_year":                       "299500",
		"identification.extended_line_fen_per_year":                      "400000",
		"identification.review.min_present_ratio":                        `{"num":2,"den":3}`,
		"monitoring.threshold_ratio":                                     `{"num":3,"den":2}`,
		"monitoring.clue_deadline_days":                                  "15",
		"identification.village_exit.min_collective_income_fen_per_year": "5000000",
		"subsidies.dibao.standard_rural_fen_per_month":                   "60000",
		"subsidies.living_subsidy.fen_per_month":                         "9000",
		"industry.microcredit.max_fen":                                   "5000000",
		"funds.notice.min_days":                                          "10",
	} {
		v, err := s.Lookup(p, "420602001002", date)
		if err != nil || string(v.Raw) != want {
			t.Errorf("%s = %s, %v; want %s", p, v.Raw, err, want)
		}
	}
	for _, e := range entries {
		if e.Region != "*" || e.Effective != "2024-01-01" {
			t.Errorf("%s: region %q effective %q, want * and 2024-01-01", e.Parameter, e.Region, e.Effective)
		}
		if !strings.HasPrefix(e.Parameter, "identification.") && !strings.HasPrefix(e.Parameter, "monitoring.") &&
			!strings.HasPrefix(e.Parameter, "subsidies.") && !strings.HasPrefix(e.Parameter, "employment.") &&
			!strings.HasPrefix(e.Parameter, "industry.") && !strings.HasPrefix(e.Parameter, "funds.") &&
			!strings.HasPrefix(e.Parameter, "platform.") { // platform.*: what the platform applies to every service
			t.Errorf("%s: not grouped under a department or the platform", e.Parameter)
		}
		if strings.Contains(string(e.Value), ".") {
			t.Errorf("%s: %s looks like a float; use fen, days or {num,den}", e.Parameter, e.Value)
		}
		var r policy.Ratio
		if strings.HasSuffix(e.Parameter, "ratio") || strings.HasSuffix(e.Parameter, "incidence") || strings.HasSuffix(e.Parameter, "ratio_exceeds") {
			if err := json.Unmarshal(e.Value, &r); err != nil {
				t.Errorf("%s: %s is not a ratio: %v", e.Parameter, e.Value, err)
			}
		}
	}
}

func TestLoadDefaultsFileRejectsMistakes(t *testing.T) {
	for name, content := range map[string]string{
		"unknown field": `{"entries":[{"parameter":"a","region":"*","efective":"2024-01-01","value":1}]}`,
		"bad entry":     `{"entries":[{"parameter":"a","region":"x","effective":"2024-01-01","value":1}]}`,
		"duplicate": `{"entries":[{"parameter":"a","region":"*","effective":"2024-01-01","value":1},
			{"parameter":"a","region":"*","effective":"2024-01-01","value":2}]}`,
		"trailing data": `{"entries":[]} {}`,
	} {
		path := filepath.Join(t.TempDir(), "defaults.json")
		if err := writeFile(path, content); err != nil {
			t.Fatal(err)
		}
		if _, err := policy.LoadDefaultsFile(path); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}
