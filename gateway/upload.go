package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
)

// The ledger upload (导入): the request body is the file itself, streamed to identification's UploadLedger.
// A client stream has no grpc-gateway binding, so the route is the gateway's own, on the same mux: it goes
// through the same authentication, CSRF check, route limits, request log, error JSON and response options as
// every generated route, and calls the service through the generated client (the gateway links no service
// code).
const (
	uploadPath = "/v1/imports:upload"
	// uploadRoute is the route's key in Limits.Routes.
	uploadRoute = http.MethodPost + " " + uploadPath
	// uploadChunk is how much of the body goes in one message: the gateway holds one chunk of an upload
	// at a time, whatever the file's size.
	uploadChunk = 256 << 10
)

// Defaults of the upload route's limits (Limits.Routes[uploadRoute]): the service's own cap
// (FUPIN_IMPORT_MAX_UPLOAD_BYTES, 256 MiB) and time for a county's ledger over a slow office line.
const (
	DefaultMaxUploadBytes  = 256 << 20
	DefaultUploadReadLimit = 30 * time.Minute
)

// registerLedgerUpload adds `POST /v1/imports:upload` to the mux. The query names the file (file_name), its
// format (format=csv|xlsx; by default the name's extension), dry_run=true|false, request_id (the
// client's id of the upload, by which it polls the import record: GET /v1/imports?request_id=…), and the
// mode (mode=auto|bulk|small) with the file's declared_households (LedgerFile's fields); the body is
// the file's bytes, and its Content-Length is the size the service checks against its cap before a byte
// is sent. The answer is UploadLedgerResponse as JSON.
func registerLedgerUpload(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := identificationv1.NewImportServiceClient(conn)
	return mux.HandlePath(http.MethodPost, uploadPath, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		_, out := runtime.MarshalerForRequest(mux, r)
		fail := func(ctx context.Context, err error) { runtime.HTTPError(ctx, mux, out, w, r, err) }
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		file, err := ledgerFile(r)
		if err != nil {
			fail(ctx, err)
			return
		}
		ctx, err = runtime.AnnotateContext(ctx, mux, r, identificationv1.ImportService_UploadLedger_FullMethodName,
			runtime.WithHTTPPathPattern(uploadPath))
		if err != nil {
			fail(ctx, err)
			return
		}
		resp, err := streamUpload(ctx, client, file, r.Body)
		if err != nil {
			fail(ctx, err)
			return
		}
		runtime.ForwardResponseMessage(ctx, mux, out, w, r, resp, mux.GetForwardResponseOptions()...)
	})
}

// ledgerFile reads the upload's description from the request: its query and Content-Length.
func ledgerFile(r *http.Request) (*identificationv1.LedgerFile, error) {
	if r.ContentLength < 0 {
		// A chunked body has no size to declare; the service must know it before the first byte.
		return nil, &runtime.HTTPStatusError{HTTPStatus: http.StatusLengthRequired,
			Err: badField("Content-Length", "an upload declares its size: send the file with a Content-Length")}
	}
	q := r.URL.Query()
	file := &identificationv1.LedgerFile{FileName: q.Get("file_name"), SizeBytes: r.ContentLength,
		RequestId: q.Get("request_id"), Sheet: q.Get("sheet")}
	format := strings.ToLower(q.Get("format"))
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(path.Ext(file.FileName)), ".")
	}
	switch format {
	case "csv", "txt":
		file.Format = identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_CSV
	case "xlsx", "xlsm":
		file.Format = identificationv1.LedgerFileFormat_LEDGER_FILE_FORMAT_XLSX
	}
	switch q.Get("mode") {
	case "":
	case "auto":
		file.Mode = identificationv1.ImportMode_IMPORT_MODE_AUTO
	case "bulk":
		file.Mode = identificationv1.ImportMode_IMPORT_MODE_BULK
	case "small":
		file.Mode = identificationv1.ImportMode_IMPORT_MODE_SMALL
	default:
		return nil, badField("mode", "expected auto, bulk or small")
	}
	if v := q.Get("declared_households"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, badField("declared_households", "expected the file's number of households")
		}
		file.DeclaredHouseholds = n
	}
	if v := q.Get("dry_run"); v != "" {
		dry, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badField("dry_run", "expected true or false")
		}
		file.DryRun = dry
	}
	return file, nil
}

// streamUpload sends the file's description and then body, one chunk at a time, and returns the service's
// answer. When the service answers before the body's end (a refusal), the rest of the body is not read.
func streamUpload(ctx context.Context, client identificationv1.ImportServiceClient, file *identificationv1.LedgerFile,
	body io.Reader) (*identificationv1.UploadLedgerResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.UploadLedger(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&identificationv1.UploadLedgerRequest{Content: &identificationv1.UploadLedgerRequest_File{File: file}}); err != nil {
		return answered(stream, body) // io.EOF from Send: the service has answered already
	}
	chunk := &identificationv1.UploadLedgerRequest_Chunk{}
	msg := &identificationv1.UploadLedgerRequest{Content: chunk}
	sendErr, err := sendBody(body, func(b []byte) error { chunk.Chunk = b; return stream.Send(msg) })
	if sendErr != nil {
		return answered(stream, body)
	}
	if err != nil {
		// The body failed (over the route's cap, too slow, the client gone): the upload is cancelled,
		// so the service records the import as interrupted; edgeStatus turns a cap or a timeout into
		// 413 or 408.
		cancel()
		return nil, err
	}
	return stream.CloseAndRecv()
}

// sendBody sends body through send a chunk at a time. sendErr is send's failure (the service has
// answered, or the stream broke: the caller reads the answer); err is the body's own (CANCELED: it could
// not be read to its end). One buffer for the whole upload: grpc-go encodes a message in Send before it
// returns, and the client's stats handler (otelgrpc) reads only its size, so the buffer is free again when
// Send returns.
func sendBody(body io.Reader, send func([]byte) error) (sendErr, err error) {
	buf := make([]byte, uploadChunk)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if err := send(buf[:n]); err != nil {
				return err, nil
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return nil, nil
		}
		if rerr != nil {
			return nil, status.Error(codes.Canceled, "the request body could not be read")
		}
	}
}

// answered returns the service's answer to an upload it stopped reading (a refusal: a header without
// 身份证号, a file that is not XLSX), after reading the rest of the body into nothing. A browser still
// sending a large file often reports a network error instead of an answer that arrives before its
// request is sent, so the gateway takes the rest first (within the route's cap and read timeout, a
// chunk at a time) and the person sees why the file was refused.
func answered[Req, Resp any](stream grpc.ClientStreamingClient[Req, Resp], body io.Reader) (*Resp, error) {
	resp, err := stream.CloseAndRecv()
	_, _ = io.Copy(io.Discard, body)
	return resp, err
}

// badField is the gateway's INVALID_ARGUMENT about a part of the request it reads itself.
func badField(field, description string) error {
	return gatewayStatus(codes.InvalidArgument, commonv1.ErrorReason_INVALID_FIELD, field+": "+description, nil,
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: field, Description: description, Reason: commonv1.ErrorReason_INVALID_FIELD.String()}}}).Err()
}
