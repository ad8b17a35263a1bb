package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Requests that do not decode must not echo what they held. protojson and grpc-gateway's query parser
// quote the offending value in their errors ("invalid value for string field idNumber: 990002196503040012"),
// and grpc-gateway's generated handlers pass those errors on as the status message, which clients and
// proxies log. The gateway therefore decodes through its own decoder and query parser, which describe a
// failure by where it is (the field path, in proto names) and what was expected, never by the value.
//
// The generated handlers carry the description as text only (status.Errorf("%v", err)), so badInput's
// message has one fixed form, written and read back here (parseBadInput) to build the BadRequest detail.

// badInput is a request part that does not decode: in the body or a query parameter.
type badInput struct {
	query bool   // a query parameter, else the body
	field string // the field path relative to the body, or the query parameter's field path; "" when unknown
	want  string // what was expected there, e.g. "a string"
}

func (e *badInput) Error() string {
	where := "request body"
	if e.query {
		where = "query parameter"
	}
	if e.field == "" {
		return fmt.Sprintf("%s: %s", where, e.want)
	}
	return fmt.Sprintf("%s: field %s: expected %s", where, e.field, e.want)
}

var badInputText = regexp.MustCompile(`^(request body|query parameter): (?:field ([A-Za-z0-9_.\[\]]+): expected )?(.+)$`)

// parseBadInput reads back a message badInput wrote.
func parseBadInput(msg string) (*badInput, bool) {
	m := badInputText.FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	return &badInput{query: m[1] == "query parameter", field: m[2], want: m[3]}, true
}

// jsonAPI is the marshaler of the whole API (see newMarshaler): proto JSON, with decoding failures
// described safely and streamed errors shaped as AIP-193.
type jsonAPI struct {
	runtime.Marshaler // the HTTPBodyMarshaler around runtime.JSONPb
	pb                *runtime.JSONPb
	errorJSON         func(*status.Status) []byte
}

// NewDecoder reads one JSON value from the body, as grpc-gateway's own decoder does, and describes a value
// that does not fit the request message without quoting it.
func (m *jsonAPI) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		var raw json.RawMessage
		if err := json.NewDecoder(r).Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return err // an empty body: the generated handlers accept it
			}
			var syn *json.SyntaxError
			if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
				return &badInput{want: "not valid JSON"}
			}
			// A body over its cap or cut by the read timeout; the error handler answers from the exchange.
			return &badInput{want: "could not be read"}
		}
		if err := m.pb.Unmarshal(raw, v); err != nil {
			return describeBody(raw, v)
		}
		return nil
	})
}

// Marshal shapes the error chunk grpc-gateway writes when a stream fails ({"error": google.rpc.Status}) as
// the AIP-193 error every other response uses; everything else is proto JSON.
func (m *jsonAPI) Marshal(v any) ([]byte, error) {
	if chunk, ok := v.(map[string]proto.Message); ok && len(chunk) == 1 {
		if st, ok := chunk["error"].(*spb.Status); ok {
			return m.errorJSON(status.FromProto(st)), nil
		}
	}
	return m.Marshaler.Marshal(v)
}

// describeBody finds where raw, a JSON value, does not fit v (the request message, or a pointer to a
// message field of it), for a body protojson refused.
func describeBody(raw []byte, v any) error {
	md := messageOf(v)
	if md == nil {
		return &badInput{want: "does not fit the request message"}
	}
	if field, want := checkMessage(raw, md, ""); want != "" {
		return &badInput{field: field, want: want}
	}
	return &badInput{want: "does not fit the request message"}
}

var protoMessage = reflect.TypeFor[proto.Message]()

// messageOf returns the descriptor of v, a proto message or a pointer to a message pointer (the generated
// handlers decode a body field as &req.Household).
func messageOf(v any) protoreflect.MessageDescriptor {
	if m, ok := v.(proto.Message); ok {
		return m.ProtoReflect().Descriptor()
	}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(protoMessage) && t.Elem().Kind() == reflect.Struct {
			return reflect.New(t.Elem()).Interface().(proto.Message).ProtoReflect().Descriptor()
		}
		t = t.Elem()
	}
	return nil
}

