package gateway

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// Files of a fake portal build, as `make portal` writes them: a fingerprinted script with its .gz and .br
// copies (the .br is not real brotli: the tests only check which copy is sent), a stylesheet with a .gz
// only, and index.html with a .gz.
const (
	testIndex   = `<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="app"></div></body></html>`
	testScript  = `console.log("portal")`
	testStyle   = `body{margin:0}`
	testBrotli  = "brotli bytes of the script"
	scriptPath  = "/assets/index-AbC123.js"
	stylePath   = "/assets/index-DeF456.css"
	notBuiltSay = "make portal"
)

// gz compresses s as the build's .gz copies are (writing to memory cannot fail).
func gz(s string) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func testPortalBuild() fstest.MapFS {
	return fstest.MapFS{
		"README.md":                  {Data: []byte("committed placeholder")},
		"index.html":                 {Data: []byte(testIndex)},
		"index.html.gz":              {Data: gz(testIndex)},
		"assets/index-AbC123.js":     {Data: []byte(testScript)},
		"assets/index-AbC123.js.gz":  {Data: gz(testScript)},
		"assets/index-AbC123.js.br":  {Data: []byte(testBrotli)},
		"assets/index-DeF456.css":    {Data: []byte(testStyle)},
		"assets/index-DeF456.css.gz": {Data: gz(testStyle)},
		"favicon.ico":                {Data: []byte{0, 0, 1, 0}},
	}
}

// serveSite sends one request to a portal site.
func serveSite(t *testing.T, s *portalSite, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func newTestSite(t *testing.T) *portalSite {
	t.Helper()
	s, err := newPortalSite(testPortalBuild())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPortalCacheHeaders(t *testing.T) {
	s := newTestSite(t)
	tests := []struct {
		name, path, wantType, wantCache string
	}{
		{name: "fingerprinted script", path: scriptPath, wantType: "text/javascript; charset=utf-8", wantCache: "public, max-age=31536000, immutable"},
		{name: "fingerprinted stylesheet", path: stylePath, wantType: "text/css; charset=utf-8", wantCache: "public, max-age=31536000, immutable"},
		{name: "index.html at the root", path: "/", wantType: "text/html; charset=utf-8", wantCache: "no-cache"},
		{name: "index.html by name", path: "/index.html", wantType: "text/html; charset=utf-8", wantCache: "no-cache"},
		{name: "a file without a fingerprint", path: "/favicon.ico", wantType: "image/vnd.microsoft.icon", wantCache: "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serveSite(t, s, http.MethodGet, tt.path, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if w.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestPortalContentNegotiation(t *testing.T) {
	s := newTestSite(t)
	tests := []struct {
		name, path, accept, wantEncoding, wantBody string
	}{
		{name: "brotli preferred", path: scriptPath, accept: "gzip, deflate, br", wantEncoding: "br", wantBody: testBrotli},
		{name: "gzip when brotli is not accepted", path: scriptPath, accept: "gzip, deflate", wantEncoding: "gzip", wantBody: testScript},
		{name: "brotli refused with q=0", path: scriptPath, accept: "br;q=0, gzip;q=0.8", wantEncoding: "gzip", wantBody: testScript},
		{name: "identity without Accept-Encoding", path: scriptPath, accept: "", wantEncoding: "", wantBody: testScript},
		{name: "identity when nothing usable is accepted", path: scriptPath, accept: "deflate, gzip;q=0", wantEncoding: "", wantBody: testScript},
		{name: "wildcard", path: scriptPath, accept: "*", wantEncoding: "br", wantBody: testBrotli},
		{name: "gzip only copy", path: stylePath, accept: "br, gzip", wantEncoding: "gzip", wantBody: testStyle},
		{name: "index.html compressed too", path: "/", accept: "gzip", wantEncoding: "gzip", wantBody: testIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.accept != "" {
				h.Set("Accept-Encoding", tt.accept)
			}
			w := serveSite(t, s, http.MethodGet, tt.path, h)
			if w.Code != http.StatusOK {
				t.Fatalf("HTTP %d", w.Code)
			}
			if got := w.Header().Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding = %q, want %q", got, tt.wantEncoding)
			}
			if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary = %q, want Accept-Encoding", got)
			}
			body := w.Body.Bytes()
			if tt.wantEncoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(body) != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
		})
	}
}

// TestPortalRevalidation: a browser's If-None-Match gets 304 for the same representation, and each
// encoding has its own ETag, as different representations must.
func TestPortalRevalidation(t *testing.T) {
	s := newTestSite(t)
	first := serveSite(t, s, http.MethodGet, "/", http.Header{"Accept-Encoding": {"gzip"}})
	etag := first.Header().Get("ETag")
	plain := serveSite(t, s, http.MethodGet, "/", nil).Header().Get("ETag")
	if etag == "" || etag == plain {
		t.Fatalf("gzip ETag %q, identity ETag %q: want two different ETags", etag, plain)
	}
	again := serveSite(t, s, http.MethodGet, "/households/abc", http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {etag}})
	if again.Code != http.StatusNotModified {
		t.Errorf("HTTP %d, want 304", again.Code)
	}
	if again.Body.Len() != 0 {
		t.Errorf("304 with a body of %d bytes", again.Body.Len())
	}
}

