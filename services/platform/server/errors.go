package server

import (
	"context"
	"errors"
	"log/slog"

	"fupin.dev/services/platform/apperr"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

var kindCodes = map[apperr.Kind]codes.Code{
	apperr.KindInvalid:          codes.InvalidArgument,
	apperr.KindNotFound:         codes.NotFound,
	apperr.KindAlreadyExists:    codes.AlreadyExists,
	apperr.KindRefused:          codes.FailedPrecondition,
	apperr.KindAborted:          codes.Aborted,
	apperr.KindPermissionDenied: codes.PermissionDenied,
	apperr.KindUnauthenticated:  codes.Unauthenticated,
	apperr.KindUnavailable:      codes.Unavailable,
	apperr.KindExhausted:        codes.ResourceExhausted,
}

// toStatus turns any error a handler returns into the gRPC status the caller sees. Refusals (*apperr.Error)
// keep their reason and details; errors that already are statuses pass through; everything else becomes
// INTERNAL with a generic message, and its cause is logged with the trace id.
func toStatus(ctx context.Context, domain string, logger *slog.Logger, fullMethod string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := apperr.As(err); ok {
		return refusal(domain, e)
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	traceID := trace.SpanContextFromContext(ctx).TraceID().String()
	logger.ErrorContext(ctx, "internal error", "method", fullMethod, "trace_id", traceID, "err", err)
	st := status.New(codes.Internal, "internal error; reference trace "+traceID)
	st, _ = st.WithDetails(&errdetails.ErrorInfo{Reason: "INTERNAL_ERROR", Domain: domain,
		Metadata: map[string]string{"trace_id": traceID}})
	return st.Err()
}

func refusal(domain string, e *apperr.Error) error {
	code, ok := kindCodes[e.Kind]
	if !ok {
		code = codes.Internal
	}
	msg := e.Message
	if msg == "" {
		msg = e.Reason
	}
	st := status.New(code, msg)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: domain, Metadata: e.Metadata}}
	if len(e.Fields) > 0 {
		br := &errdetails.BadRequest{}
		for _, f := range e.Fields {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: f.Field, Description: f.Description, Reason: f.Reason})
		}
		details = append(details, br)
	}
	if len(e.Violations) > 0 {
		pf := &errdetails.PreconditionFailure{}
		for _, v := range e.Violations {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type: v.Type, Subject: v.Subject, Description: v.Description})
		}
		details = append(details, pf)
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st.Err()
}

// Reasons the platform's chain itself refuses with (values of fupin.common.v1.ErrorReason).
const (
	// ReasonReplayByOtherIdentity: a request_id's result is replayed only to the identity that made the
	// first call.
	ReasonReplayByOtherIdentity = "REPLAY_BY_OTHER_IDENTITY"
	// ReasonPlainTextLimitExceeded: a plain-text read asked for more than MaxPlainTextRecords records.
	ReasonPlainTextLimitExceeded = "PLAIN_TEXT_LIMIT_EXCEEDED"
)
