package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/trace"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// errorBody is an error as AIP-193 shapes it for HTTP/JSON:
//
//	{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT", "details": [{"@type": ...}]}}
//
// code is the HTTP status, status the gRPC code's name, details the google.rpc.Status details (ErrorInfo,
// BadRequest, PreconditionFailure...) in proto JSON with their @type, using proto field names like every
// other response of the gateway (e.g. "field_violations").
type errorBody struct {
	Error errorStatus `json:"error"`
}

type errorStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details"`
}

// detailsJSON marshals google.rpc.Status details; an unknown detail type cannot be marshaled and is left out.
var detailsJSON = protojson.MarshalOptions{UseProtoNames: true}

// errorHandler writes every error grpc-gateway meets (a service's status, a request body that does not parse,
// an unreachable service) as AIP-193 JSON.
func errorHandler(logger *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		httpStatus := 0
		var withStatus *runtime.HTTPStatusError
		if errors.As(err, &withStatus) {
			httpStatus = withStatus.HTTPStatus
			err = withStatus.Err
		}
		writeError(ctx, logger, w, status.Convert(err), httpStatus)
	}
}

// routingErrorHandler answers requests no route matches: 404 NOT_FOUND for an unknown path, 405 for a known
// path with another method, 400 for a path grpc-gateway cannot parse.
func routingErrorHandler(logger *slog.Logger) runtime.RoutingErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
		var st *status.Status
		switch httpStatus {
		case http.StatusNotFound:
			st = status.Newf(codes.NotFound, "no route for %s %s", r.Method, r.URL.Path)
		case http.StatusMethodNotAllowed:
			st = status.Newf(codes.Unimplemented, "method %s not allowed on %s", r.Method, r.URL.Path)
		case http.StatusBadRequest:
			st = status.New(codes.InvalidArgument, "malformed request path")
		default:
			st = status.New(codes.Internal, http.StatusText(httpStatus))
		}
		writeError(ctx, logger, w, st, httpStatus)
	}
}

// writeError writes st as AIP-193 JSON with httpStatus, or the status runtime.HTTPStatusFromCode gives st's
// code when httpStatus is 0.
//
// Messages that can carry internals are replaced: UNKNOWN, INTERNAL and DATA_LOSS (services mask their own;
// these come from the gateway or the transport) and UNAVAILABLE without details (a connection failure, whose
// message names hosts and ports; a service that refuses with UNAVAILABLE on purpose attaches an ErrorInfo).
// The cause is logged with the trace id, so an operator can find it from the client's traceparent.
func writeError(ctx context.Context, logger *slog.Logger, w http.ResponseWriter, st *status.Status, httpStatus int) {
	if httpStatus == 0 {
		httpStatus = runtime.HTTPStatusFromCode(st.Code())
	}
	message := st.Message()
	switch code := st.Code(); {
	case code == codes.Unknown || code == codes.Internal || code == codes.DataLoss:
		message = "internal error"
	case code == codes.Unavailable && len(st.Proto().GetDetails()) == 0:
		message = "service unavailable, try again later"
	}
	if message != st.Message() {
		logger.ErrorContext(ctx, "request failed", "code", st.Code().String(), "cause", st.Message(),
			"trace_id", trace.SpanContextFromContext(ctx).TraceID().String())
	}

	body := errorBody{Error: errorStatus{
		Code:    httpStatus,
		Message: message,
		// google.rpc.Code spells the names as AIP-193 wants them ("INVALID_ARGUMENT"); codes.Code.String
		// gives "InvalidArgument".
		Status:  rpccode.Code(st.Code()).String(),
		Details: []json.RawMessage{},
	}}
	for _, d := range st.Proto().GetDetails() {
		b, err := detailsJSON.Marshal(d)
		if err != nil {
			logger.WarnContext(ctx, "error detail left out", "type", d.GetTypeUrl(), "err", err)
			continue
		}
		body.Error.Details = append(body.Error.Details, b)
	}
	buf, err := json.Marshal(body)
	if err != nil {
		// Unreachable: every detail is valid JSON from protojson.
		logger.ErrorContext(ctx, "marshal error response", "err", err)
		buf = []byte(`{"error":{"code":500,"message":"internal error","status":"INTERNAL","details":[]}}`)
		httpStatus = http.StatusInternalServerError
	}

	h := w.Header()
	h.Del("Trailer")
	h.Del("Transfer-Encoding")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if st.Code() == codes.Unauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="fupin"`)
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(buf)
}