func TestPortalHistoryFallback(t *testing.T) {
	s := newTestSite(t)
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{name: "an app route", path: "/households/abc", wantCode: http.StatusOK, wantBody: testIndex},
		{name: "a nested app route with a query", path: "/monitoring/clues?overdue=1", wantCode: http.StatusOK, wantBody: testIndex},
		{name: "a resource name with a colon", path: "/cases/c-1:decide", wantCode: http.StatusOK, wantBody: testIndex},
		{name: "a missing fingerprinted file", path: "/assets/index-Old999.js", wantCode: http.StatusNotFound},
		{name: "a missing file with an extension", path: "/robots.txt", wantCode: http.StatusNotFound},
		{name: "a climb out of the folder stays inside", path: "/../../etc/passwd", wantCode: http.StatusOK, wantBody: testIndex},
		{name: "the committed placeholder is not served", path: "/README.md", wantCode: http.StatusNotFound},
		{name: "a precompressed copy is not served by its own name", path: scriptPath + ".gz", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serveSite(t, s, http.MethodGet, tt.path, nil)
			if w.Code != tt.wantCode {
				t.Fatalf("HTTP %d, want %d", w.Code, tt.wantCode)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %q", w.Body)
			}
			if tt.wantCode == http.StatusOK {
				if got := w.Header().Get("Cache-Control"); got != "no-cache" {
					t.Errorf("Cache-Control = %q, want no-cache", got)
				}
				if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
					t.Errorf("Content-Security-Policy = %q", csp)
				}
			}
		})
	}
}

func TestPortalMethods(t *testing.T) {
	s := newTestSite(t)
	head := serveSite(t, s, http.MethodHead, scriptPath, nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") != "21" {
		t.Errorf("HEAD: HTTP %d, %d body bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	post := serveSite(t, s, http.MethodPost, "/", nil)
	if post.Code != http.StatusMethodNotAllowed || post.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: HTTP %d, Allow %q", post.Code, post.Header().Get("Allow"))
	}
}

// TestPortalNotBuilt: a gateway compiled without a portal build (only the committed README.md in the
// folder) says how to build it at every portal path, in Chinese and English, and keeps nothing cached.
func TestPortalNotBuilt(t *testing.T) {
	s, err := newPortalSite(fstest.MapFS{"README.md": {Data: []byte("placeholder")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/households/abc", "/assets/index-AbC123.js"} {
		w := serveSite(t, s, http.MethodGet, p, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s: HTTP %d %q", p, w.Code, w.Header().Get("Content-Type"))
		}
		body := w.Body.String()
		for _, want := range []string{notBuiltSay, "门户尚未构建", "Portal not built"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page does not say %q", p, want)
			}
		}
		if got := w.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", p, got)
		}
	}
}

// TestPortalEmbedded: the build embedded in the gateway (the committed placeholder, or a local `make
// portal`) always loads, so the gateway starts with or without Node.
func TestPortalEmbedded(t *testing.T) {
	s, err := newPortalSite(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := serveSite(t, s, http.MethodGet, "/", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d", w.Code)
	}
	if _, ok := s.files["README.md"]; ok {
		t.Error("the committed placeholder is served")
	}
}

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip, deflate, br", "gzip", true},
		{"deflate", "gzip", false},
		{"", "gzip", false},
		{"GZIP", "gzip", true},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.001", "gzip", true},
		{"gzip;q=bad", "gzip", false},
		{"*;q=0.5", "br", true},
		{"*, br;q=0", "br", false},
		{"br;q=0, *", "gzip", true},
	}
	for _, tt := range tests {
		if got := acceptsEncoding(tt.header, tt.coding); got != tt.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tt.header, tt.coding, got, tt.want)
		}
	}
}

