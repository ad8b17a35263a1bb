package gateway

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// openAPIDocument is the merged OpenAPI (Swagger 2.0) document buf generates from the protos into
// openapi/fupin.swagger.json; the drift check keeps it in step with them.
//
//go:embed openapi/fupin.swagger.json
var openAPIDocument []byte

// swaggerUI holds the Swagger UI page: fupin's own index.html and swagger-initializer.js, and the built files
// of the pinned swagger-ui-dist release in dist/ (committed, refreshed by swaggerui/update.sh).
//
//go:embed swaggerui/index.html swaggerui/swagger-initializer.js swaggerui/dist
var swaggerUI embed.FS

// docsCSP lets the Swagger UI page load nothing but the gateway's own files. Inline styles are allowed
// because the UI sets style attributes; data: images are its inline icons.
const docsCSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func openAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*") // a public document, for tools on other origins
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(openAPIDocument)
		}
	})
}

// docsHandler serves /docs/: index.html for the folder itself, the initializer, and dist/ for the rest.
func docsHandler() (http.Handler, error) {
	page, err := fs.Sub(swaggerUI, "swaggerui")
	if err != nil {
		return nil, fmt.Errorf("gateway: swagger ui files: %w", err)
	}
	dist, err := fs.Sub(page, "dist")
	if err != nil {
		return nil, fmt.Errorf("gateway: swagger ui files: %w", err)
	}
	index, err := fs.ReadFile(page, "index.html")
	if err != nil {
		return nil, fmt.Errorf("gateway: swagger ui files: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", docsCSP)
		switch name := strings.TrimPrefix(r.URL.Path, docsPath); name {
		case "", "index.html":
			// Not http.ServeFileFS: it redirects a request for index.html to the folder.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(index)
		case "swagger-initializer.js":
			http.ServeFileFS(w, r, page, name)
		default:
			if !fs.ValidPath(name) || strings.Contains(name, "/") {
				http.NotFound(w, r)
				return
			}
			http.ServeFileFS(w, r, dist, name)
		}
	}), nil
}
