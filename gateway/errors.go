package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/api/annotations"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
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
		noteRPC(ctx)
		writeError(ctx, logger, w, r, status.Convert(err), httpStatus)
	}
}

// streamErrorHandler gives a streaming method's error, met after the stream has begun or before its first
// message, the same treatment as any other error; jsonAPI.Marshal then writes it as AIP-193 JSON (with the
// HTTP status of the code in "code": once the first message is out, the response's own status is 200).
func streamErrorHandler(logger *slog.Logger) runtime.StreamErrorHandlerFunc {
	return func(ctx context.Context, err error) *status.Status {
		st, _ := edgeStatus(ctx, nil, status.Convert(err), 0)
		st = publicStatus(ctx, logger, st)
		noteCode(ctx, st.Code())
		return st
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
		writeError(ctx, logger, w, nil, st, httpStatus)
	}
}

// writeError writes st as AIP-193 JSON with httpStatus, or the status runtime.HTTPStatusFromCode gives st's
// code when httpStatus is 0. The gateway's own refusals of the request (edgeStatus; r is the request when a
// route handled it, else nil) and the masking of internal messages (publicStatus) apply first.
func writeError(ctx context.Context, logger *slog.Logger, w http.ResponseWriter, r *http.Request, st *status.Status, httpStatus int) {
	st, httpStatus = edgeStatus(ctx, r, st, httpStatus)
	st = publicStatus(ctx, logger, st)
	noteCode(ctx, st.Code())
	if httpStatus == 0 {
		httpStatus = runtime.HTTPStatusFromCode(st.Code())
	}
	buf := errorJSON(ctx, logger, st, httpStatus)

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

// publicStatus replaces messages that can carry internals: UNKNOWN, INTERNAL and DATA_LOSS (services mask
// their own; these come from the gateway or the transport) and UNAVAILABLE without details (a connection
// failure, whose message names hosts and ports; a service that refuses with UNAVAILABLE on purpose attaches
// an ErrorInfo). The cause is logged with the trace id, so an operator can find it from the client's
// traceparent.
func publicStatus(ctx context.Context, logger *slog.Logger, st *status.Status) *status.Status {
	message := st.Message()
	switch code := st.Code(); {
	case code == codes.Unknown || code == codes.Internal || code == codes.DataLoss:
		message = "internal error"
	case code == codes.Unavailable && len(st.Proto().GetDetails()) == 0:
		message = "service unavailable, try again later"
	}
	if message == st.Message() {
		return st
	}
	logger.ErrorContext(ctx, "request failed", "code", st.Code().String(), "cause", st.Message(),
		"trace_id", trace.SpanContextFromContext(ctx).TraceID().String())
	p := proto.Clone(st.Proto()).(*spb.Status)
	p.Message = message
	return status.FromProto(p)
}

// edgeStatus is the gateway's own answer where the request itself failed before a service saw it: a body
// over its cap (413), a body not sent within the read timeout (408), or a body or query that does not
// decode (400 naming the field and the type expected, never the value: see decode.go). Other statuses pass
// unchanged.
func edgeStatus(ctx context.Context, r *http.Request, st *status.Status, httpStatus int) (*status.Status, int) {
	if x := exchangeFrom(ctx); x != nil && x.body != nil {
		switch {
		case x.body.tooLarge:
			return tooLarge(x.body.max), http.StatusRequestEntityTooLarge
		case x.body.timedOut:
			return gatewayStatus(codes.DeadlineExceeded, commonv1.ErrorReason_REQUEST_TIMEOUT,
				"the request body was not received within the read timeout", nil), http.StatusRequestTimeout
		}
	}
	// Every refusal of a fupin service carries an ErrorInfo, so an INVALID_ARGUMENT without details is
	// grpc-gateway's own: a body, query or path it could not decode. Its message is never passed on as it is.
	if st.Code() != codes.InvalidArgument || len(st.Proto().GetDetails()) > 0 {
		return st, httpStatus
	}
	bad, ok := parseBadInput(st.Message())
	switch {
	case ok && bad.field != "":
		bad.field = bodyPath(ctx, bad.field)
	case !ok && r != nil && len(r.Form) > 0:
		if in := inputOf(ctx); in != nil {
			bad = describeQuery(in, r.Form)
		}
	}
	if bad == nil {
		return gatewayStatus(codes.InvalidArgument, commonv1.ErrorReason_INVALID_FIELD, "the request could not be read", nil), httpStatus
	}
	if bad.field == "" {
		msg := "the request body is " + bad.want
		if bad.query {
			msg = "a query parameter is " + bad.want
		}
		return gatewayStatus(codes.InvalidArgument, commonv1.ErrorReason_INVALID_FIELD, msg, nil), httpStatus
	}
	return gatewayStatus(codes.InvalidArgument, commonv1.ErrorReason_INVALID_FIELD,
		fmt.Sprintf("invalid value for field %s: expected %s", bad.field, bad.want), nil,
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: bad.field, Description: "expected " + bad.want, Reason: commonv1.ErrorReason_INVALID_FIELD.String()}}}), httpStatus
}

// tooLarge is the refusal of a body over max bytes. RESOURCE_EXHAUSTED is the code gRPC itself gives a
// message over its size limit, so REST and gRPC clients see one code; its usual HTTP mapping (429) would
// tell a client to retry later, so the gateway answers 413, which says the request itself is too large.
func tooLarge(max int64) *status.Status {
	return gatewayStatus(codes.ResourceExhausted, commonv1.ErrorReason_REQUEST_TOO_LARGE,
		fmt.Sprintf("the request body is larger than %d bytes", max),
		map[string]string{"limit_bytes": strconv.FormatInt(max, 10)})
}

// gatewayDomain is the ErrorInfo domain of the gateway's own refusals.
const gatewayDomain = "gateway.fupin.dev"

func gatewayStatus(c codes.Code, reason commonv1.ErrorReason, msg string, metadata map[string]string, more ...protoadapt.MessageV1) *status.Status {
	st := status.New(c, msg)
	details := append([]protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason.String(), Domain: gatewayDomain, Metadata: metadata}}, more...)
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st
}

// bodyPath prefixes a field path inside the request body with the body's own field, as the contract's
// google.api.http rule names it (e.g. "household" for CreateHousehold), so the path is the one a service
// would name: household.members[0].id_number.
func bodyPath(ctx context.Context, field string) string {
	md := methodOf(ctx)
	if md == nil {
		return field
	}
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	if body := rule.GetBody(); body != "" && body != "*" {
		return body + "." + field
	}
	return field
}

// inputOf is a new request message of the gRPC method the route called.
func inputOf(ctx context.Context) proto.Message {
	md := methodOf(ctx)
	if md == nil {
		return nil
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil
	}
	return mt.New().Interface()
}

// methodOf is the contract of the gRPC method the route called.
func methodOf(ctx context.Context) protoreflect.MethodDescriptor {
	method, ok := runtime.RPCMethod(ctx)
	if !ok {
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", ".")))
	if err != nil {
		return nil
	}
	md, _ := d.(protoreflect.MethodDescriptor)
	return md
}

// errorJSON is st as the AIP-193 body with code httpStatus.
func errorJSON(ctx context.Context, logger *slog.Logger, st *status.Status, httpStatus int) []byte {
	body := errorBody{Error: errorStatus{
		Code:    httpStatus,
		Message: st.Message(),
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
		return []byte(`{"error":{"code":500,"message":"internal error","status":"INTERNAL","details":[]}}`)
	}
	return buf
}
