// Package server builds the gRPC server every fupin service runs, with one interceptor chain assembled in
// one place: panic recovery, OpenTelemetry, error mapping, authentication, authorization from the access
// rule declared in the proto (default deny), protovalidate, and for mutations a transaction that holds the
// change, its idempotency record and its audit row together. Health is registered too, and reflection when
// the configuration asks for it.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"buf.build/go/protovalidate"
	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/conflicts"
	"fupin.dev/services/platform/idempotency"
	"fupin.dev/services/platform/sqldb"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Config is what the platform needs to serve one service.
type Config struct {
	// Name is the service's name, e.g. "identification"; errors carry the domain "<name>.fupin.dev".
	Name string
	// Department owns the service's data; reads by other departments are audited.
	Department commonv1.Department
	// Verifier checks bearer tokens.
	Verifier *auth.Verifier
	// DB is the service's database; it keeps idempotency records and the audit log.
	DB *sqldb.DB
	// Audit writes the audit log into DB.
	Audit *audit.Log
	// Logger receives internal errors (with trace ids) and panics.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sealer encrypts the responses kept for idempotent replay: a response may hold personal data in plain
	// text (a plain 身份证号 returned to an allowed caller), which must not rest unencrypted in the table.
	// Services get the county's personal-data protector (boot); nil keeps them as they are (tests).
	Sealer Sealer
	// Conflicts records the refusals that disclose records outside the caller's scope (apperr.Error's
	// Disclosed) after the refused mutation's transaction; nil records none (tests of the chain alone).
	Conflicts *conflicts.Book
	// Reflection registers gRPC server reflection, which answers without a token: off unless enabled
	// (FUPIN_GRPC_REFLECTION; `fupin dev` turns it on for grpcurl and the like).
	Reflection bool
	// Locks take the locks methods name with LockBefore (etcd mutexes shared by the replicas); nil
	// when no method needs one.
	Locks Locks
}

// Sealer encrypts and decrypts stored data; *pii.Protector is one.
type Sealer interface {
	Seal(plaintext string) ([]byte, error)
	Open(sealed []byte) (string, error)
}

// Server is a gRPC server with fupin's interceptor chain.
type Server struct {
	cfg       Config
	domain    string
	grpc      *grpc.Server
	health    *health.Server
	methods   methods
	validator protovalidate.Validator

	lockMu    sync.RWMutex
	lockRules map[string]LockRule
}

// New builds the server. Register services on GRPC(), then serve it with lifecycle.Run.
func New(cfg Config, opts ...grpc.ServerOption) (*Server, error) {
	if cfg.Name == "" || cfg.Verifier == nil || cfg.DB == nil || cfg.Audit == nil || cfg.Logger == nil {
		return nil, fmt.Errorf("server config: name, verifier, database, audit log and logger are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	s := &Server{cfg: cfg, domain: cfg.Name + ".fupin.dev", validator: v, health: health.NewServer()}
	opts = append([]grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	}, opts...)
	s.grpc = grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if cfg.Reflection {
		reflection.Register(s.grpc)
	}
	return s, nil
}

// GRPC is the underlying server, to register service implementations on.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Health is the health service; lifecycle flips it to NOT_SERVING before draining.
func (s *Server) Health() *health.Server { return s.health }

// unary is the whole chain for unary calls, written as one function so the order is plain to read.
func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	m := s.methods.lookup(info.FullMethod)
	start := time.Now()
	// Registered first, so it runs last: after recovery has set err, with ctx as authorization left it.
	defer func() { s.logCall(ctx, m, start, err) }()
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, s.recovered(ctx, info.FullMethod, p)
		}
	}()
	ctx, err = s.authorize(ctx, m)
	if err == nil {
		err = s.validate(req)
	}
	if err == nil {
		caller, _ := auth.FromContext(ctx)
		err = limitPlainText(caller, req)
	}
	if err == nil {
		switch {
		case m.readOnly:
			resp, err = handler(ctx, req)
			if err == nil {
				s.auditRead(ctx, m, req, resp, "")
			} else {
				s.auditRefusal(ctx, m, req, err)
			}
		case m.public:
			resp, err = s.mutatePublic(ctx, m, req, handler)
		default:
			resp, err = s.mutate(ctx, m, req, handler)
		}
	}
	err = toStatus(ctx, s.domain, s.cfg.Logger, info.FullMethod, err)
	if m.public && m.rule != nil {
		// A fupin public method (not health or reflection): counted, not audited per reader.
		s.cfg.Audit.CountPublic(bizdate.Today(s.cfg.Now()), m.fullName, status.Code(err).String())
	}
	return resp, err
}

