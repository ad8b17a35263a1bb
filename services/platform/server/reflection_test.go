package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

// Reflection describes every method to anyone, without a token: a server answers it only when its
// configuration enables it (issue 8, item 12).
func TestReflectionIsOffUnlessEnabled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enabled bool
	}{
		{name: "default config", enabled: false},
		{name: "enabled", enabled: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqldb.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			logger := slog.New(slog.DiscardHandler)
			log := audit.New(db, logger)
			t.Cleanup(log.Close)
			s, err := New(Config{Name: "test", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
				Verifier: auth.NewVerifier(auth.DefaultSettings()), DB: db, Audit: log, Logger: logger, Reflection: tc.enabled})
			if err != nil {
				t.Fatal(err)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = s.GRPC().Serve(lis) }()
			t.Cleanup(s.GRPC().Stop)
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })

			stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
			if err == nil {
				err = stream.Send(&reflectionpb.ServerReflectionRequest{
					MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
			}
			var resp *reflectionpb.ServerReflectionResponse
			// Send may fail with io.EOF when the server has already ended the stream (Unimplemented): the
			// stream's status is then what Recv returns.
			if err == nil || errors.Is(err, io.EOF) {
				resp, err = stream.Recv()
			}
			if !tc.enabled {
				if status.Code(err) != codes.Unimplemented {
					t.Errorf("reflection answered %v, %v; want Unimplemented", resp, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, svc := range resp.GetListServicesResponse().GetService() {
				names = append(names, svc.GetName())
			}
			if len(names) == 0 {
				t.Errorf("reflection listed no services")
			}
		})
	}
}
