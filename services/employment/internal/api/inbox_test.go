package api

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestInboxStepsNameRealMethods keeps the inbox's steps on the contract: a method renamed or removed
// would otherwise drop its cases from every inbox without a word (the access check denies unknown methods).
func TestInboxStepsNameRealMethods(t *testing.T) {
	for _, w := range InboxSteps() {
		name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(w.Method, "/"), "/", "."))
		if _, err := protoregistry.GlobalFiles.FindDescriptorByName(name); err != nil {
			t.Errorf("%s %s: %s is not a method of the contract", w.Kind, w.Step, w.Method)
		}
	}
}