// checkMessage returns the first field of raw (in the message's field order) whose value protojson cannot
// take, and what it expected there; want is "" when every field fits.
func checkMessage(raw []byte, md protoreflect.MessageDescriptor, path string) (field, want string) {
	if isNull(raw) {
		return "", ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return path, "an object"
	}
	oneofs := map[protoreflect.FullName]int{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		val, ok := obj[string(fd.Name())]
		if j, jok := obj[fd.JSONName()]; jok {
			if ok && fd.JSONName() != string(fd.Name()) {
				return join(path, string(fd.Name())), "the field once, by its proto or its JSON name"
			}
			val, ok = j, true
		}
		if !ok {
			continue
		}
		p := join(path, string(fd.Name()))
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && !isNull(val) {
			if oneofs[o.FullName()]++; oneofs[o.FullName()] > 1 {
				return p, "only one field of " + string(o.Name())
			}
		}
		if f, w := checkField(val, fd, p); w != "" {
			return f, w
		}
	}
	return "", ""
}

func checkField(raw []byte, fd protoreflect.FieldDescriptor, path string) (string, string) {
	if isNull(raw) {
		return "", ""
	}
	switch {
	case fd.IsMap():
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return path, "an object"
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range obj {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			if want := checkKey(k, fd.MapKey()); want != "" {
				return path, "keys that are " + want
			}
			if f, w := checkValue(obj[k], fd.MapValue(), path); w != "" {
				return f, w
			}
		}
		return "", ""
	case fd.IsList():
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return path, "a list"
		}
		for i, e := range list {
			if f, w := checkValue(e, fd, fmt.Sprintf("%s[%d]", path, i)); w != "" {
				return f, w
			}
		}
		return "", ""
	}
	return checkValue(raw, fd, path)
}

// checkValue checks one singular value (a field's, a list element's or a map value's) against fd's kind.
func checkValue(raw []byte, fd protoreflect.FieldDescriptor, path string) (string, string) {
	if isNull(raw) {
		return "", ""
	}
	var want string
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return checkWellKnown(raw, fd.Message(), path)
	case protoreflect.StringKind:
		want = expect(isString(raw), "a string")
	case protoreflect.BytesKind:
		var s string
		ok := json.Unmarshal(raw, &s) == nil
		if ok {
			_, err := base64.StdEncoding.DecodeString(s)
			_, uerr := base64.URLEncoding.DecodeString(s)
			_, rerr := base64.RawStdEncoding.DecodeString(s)
			_, ruerr := base64.RawURLEncoding.DecodeString(s)
			ok = err == nil || uerr == nil || rerr == nil || ruerr == nil
		}
		want = expect(ok, "base64-encoded bytes")
	case protoreflect.BoolKind:
		want = expect(string(raw) == "true" || string(raw) == "false", "true or false")
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return "", ""
		}
		want = expect(isString(raw) || isInt(raw, 32, false), "one of the enum's names")
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		want = expect(isInt(raw, 32, false), "a whole number (32-bit)")
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		want = expect(isInt(raw, 32, true), "a whole number ≥ 0 (32-bit)")
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		want = expect(isInt(raw, 64, false), "a whole number (64-bit)")
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		want = expect(isInt(raw, 64, true), "a whole number ≥ 0 (64-bit)")
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		want = expect(isFloat(raw), "a number")
	}
	if want != "" {
		return path, want
	}
	return "", ""
}

