package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fupin.dev/services/platform/auth"
	"github.com/golang-jwt/jwt/v5"
)

// runBench measures the API the way people use it: it starts `fupin dev` as a child process with the
// same settings as `make run` (auth, audit, telemetry setup, SQLite files on disk), then drives a closed
// loop of HTTP requests through the gateway from this process, over random households and several
// tokens, and prints throughput, latency percentiles and each process's peak memory.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "import" {
		return runBenchImport(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "screening" {
		return runBenchScreening(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "roll" {
		return runBenchRoll(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "portal" {
		return runBenchPortal(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "get-household" {
		return fmt.Errorf("%w: fupin bench get-household [--connections N] [--duration D] [--households N] [--objections-per-minute N]", errUsage)
	}
	fs := flag.NewFlagSet("bench get-household", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conns := fs.Int("connections", 16, "concurrent closed-loop connections")
	duration := fs.Duration("duration", 20*time.Second, "measurement time (after warm-up)")
	warmup := fs.Duration("warmup", 3*time.Second, "warm-up time, not measured")
	households := fs.Int("households", 3000, "demo households seeded in the county under test")
	sample := fs.Int("sample", 2000, "distinct households requested at random")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory")
	cpuProfile := fs.String("cpuprofile", "", "write the county process's CPU profile to this file")
	abuse := fs.Int("objections-per-minute", 0, "also measure while one address sends this many objections a minute to a public notice (e.g. 200): the run is made twice, unloaded and under that load")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "fupin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	county, err := startCountyProcess(ctx, data, *deploy, *households, *cpuProfile, nil, stderr)
	if err != nil {
		return err
	}
	defer func() {
		_ = county.cmd.Process.Signal(os.Interrupt)
		_ = county.cmd.Wait()
	}()
	tokens, err := benchTokens(data)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *conns * 2, MaxIdleConnsPerHost: *conns * 2,
		IdleConnTimeout: time.Minute}, Timeout: 10 * time.Second}
	names, err := householdNames(ctx, client, county.gatewayURL, tokens[0], *sample)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fupin bench get-household\n  settings: GET /v1/households/{id} through the gateway; %d connections, closed loop; %s warm-up + %s measured;\n"+
		"            %d distinct households of a %d-household county; %d tokens (4 departments); SQLite (WAL) on disk;\n"+
		"            JWT verification at the gateway and the service, full interceptor chain, audit on; %d CPU cores, GOMAXPROCS %d\n",
		*conns, *warmup, *duration, len(names), *households, len(tokens), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	res := closedLoop(ctx, client, county.gatewayURL, names, tokens, *conns, *warmup, *duration)
	fmt.Fprintf(stdout, "  result:   %d requests, %d errors, %.0f requests/s\n", res.count, res.errors, float64(res.count)/duration.Seconds())
	fmt.Fprintf(stdout, "  latency:  p50 %s  p90 %s  p99 %s  max %s\n", res.pct(50), res.pct(90), res.pct(99), res.pct(100))
	if *abuse > 0 {
		loaded, a, err := underObjectionFlood(ctx, client, county.gatewayURL, data, names, tokens, *abuse, func() loadResult {
			return closedLoop(ctx, client, county.gatewayURL, names, tokens, *conns, *warmup, *duration)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  while one address sends %d objections a minute to a public notice (%d sent: %d refused 429 by the rate limit, %d answered by the service):\n",
			*abuse, a.sent, a.limited, a.sent-a.limited)
		fmt.Fprintf(stdout, "  result:   %d requests, %d errors, %.0f requests/s\n", loaded.count, loaded.errors, float64(loaded.count)/duration.Seconds())
		fmt.Fprintf(stdout, "  latency:  p50 %s  p90 %s  p99 %s  max %s; p99 %.0f %% of the unloaded run's\n", loaded.pct(50), loaded.pct(90),
			loaded.pct(99), loaded.pct(100), 100*float64(loaded.pct(99))/float64(max(res.pct(99), 1)))
		res.errors += loaded.errors
	}
	fmt.Fprintf(stdout, "  memory:   county process (etcd + services + gateway) peak RSS %s; load generator peak RSS %s\n",
		peakRSS(county.cmd.Process.Pid), peakRSS(os.Getpid()))
	if res.errors > 0 {
		return fmt.Errorf("%d requests failed (first: %s)", res.errors, res.firstErr)
	}
	return nil
}

// countyProcess is `fupin dev` running in a child process for a benchmark.
type countyProcess struct {
	cmd        *exec.Cmd
	gatewayURL string
	etcdAddr   string
}

// startCountyProcess starts `fupin dev` with the given demo households (and extra flags) in a child
// process on free ports, and waits until its gateway is healthy.
func startCountyProcess(ctx context.Context, data, deploy string, households int, cpuProfile string, extra []string,
	stderr io.Writer) (*countyProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	gw, err := freeAddr()
	if err != nil {
		return nil, err
	}
	etcdAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"dev", "--data", data, "--deploy", deploy, "--addr", gw, "--etcd", "http://" + etcdAddr,
		"--households", strconv.Itoa(households)}, extra...)
	if cpuProfile != "" {
		args = append(args, "--cpuprofile", cpuProfile)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	// The county logs every request (as `make run` does, so the cost is measured), a line at the gateway and
	// one at the service: they go to a file in the data directory rather than over the benchmark's output.
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, err
	}
	logPath := filepath.Join(data, "county.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd.Stderr = logFile
	fmt.Fprintf(stderr, "county log: %s\n", logPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(out)) }()
	url := "http://" + gw
	deadline := time.Now().Add(5 * time.Minute)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &countyProcess{cmd: cmd, gatewayURL: url, etcdAddr: etcdAddr}, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("the county did not become healthy within 5 minutes; the end of its log:\n%s", tail(logPath, 4<<10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tail is the last n bytes of a file, for an error message.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b[max(int64(len(b))-n, 0):])
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// benchTokens signs tokens for several departments and roles that may read any household.
func benchTokens(data string) ([]string, error) {
	signer, err := devSigner(data, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for i, c := range [][2]string{{"rural_revitalization", "county_admin"}, {"civil_affairs", "department_staff"},
		{"human_resources", "department_staff"}, {"county_government", "auditor"}} {
		tok, err := signer.Sign(auth.Claims{Department: c[0], Role: c[1],
			RegisteredClaims: jwt.RegisteredClaims{Subject: fmt.Sprintf("bench-%d", i)}}, time.Hour)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
}

func householdNames(ctx context.Context, client *http.Client, url, token string, n int) ([]string, error) {
	var names []string
	pageToken := ""
	for len(names) < n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/households?page_size=1000&page_token="+pageToken, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Households []struct {
				Name string `json:"name"`
			} `json:"households"`
			NextPageToken string `json:"next_page_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("list households: %w", err)
		}
		for _, h := range page.Households {
			names = append(names, h.Name)
		}
		if page.NextPageToken == "" {
			break
		}
		pageToken = page.NextPageToken
	}
	if len(names) == 0 {
		return nil, errors.New("the county has no households")
	}
	return names[:min(n, len(names))], nil
}

type loadResult struct {
	count, errors int
	firstErr      string
	latencies     []time.Duration
}

func (r loadResult) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p / 100)
	return r.latencies[i].Round(10 * time.Microsecond)
}

// closedLoop runs conns workers that each send a request as soon as the previous one answered.
func closedLoop(ctx context.Context, client *http.Client, url string, names, tokens []string, conns int, warmup, duration time.Duration) loadResult {
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	var mu sync.Mutex
	var res loadResult
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var lat []time.Duration
			var errs int
			var firstErr string
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/"+names[rng.IntN(len(names))], nil)
				req.Header.Set("Authorization", "Bearer "+tokens[rng.IntN(len(tokens))])
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if t0.Before(measureFrom) {
					continue
				}
				if !ok {
					errs++
					if firstErr == "" {
						if err != nil {
							firstErr = err.Error()
						} else {
							firstErr = resp.Status
						}
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.count += len(lat)
			res.errors += errs
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(res.latencies)
	return res
}

// peakRSS reads a process's peak resident memory (VmHWM) from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