// mutatePublic runs a public change (an objection submitted through the public page) in one transaction
// with its audit row. There is no caller to key idempotency on: a public method that changes anything
// carries its own single-use proof instead (an objection spends its human check), so a retry cannot file
// twice.
func (s *Server) mutatePublic(ctx context.Context, m *method, req any, handler grpc.UnaryHandler) (any, error) {
	msg, _ := req.(proto.Message)
	var resp any
	err := s.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		out, err := handler(ctx, req)
		if err != nil {
			return err
		}
		resp = out
		outMsg, _ := out.(proto.Message)
		r := s.record(ctx, audit.KindMutation, m, nil, resource(msg, outMsg), 1, codes.OK, "")
		r.Actor = PublicActor
		return s.cfg.Audit.Write(ctx, r)
	})
	return resp, err
}

// PublicActor is the actor of the audit rows of public changes: nobody signed in.
const PublicActor = "public"

// stream applies recovery, authentication, authorization and error mapping to streaming calls; each
// message received is validated.
func (s *Server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	ctx := ss.Context()
	m := s.methods.lookup(info.FullMethod)
	start := time.Now()
	// Registered first, so it runs last: after recovery has set err, with ctx as authorization left it.
	defer func() { s.logCall(ctx, m, start, err) }()
	defer func() {
		if p := recover(); p != nil {
			err = s.recovered(ctx, info.FullMethod, p)
		}
	}()
	ctx, err = s.authorize(ctx, m)
	if err == nil {
		err = handler(srv, &validatingStream{ServerStream: ss, ctx: ctx, s: s})
		s.auditRefusal(ctx, m, nil, err)
	}
	return toStatus(ctx, s.domain, s.cfg.Logger, info.FullMethod, err)
}

type validatingStream struct {
	grpc.ServerStream
	ctx context.Context
	s   *Server
}

func (v *validatingStream) Context() context.Context { return v.ctx }

func (v *validatingStream) RecvMsg(m any) error {
	if err := v.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return v.s.validate(m)
}

// authorize establishes the caller from the bearer token (and, for a service acting for a person, the
// person's token), then applies the method's access rule.
func (s *Server) authorize(ctx context.Context, m *method) (context.Context, error) {
	if m.public {
		return ctx, nil
	}
	caller, err := s.callerFrom(ctx)
	if err != nil {
		return ctx, err
	}
	ctx = auth.NewContext(ctx, caller)
	if m.rule == nil {
		s.auditDenied(ctx, m, caller)
		return ctx, apperr.Denied("ACCESS_DENIED", "method "+m.fullName+" declares no access rule and is denied to everyone")
	}
	if !allowed(m.rule, caller) {
		s.auditDenied(ctx, m, caller)
		return ctx, apperr.Denied("ACCESS_DENIED", fmt.Sprintf("role %s of department %s may not call %s",
			auth.RoleCode(caller.Role), auth.DepartmentCode(caller.Department), m.fullName))
	}
	if p := header(ctx, auth.PurposeHeader); p != "" {
		purpose, ok := auth.ParsePurpose(p)
		if !ok {
			return ctx, apperr.Invalid("INVALID_PURPOSE", auth.PurposeHeader, "unknown purpose "+p)
		}
		caller.Purpose = purpose
	}
	caller.PlainText = plainTextAllowed(m.rule, caller)
	return ctx, nil
}

