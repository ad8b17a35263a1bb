package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Limits bound what one request may take from the gateway (DESIGN.md: every limit is explicit). Zero
// fields take the defaults below; LimitsFromEnv reads them from FUPIN_GATEWAY_* variables.
type Limits struct {
	// MaxBodyBytes caps a request body (default 4 MiB): larger is 413 before anything is decoded. A body
	// with a Content-Length over the cap is refused unread; a chunked one is counted as it is read and cut
	// at the cap. Authentication comes first: an anonymous body is never read at all.
	MaxBodyBytes int64
	// MaxHeaderBytes caps the request line and headers (default 64 KiB); more is 431, answered by net/http.
	MaxHeaderBytes int
	// ReadHeaderTimeout bounds reading the request line and headers (default 10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a request's body, counted from the end of its headers (default 30 s): a
	// client that trickles a body is cut off. It is not net/http's ReadTimeout, which would also cancel a
	// long export once its deadline passes (the server's background read of a finished body fails then).
	ReadTimeout time.Duration
	// WriteTimeout bounds each piece of the response (at most 64 KiB) the client must take (default 60 s).
	// It is not a deadline for the whole response: an export of any size that keeps moving completes, a
	// client that stops reading is dropped. net/http's WriteTimeout would cut a legitimate large export.
	WriteTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its next request (default 2 min).
	IdleTimeout time.Duration
	// Public are the rate limits of the public pages (/gongshi), per client (ratelimit.go).
	Public PublicLimits
	// Routes gives single routes limits of their own, keyed by method and route template as grpc-gateway
	// names them, e.g. "POST /v1/{parent=households/*}/files:upload". This is the hook for file uploads,
	// which stream with a larger cap and more time than a JSON request needs.
	Routes map[string]RouteLimits
}

// RouteLimits replace Limits' body cap and read timeout for one route; zero fields keep the defaults.
type RouteLimits struct {
	MaxBodyBytes int64
	ReadTimeout  time.Duration
}

// The defaults of Limits.
const (
	DefaultMaxBodyBytes      = 4 << 20
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
)

// writeChunk is the largest piece of a response written under one write deadline (see Limits.WriteTimeout).
const writeChunk = 64 << 10

func (l Limits) withDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	l.Public = l.Public.withDefaults()
	// The ledger upload (upload.go) takes a whole county's file: its own cap and read time unless configured.
	if _, ok := l.Routes[uploadRoute]; !ok {
		routes := maps.Clone(l.Routes)
		if routes == nil {
			routes = map[string]RouteLimits{}
		}
		routes[uploadRoute] = RouteLimits{MaxBodyBytes: DefaultMaxUploadBytes, ReadTimeout: DefaultUploadReadLimit}
		l.Routes = routes
	}
	// The labour file upload (labour_upload.go): the employment service's own cap.
	if _, ok := l.Routes[labourUploadRoute]; !ok {
		routes := maps.Clone(l.Routes)
		routes[labourUploadRoute] = RouteLimits{MaxBodyBytes: DefaultMaxLabourUploadBytes, ReadTimeout: DefaultUploadReadLimit}
		l.Routes = routes
	}
	return l
}

// route returns the body cap and read timeout of the route "METHOD template".
func (l Limits) route(key string) (int64, time.Duration) {
	max, read := l.MaxBodyBytes, l.ReadTimeout
	if r, ok := l.Routes[key]; ok {
		if r.MaxBodyBytes > 0 {
			max = r.MaxBodyBytes
		}
		if r.ReadTimeout > 0 {
			read = r.ReadTimeout
		}
	}
	return max, read
}

// LimitsFromEnv reads FUPIN_GATEWAY_MAX_BODY_BYTES, FUPIN_GATEWAY_MAX_HEADER_BYTES (integers) and
// FUPIN_GATEWAY_READ_HEADER_TIMEOUT, FUPIN_GATEWAY_READ_TIMEOUT, FUPIN_GATEWAY_WRITE_TIMEOUT,
// FUPIN_GATEWAY_IDLE_TIMEOUT (Go durations such as "30s"), FUPIN_GATEWAY_PUBLIC_READS_PER_MINUTE,
// FUPIN_GATEWAY_OBJECTIONS_PER_HOUR, FUPIN_GATEWAY_MAX_UPLOAD_BYTES (the ledger upload's cap; integers) and FUPIN_GATEWAY_TRUSTED_PROXIES (comma-separated addresses or
// CIDR prefixes); unset ones keep the defaults. Every problem is
// reported at once.
func LimitsFromEnv() (Limits, error) {
	var l Limits
	var errs []error
	integer := func(name string, set func(int64)) {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive number of bytes", name, v))
				return
			}
			set(n)
		}
	}
	duration := func(name string, into *time.Duration) {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 30s", name, v))
				return
			}
			*into = d
		}
	}
	integer("FUPIN_GATEWAY_MAX_BODY_BYTES", func(n int64) { l.MaxBodyBytes = n })
	integer("FUPIN_GATEWAY_MAX_HEADER_BYTES", func(n int64) { l.MaxHeaderBytes = int(min(n, 1<<30)) })
	duration("FUPIN_GATEWAY_READ_HEADER_TIMEOUT", &l.ReadHeaderTimeout)
	duration("FUPIN_GATEWAY_READ_TIMEOUT", &l.ReadTimeout)
	duration("FUPIN_GATEWAY_WRITE_TIMEOUT", &l.WriteTimeout)
	duration("FUPIN_GATEWAY_IDLE_TIMEOUT", &l.IdleTimeout)
	integer("FUPIN_GATEWAY_PUBLIC_READS_PER_MINUTE", func(n int64) { l.Public.ReadsPerMinute = int(min(n, 1<<20)) })
	integer("FUPIN_GATEWAY_OBJECTIONS_PER_HOUR", func(n int64) { l.Public.ObjectionsPerHour = int(min(n, 1<<20)) })
	integer("FUPIN_GATEWAY_MAX_UPLOAD_BYTES", func(n int64) {
		l.Routes = map[string]RouteLimits{uploadRoute: {MaxBodyBytes: n, ReadTimeout: DefaultUploadReadLimit}}
	})
	if v := os.Getenv("FUPIN_GATEWAY_TRUSTED_PROXIES"); v != "" {
		p, err := parsePrefixes(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FUPIN_GATEWAY_TRUSTED_PROXIES=%q: want comma-separated addresses or CIDR prefixes: %w", v, err))
		}
		l.Public.TrustedProxies = p
	}
	return l, errors.Join(errs...)
}