// TestPortalBesideTheAPI: through the whole gateway, the portal answers at / and its routes, while /v1,
// /docs, /openapi.json and /healthz are what they were, the gateway's /auth paths are left for sign-in,
// and a mutation outside /v1 still needs a token.
func TestPortalBesideTheAPI(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		method   string
		path     string
		header   http.Header
		wantCode int
		check    func(t *testing.T, r response)
	}{
		{name: "portal at the root", method: http.MethodGet, path: "/", wantCode: http.StatusOK,
			check: func(t *testing.T, r response) { wantBody(t, r, testIndex) }},
		{name: "portal route", method: http.MethodGet, path: "/cases/c-1", wantCode: http.StatusOK,
			check: func(t *testing.T, r response) { wantBody(t, r, testIndex) }},
		{name: "portal asset", method: http.MethodGet, path: scriptPath, wantCode: http.StatusOK,
			check: func(t *testing.T, r response) {
				if r.header.Get("Cache-Control") != cacheImmutable {
					t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
				}
			}},
		{name: "API without a token", method: http.MethodGet, path: "/v1/regions/000000000001", wantCode: http.StatusUnauthorized},
		{name: "API with a token", method: http.MethodGet, path: "/v1/regions/000000000001", header: bearer(f.token), wantCode: http.StatusOK,
			check: func(t *testing.T, r response) {
				if !strings.Contains(string(r.body), `"display_name":"示范村"`) {
					t.Errorf("body %s", r.body)
				}
			}},
		{name: "unknown API route", method: http.MethodGet, path: "/v1/nothing/here", header: bearer(f.token), wantCode: http.StatusNotFound},
		{name: "sign-in paths are not the portal", method: http.MethodGet, path: "/auth/login?next=/", wantCode: http.StatusUnauthorized},
		{name: "a mutation outside the API needs a token", method: http.MethodPost, path: "/cases/c-1", wantCode: http.StatusUnauthorized},
		{name: "healthz", method: http.MethodGet, path: healthzPath, wantCode: http.StatusOK},
		{name: "openapi", method: http.MethodGet, path: openAPIPath, wantCode: http.StatusOK,
			check: func(t *testing.T, r response) {
				if r.header.Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
				}
			}},
		{name: "docs", method: http.MethodGet, path: docsPath, wantCode: http.StatusOK,
			check: func(t *testing.T, r response) {
				if !strings.Contains(string(r.body), "swagger") {
					t.Error("/docs/ is not the Swagger UI")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, f.url+tt.path, tt.header, nil)
			if r.code != tt.wantCode {
				t.Fatalf("%s %s: HTTP %d, want %d: %s", tt.method, tt.path, r.code, tt.wantCode, r.body)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func wantBody(t *testing.T, r response, want string) {
	t.Helper()
	if string(r.body) != want {
		t.Errorf("body = %q, want %q", r.body, want)
	}
}