// checkWellKnown checks a message value, with the JSON forms protojson gives the well-known types.
func checkWellKnown(raw []byte, md protoreflect.MessageDescriptor, path string) (string, string) {
	var s string
	str := json.Unmarshal(raw, &s) == nil
	switch name := md.FullName(); name {
	case "google.protobuf.Timestamp":
		_, err := time.Parse(time.RFC3339Nano, s)
		if !str || err != nil {
			return path, "an RFC 3339 time such as \"2026-05-01T08:00:00Z\""
		}
	case "google.protobuf.Duration":
		if !str || !strings.HasSuffix(s, "s") {
			return path, "a duration in seconds such as \"1.5s\""
		}
	case "google.protobuf.FieldMask":
		if !str {
			return path, "a comma-separated list of field paths"
		}
	case "google.protobuf.Value":
	case "google.protobuf.ListValue":
		if raw[0] != '[' {
			return path, "a list"
		}
	case "google.protobuf.Struct", "google.protobuf.Empty", "google.protobuf.Any":
		if raw[0] != '{' {
			return path, "an object"
		}
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return checkValue(raw, md.Fields().ByName("value"), path)
	default:
		return checkMessage(raw, md, path)
	}
	return "", ""
}

func expect(ok bool, want string) string {
	if ok {
		return ""
	}
	return want
}

func isNull(raw []byte) bool { return strings.TrimSpace(string(raw)) == "null" }

func isString(raw []byte) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil
}

// isInt accepts what protojson accepts for an integer: a JSON number (also in exponent form, e.g. 1e3) or a
// string holding one, without a fraction, in range.
func isInt(raw []byte, bits int, unsigned bool) bool {
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = s
	}
	if unsigned {
		if _, err := strconv.ParseUint(text, 10, bits); err == nil {
			return true
		}
	} else if _, err := strconv.ParseInt(text, 10, bits); err == nil {
		return true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) {
		return false
	}
	lo, hi := -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1)
	if unsigned {
		lo, hi = 0, math.Ldexp(1, bits)
	}
	return f >= lo && f < hi
}

func isFloat(raw []byte) bool {
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "NaN", "Infinity", "-Infinity":
			return true
		}
		text = s
	}
	_, err := strconv.ParseFloat(text, 64)
	return err == nil
}

func checkKey(k string, fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return expect(k == "true" || k == "false", "true or false")
	case protoreflect.StringKind:
		return ""
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		_, err := strconv.ParseUint(k, 10, 64)
		return expect(err == nil, "whole numbers ≥ 0")
	default:
		_, err := strconv.ParseInt(k, 10, 64)
		return expect(err == nil, "whole numbers")
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// describeQuery finds the query parameter that does not fit in (the request message) and says what it
// expected. grpc-gateway's query parser quotes the value in its error, so the gateway never passes that
// error on; it parses each parameter alone to find the one that fails.
func describeQuery(in proto.Message, values url.Values) *badInput {
	var def runtime.DefaultQueryParser
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range values {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range keys {
		fresh := in.ProtoReflect().New().Interface()
		if def.Parse(fresh, url.Values{key: values[key]}, utilities.NewDoubleArray(nil)) == nil {
			continue
		}
		fd, path := queryField(in.ProtoReflect().Descriptor(), key)
		switch {
		case fd == nil:
			return &badInput{query: true, want: "not valid"}
		case len(values[key]) > 1 && !fd.IsList():
			return &badInput{query: true, field: path, want: "one value"}
		}
		_, want := checkValue([]byte(strconv.Quote(values[key][0])), fd, path)
		if fd.Kind() == protoreflect.EnumKind {
			want = "one of the enum's names"
		}
		if want == "" {
			want = "a value of the field's type"
		}
		return &badInput{query: true, field: path, want: want}
	}
	return &badInput{query: true, want: "not valid (two parameters set the same field?)"}
}

// queryField resolves a query key (dotted proto or JSON names) to its field and its path in proto names.
func queryField(md protoreflect.MessageDescriptor, key string) (protoreflect.FieldDescriptor, string) {
	var fd protoreflect.FieldDescriptor
	var path []string
	for i, seg := range strings.Split(key, ".") {
		if i > 0 {
			if fd == nil || fd.Message() == nil {
				return nil, ""
			}
			md = fd.Message()
		}
		fd = md.Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			fd = md.Fields().ByJSONName(seg)
		}
		if fd == nil {
			return nil, ""
		}
		path = append(path, string(fd.Name()))
	}
	return fd, strings.Join(path, ".")
}