// newServer is the gateway's http.Server with the limits that net/http enforces itself; the rest
// (body cap, body read timeout, write progress) is the edge handler's.
func newServer(h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		// A connection going idle drops the write deadline its last response left, so net/http's own
		// answers on it later (a 431, a 400 for a malformed request) are not cut by a stale deadline.
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateIdle {
				_ = c.SetWriteDeadline(time.Time{})
			}
		},
	}
}

// exchange is what the gateway learns about one request on its way through, for the limits and the
// request log: it lives in the request's context from the edge handler on.
type exchange struct {
	limits Limits
	rc     *http.ResponseController
	body   *countedBody // nil when the request has no body

	// Set along the way, read when the request ends.
	traceID    string
	route      string // "METHOD template", or the fixed path of a public endpoint
	rpc        string // the gRPC method, when the route reached one
	dept, role string // the caller's, once authenticated
	code       codes.Code
	hasCode    bool
	quiet      bool // a probe or a static file: logged at debug
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// noteCode records the gRPC code a request ended with (the first one wins: a stream's error after its
// first message is the request's outcome too).
func noteCode(ctx context.Context, c codes.Code) {
	if x := exchangeFrom(ctx); x != nil && !x.hasCode {
		x.code, x.hasCode = c, true
	}
}

// noteRPC records the gRPC method a route reached.
func noteRPC(ctx context.Context) {
	if x := exchangeFrom(ctx); x != nil && x.rpc == "" {
		if m, ok := runtime.RPCMethod(ctx); ok {
			x.rpc = m
		}
	}
}

// countedBody counts what is read of a request body and stops at the route's cap, and clears the read
// deadline once the body is read to its end (see Limits.ReadTimeout).
type countedBody struct {
	io.ReadCloser
	x        *exchange
	max      int64
	n        int64
	tooLarge bool
	timedOut bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	if b.tooLarge {
		return 0, errBodyTooLarge
	}
	if left := b.max + 1 - b.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		b.tooLarge = true
		return n, errBodyTooLarge
	}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		_ = b.x.rc.SetReadDeadline(time.Time{})
	case errors.As(err, &ne) && ne.Timeout():
		b.timedOut = true
	}
	return n, err
}

var errBodyTooLarge = errors.New("request body too large")

// progressWriter gives every piece of the response its own write deadline (see Limits.WriteTimeout) and
// remembers the status for the request log.
type progressWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	status  int
}

func (w *progressWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *progressWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	written := 0
	for len(p) > 0 {
		piece := p[:min(len(p), writeChunk)]
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
		n, err := w.ResponseWriter.Write(piece)
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (w *progressWriter) Flush() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// edge is the gateway's outermost handler: it starts the request's exchange, puts the default body cap
// and read deadline on the body and the write deadlines on the response, and writes the request log line
// when the request ends.
func edge(l Limits, log *requestLog, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rc := http.NewResponseController(w)
		x := &exchange{limits: l, rc: rc}
		pw := &progressWriter{ResponseWriter: w, rc: rc, timeout: l.WriteTimeout}
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(start.Add(l.ReadTimeout))
			x.body = &countedBody{ReadCloser: r.Body, x: x, max: l.MaxBodyBytes}
			r.Body = x.body
		}
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
		defer func() { log.write(r, x, pw.status, time.Since(start)) }()
		next.ServeHTTP(pw, r)
	})
}

// limitBody runs once grpc-gateway has matched a route and before its handler reads anything: it applies
// the route's own limits (Limits.Routes) and refuses, unread, a body whose Content-Length is over the cap.
func limitBody(fail errorWriter) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			x := exchangeFrom(r.Context())
			if x == nil || x.body == nil {
				next(w, r, params)
				return
			}
			max, read := x.limits.route(routeKey(r))
			x.body.max = max
			if read != x.limits.ReadTimeout {
				_ = x.rc.SetReadDeadline(time.Now().Add(read))
			}
			if r.ContentLength > max {
				x.body.tooLarge = true
				fail(r.Context(), w, tooLarge(max), http.StatusRequestEntityTooLarge)
				return
			}
			next(w, r, params)
		}
	}
}

// errorWriter writes an error response (writeError with the gateway's logger).
type errorWriter func(ctx context.Context, w http.ResponseWriter, st *status.Status, httpStatus int)
