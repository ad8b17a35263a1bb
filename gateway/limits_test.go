package gateway

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/etcdx/etcdtest"
	"fupin.dev/services/platform/logging/logtest"
)

// limitedFixture is a gateway with the given limits in front of the fake identification backend; its
// logs go to logs.
type limitedFixture struct {
	*fixture
	logs *logtest.Buffer
}

func newLimitedFixture(t *testing.T, l Limits) *limitedFixture {
	t.Helper()
	cli := etcdtest.New(t)
	f := &fixture{tokens: newTokens(t)}
	f.token = f.tokens.sign(t, "county_admin", time.Hour)
	f.backend = startBackend(t, cli, "identification")
	logger, logs := logtest.New(slog.LevelInfo)
	f.url = startGatewayWith(t, Config{Etcd: cli, Verifier: f.tokens.verifier, Services: []string{"identification"},
		Logger: logger, Limits: l}, testServices())
	waitHealthy(t, f.url)
	return &limitedFixture{fixture: f, logs: logs}
}

// repeatByte reads as an endless run of one byte, without allocating.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// unsized hides a reader's length, so the client sends the body chunked, without a Content-Length.
type unsized struct{ io.Reader }

func post(t *testing.T, url string, header http.Header, body io.Reader) response {
	t.Helper()
	return do(t, http.MethodPost, url, header, body)
}

// bigHousehold is a syntactically valid CreateHousehold body of about n bytes: a real client's large
// request, which the gateway would otherwise read and decode whole.
func bigHousehold(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"region_code":"990001002003","address":"`)
	b.WriteString(strings.Repeat("x", max(n-64, 0)))
	b.WriteString(`","members":[]}`)
	return b.Bytes()
}

// allocated runs f and returns the bytes the process allocated meanwhile (client and gateway together).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestBodyLimits(t *testing.T) {
	f := newLimitedFixture(t, Limits{Routes: map[string]RouteLimits{
		// As an upload route would declare it: a larger cap for one route.
		"POST /v1/households:lookup": {MaxBodyBytes: 8 << 20},
	}})
	const fiveMB = 5 << 20
	body := bigHousehold(fiveMB)

	tests := []struct {
		name     string
		path     string
		header   http.Header
		body     func() io.Reader
		wantCode int
		// maxAlloc bounds what the whole process may allocate for the request (client included).
		maxAlloc uint64
	}{
		{name: "5 MB with Content-Length: 413 unread", path: "/v1/households", header: bearer(f.token),
			body: func() io.Reader { return bytes.NewReader(body) }, wantCode: http.StatusRequestEntityTooLarge, maxAlloc: 1 << 20},
		// Without a Content-Length the gateway reads up to the cap: what it allocates is bounded by the cap,
		// not by the body (decoding the whole 50 MB would take several times that).
		{name: "50 MB chunked: 413 once 4 MiB are counted", path: "/v1/households", header: bearer(f.token),
			body: func() io.Reader {
				return unsized{io.MultiReader(strings.NewReader(`{"region_code":"990001002003","address":"`),
					io.LimitReader(repeatByte('x'), 50<<20), strings.NewReader(`"}`))}
			}, wantCode: http.StatusRequestEntityTooLarge, maxAlloc: 24 << 20},
		{name: "5 MB without a token: 401, never read", path: "/v1/households", header: nil,
			body: func() io.Reader { return bytes.NewReader(body) }, wantCode: http.StatusUnauthorized, maxAlloc: 1 << 20},
		{name: "a route with its own larger cap takes 5 MB", path: "/v1/households:lookup", header: bearer(f.token),
			body: func() io.Reader { return bytes.NewReader(bigHousehold(fiveMB)) }, wantCode: http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			n := allocated(func() { r = post(t, f.url+tt.path, tt.header, tt.body()) })
			if r.code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", r.code, tt.wantCode, r.body)
			}
			if tt.maxAlloc > 0 {
				t.Logf("allocated %.1f MiB", float64(n)/(1<<20))
				if n > tt.maxAlloc {
					t.Errorf("allocated %d bytes, want at most %d: the body was read or decoded", n, tt.maxAlloc)
				}
			}
			if tt.wantCode != http.StatusRequestEntityTooLarge {
				return
			}
			e := decodeError(t, r)
			info := detail(t, e, "type.googleapis.com/google.rpc.ErrorInfo")
			if e.Error.Status != "RESOURCE_EXHAUSTED" || info["reason"] != "REQUEST_TOO_LARGE" ||
				info["metadata"].(map[string]any)["limit_bytes"] != "4194304" || info["domain"] != "gateway.fupin.dev" {
				t.Errorf("error %+v", e.Error)
			}
		})
	}
	if n := f.backend.region.callCount(); n != 0 {
		t.Errorf("the backend was called %d times", n)
	}
}

