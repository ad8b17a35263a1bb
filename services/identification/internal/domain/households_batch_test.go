package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
)

func TestBatchGetHouseholds(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	// Two households in 青山乡's 红桥村, one in 城关镇's 东街社区.
	var ids []string
	for i, village := range []string{"990001002001", "990001001001", "990001002001"} {
		in := domain.NewHousehold{RegionCode: village, Members: []domain.Member{
			m(domain.RelationHead, id("19700101", 100+i)), m(domain.RelationSon, id("20000101", 200+i))}}
		h, err := svc.CreateHousehold(ctx, county, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	many := make([]string, domain.MaxBatchGet+1)
	for i := range many {
		many[i] = ids[i%len(ids)]
	}

	tests := []struct {
		name   string
		caller domain.Caller
		ids    []string
		want   []string // ids in order, when read
		kind   apperr.Kind
		reason string
		named  string // the household a refusal names
	}{
		{"in the order asked", county, []string{ids[2], ids[0], ids[1]}, []string{ids[2], ids[0], ids[1]}, 0, "", ""},
		{"a repeated id is returned each time", county, []string{ids[1], ids[1]}, []string{ids[1], ids[1]}, 0, "", ""},
		{"none asked", county, nil, nil, 0, "", ""},
		{"the limit itself", county, many[:domain.MaxBatchGet], many[:domain.MaxBatchGet], 0, "", ""},
		{"inside the caller's township", domain.Caller{Actor: "t", Scope: "990001002"}, []string{ids[0], ids[2]},
			[]string{ids[0], ids[2]}, 0, "", ""},
		{"a missing household fails the whole batch naming it", county, []string{ids[0], "nope", ids[1]}, nil,
			apperr.KindNotFound, "NOT_FOUND", "households/nope"},
		{"the first missing one is named", county, []string{"gone-1", ids[0], "gone-2"}, nil,
			apperr.KindNotFound, "NOT_FOUND", "households/gone-1"},
		{"a household outside the caller's township is refused as GetHousehold does", domain.Caller{Actor: "t", Scope: "990001002"},
			[]string{ids[0], ids[1], ids[2]}, nil, apperr.KindPermissionDenied, domain.ReasonOutOfRegionScope, "households/" + ids[1]},
		{"one over the limit", county, many, nil, apperr.KindInvalid, domain.ReasonInvalidField, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, err := svc.BatchGetHouseholds(ctx, tt.caller, tt.ids)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(hs) != len(tt.want) {
					t.Fatalf("got %d households, want %d", len(hs), len(tt.want))
				}
				for i, h := range hs {
					if h.ID != tt.want[i] || h.Size() != 2 || h.Members[0].Relation != domain.RelationHead {
						t.Errorf("[%d] = %s (%d members), want %s", i, h.ID, h.Size(), tt.want[i])
					}
					if h.Members[0].IDNumber != "" {
						t.Errorf("[%d] read a plain 身份证号 without Reveal", i)
					}
				}
				return
			}
			e := refusal(t, err)
			if e.Kind != tt.kind || e.Reason != tt.reason || hs != nil {
				t.Fatalf("got %v (kind %d) %v, want kind %d reason %s", e, e.Kind, hs, tt.kind, tt.reason)
			}
			if tt.named != "" && (e.Metadata["name"] != tt.named || e.Message != fmt.Sprintf("%s %s", tt.named, map[apperr.Kind]string{
				apperr.KindNotFound: "not found", apperr.KindPermissionDenied: "lies outside the caller's region scope"}[tt.kind])) {
				t.Errorf("names %q / %q, want %s", e.Metadata["name"], e.Message, tt.named)
			}
			if tt.kind == apperr.KindNotFound && !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("not ErrHouseholdNotFound: %v", err)
			}
			if tt.kind == apperr.KindInvalid && (len(e.Fields) != 1 || e.Fields[0].Field != "names") {
				t.Errorf("fields %+v", e.Fields)
			}
		})
	}
	// The sentinels stay as they were: naming a household copies them.
	if domain.ErrHouseholdNotFound.Metadata != nil || domain.ErrHouseholdNotFound.Message != "household not found" {
		t.Errorf("sentinel changed: %+v", domain.ErrHouseholdNotFound)
	}
}
