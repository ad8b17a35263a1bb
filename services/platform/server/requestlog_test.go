package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/logging/logtest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// idNumber is a 身份证号 a handler holds when it panics.
const idNumber = "990002196503040012"

func testServer() (*Server, *logtest.Buffer) {
	logger, buf := logtest.New(slog.LevelDebug)
	return &Server{cfg: Config{Logger: logger, Now: time.Now}, domain: "test.fupin.dev"}, buf
}

type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (f fakeStream) Context() context.Context { return f.ctx }

// TestPanicLogsTypeAndStackOnly: a handler that panics with personal data in the panic's value (here an
// error naming a 身份证号, as a careless fmt.Errorf would) leaves the call as INTERNAL, and the log shows
// the panic's type and the stack, never the value.
func TestPanicLogsTypeAndStackOnly(t *testing.T) {
	panicking := []struct {
		name string
		call func(s *Server) error
	}{
		{name: "unary", call: func(s *Server) error {
			_, err := s.unary(t.Context(), nil, &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"},
				func(context.Context, any) (any, error) { panic(fmt.Errorf("member %s has no household", idNumber)) })
			return err
		}},
		{name: "stream", call: func(s *Server) error {
			return s.stream(nil, fakeStream{ctx: t.Context()}, &grpc.StreamServerInfo{FullMethod: "/grpc.health.v1.Health/Watch"},
				func(any, grpc.ServerStream) error { panic("no member " + idNumber) })
		}},
	}
	for _, tt := range panicking {
		t.Run(tt.name, func(t *testing.T) {
			s, buf := testServer()
			err := tt.call(s)
			if status.Code(err) != codes.Internal || strings.Contains(err.Error(), idNumber) {
				t.Errorf("status %v: want INTERNAL without the value", err)
			}
			if strings.Contains(buf.String(), idNumber) || strings.Contains(buf.String(), "9900") {
				t.Fatalf("the log holds the panic's value:\n%s", buf.String())
			}
			lines := buf.Lines(t)
			var panicLine, rpcLine map[string]any
			for _, l := range lines {
				switch l["msg"] {
				case "panic":
					panicLine = l
				case "rpc":
					rpcLine = l
				}
			}
			if panicLine == nil || panicLine["panic_type"] == "" || !strings.Contains(fmt.Sprint(panicLine["stack"]), "requestlog_test.go") {
				t.Errorf("panic line %v: want its type and the stack", panicLine)
			}
			if rpcLine == nil || rpcLine["code"] != "Internal" {
				t.Errorf("request line %v: want one with code Internal", rpcLine)
			}
		})
	}
}

func TestLogCall(t *testing.T) {
	person := &auth.Caller{Subject: "officer-7", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, Role: commonv1.Role_ROLE_COUNTY_ADMIN}
	service := &auth.Caller{Subject: "service:subsidies", Department: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
		Role: commonv1.Role_ROLE_SERVICE, OnBehalfOf: person}
	tests := []struct {
		name   string
		caller *auth.Caller
		public bool
		err    error
		want   map[string]any
		// absent are keys the line must not have; hidden are texts it must not hold.
		absent, hidden []string
	}{
		{name: "a person's call", caller: person, want: map[string]any{"level": "INFO", "code": "OK", "dept": "civil_affairs", "role": "county_admin"},
			absent: []string{"on_behalf_of_dept"}, hidden: []string{"officer-7"}},
		{name: "a service acting for a person", caller: service, err: status.Error(codes.NotFound, "no such household"),
			want:   map[string]any{"code": "NotFound", "role": "service", "on_behalf_of_dept": "civil_affairs", "on_behalf_of_role": "county_admin"},
			hidden: []string{"no such household"}},
		{name: "refused before a caller was known", err: status.Error(codes.Unauthenticated, "a bearer token is required"),
			want: map[string]any{"code": "Unauthenticated"}, absent: []string{"dept", "role"}},
		{name: "a health check is debug", public: true, want: map[string]any{"level": "DEBUG", "code": "OK"}},
		{name: "an unmapped error counts as unknown", err: errors.New("boom"), caller: person, want: map[string]any{"code": "Unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, buf := testServer()
			ctx := t.Context()
			if tt.caller != nil {
				ctx = auth.NewContext(ctx, tt.caller)
			}
			s.logCall(ctx, &method{fullName: "/fupin.x.v1.S/M", public: tt.public}, time.Now().Add(-3*time.Millisecond), tt.err)
			lines := buf.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			l := lines[0]
			if l["method"] != "/fupin.x.v1.S/M" || l["duration_ms"].(float64) < 3 {
				t.Errorf("line %v", l)
			}
			for k, v := range tt.want {
				if l[k] != v {
					t.Errorf("%s = %v, want %v", k, l[k], v)
				}
			}
			for _, a := range tt.absent {
				if _, ok := l[a]; ok {
					t.Errorf("key %s in %v", a, l)
				}
			}
			for _, h := range tt.hidden {
				if strings.Contains(buf.String(), h) {
					t.Errorf("%q in %s", h, buf.String())
				}
			}
		})
	}
}
