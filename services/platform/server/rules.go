package server

import (
	"strings"
	"sync"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/auth"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// method is what the platform knows of an RPC from its contract.
type method struct {
	fullName string
	rule     *commonv1.AccessRule // nil: no rule declared, so denied to everyone
	owner    commonv1.Department  // the service's declared owner; UNSPECIFIED: the serving process's department
	readOnly bool                 // idempotency_level = NO_SIDE_EFFECTS
	output   protoreflect.MessageType
	public   bool
}

// methods caches the contract of each RPC, read once from the registered descriptors.
type methods struct {
	mu sync.RWMutex
	m  map[string]*method
}

// alwaysPublic are infrastructure services any caller may use without a token.
var alwaysPublic = []string{"/grpc.health.v1.Health/", "/grpc.reflection."}

func (ms *methods) lookup(fullMethod string) *method {
	ms.mu.RLock()
	m, ok := ms.m[fullMethod]
	ms.mu.RUnlock()
	if ok {
		return m
	}
	m = describe(fullMethod)
	ms.mu.Lock()
	if ms.m == nil {
		ms.m = make(map[string]*method)
	}
	ms.m[fullMethod] = m
	ms.mu.Unlock()
	return m
}

func describe(fullMethod string) *method {
	m := &method{fullName: fullMethod}
	for _, p := range alwaysPublic {
		if strings.HasPrefix(fullMethod, p) {
			m.public, m.readOnly = true, true
			return m
		}
	}
	name := strings.ReplaceAll(strings.TrimPrefix(fullMethod, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return m
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return m
	}
	m.owner = serviceOwner(md.Parent().(protoreflect.ServiceDescriptor))
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	if opts != nil {
		m.readOnly = opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
		if rule := accessRule(md); rule != nil && (len(rule.GetRoles()) > 0 || rule.GetPublic()) {
			m.rule = rule
			m.public = rule.GetPublic()
		}
	}
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName()); err == nil {
		m.output = mt
	}
	return m
}

// serviceOwner is the department a service declares as the owner of its data (UNSPECIFIED when none).
func serviceOwner(sd protoreflect.ServiceDescriptor) commonv1.Department {
	opts, _ := sd.Options().(*descriptorpb.ServiceOptions)
	if opts == nil {
		return commonv1.Department_DEPARTMENT_UNSPECIFIED
	}
	d, _ := proto.GetExtension(opts, commonv1.E_Owner).(commonv1.Department)
	return d
}

// accessRule is a method's declared rule, nil when it declares none.
func accessRule(md protoreflect.MethodDescriptor) *commonv1.AccessRule {
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	if opts == nil {
		return nil
	}
	rule, _ := proto.GetExtension(opts, commonv1.E_Access).(*commonv1.AccessRule)
	return rule
}

// MayCall reports whether c may call the method (its full name, "/pkg.Service/Method") by the access
// rule its contract declares, as the authorization interceptor decides — without the region scope, which
// the data decides. A method unknown or without a rule: false (default deny). Pages and inboxes use it to
// offer only the steps a caller may record.
func MayCall(c *auth.Caller, fullMethod string) bool {
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(fullMethod, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil || c == nil {
		return false
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return false
	}
	rule := accessRule(md)
	return rule != nil && !rule.GetPublic() && allowed(rule, c)
}
