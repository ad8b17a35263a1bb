package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"fupin.dev/services/platform/apperr"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const (
	testDomain = "identification.fupin.dev"
	testMethod = "/fupin.identification.v1.HouseholdService/CreateHousehold"
)

func TestToStatusKindCodes(t *testing.T) {
	tests := []struct {
		name string
		kind apperr.Kind
		want codes.Code
	}{
		{name: "invalid", kind: apperr.KindInvalid, want: codes.InvalidArgument},
		{name: "not found", kind: apperr.KindNotFound, want: codes.NotFound},
		{name: "already exists", kind: apperr.KindAlreadyExists, want: codes.AlreadyExists},
		{name: "refused", kind: apperr.KindRefused, want: codes.FailedPrecondition},
		{name: "aborted", kind: apperr.KindAborted, want: codes.Aborted},
		{name: "permission denied", kind: apperr.KindPermissionDenied, want: codes.PermissionDenied},
		{name: "unauthenticated", kind: apperr.KindUnauthenticated, want: codes.Unauthenticated},
		{name: "unavailable", kind: apperr.KindUnavailable, want: codes.Unavailable},
		{name: "exhausted", kind: apperr.KindExhausted, want: codes.ResourceExhausted},
		{name: "kind without a code", kind: apperr.Kind(0), want: codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &apperr.Error{Kind: tt.kind, Reason: "SOME_REASON", Message: "what went wrong",
				Metadata: map[string]string{"household": "households/1"}}
			st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod, in))
			if st.Code() != tt.want {
				t.Errorf("code = %v, want %v", st.Code(), tt.want)
			}
			if st.Message() != "what went wrong" {
				t.Errorf("message = %q, want the refusal's message", st.Message())
			}
			info := detail[*errdetails.ErrorInfo](t, st)
			if info.GetReason() != "SOME_REASON" || info.GetDomain() != testDomain {
				t.Errorf("ErrorInfo = reason %q domain %q, want SOME_REASON %s", info.GetReason(), info.GetDomain(), testDomain)
			}
			if info.GetMetadata()["household"] != "households/1" {
				t.Errorf("ErrorInfo metadata = %v, want household=households/1", info.GetMetadata())
			}
		})
	}
}

func TestToStatusRefusalDetails(t *testing.T) {
	t.Run("field violations become BadRequest", func(t *testing.T) {
		in := apperr.InvalidFields(
			apperr.FieldViolation{Field: "household.region_code", Description: "must be 12 digits", Reason: "INVALID_REGION_CODE"},
			apperr.FieldViolation{Field: "household.members[1].id_number", Description: "bad check digit", Reason: "INVALID_ID_NUMBER"},
		)
		st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod, in))
		if st.Code() != codes.InvalidArgument {
			t.Fatalf("code = %v, want InvalidArgument", st.Code())
		}
		br := detail[*errdetails.BadRequest](t, st)
		want := []*errdetails.BadRequest_FieldViolation{
			{Field: "household.region_code", Description: "must be 12 digits", Reason: "INVALID_REGION_CODE"},
			{Field: "household.members[1].id_number", Description: "bad check digit", Reason: "INVALID_ID_NUMBER"},
		}
		if len(br.GetFieldViolations()) != len(want) {
			t.Fatalf("field violations = %v, want %v", br.GetFieldViolations(), want)
		}
		for i, w := range want {
			if !proto.Equal(br.GetFieldViolations()[i], w) {
				t.Errorf("field violation %d = %v, want %v", i, br.GetFieldViolations()[i], w)
			}
		}
		if got := detail[*errdetails.ErrorInfo](t, st).GetReason(); got != "INVALID_REGION_CODE" {
			t.Errorf("ErrorInfo reason = %q, want the first field's reason", got)
		}
	})
	t.Run("violations become PreconditionFailure", func(t *testing.T) {
		in := apperr.Refused("VILLAGE_REVIEW_QUORUM",
			apperr.Violation{Type: "VILLAGE_REVIEW_QUORUM", Subject: "households/7", Description: "needs 5 reviewers, has 3"},
			apperr.Violation{Type: "PUBLIC_NOTICE_PERIOD", Subject: "households/7", Description: "notice ends in 2 days"},
		)
		st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod, in))
		if st.Code() != codes.FailedPrecondition {
			t.Fatalf("code = %v, want FailedPrecondition", st.Code())
		}
		pf := detail[*errdetails.PreconditionFailure](t, st)
		want := []*errdetails.PreconditionFailure_Violation{
			{Type: "VILLAGE_REVIEW_QUORUM", Subject: "households/7", Description: "needs 5 reviewers, has 3"},
			{Type: "PUBLIC_NOTICE_PERIOD", Subject: "households/7", Description: "notice ends in 2 days"},
		}
		if len(pf.GetViolations()) != len(want) {
			t.Fatalf("violations = %v, want %v", pf.GetViolations(), want)
		}
		for i, w := range want {
			if !proto.Equal(pf.GetViolations()[i], w) {
				t.Errorf("violation %d = %v, want %v", i, pf.GetViolations()[i], w)
			}
		}
		if st.Message() != "needs 5 reviewers, has 3" {
			t.Errorf("message = %q, want the first violation's description", st.Message())
		}
	})
	t.Run("wrapped refusal keeps its kind", func(t *testing.T) {
		in := fmt.Errorf("update household 7: %w", apperr.StaleEtag)
		st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod, in))
		if st.Code() != codes.Aborted || detail[*errdetails.ErrorInfo](t, st).GetReason() != "STALE_ETAG" {
			t.Errorf("status = %v %v, want Aborted STALE_ETAG", st.Code(), st.Details())
		}
	})
	t.Run("refusal without message uses the reason", func(t *testing.T) {
		st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod,
			&apperr.Error{Kind: apperr.KindRefused, Reason: "HOUSEHOLD_ARCHIVED"}))
		if st.Message() != "HOUSEHOLD_ARCHIVED" {
			t.Errorf("message = %q, want the reason", st.Message())
		}
	})
}

