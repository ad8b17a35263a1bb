package domain_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
)

// limitAfter is a ConflictLimit that refuses once calls have been noted n times.
type limitAfter struct {
	n, noted int
}

func (l *limitAfter) Check(context.Context) error {
	if l.noted >= l.n {
		return apperr.Exhausted("EXISTENCE_CONFLICT_LIMIT", "too many")
	}
	return nil
}

// A refusal of a person held elsewhere names, for the platform to count, exactly the members held
// outside the caller's scope: what the refusal tells them that a lookup would not.
func TestRefusalsNameWhatTheyDisclose(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	// Held in 990001001 (东街社区).
	held, err := svc.CreateHousehold(ctx, county, domain.NewHousehold{RegionCode: "990001001001", Members: []domain.Member{
		m(domain.RelationHead, id("19800101", 51)), m(domain.RelationSpouse, id("19820202", 52))}})
	if err != nil {
		t.Fatal(err)
	}
	// Held in 990001002 (红桥村).
	own, err := svc.CreateHousehold(ctx, county, domain.NewHousehold{RegionCode: "990001002001", Members: []domain.Member{
		m(domain.RelationHead, id("19600101", 61))}})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := "households/" + held.ID + "/members/" + held.Members[1].PersonID
	township := domain.Caller{Actor: "t", Scope: "990001002"}
	tests := []struct {
		name    string
		caller  domain.Caller
		members []domain.Member
		want    []string
	}{
		{"a township officer, a person of another township", township, []domain.Member{
			m(domain.RelationHead, id("19900101", 71)), m(domain.RelationSpouse, id("19820202", 52))}, []string{elsewhere}},
		{"a township officer, a person of their own township", township, []domain.Member{
			m(domain.RelationHead, id("19900101", 71)), m(domain.RelationSpouse, id("19600101", 61))}, nil},
		{"both at once", township, []domain.Member{
			m(domain.RelationHead, id("19600101", 61)), m(domain.RelationSpouse, id("19820202", 52))}, []string{elsewhere}},
		{"the county sees everything: nothing disclosed", county, []domain.Member{
			m(domain.RelationHead, id("19900101", 71)), m(domain.RelationSpouse, id("19820202", 52))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CreateHousehold(ctx, tt.caller, domain.NewHousehold{RegionCode: "990001002001", Members: tt.members})
			e := refusal(t, err)
			if e.Reason != domain.ReasonPersonInOtherHousehold || !slices.Equal(e.Disclosed, tt.want) {
				t.Errorf("got %s, disclosed %v; want %v", e.Reason, e.Disclosed, tt.want)
			}
			for _, f := range e.Fields {
				if strings.Contains(f.Description, held.ID) {
					t.Errorf("the caller is told the other household: %+v", f)
				}
			}
		})
	}
	t.Run("AddMember of a person of another township", func(t *testing.T) {
		_, err := svc.AddMember(ctx, township, own.ID, "", m(domain.RelationSon, id("19820202", 52)))
		if e := refusal(t, err); e.Reason != domain.ReasonPersonInOtherHousehold || !slices.Equal(e.Disclosed, []string{elsewhere}) {
			t.Errorf("got %s, disclosed %v", e.Reason, e.Disclosed)
		}
	})
}

// Past the limit, the methods that could disclose refuse before looking at anything.
func TestConflictLimitStopsTheCaller(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	limit := &limitAfter{n: 0}
	svc.LimitConflicts(limit)
	h, err := svc.CreateHousehold(ctx, county, family())
	if e := refusal(t, err); e.Kind != apperr.KindExhausted {
		t.Fatalf("CreateHousehold past the limit: %v %v", h, err)
	}
	limit.n = 1
	h, err = svc.CreateHousehold(ctx, county, family())
	if err != nil {
		t.Fatal(err)
	}
	limit.noted = 1
	_, err = svc.AddMember(ctx, county, h.ID, "", m(domain.RelationSon, id("20150505", 41)))
	if e := refusal(t, err); e.Kind != apperr.KindExhausted {
		t.Fatalf("AddMember past the limit: %v", err)
	}
	// Other changes go on.
	if _, err := svc.UpdateHousehold(ctx, county, h.ID, "", []string{"address"}, domain.HouseholdPatch{Address: "新址"}); err != nil {
		t.Errorf("UpdateHousehold: %v", err)
	}
}

// The import records each batch's findings that disclose persons held outside the caller's scope, then
// checks the limit before sending them.
func TestImportDisclosures(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		name := map[bool]string{false: "import", true: "dry run"}[dryRun]
		t.Run(name, func(t *testing.T) {
			e := newLedgerEnv(t, sqldb.SQLite)
			ctx := t.Context()
			held, err := e.svc.CreateHousehold(ctx, county, domain.NewHousehold{RegionCode: "990001001001", Members: []domain.Member{
				m(domain.RelationHead, id("19800101", 51)), m(domain.RelationSpouse, id("19820202", 52))}})
			if err != nil {
				t.Fatal(err)
			}
			township := domain.Caller{Actor: "t", Scope: "990001002"}
			rows := ledgerRows(ledgerHeader,
				line("K-1", "990001002001", "红桥村一组", "张一", id("19900101", 71), "户主", "一般户", ""),
				line("K-1", "990001002001", "红桥村一组", "李一", id("19820202", 52), "配偶", "一般户", ""),
				line("K-2", "990001002001", "红桥村二组", "张二", id("19900101", 72), "户主", "一般户", ""))
			var noted []string
			limit := &limitAfter{n: 1}
			e.svc.LimitConflicts(limit)
			opts := domain.LedgerImportOptions{DryRun: dryRun, Disclosed: func(_ context.Context, members []string) error {
				noted = append(noted, members...)
				limit.noted += len(members)
				return nil
			}}
			var sent []domain.LedgerIssue
			_, err = e.imp.Import(ctx, township, opts, feedRows(rows, 10), func(p domain.LedgerImportProgress) error {
				sent = append(sent, p.Issues...)
				return nil
			})
			want := "households/" + held.ID + "/members/" + held.Members[1].PersonID
			if !slices.Equal(noted, []string{want}) {
				t.Errorf("noted %v, want %v", noted, want)
			}
			if r, ok := apperr.As(err); !ok || r.Kind != apperr.KindExhausted {
				t.Errorf("the import went on past the limit: %v", err)
			}
			for _, is := range sent {
				if is.Reason == domain.ReasonPersonInOtherHousehold {
					t.Errorf("a finding past the limit was sent: %+v", is)
				}
			}
		})
	}
}