// rawRequest sends head (request line and headers) and then body, one byte every gap, on a connection of
// its own, and returns what the server answered and how long after the head the connection closed.
func rawRequest(t *testing.T, addr, head string, body string, gap time.Duration) (string, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		for i := range len(body) {
			time.Sleep(gap)
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
		}
	}()
	out, _ := io.ReadAll(bufio.NewReader(c)) // until the server closes the connection
	return string(out), time.Since(start)
}

// TestServerLimits runs the gateway with Run, as production does, so net/http's own limits apply too.
func TestServerLimits(t *testing.T) {
	cli := etcdtest.New(t)
	keys := newTokens(t)
	startBackend(t, cli, "identification")
	const readTimeout, writeTimeout = 500 * time.Millisecond, 300 * time.Millisecond
	addr, stop := runGateway(t, Config{Etcd: cli, Verifier: keys.verifier, Services: []string{"identification"},
		Logger: discardLogger(), Limits: Limits{ReadTimeout: readTimeout, WriteTimeout: writeTimeout, MaxHeaderBytes: 8 << 10}})
	t.Cleanup(func() { _ = stop() })
	waitHealthy(t, "http://"+addr)
	token := keys.sign(t, "county_admin", time.Hour)

	t.Run("a body sent a byte at a time is cut at the read timeout", func(t *testing.T) {
		body := `{"region_code":"990001002003","address":"` + strings.Repeat("x", 100) + `"}`
		head := fmt.Sprintf("POST /v1/households HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			addr, token, len(body))
		out, took := rawRequest(t, addr, head, body, 100*time.Millisecond)
		if !strings.HasPrefix(out, "HTTP/1.1 408 ") || !strings.Contains(out, `"status":"DEADLINE_EXCEEDED"`) ||
			!strings.Contains(out, "REQUEST_TIMEOUT") {
			t.Errorf("answer %q, want 408 DEADLINE_EXCEEDED", out)
		}
		// Closed after the read timeout, long before the body's ~14 s.
		if took < readTimeout || took > readTimeout+3*time.Second {
			t.Errorf("connection closed after %s, want about %s", took, readTimeout)
		}
	})
	t.Run("an export longer than the write timeout that keeps moving completes", func(t *testing.T) {
		start := time.Now()
		r := get(t, "http://"+addr+"/v1/households:export?region_code="+exportSlow, bearer(token))
		if n := strings.Count(string(r.body), `"result"`); r.code != http.StatusOK || n != exportSlowBatches {
			t.Errorf("status %d, %d of %d batches: %s", r.code, n, exportSlowBatches, r.body)
		}
		if took := time.Since(start); took < writeTimeout*2 {
			t.Errorf("the export took %s: not longer than the write timeout, the test proves nothing", took)
		}
	})
	t.Run("headers over the cap are 431", func(t *testing.T) {
		head := fmt.Sprintf("GET /v1/regions/990001002003 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nX-Padding: %s\r\n\r\n",
			addr, token, strings.Repeat("a", 16<<10))
		out, _ := rawRequest(t, addr, head, "", 0)
		if !strings.HasPrefix(out, "HTTP/1.1 431 ") {
			t.Errorf("answer %q, want 431", out)
		}
	})
	t.Run("headers under the cap pass", func(t *testing.T) {
		r := get(t, "http://"+addr+"/v1/regions/990001002003", http.Header{"Authorization": {"Bearer " + token}, "X-Padding": {strings.Repeat("a", 4<<10)}})
		if r.code != http.StatusOK {
			t.Errorf("status %d: %s", r.code, r.body)
		}
	})
}

// deadlineRecorder is a ResponseWriter that records the write deadlines http.ResponseController sets.
type deadlineRecorder struct {
	header    http.Header
	writes    []int
	deadlines []time.Time
}

func (d *deadlineRecorder) Header() http.Header { return d.header }
func (d *deadlineRecorder) WriteHeader(int)     {}
func (d *deadlineRecorder) Write(p []byte) (int, error) {
	d.writes = append(d.writes, len(p))
	return len(p), nil
}
func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

// TestWriteTimeoutIsPerPiece: a large response is written in pieces of at most 64 KiB, each with a fresh
// deadline, so a long export that keeps moving is never cut while a stalled client is.
func TestWriteTimeoutIsPerPiece(t *testing.T) {
	rec := &deadlineRecorder{header: http.Header{}}
	w := &progressWriter{ResponseWriter: rec, rc: http.NewResponseController(rec), timeout: time.Minute}
	start := time.Now()
	n, err := w.Write(make([]byte, 200<<10))
	if err != nil || n != 200<<10 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if want := []int{64 << 10, 64 << 10, 64 << 10, 8 << 10}; fmt.Sprint(rec.writes) != fmt.Sprint(want) {
		t.Errorf("pieces %v, want %v", rec.writes, want)
	}
	if len(rec.deadlines) != 4 {
		t.Fatalf("%d deadlines, want one per piece", len(rec.deadlines))
	}
	for _, d := range rec.deadlines {
		if d.Before(start.Add(time.Minute)) || d.After(time.Now().Add(time.Minute)) {
			t.Errorf("deadline %s is not a minute after its piece", d)
		}
	}
	if w.status != http.StatusOK {
		t.Errorf("status %d, want 200 noted", w.status)
	}
}

func TestLimitsFromEnv(t *testing.T) {
	vars := []string{"FUPIN_GATEWAY_MAX_BODY_BYTES", "FUPIN_GATEWAY_MAX_HEADER_BYTES", "FUPIN_GATEWAY_READ_HEADER_TIMEOUT",
		"FUPIN_GATEWAY_READ_TIMEOUT", "FUPIN_GATEWAY_WRITE_TIMEOUT", "FUPIN_GATEWAY_IDLE_TIMEOUT", "FUPIN_GATEWAY_PUBLIC_READS_PER_MINUTE",
		"FUPIN_GATEWAY_OBJECTIONS_PER_HOUR", "FUPIN_GATEWAY_TRUSTED_PROXIES", "FUPIN_GATEWAY_MAX_UPLOAD_BYTES"}
	defaultPublic := PublicLimits{ReadsPerMinute: DefaultPublicReadsPerMinute, ObjectionsPerHour: DefaultPublicObjectionsPerHour}
	upload := func(max int64) map[string]RouteLimits {
		return map[string]RouteLimits{uploadRoute: {MaxBodyBytes: max, ReadTimeout: DefaultUploadReadLimit},
			labourUploadRoute: {MaxBodyBytes: DefaultMaxLabourUploadBytes, ReadTimeout: DefaultUploadReadLimit}}
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    Limits
		wantErr []string
	}{
		{name: "nothing set: the defaults", want: Limits{MaxBodyBytes: DefaultMaxBodyBytes, MaxHeaderBytes: DefaultMaxHeaderBytes,
			ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout, WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout,
			Public: defaultPublic, Routes: upload(DefaultMaxUploadBytes)}},
		{name: "every setting", env: map[string]string{"FUPIN_GATEWAY_MAX_BODY_BYTES": "1048576", "FUPIN_GATEWAY_MAX_HEADER_BYTES": "16384",
			"FUPIN_GATEWAY_READ_HEADER_TIMEOUT": "5s", "FUPIN_GATEWAY_READ_TIMEOUT": "1m", "FUPIN_GATEWAY_WRITE_TIMEOUT": "2m", "FUPIN_GATEWAY_IDLE_TIMEOUT": "30s",
			"FUPIN_GATEWAY_PUBLIC_READS_PER_MINUTE": "60", "FUPIN_GATEWAY_OBJECTIONS_PER_HOUR": "5", "FUPIN_GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7",
			"FUPIN_GATEWAY_MAX_UPLOAD_BYTES": "1073741824"},
			want: Limits{MaxBodyBytes: 1 << 20, MaxHeaderBytes: 16 << 10, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: time.Minute,
				WriteTimeout: 2 * time.Minute, IdleTimeout: 30 * time.Second, Public: PublicLimits{ReadsPerMinute: 60, ObjectionsPerHour: 5,
					TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}},
				Routes: upload(1 << 30)}},
		{name: "wrong values are all reported", env: map[string]string{"FUPIN_GATEWAY_MAX_BODY_BYTES": "4MB", "FUPIN_GATEWAY_READ_TIMEOUT": "-1s",
			"FUPIN_GATEWAY_WRITE_TIMEOUT": "soon", "FUPIN_GATEWAY_TRUSTED_PROXIES": "lb.example"},
			wantErr: []string{"FUPIN_GATEWAY_MAX_BODY_BYTES", "FUPIN_GATEWAY_READ_TIMEOUT", "FUPIN_GATEWAY_WRITE_TIMEOUT", "FUPIN_GATEWAY_TRUSTED_PROXIES"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tt.env[v])
			}
			got, err := LimitsFromEnv()
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v does not name %s", err, w)
				}
			}
			if tt.wantErr == nil && (err != nil || fmt.Sprint(got.withDefaults()) != fmt.Sprint(tt.want)) {
				t.Errorf("LimitsFromEnv = %+v, %v; want %+v", got.withDefaults(), err, tt.want)
			}
		})
	}
}
