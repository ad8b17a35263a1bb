package gateway

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The gateway's mux routes by HTTP method and path pattern alone, and a second registration of the same
// pattern silently shadows the first: two services declaring the same route (employment's 公益岗 objections
// once took identification's /v1/{name=receivedObjections/*}:dismiss) send one department's calls to the
// other. Every fupin method with a REST binding must therefore own its method and pattern.
func TestRESTRoutesAreUnique(t *testing.T) {
	owner := map[string]string{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "fupin.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
				if rule == nil {
					continue
				}
				for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					verb, path := httpRoute(r)
					if path == "" {
						continue
					}
					key := verb + " " + path
					if prev, ok := owner[key]; ok {
						t.Errorf("%s is declared by %s and %s", key, prev, md.FullName())
					}
					owner[key] = string(md.FullName())
				}
			}
		}
		return true
	})
	if len(owner) < 100 {
		t.Fatalf("only %d REST routes found: are the services' generated packages linked into the gateway?", len(owner))
	}
}

// httpRoute is a rule's verb and its path with the variables' names dropped ({name=a/*} and {x=a/*} match
// the same requests).
func httpRoute(r *annotations.HttpRule) (string, string) {
	var verb, path string
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		verb, path = "GET", p.Get
	case *annotations.HttpRule_Post:
		verb, path = "POST", p.Post
	case *annotations.HttpRule_Put:
		verb, path = "PUT", p.Put
	case *annotations.HttpRule_Patch:
		verb, path = "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		verb, path = "DELETE", p.Delete
	case *annotations.HttpRule_Custom:
		verb, path = p.Custom.GetKind(), p.Custom.GetPath()
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(path, '{')
		if open < 0 {
			b.WriteString(path)
			break
		}
		end := strings.IndexByte(path[open:], '}')
		if end < 0 {
			b.WriteString(path)
			break
		}
		b.WriteString(path[:open])
		v := path[open+1 : open+end]
		if eq := strings.IndexByte(v, '='); eq >= 0 {
			b.WriteString("{" + v[eq+1:] + "}")
		} else {
			b.WriteString("{*}")
		}
		path = path[open+end+1:]
	}
	return verb, b.String()
}