func (s *Server) callerFrom(ctx context.Context) (*auth.Caller, error) {
	caller, err := s.verify(header(ctx, "authorization"))
	if err != nil {
		return nil, err
	}
	if obo := header(ctx, auth.OnBehalfOfHeader); obo != "" {
		if caller.Role != commonv1.Role_ROLE_SERVICE {
			return nil, apperr.Unauthenticated("only a service may act on behalf of another caller")
		}
		person, err := s.verify(obo)
		if err != nil {
			return nil, err
		}
		caller.OnBehalfOf = person
	}
	return caller, nil
}

func (s *Server) verify(header string) (*auth.Caller, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return nil, apperr.Unauthenticated("a bearer token is required")
	}
	claims, err := s.cfg.Verifier.Verify(token)
	if err != nil {
		return nil, apperr.Unauthenticated("the token is not valid: " + err.Error())
	}
	caller, err := claims.Caller()
	if err != nil {
		return nil, apperr.Unauthenticated("the token's claims are not valid: " + err.Error())
	}
	return caller, nil
}

func allowed(rule *commonv1.AccessRule, c *auth.Caller) bool {
	if !hasRole(rule.GetRoles(), c.Role) {
		return false
	}
	depts := rule.GetDepartments()
	if len(depts) == 0 {
		return true
	}
	for _, d := range depts {
		if d == c.Department {
			return true
		}
	}
	return false
}