func TestToStatusInternal(t *testing.T) {
	traceID := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	ctx := trace.ContextWithSpanContext(t.Context(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled}))
	const cause = "pq: connection to 10.0.0.7 refused while reading 420103199001011234"
	tests := []struct {
		name string
		err  error
	}{
		{name: "plain error", err: errors.New(cause)},
		{name: "wrapped error", err: fmt.Errorf("list households: %w", errors.New(cause))},
		{name: "status with code Unknown", err: status.Error(codes.Unknown, cause)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := statusOf(t, toStatus(ctx, testDomain, testLogger(t, &logs), testMethod, tt.err))
			if st.Code() != codes.Internal {
				t.Fatalf("code = %v, want Internal", st.Code())
			}
			if strings.Contains(st.Message(), "10.0.0.7") || strings.Contains(st.Message(), "420103") {
				t.Errorf("message %q leaks the cause", st.Message())
			}
			if !strings.Contains(st.Message(), traceID.String()) {
				t.Errorf("message %q does not name trace %s", st.Message(), traceID)
			}
			info := detail[*errdetails.ErrorInfo](t, st)
			if info.GetReason() != "INTERNAL_ERROR" || info.GetDomain() != testDomain || info.GetMetadata()["trace_id"] != traceID.String() {
				t.Errorf("ErrorInfo = %v, want INTERNAL_ERROR in %s with trace_id %s", info, testDomain, traceID)
			}
			for _, d := range st.Details() {
				if strings.Contains(fmt.Sprint(d), "10.0.0.7") {
					t.Errorf("detail %v leaks the cause", d)
				}
			}
			if !strings.Contains(logs.String(), cause) || !strings.Contains(logs.String(), traceID.String()) ||
				!strings.Contains(logs.String(), testMethod) {
				t.Errorf("log %q should hold the cause, the trace id and the method", logs.String())
			}
		})
	}
}

func TestToStatusPassThrough(t *testing.T) {
	deadline, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-deadline.Done()
	tests := []struct {
		name    string
		err     error
		want    codes.Code
		wantMsg string
	}{
		{name: "canceled", err: context.Canceled, want: codes.Canceled, wantMsg: "request canceled"},
		{name: "wrapped canceled", err: fmt.Errorf("query: %w", context.Canceled), want: codes.Canceled, wantMsg: "request canceled"},
		{name: "deadline exceeded", err: context.DeadlineExceeded, want: codes.DeadlineExceeded, wantMsg: "deadline exceeded"},
		{name: "context's own deadline error", err: fmt.Errorf("query: %w", deadline.Err()), want: codes.DeadlineExceeded,
			wantMsg: "deadline exceeded"},
		{name: "existing status", err: status.Error(codes.ResourceExhausted, "quota used up"), want: codes.ResourceExhausted,
			wantMsg: "quota used up"},
		{name: "existing status from a dependency", err: status.Error(codes.Unavailable, "etcd down"), want: codes.Unavailable,
			wantMsg: "etcd down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := statusOf(t, toStatus(t.Context(), testDomain, testLogger(t, &logs), testMethod, tt.err))
			if st.Code() != tt.want || st.Message() != tt.wantMsg {
				t.Errorf("status = %v %q, want %v %q", st.Code(), st.Message(), tt.want, tt.wantMsg)
			}
			if logs.Len() != 0 {
				t.Errorf("logged %q; only internal errors are logged", logs.String())
			}
		})
	}
	t.Run("existing status keeps its details", func(t *testing.T) {
		in, err := status.New(codes.NotFound, "no such region").WithDetails(&errdetails.ErrorInfo{Reason: "REGION_NOT_FOUND", Domain: "identification.fupin.dev"})
		if err != nil {
			t.Fatal(err)
		}
		st := statusOf(t, toStatus(t.Context(), "subsidies.fupin.dev", testLogger(t, nil), testMethod, in.Err()))
		if info := detail[*errdetails.ErrorInfo](t, st); info.GetReason() != "REGION_NOT_FOUND" || info.GetDomain() != "identification.fupin.dev" {
			t.Errorf("ErrorInfo = %v, want the original one", info)
		}
	})
	t.Run("nil", func(t *testing.T) {
		if err := toStatus(t.Context(), testDomain, testLogger(t, nil), testMethod, nil); err != nil {
			t.Errorf("toStatus(nil) = %v, want nil", err)
		}
	})
}

// testLogger writes JSON logs to w, or fails the test when anything is logged and w is nil.
func testLogger(t *testing.T, w *bytes.Buffer) *slog.Logger {
	if w != nil {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(failHandler{t})
}

type failHandler struct{ t *testing.T }

func (h failHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h failHandler) Handle(_ context.Context, r slog.Record) error {
	h.t.Errorf("unexpected log: %s", r.Message)
	return nil
}
func (h failHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h failHandler) WithGroup(string) slog.Handler      { return h }

func statusOf(t *testing.T, err error) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%v (%T) is not a gRPC status", err, err)
	}
	return st
}

// detail returns the status's one detail of type T.
func detail[T proto.Message](t *testing.T, st *status.Status) T {
	t.Helper()
	var found []T
	for _, d := range st.Details() {
		if m, ok := d.(T); ok {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("status %v has %d details of type %T, want 1", st.Proto(), len(found), zero)
	}
	return found[0]
}
