// Package gen pins the code generators fupin uses (buf and its local protoc plugins) as `go tool`
// dependencies. It is its own module, kept out of go.work, so the generators' large dependency graph
// never leaks into the service modules.
package gen