func hasRole(roles []commonv1.Role, r commonv1.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// header reads one incoming metadata value without copying the whole metadata map.
func header(ctx context.Context, key string) string {
	v := metadata.ValueFromIncomingContext(ctx, key)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// validate applies the protovalidate rules declared in the contract and reports every broken one.
func (s *Server) validate(req any) error {
	msg, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	err := s.validator.Validate(msg)
	if err == nil {
		return nil
	}
	verr, ok := err.(*protovalidate.ValidationError)
	if !ok {
		return fmt.Errorf("validate: %w", err)
	}
	fields := make([]apperr.FieldViolation, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		fields = append(fields, apperr.FieldViolation{
			Field:       protovalidate.FieldPathString(v.Proto.GetField()),
			Description: v.Proto.GetMessage(),
			Reason:      "INVALID_FIELD",
		})
	}
	return apperr.InvalidFields(fields...)
}

// mutate runs a changing call in one transaction with its idempotency record and its audit row. A retry
// with the same request_id returns the stored response to the very identity that made the first call
// (idempotency.Identity) and is audited as the read it is; the same id from another identity of the same
// subject (another role, region, on-behalf-of person or purpose) is refused, and the same id with another
// payload too.
func (s *Server) mutate(ctx context.Context, m *method, req any, handler grpc.UnaryHandler) (any, error) {
	caller, _ := auth.FromContext(ctx)
	msg, _ := req.(proto.Message)
	requestID := stringField(msg, "request_id")
	var key idempotency.Key
	var hash []byte
	identity := idempotency.Identity(caller)
	if requestID != "" {
		key = idempotency.Key{Caller: caller.Actor(), Method: m.fullName, RequestID: requestID}
		hash = requestHash(msg)
	}
	// The method's lock (LockBefore) is held from before the idempotency check until after the commit.
	ctx, unlock, err := s.lock(ctx, m, msg)
	defer unlock()
	if err != nil {
		return nil, s.failed(ctx, m, caller, msg, requestID, err)
	}
	var resp any
	replayed := false
	for attempt := 0; attempt < 2; attempt++ {
		err = s.cfg.DB.InTx(ctx, func(ctx context.Context) error {
			if requestID != "" {
				rec, found, err := idempotency.Lookup(ctx, s.cfg.DB, key)
				if err != nil {
					return fmt.Errorf("idempotency lookup: %w", err)
				}
				if found {
					if rec.Identity != identity {
						return apperr.Denied(ReasonReplayByOtherIdentity, "request_id "+requestID+
							" was used by another identity of the same subject (department, role, region, on-behalf-of caller or purpose); "+
							"only the caller who made the first call gets its result: send a new request_id")
					}
					if !bytes.Equal(rec.RequestHash, hash) {
						return apperr.Invalid("REQUEST_ID_REUSED", "request_id",
							"request_id "+requestID+" was already used for a different request")
					}
					if m.output == nil {
						return fmt.Errorf("no output type for %s", m.fullName)
					}
					out := m.output.New().Interface()
					stored, err := s.openResponse(rec.Response)
					if err != nil {
						return fmt.Errorf("idempotency replay: %w", err)
					}
					if err := proto.Unmarshal(stored, out); err != nil {
						return fmt.Errorf("idempotency replay: %w", err)
					}
					resp, replayed = out, true
					return nil
				}
			}
			out, err := handler(ctx, req)
			if err != nil {
				return err
			}
			resp = out
			if requestID != "" {
				b, err := proto.Marshal(out.(proto.Message))
				if err == nil {
					b, err = s.sealResponse(b)
				}
				if err != nil {
					return err
				}
				if err := idempotency.Save(ctx, s.cfg.DB, key, idempotency.Record{RequestHash: hash, Response: b, Identity: identity}, s.cfg.Now()); err != nil {
					return err
				}
			}
			outMsg, _ := out.(proto.Message)
			return s.cfg.Audit.Write(ctx, s.record(ctx, audit.KindMutation, m, caller, resource(msg, outMsg), 1, codes.OK, requestID))
		})
		// A concurrent call with the same request_id committed first: read its result.
		if err != nil && requestID != "" && sqldb.IsUniqueViolation(err) && attempt == 0 {
			continue
		}
		break
	}
	if err != nil {
		return nil, s.failed(ctx, m, caller, msg, requestID, err)
	}
	if replayed {
		// A replay changes nothing: it is a read of what it returns, audited as reads are.
		s.auditRead(ctx, m, msg, resp, requestID)
	}
	return resp, nil
}

// failed audits a mutation that did not happen and returns its error.
func (s *Server) failed(ctx context.Context, m *method, caller *auth.Caller, msg proto.Message, requestID string, err error) error {
	code := status.Code(toStatus(ctx, s.domain, discard, m.fullName, err))
	kind := audit.KindFailed
	if code == codes.PermissionDenied {
		kind = audit.KindDenied // a refusal for scope or identity, as authorization's
	}
	s.cfg.Audit.Enqueue(s.record(ctx, kind, m, caller, resource(msg, nil), 0, code, requestID))
	if d := conflicts.Disclosed(err); len(d) > 0 && s.cfg.Conflicts != nil {
		// Nothing is disclosed that is not counted: if the record fails, so does the answer.
		if rerr := s.cfg.Conflicts.Record(ctx, s.record(ctx, audit.KindConflict, m, caller, "", 1, code, requestID), d); rerr != nil {
			return rerr
		}
	}
	return err
}

// auditRead records reads that return plain personal data or that another department than the data's
// owner makes, naming the persons they returned (requestID is set for the replay of a mutation).
func (s *Server) auditRead(ctx context.Context, m *method, req, resp any, requestID string) {
	caller, ok := auth.FromContext(ctx)
	if !ok || (!caller.PlainText && caller.Department == s.owner(m) && caller.OnBehalfOf == nil) {
		return
	}
	out, _ := resp.(proto.Message)
	in, _ := req.(proto.Message)
	r := s.record(ctx, audit.KindRead, m, caller, resource(in, out), recordCount(out), codes.OK, requestID)
	r.PersonIDs = personIDs(out)
	r.Filter = stringField(in, "filter")
	s.cfg.Audit.Enqueue(r)
}

// owner is the department whose data m serves: the one its service declares, else this process's.
func (s *Server) owner(m *method) commonv1.Department {
	if m.owner != commonv1.Department_DEPARTMENT_UNSPECIFIED {
		return m.owner
	}
	return s.cfg.Department
}

func (s *Server) auditDenied(ctx context.Context, m *method, caller *auth.Caller) {
	s.cfg.Audit.Enqueue(s.record(ctx, audit.KindDenied, m, caller, "", 0, codes.PermissionDenied, ""))
}

// auditRefusal records a read (or stream) the handler refused with PERMISSION_DENIED, e.g. a record
// outside the caller's region scope: a probe of another township is audited like a call authorization
// refused. (Refused mutations are audited by mutate.)
func (s *Server) auditRefusal(ctx context.Context, m *method, req any, err error) {
	if err == nil || status.Code(toStatus(ctx, s.domain, discard, m.fullName, err)) != codes.PermissionDenied {
		return
	}
	caller, _ := auth.FromContext(ctx)
	in, _ := req.(proto.Message)
	s.cfg.Audit.Enqueue(s.record(ctx, audit.KindDenied, m, caller, resource(in, nil), 0, codes.PermissionDenied, ""))
}

func (s *Server) record(ctx context.Context, kind string, m *method, c *auth.Caller, res string, count int, code codes.Code, requestID string) audit.Record {
	r := audit.Record{At: s.cfg.Now(), Kind: kind, Method: m.fullName, Resource: res, RecordCount: count,
		Code: code.String(), RequestID: requestID, TraceID: trace.SpanContextFromContext(ctx).TraceID().String()}
	if c != nil {
		r.Actor = c.Subject
		r.Department = auth.DepartmentCode(c.Department)
		r.Role = auth.RoleCode(c.Role)
		if c.Purpose != commonv1.Purpose_PURPOSE_UNSPECIFIED {
			r.Purpose = auth.PurposeCode(c.Purpose)
		}
		if c.OnBehalfOf != nil {
			r.OnBehalfOf = c.OnBehalfOf.Subject
		}
	}
	return r
}

// requestHash identifies a request's payload apart from its request_id.
func requestHash(msg proto.Message) []byte {
	c := proto.Clone(msg)
	if f := c.ProtoReflect().Descriptor().Fields().ByName("request_id"); f != nil {
		c.ProtoReflect().Clear(f)
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	sum := sha256.Sum256(b)
	return sum[:]
}

func stringField(msg proto.Message, name protoreflect.Name) string {
	if msg == nil {
		return ""
	}
	f := msg.ProtoReflect().Descriptor().Fields().ByName(name)
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
		return ""
	}
	return msg.ProtoReflect().Get(f).String()
}

// resource names what a call touched: the response's name, else the request's name or parent, else the
// name of the resource an Update carries (AIP-134: `household.name`).
func resource(req, resp proto.Message) string {
	if r := stringField(resp, "name"); r != "" {
		return r
	}
	if r := stringField(req, "name"); r != "" {
		return r
	}
	if r := stringField(req, "parent"); r != "" || req == nil {
		return r
	}
	fields := req.ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && req.ProtoReflect().Has(f) {
			if r := stringField(req.ProtoReflect().Get(f).Message().Interface(), "name"); r != "" {
				return r
			}
		}
	}
	return ""
}

// recordCount is the number of records a read returned: 1 for a single resource (a message with a name,
// whose repeated fields, such as a household's members, are parts of that one record), else the length of
// the first repeated message field (a List or batch response), else 1.
func recordCount(resp proto.Message) int {
	if resp == nil {
		return 0
	}
	fields := resp.ProtoReflect().Descriptor().Fields()
	if f := fields.ByName("name"); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
		return 1
	}
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() && f.Kind() == protoreflect.MessageKind {
			return resp.ProtoReflect().Get(f).List().Len()
		}
	}
	return 1
}

var discard = slog.New(slog.DiscardHandler)

// sealResponse encrypts a response kept for replay (see Config.Sealer).
func (s *Server) sealResponse(b []byte) ([]byte, error) {
	if s.cfg.Sealer == nil {
		return b, nil
	}
	return s.cfg.Sealer.Seal(string(b))
}

// openResponse decrypts a response kept for replay.
func (s *Server) openResponse(b []byte) ([]byte, error) {
	if s.cfg.Sealer == nil {
		return b, nil
	}
	plain, err := s.cfg.Sealer.Open(b)
	return []byte(plain), err
}
