package authzmatrix_test

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"sync"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"fupin.dev/services/platform/bizdate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// filler builds a request for any method from its message type alone: name and parent fields (any string
// field whose validation pattern a fixture matches) name fixtures; for reads, required dates, months,
// enums, a oneof's first string and an 18-character 身份证号 get a valid value too, so an allowed
// caller's read reaches the handler and its scope check. Mutations get only the fixtures and a request_id: most then fail validation, which
// still proves the caller was not denied, and the fixtures are not changed under the other calls.
type filler struct {
	fixtures *fixtures
	today    string

	mu       sync.Mutex
	patterns map[string]*regexp.Regexp
	seq      int
}

func newFiller(f *fixtures) *filler {
	return &filler{fixtures: f, today: bizdate.Today(time.Now()), patterns: map[string]*regexp.Regexp{}}
}

// build returns a new request of md's input type and whether it names a fixture that lies in ownVillage.
func (f *filler) build(md protoreflect.MethodDescriptor, readOnly bool) (proto.Message, bool) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil, false
	}
	msg := mt.New()
	scoped := f.fill(msg, readOnly, 0)
	return msg.Interface(), scoped
}

func (f *filler) fill(msg protoreflect.Message, readOnly bool, depth int) (scoped bool) {
	fields := msg.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if o := fd.ContainingOneof(); fd.IsList() || fd.IsMap() || (o != nil && !o.IsSynthetic()) {
			continue
		}
		rules := fieldRules(fd)
		switch fd.Kind() {
		case protoreflect.StringKind:
			if fd.Name() == "request_id" {
				msg.Set(fd, protoreflect.ValueOfString(f.requestID()))
				continue
			}
			v, inScope := f.stringValue(rules.GetString_(), readOnly)
			if v != "" {
				msg.Set(fd, protoreflect.ValueOfString(v))
				scoped = scoped || inScope
			}
		case protoreflect.EnumKind:
			if readOnly && (rules.GetRequired() || len(rules.GetEnum().GetNotIn()) > 0) && fd.Enum().Values().Len() > 1 {
				msg.Set(fd, protoreflect.ValueOfEnum(fd.Enum().Values().Get(1).Number()))
			}
		case protoreflect.MessageKind:
			// A resource inside the request (AIP-134 `household.name`, a create's parent references).
			if depth == 0 && fd.Message().FullName().Parent() != "google.protobuf" {
				sub := msg.Mutable(fd).Message()
				if f.fill(sub, readOnly, depth+1) {
					scoped = true
				}
			}
		}
	}
	// A read's oneof (a window: a year or a date) gets its first string member that can be filled.
	oneofs := msg.Descriptor().Oneofs()
	for i := range oneofs.Len() {
		o := oneofs.Get(i)
		if !readOnly || o.IsSynthetic() {
			continue
		}
		for j := range o.Fields().Len() {
			fd := o.Fields().Get(j)
			if fd.Kind() != protoreflect.StringKind {
				continue
			}
			if v, inScope := f.stringValue(fieldRules(fd).GetString_(), readOnly); v != "" {
				msg.Set(fd, protoreflect.ValueOfString(v))
				scoped = scoped || inScope
				break
			}
		}
	}
	return scoped
}

// stringValue is what a string field with rules gets: the first fixture its pattern matches, or for
// reads a valid date, month or policy parameter when one is required.
func (f *filler) stringValue(rules *validate.StringRules, readOnly bool) (string, bool) {
	if readOnly && rules.GetLen() == 18 {
		return f.fixtures.idNumber, true // a lookup by 身份证号
	}
	pattern := rules.GetPattern()
	if pattern == "" {
		return "", false
	}
	re := f.regexp(pattern)
	for _, n := range f.fixtures.names {
		if re.MatchString(n) {
			return n, f.fixtures.inScope[n]
		}
	}
	if !readOnly || re.MatchString("") {
		return "", false
	}
	for _, v := range []string{f.today, f.today[:7]} {
		if re.MatchString(v) {
			return v, false
		}
	}
	return "", false
}

func (f *filler) regexp(pattern string) *regexp.Regexp {
	f.mu.Lock()
	defer f.mu.Unlock()
	re, ok := f.patterns[pattern]
	if !ok {
		re = regexp.MustCompile(pattern)
		f.patterns[pattern] = re
	}
	return re
}

func (f *filler) requestID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return "matrix-" + strconv.Itoa(f.seq)
}

func fieldRules(fd protoreflect.FieldDescriptor) *validate.FieldRules {
	opts, _ := fd.Options().(*descriptorpb.FieldOptions)
	if opts == nil {
		return nil
	}
	r, _ := proto.GetExtension(opts, validate.E_Field).(*validate.FieldRules)
	return r
}

// streamWait bounds a server stream that stays open (WatchChanges): the platform refuses a caller before
// the handler starts, so a stream still open then was let through; once it has sent a message, a
// stream is given streamIdle more to end before it counts as open.
const (
	streamWait = time.Second
	streamIdle = 100 * time.Millisecond
)

// errStillOpen is what invoke returns for a stream that was still running when it stopped waiting.
var errStillOpen = errors.New("stream still open")

// invoke calls md on conn with req as ctx's caller and returns the messages it answered with and the
// error; any kind of method (unary, server, client or bidirectional stream) is called the same way.
func invoke(ctx context.Context, conn *grpc.ClientConn, md protoreflect.MethodDescriptor, req proto.Message) ([]proto.Message, error) {
	fullName := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, err
	}
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		resp := out.New().Interface()
		if err := conn.Invoke(ctx, fullName, req, resp); err != nil {
			return nil, err
		}
		return []proto.Message{resp}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, streamWait)
	defer cancel()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient()}, fullName)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var msgs []proto.Message
	for {
		resp := out.New().Interface()
		err := stream.RecvMsg(resp)
		switch {
		case errors.Is(err, io.EOF):
			return msgs, nil
		case ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
			return msgs, errStillOpen
		case err != nil:
			return msgs, err
		}
		if len(msgs) == 0 {
			time.AfterFunc(streamIdle, stop)
		}
		msgs = append(msgs, resp)
	}
}
