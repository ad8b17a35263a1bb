package gateway

import (
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
)

// The labour file upload (劳动力导入): the request body is 人社's quarterly file itself, streamed to the
// employment service's ImportLabourFile a chunk at a time, as the ledger upload (upload.go) is to
// identification's UploadLedger: a route of the gateway's own on the same mux, with its own cap.
const (
	labourUploadPath  = "/v1/employment/labourImports:upload"
	labourUploadRoute = http.MethodPost + " " + labourUploadPath
	// DefaultMaxLabourUploadBytes is the route's default cap: the employment service's own
	// (api.DefaultMaxLabourFileBytes, 128 MiB).
	DefaultMaxLabourUploadBytes = 128 << 20
)

// registerLabourUpload adds `POST /v1/employment/labourImports:upload`. The query names the file
// (file_name), its format (format=csv|xlsx; by default the name's extension), the worksheet (sheet) and
// dry_run=true|false; the body is the file's bytes with a Content-Length. The answer is
// ImportLabourFileResponse as JSON.
func registerLabourUpload(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := employmentv1.NewLabourImportServiceClient(conn)
	return mux.HandlePath(http.MethodPost, labourUploadPath, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		_, out := runtime.MarshalerForRequest(mux, r)
		fail := func(ctx context.Context, err error) { runtime.HTTPError(ctx, mux, out, w, r, err) }
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		file, err := labourFile(r)
		if err != nil {
			fail(ctx, err)
			return
		}
		ctx, err = runtime.AnnotateContext(ctx, mux, r, employmentv1.LabourImportService_ImportLabourFile_FullMethodName,
			runtime.WithHTTPPathPattern(labourUploadPath))
		if err != nil {
			fail(ctx, err)
			return
		}
		resp, err := streamLabourUpload(ctx, client, file, r)
		if err != nil {
			fail(ctx, err)
			return
		}
		runtime.ForwardResponseMessage(ctx, mux, out, w, r, resp, mux.GetForwardResponseOptions()...)
	})
}

// labourFile reads the upload's description from the request's query and Content-Length.
func labourFile(r *http.Request) (*employmentv1.LabourFile, error) {
	if r.ContentLength < 0 {
		return nil, &runtime.HTTPStatusError{HTTPStatus: http.StatusLengthRequired,
			Err: badField("Content-Length", "an upload declares its size: send the file with a Content-Length")}
	}
	q := r.URL.Query()
	file := &employmentv1.LabourFile{FileName: q.Get("file_name"), SizeBytes: r.ContentLength, Sheet: q.Get("sheet")}
	format := strings.ToLower(q.Get("format"))
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(path.Ext(file.FileName)), ".")
	}
	switch format {
	case "csv", "txt":
		file.Format = employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_CSV
	case "xlsx", "xlsm":
		file.Format = employmentv1.LabourFileFormat_LABOUR_FILE_FORMAT_XLSX
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

// streamLabourUpload sends the description and the body, and returns the service's answer.
func streamLabourUpload(ctx context.Context, client employmentv1.LabourImportServiceClient, file *employmentv1.LabourFile,
	r *http.Request) (*employmentv1.ImportLabourFileResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.ImportLabourFile(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&employmentv1.ImportLabourFileRequest{Content: &employmentv1.ImportLabourFileRequest_File{File: file}}); err != nil {
		return answered(stream, r.Body)
	}
	chunk := &employmentv1.ImportLabourFileRequest_Chunk{}
	msg := &employmentv1.ImportLabourFileRequest{Content: chunk}
	sendErr, err := sendBody(r.Body, func(b []byte) error { chunk.Chunk = b; return stream.Send(msg) })
	if sendErr != nil {
		return answered(stream, r.Body)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return stream.CloseAndRecv()
}
