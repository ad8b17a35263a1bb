package gateway

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// portalBuild is the county portal as `make portal` builds it into portal/dist: Vite's fingerprinted files
// under assets/, index.html, and precompressed .gz and .br copies of each. Only dist/README.md is
// committed, so the gateway compiles without Node; without a build it serves portalNotBuiltPage.
//
//go:embed portal/dist
var portalBuild embed.FS

// portalRoot is the folder of portalBuild the site is in.
const portalRoot = "portal/dist"

// portalIndex is the page every portal route is answered with (history-mode routing: the app reads the path).
const portalIndex = "index.html"

// portalAssets is the folder of Vite's fingerprinted files: a file there never changes under its name.
const portalAssets = "assets/"

// portalCSP lets the portal load nothing but the gateway's own files and talk to nothing but the gateway.
// Inline styles are allowed because Element Plus sets style attributes; data: images are its icons.
const portalCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Cache-Control of the portal's files. A fingerprinted file is cached for a year and never revalidated;
// index.html (which names the current fingerprints) and everything else is revalidated on every use, cheaply,
// by its ETag.
const (
	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidate  = "no-cache"
	cacheNeverStored = "no-store"
)

// portalEncodings are the precompressed copies the build writes, best first: the suffix of the file and
// the Content-Encoding it is served with.
var portalEncodings = []struct{ suffix, coding string }{{".br", "br"}, {".gz", "gzip"}}

// portalFile is one file of the portal with its precompressed copies, read once at start.
type portalFile struct {
	contentType string
	cache       string
	// body is the file as built; encoded holds its copies by Content-Encoding ("br", "gzip").
	body    []byte
	encoded map[string][]byte
	// etag names the file's content; each encoding adds a suffix, as a different representation must.
	etag string
}

// portalSite serves the portal: its files, and index.html for every other path the app routes.
type portalSite struct {
	files map[string]*portalFile
	index *portalFile
}

// newPortalSite reads a portal build (a folder as `make portal` writes it). dist == nil means the build
// embedded in the gateway. A folder without index.html is no build: the site then answers with
// portalNotBuiltPage.
func newPortalSite(dist fs.FS) (*portalSite, error) {
	if dist == nil {
		sub, err := fs.Sub(portalBuild, portalRoot)
		if err != nil {
			return nil, fmt.Errorf("gateway: portal files: %w", err)
		}
		dist = sub
	}
	s := &portalSite{files: map[string]*portalFile{}}
	err := fs.WalkDir(dist, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "README.md" || isEncodedCopy(name) {
			return err
		}
		f, err := readPortalFile(dist, name)
		if err != nil {
			return err
		}
		s.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: portal files: %w", err)
	}
	s.index = s.files[portalIndex]
	return s, nil
}

func isEncodedCopy(name string) bool {
	for _, e := range portalEncodings {
		if strings.HasSuffix(name, e.suffix) {
			return true
		}
	}
	return false
}

func readPortalFile(dist fs.FS, name string) (*portalFile, error) {
	body, err := fs.ReadFile(dist, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	f := &portalFile{
		contentType: contentTypeOf(name),
		cache:       cacheRevalidate,
		body:        body,
		encoded:     map[string][]byte{},
		etag:        hex.EncodeToString(sum[:12]),
	}
	if strings.HasPrefix(name, portalAssets) {
		f.cache = cacheImmutable
	}
	for _, e := range portalEncodings {
		b, err := fs.ReadFile(dist, name+e.suffix)
		switch {
		case err == nil:
			f.encoded[e.coding] = b
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	return f, nil
}

// contentTypeOf names a file's media type by its extension; text types say they are UTF-8.
func contentTypeOf(name string) string {
	ext := path.Ext(name)
	switch ext {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".woff2":
		return "font/woff2"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ServeHTTP answers GET and HEAD: a file of the build as it is, index.html for the app's routes, 404 for a
// missing file (a path under assets/ or with an extension: a stale page asking for an old fingerprint must
// not get index.html as JavaScript).
func (s *portalSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.index == nil {
		servePortalNotBuilt(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = portalIndex
	}
	if f, ok := s.files[name]; ok && name != portalIndex {
		s.serve(w, r, f)
		return
	}
	if name != portalIndex && (strings.HasPrefix(name, portalAssets) || strings.Contains(path.Base(name), ".")) {
		w.Header().Set("Cache-Control", cacheRevalidate)
		http.NotFound(w, r)
		return
	}
	s.serve(w, r, s.index)
}

// serve writes a file, precompressed when the client accepts it, with validators for conditional requests.
func (s *portalSite) serve(w http.ResponseWriter, r *http.Request, f *portalFile) {
	h := w.Header()
	body, etag := f.body, f.etag
	if len(f.encoded) > 0 {
		h.Set("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		for _, e := range portalEncodings {
			if b, ok := f.encoded[e.coding]; ok && acceptsEncoding(accept, e.coding) {
				h.Set("Content-Encoding", e.coding)
				body, etag = b, f.etag+"-"+e.coding
				break
			}
		}
	}
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", f.cache)
	h.Set("ETag", strconv.Quote(etag))
	if f == s.index {
		h.Set("Content-Security-Policy", portalCSP)
		h.Set("Referrer-Policy", "same-origin")
	}
	// ServeContent answers If-None-Match with 304 and ranges; it sets Content-Length.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsEncoding reports whether an Accept-Encoding header admits a content coding: named, or by "*",
// with a q-value above 0 (RFC 9110, section 12.5.3).
func acceptsEncoding(header, coding string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		ok := true
		for p := range strings.SplitSeq(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		switch name {
		case coding:
			return ok
		case "*":
			star = ok
		}
	}
	return star
}

// portalNotBuiltPage is what the gateway answers at the portal's paths when it was compiled without a
// portal build, in Chinese and English.
const portalNotBuiltPage = `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>门户尚未构建 / Portal not built</title>
<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6;color:#303133}code{background:#f2f3f5;padding:0 .3em}</style>
</head>
<body>
<h1>门户尚未构建</h1>
<p>此网关在编译时没有门户的构建结果。请在代码仓库根目录运行 <code>make portal</code>（需要 Node.js 20.19 或更高版本），再重新编译或运行网关（<code>make run</code> 会自动完成）。</p>
<p>接口服务不受影响：<a href="/docs/">接口文档</a>、<a href="/healthz">健康检查</a>。</p>
<h1>Portal not built</h1>
<p>This gateway was compiled without the portal's build. Run <code>make portal</code> at the repository root
(it needs Node.js 20.19 or later), then build or run the gateway again (<code>make run</code> does both).</p>
<p>The API is not affected: <a href="/docs/">API docs</a>, <a href="/healthz">health</a>.</p>
</body>
</html>
`

func servePortalNotBuilt(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", cacheNeverStored)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(portalNotBuiltPage))
	}
}

// isPortalPath reports whether a request is the portal's: a GET or HEAD outside the API (/v1/) and the
// gateway's own sign-in routes (/auth/). Everything else keeps going to the API, which refuses it without a
// token, so new API routes stay private by default.
func isPortalPath(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	for _, reserved := range []string{"/v1", "/auth"} {
		if p == reserved || strings.HasPrefix(p, reserved+"/") {
			return false
		}
	}
	return true
}
