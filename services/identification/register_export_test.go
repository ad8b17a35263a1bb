package identification_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// exportRegister runs ExportRegister to the end and returns its messages.
func exportRegister(ctx context.Context, client identificationv1.RegisterExportServiceClient,
	req *identificationv1.ExportRegisterRequest) ([]*identificationv1.ExportRegisterResponse, error) {
	stream, err := client.ExportRegister(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*identificationv1.ExportRegisterResponse
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, msg)
	}
}

func exportedNames(msgs []*identificationv1.ExportRegisterResponse) []string {
	var names []string
	for _, m := range msgs {
		for _, h := range m.GetHouseholds() {
			names = append(names, h.GetHousehold())
		}
	}
	return names
}

func TestRegisterExport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		export := identificationv1.NewRegisterExportServiceClient(h.conn)
		const townA, townB = "990001001", "990001002"
		villages := []string{"990001002003", "990001001001", "990001002003"}
		var created []*identificationv1.Household
		for i, v := range villages {
			hh, err := h.households.CreateHousehold(h.admin(t), newHousehold(v, 40+i))
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, hh)
		}
		// The third household becomes poor; the second loses its spouse.
		if _, err := h.households.SetRegistryStatus(h.admin(t), &identificationv1.SetRegistryStatusRequest{
			Name: created[2].GetName(), RegistryStatus: identificationv1.RegistryStatus_REGISTRY_STATUS_POOR,
			EffectiveDate: today(), Reason: "县定"}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.households.RecordDeath(h.admin(t), &identificationv1.RecordDeathRequest{
			Name: created[1].GetMembers()[1].GetName(), DateOfDeath: today()}); err != nil {
			t.Fatal(err)
		}
		sorted := []string{created[0].GetName(), created[1].GetName(), created[2].GetName()}
		slices.Sort(sorted)
		service := h.as(t, "civil_affairs", "service", "")
		forTownB := h.keys.AsCaller(t, t.Context(), servicetest.Caller{Subject: "service:subsidies", Department: "civil_affairs",
			Role: "service", OnBehalfOf: &servicetest.Caller{Subject: "u-town-b", Department: "civil_affairs",
				Role: "township_officer", Region: townB}})

		t.Run("a service gets every active household in id order with blind indexes", func(t *testing.T) {
			msgs, err := exportRegister(service, export, &identificationv1.ExportRegisterRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got := exportedNames(msgs); !slices.Equal(got, sorted) {
				t.Fatalf("households %v, want %v", got, sorted)
			}
			protector, err := pii.NewProtector(h.keys.PII)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*identificationv1.ExportedHousehold{}
			for _, m := range msgs {
				for _, e := range m.GetHouseholds() {
					byName[e.GetHousehold()] = e
				}
			}
			poor, widowed := byName[created[2].GetName()], byName[created[1].GetName()]
			if poor.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_POOR || poor.GetSize() != 2 ||
				poor.GetRegionCode() != "990001002003" || poor.GetUrban() {
				t.Errorf("poor household %v", poor)
			}
			m := poor.GetMembers()[0]
			if m.GetIdIndex() != protector.BlindIndex(idNumber("19650304", 42*2+1)) || m.GetPersonId() != created[2].GetMembers()[0].GetPersonId() ||
				m.GetRelationToHead() != identificationv1.Relation_RELATION_HEAD || m.GetBirthDate() != "1965-03-04" {
				t.Errorf("head %v", m)
			}
			if widowed.GetSize() != 1 || len(widowed.GetMembers()) != 1 || !widowed.GetUrban() {
				t.Errorf("after a death the export holds the current members only: %v", widowed)
			}
			// No plain 身份证号 and no name anywhere in what went over the wire.
			for _, msg := range msgs {
				b, _ := proto.Marshal(msg)
				for i := range villages {
					for _, id := range []string{idNumber("19650304", (40+i)*2+1), idNumber("19680512", (40+i)*2+2)} {
						if strings.Contains(string(b), id) {
							t.Fatalf("plain 身份证号 %s exported", id)
						}
					}
				}
				if strings.Contains(string(b), "王大山") {
					t.Fatal("a name was exported")
				}
			}
			waitAudit(t, h.dbURL, "read", identificationv1.RegisterExportService_ExportRegister_FullMethodName, "households")
		})
		t.Run("batches of batch_size households", func(t *testing.T) {
			msgs, err := exportRegister(service, export, &identificationv1.ExportRegisterRequest{BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || len(msgs[0].GetHouseholds()) != 2 || len(msgs[1].GetHouseholds()) != 1 ||
				!slices.Equal(exportedNames(msgs), sorted) {
				t.Errorf("%d messages: %v", len(msgs), exportedNames(msgs))
			}
		})
		t.Run("region scope and filters", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				ctx  context.Context
				req  *identificationv1.ExportRegisterRequest
				want []string
			}{
				{"a service acting for a township officer sees the township", forTownB,
					&identificationv1.ExportRegisterRequest{}, []string{created[0].GetName(), created[2].GetName()}},
				{"a region outside the scope exports nothing", forTownB,
					&identificationv1.ExportRegisterRequest{RegionCode: townA}, nil},
				{"region narrows a county caller", service, &identificationv1.ExportRegisterRequest{RegionCode: "990001001001"},
					[]string{created[1].GetName()}},
				{"registry statuses", service, &identificationv1.ExportRegisterRequest{
					RegistryStatuses: []identificationv1.RegistryStatus{identificationv1.RegistryStatus_REGISTRY_STATUS_POOR}},
					[]string{created[2].GetName()}},
			} {
				msgs, err := exportRegister(tc.ctx, export, tc.req)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if got := exportedNames(msgs); !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", tc.name, got, want)
				}
			}
		})
		t.Run("people are refused: the blind index is for services", func(t *testing.T) {
			for _, who := range []struct{ dept, role string }{
				{"finance", "county_admin"}, {"rural_revitalization", "county_admin"}, {"rural_revitalization", "auditor"},
				{"civil_affairs", "department_staff"},
			} {
				_, err := exportRegister(h.as(t, who.dept, who.role, ""), export, &identificationv1.ExportRegisterRequest{})
				if code, info, _ := details(t, err); code != codes.PermissionDenied || info.GetReason() != "ACCESS_DENIED" {
					t.Errorf("%s %s: %v, want PERMISSION_DENIED ACCESS_DENIED", who.dept, who.role, err)
				}
			}
		})
		t.Run("refusals", func(t *testing.T) {
			_, err := exportRegister(service, export, &identificationv1.ExportRegisterRequest{BatchSize: 10001})
			code, _, br := details(t, err)
			if code != codes.InvalidArgument || len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "batch_size" {
				t.Errorf("batch size 10001: %v %v", code, br)
			}
			_, err = exportRegister(service, export, &identificationv1.ExportRegisterRequest{RegionCode: "99000100100100"})
			if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "region_code" {
				t.Errorf("a 14-digit region: %v %v", code, br)
			}
		})
	})
}
