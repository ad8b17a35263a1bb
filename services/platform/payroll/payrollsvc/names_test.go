package payrollsvc

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/apperr"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeRegister answers BatchGetHouseholds as identification does: all or nothing, refusals naming the
// first household they concern.
type fakeRegister struct {
	identificationv1.HouseholdServiceClient
	missing    map[string]bool // ids the register does not have
	outside    map[string]bool // ids outside the caller's scope
	denyAll    bool            // the caller's role may not read households
	down       bool            // the register does not answer
	maxPerCall int             // more names than this: too large an answer (0: no limit)

	mu       sync.Mutex
	calls    []int // names per call
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

func refusal(code codes.Code, reason, name string) error {
	st := status.New(code, name+" refused")
	st, _ = st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "identification.fupin.dev",
		Metadata: map[string]string{"name": name}})
	return st.Err()
}

func (f *fakeRegister) BatchGetHouseholds(ctx context.Context, in *identificationv1.BatchGetHouseholdsRequest, _ ...grpc.CallOption) (*identificationv1.BatchGetHouseholdsResponse, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(time.Millisecond)
	f.mu.Lock()
	f.calls = append(f.calls, len(in.GetNames()))
	f.mu.Unlock()
	switch {
	case f.down:
		return nil, status.Error(codes.Unavailable, "connection refused")
	case f.denyAll:
		st, _ := status.New(codes.PermissionDenied, "role may not").WithDetails(&errdetails.ErrorInfo{Reason: "ACCESS_DENIED"})
		return nil, st.Err()
	case len(in.GetNames()) > 1000:
		return nil, status.Error(codes.InvalidArgument, "names: at most 1000")
	case f.maxPerCall > 0 && len(in.GetNames()) > f.maxPerCall:
		return nil, status.Error(codes.ResourceExhausted, "grpc: received message larger than max")
	}
	resp := &identificationv1.BatchGetHouseholdsResponse{}
	for _, name := range in.GetNames() {
		id := strings.TrimPrefix(name, "households/")
		if f.missing[id] {
			return nil, refusal(codes.NotFound, "NOT_FOUND", name)
		}
		if f.outside[id] {
			return nil, refusal(codes.PermissionDenied, "OUT_OF_REGION_SCOPE", name)
		}
		resp.Households = append(resp.Households, &identificationv1.Household{Name: name, Members: []*identificationv1.Member{
			{PersonId: id + "-a", FullName: "户主" + id, RelationToHead: identificationv1.Relation_RELATION_HEAD},
			{PersonId: id + "-b", FullName: "配偶" + id, RelationToHead: identificationv1.Relation_RELATION_SPOUSE},
		}})
	}
	return resp, nil
}

func householdIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("h%05d", i)
	}
	return ids
}

func TestRegisterRollNames(t *testing.T) {
	tests := []struct {
		name      string
		register  *fakeRegister
		ids       int
		calls     int      // register calls, at most
		without   []string // households shown without names
		allAbsent bool
		fail      bool
	}{
		{"a county roll in batches of 1000", &fakeRegister{}, 2500, 3, nil, false, false},
		{"exactly one batch", &fakeRegister{}, 1000, 1, nil, false, false},
		{"one household", &fakeRegister{}, 1, 1, nil, false, false},
		{"households the register does not have are left without names", &fakeRegister{
			missing: map[string]bool{"h00010": true, "h01500": true, "h01999": true}}, 2500, 6,
			[]string{"h00010", "h01500", "h01999"}, false, false},
		{"households outside the caller's scope are left without names", &fakeRegister{
			outside: map[string]bool{"h00000": true, "h00999": true}}, 1200, 4, []string{"h00000", "h00999"}, false, false},
		{"a caller who may not read the register gets no names", &fakeRegister{denyAll: true}, 2500, 3, nil, true, false},
		{"an answer too large is split", &fakeRegister{maxPerCall: 300}, 1000, 15, nil, false, false},
		{"a register that does not answer fails the export", &fakeRegister{down: true}, 10, 1, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := householdIDs(tt.ids)
			got, err := RegisterNames{Households: tt.register}.RollNames(t.Context(), ids)
			if tt.fail {
				if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindUnavailable || e.Reason != "REGISTER_UNAVAILABLE" {
					t.Fatalf("err = %v, want REGISTER_UNAVAILABLE", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(tt.register.calls); n == 0 || n > tt.calls {
				t.Errorf("%d register calls (%v), want at most %d", n, tt.register.calls, tt.calls)
			}
			for _, n := range tt.register.calls {
				if n > rollNamesBatch {
					t.Errorf("a call asked for %d households", n)
				}
			}
			if m := tt.register.maxIn.Load(); m > rollNameCalls {
				t.Errorf("%d calls at once", m)
			}
			without := map[string]bool{}
			for _, id := range tt.without {
				without[id] = true
			}
			for _, id := range ids {
				names, ok := got[id]
				switch {
				case tt.allAbsent || without[id]:
					if ok {
						t.Errorf("%s has names %v", id, names)
					}
				case !ok || names.Head != "户主"+id || names.Members[id+"-b"] != "配偶"+id || len(names.Members) != 2:
					t.Errorf("%s: %v %v", id, names, ok)
				}
			}
		})
	}
}

func TestRegisterRollNamesLeavesTheCallersIDsAlone(t *testing.T) {
	ids := householdIDs(5)
	want := append([]string(nil), ids...)
	f := &fakeRegister{missing: map[string]bool{"h00001": true}}
	if _, err := (RegisterNames{Households: f}).RollNames(t.Context(), ids[:3]); err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		if ids[i] != want[i] {
			t.Fatalf("ids changed: %v", ids)
		}
	}
}
