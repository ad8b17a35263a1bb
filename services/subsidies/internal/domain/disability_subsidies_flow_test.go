package domain_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"github.com/google/uuid"
)

// certPolicy serves fixed policy values: a small stand-in for the etcd policy store.
type certPolicy map[string]string

func (p certPolicy) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	raw, ok := p[parameter]
	if !ok {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(parameter + raw))
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw),
		Hash: hex.EncodeToString(sum[:])}, json.Unmarshal([]byte(raw), into)
}

// certRegister is the register as the certificate area sees it: holders by blind index.
type certRegister map[string]domain.CertificateHolder

func (r certRegister) FindHolder(_ context.Context, _, idIndex string) (domain.CertificateHolder, error) {
	h, ok := r[idIndex]
	if !ok {
		return h, domain.ErrHolderUnknown
	}
	return h, nil
}

// certArea is the certificate and 两项补贴 area on a real database and workflow engine.
type certArea struct {
	st        *store.Store
	certs     *domain.Certificates
	subsidies *domain.DisabilitySubsidies
	pii       *pii.Protector
	register  certRegister
	// households are the holders' households in the register (their registration dates).
	households *fakeRegister
}

var certCounty = workflow.Caller{Actor: "u-federation", Scope: ""}

// certNow is the areas' clock: 2026-03-10 in the county.
var certNow = time.Date(2026, 3, 10, 9, 0, 0, 0, bizdate.Location)

func newCertArea(t *testing.T, d sqldb.Dialect) *certArea {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, outbox.New(db, nil))
	protector, err := pii.NewProtector([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return certNow }
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	pol := certPolicy{domain.ParamCareSubsidyAmounts: seedCareTable, domain.ParamLivingSubsidyFen: "9000"}
	engine := workflow.New(db, workflow.Options{Now: now, NewID: newID, Policy: pol})
	households := &fakeRegister{households: map[string]*domain.RegisterHousehold{}}
	subsidies, err := domain.NewDisabilitySubsidies(st, engine, pol, households, newID, now)
	if err != nil {
		t.Fatal(err)
	}
	a := &certArea{st: st, subsidies: subsidies, pii: protector, register: certRegister{}, households: households}
	a.certs = domain.NewCertificates(st, a.register, protector, subsidies, newID, now)
	return a
}

// holder registers a person in the fake register and a certificate for them.
func (a *certArea) holder(t *testing.T, seq int, region, categoryGrade string) *domain.Certificate {
	t.Helper()
	id := certIDNumber("19700101", seq)
	pid, hid := fmt.Sprintf("p%d", seq), fmt.Sprintf("h%d", seq)
	a.register[a.pii.BlindIndex(id)] = domain.CertificateHolder{PersonID: pid, HouseholdID: hid, RegionCode: region}
	a.households.households[hid] = &domain.RegisterHousehold{ID: hid, RegionCode: region, Active: true, Registered: "2020-01-01"}
	c, err := a.certs.RegisterCertificate(t.Context(), certCounty, domain.NewCertificate{Number: id + categoryGrade, IssueDate: "2020-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// approve runs an application through the township check and the review on certNow's date.
func (a *certArea) approve(t *testing.T, kind string, c *domain.Certificate, applied string) *domain.DisabilitySubsidy {
	t.Helper()
	ctx := t.Context()
	m := domain.DisabilitySubsidyStep{OccurredAt: applied}
	if applied != "" {
		m.BackdateReason = "申请表补录"
	}
	d, err := a.subsidies.Apply(ctx, certCounty, kind, c.ID, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.subsidies.Check(ctx, certCounty, d.Case.ID, domain.DisabilitySubsidyStep{}, true); err != nil {
		t.Fatal(err)
	}
	d, err = a.subsidies.Review(ctx, certCounty, d.Case.ID, domain.DisabilitySubsidyStep{}, true)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func certRefusedWith(t *testing.T, err error, reason, rule string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Reason != reason || (rule != "" && (len(e.Violations) == 0 || e.Violations[0].Type != rule)) {
		t.Fatalf("got %v, want %s %s", err, reason, rule)
	}
}

func TestDisabilitySubsidyFlow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		a := newCertArea(t, d)
		ctx := t.Context()

		t.Run("certificate: the number is sealed, masked and indexed, never stored plain", func(t *testing.T) {
			c := a.holder(t, 1, "990001001001", "41")
			plain := certIDNumber("19700101", 1) + "41"
			if c.NumberMasked != pii.MaskIDNumber(plain[:18])+"41" || c.IDIndex != a.pii.BlindIndex(plain[:18]) ||
				strings.Contains(string(c.NumberCipher), plain[:18]) {
				t.Fatalf("got %+v", c)
			}
			if got, err := a.certs.Reveal(c); err != nil || got != plain {
				t.Fatalf("reveal: %v", err)
			}
			_, err := a.certs.RegisterCertificate(ctx, certCounty, domain.NewCertificate{Number: plain, IssueDate: "2021-01-01"})
			if !errors.Is(err, domain.ErrCertificateExists) {
				t.Fatalf("second certificate: %v", err)
			}
		})
		t.Run("certificate: refusals name the field or the register", func(t *testing.T) {
			good := certIDNumber("19700101", 2) + "41"
			for _, tt := range []struct {
				name, number, issue, field string
			}{
				{"issue date in the future", good, "2026-03-11", "issue_date"},
				{"issue date before birth", good, "1969-12-31", "issue_date"},
				{"issue date not a date", good, "2026-02-30", "issue_date"},
				{"grade 5", certIDNumber("19700101", 2) + "45", "2020-01-01", "number"},
			} {
				_, err := a.certs.RegisterCertificate(ctx, certCounty, domain.NewCertificate{Number: tt.number, IssueDate: tt.issue})
				if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || e.Fields[0].Field != tt.field {
					t.Errorf("%s: got %v", tt.name, err)
				}
			}
			_, err := a.certs.RegisterCertificate(ctx, certCounty, domain.NewCertificate{Number: good, IssueDate: "2020-01-01"})
			if !errors.Is(err, domain.ErrHolderUnknown) {
				t.Errorf("unknown holder: %v", err)
			}
		})
		t.Run("care subsidy: approved from the month of a back-dated application", func(t *testing.T) {
			c := a.holder(t, 3, "990001001001", "42")
			got := a.approve(t, domain.DisabilitySubsidyKindCare, c, "2026-01-20")
			e := got.Entitlement
			if e == nil || e.Program != domain.ProgramCareSubsidy || e.AmountFen != 7000 || e.FromMonth != "2026-01" || e.ToMonth != "" ||
				e.Beneficiary != "persons/p3" || e.PersonID != "p3" || e.HouseholdID != "h3" || e.RegionCode != "990001001001" ||
				e.Source != "disabilitySubsidies/"+got.Case.ID {
				t.Fatalf("entitlement %+v", e)
			}
			review := got.Case.Steps[len(got.Case.Steps)-1]
			var r domain.DisabilitySubsidyReview
			if err := review.Bind(&r); err != nil || !r.Eligibility.Eligible || r.Eligibility.PolicyDate != "2026-01-20" ||
				r.Eligibility.Date != "2026-03-10" || len(r.Eligibility.Policy) != 1 || r.Eligibility.Policy[0].Hash == "" {
				t.Fatalf("explanation %+v %v", r, err)
			}
			_, err := a.subsidies.Apply(ctx, certCounty, domain.DisabilitySubsidyKindCare, c.ID, domain.DisabilitySubsidyStep{})
			certRefusedWith(t, err, domain.ReasonSubsidyAlreadyGranted, domain.RuleOneSubsidy)
		})
		t.Run("care subsidy: grade 3 is refused at the check, naming the rule", func(t *testing.T) {
			c := a.holder(t, 4, "990001001001", "43")
			k, err := a.subsidies.Apply(ctx, certCounty, domain.DisabilitySubsidyKindCare, c.ID, domain.DisabilitySubsidyStep{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.subsidies.Check(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{}, true)
			certRefusedWith(t, err, domain.ReasonDisabilitySubsidyIneligible, domain.RuleCareGrade)
			_, err = a.subsidies.Check(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{}, false)
			if e, ok := apperr.As(err); !ok || e.Reason != domain.ReasonOpinionRequired {
				t.Fatalf("a refusal without opinion: %v", err)
			}
			got, err := a.subsidies.Check(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{Note: "等级不符"}, false)
			if err != nil || got.Case.State != workflow.StateClosed || got.Case.Decision.Outcome != workflow.OutcomeRefused {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("living subsidy: needs 低保 in the month, at the check and again at the review", func(t *testing.T) {
			c := a.holder(t, 5, "990001001001", "63")
			k, err := a.subsidies.Apply(ctx, certCounty, domain.DisabilitySubsidyKindLiving, c.ID, domain.DisabilitySubsidyStep{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.subsidies.Check(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{}, true)
			certRefusedWith(t, err, domain.ReasonDisabilitySubsidyIneligible, domain.RuleDibaoHousehold)
			dibao := &domain.Entitlement{ID: "dibao-h5", Program: domain.ProgramDibao, Beneficiary: "households/h5", HouseholdID: "h5",
				RegionCode: "990001001001", Source: "dibaoCases/x", FromMonth: "2026-02", AmountFen: 50000, Covered: 2,
				CreateTime: certNow, UpdateTime: certNow}
			if err := a.st.GrantEntitlement(ctx, dibao); err != nil {
				t.Fatal(err)
			}
			if _, err := a.subsidies.Check(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{}, true); err != nil {
				t.Fatal(err)
			}
			// 低保 ends in February before the review: the review finds it gone.
			if err := a.st.EndEntitlement(ctx, "dibao-h5", "2026-02", "收入超标", certNow); err != nil {
				t.Fatal(err)
			}
			_, err = a.subsidies.Review(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{}, true)
			certRefusedWith(t, err, domain.ReasonDisabilitySubsidyIneligible, domain.RuleDibaoHousehold)
			got, err := a.subsidies.Review(ctx, certCounty, k.Case.ID, domain.DisabilitySubsidyStep{Note: "家庭已退出低保"}, false)
			if err != nil || got.Case.Decision.Outcome != workflow.OutcomeRefused || got.Entitlement != nil {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("revoking the certificate ends both subsidies after the revocation's month", func(t *testing.T) {
			c := a.holder(t, 6, "990001001002", "51")
			dibao := &domain.Entitlement{ID: "dibao-h6", Program: domain.ProgramDibao, Beneficiary: "households/h6", HouseholdID: "h6",
				RegionCode: "990001001002", Source: "dibaoCases/y", FromMonth: "2025-01", AmountFen: 50000, Covered: 1,
				CreateTime: certNow, UpdateTime: certNow}
			if err := a.st.GrantEntitlement(ctx, dibao); err != nil {
				t.Fatal(err)
			}
			a.approve(t, domain.DisabilitySubsidyKindCare, c, "")
			a.approve(t, domain.DisabilitySubsidyKindLiving, c, "")
			got, err := a.certs.RevokeCertificate(ctx, certCounty, c.ID, domain.CertificateEnd{Date: "2026-02-15", Reason: "重新评定为四级"})
			if err != nil || got.Status != domain.CertificateRevoked || got.StatusDate != "2026-02-15" || got.Version != 2 {
				t.Fatalf("got %+v, %v", got, err)
			}
			es, _ := a.st.EntitlementsOfPerson(ctx, "p6")
			if len(es) != 2 {
				t.Fatalf("entitlements %v", es)
			}
			for _, e := range es {
				if e.ToMonth != "2026-02" || !strings.Contains(e.EndReason, "注销") {
					t.Errorf("%v ends %q (%s)", e.Program, e.ToMonth, e.EndReason)
				}
			}
			hs, _ := a.st.EntitlementsOfHousehold(ctx, "h6")
			for _, e := range hs {
				if e.Program == domain.ProgramDibao && e.ToMonth != "" {
					t.Errorf("the household's 低保 was ended too: %+v", e)
				}
			}
			_, err = a.certs.MoveCertificate(ctx, certCounty, c.ID, domain.CertificateEnd{Date: "2026-03-01", Reason: "迁往 外县"})
			certRefusedWith(t, err, domain.ReasonCertificateNotValid, domain.RuleCertificateStatus)
			_, err = a.certs.RevokeCertificate(ctx, certCounty, c.ID, domain.CertificateEnd{Date: "2026-03-11", Reason: "x"})
			if e, ok := apperr.As(err); !ok || e.Fields[0].Field != "effective_date" {
				t.Errorf("future date: %v", err)
			}
		})
		t.Run("the end of a household's 低保 ends its living subsidies, not its care subsidies", func(t *testing.T) {
			c := a.holder(t, 11, "990001001001", "41")
			dibao := &domain.Entitlement{ID: "dibao-h11", Program: domain.ProgramDibao, Beneficiary: "households/h11", HouseholdID: "h11",
				RegionCode: "990001001001", Source: "dibaoCases/z", FromMonth: "2025-01", AmountFen: 50000, Covered: 1,
				CreateTime: certNow, UpdateTime: certNow}
			if err := a.st.GrantEntitlement(ctx, dibao); err != nil {
				t.Fatal(err)
			}
			a.approve(t, domain.DisabilitySubsidyKindLiving, c, "2026-01-05")
			a.approve(t, domain.DisabilitySubsidyKindCare, c, "2026-01-05")
			if err := a.subsidies.StopLivingSubsidies(ctx, "h11", "2026-02", "低保停保"); err != nil {
				t.Fatal(err)
			}
			es, _ := a.st.EntitlementsOfPerson(ctx, "p11")
			for _, e := range es {
				want := map[domain.Program]string{domain.ProgramLivingSubsidy: "2026-02", domain.ProgramCareSubsidy: ""}[e.Program]
				if e.ToMonth != want {
					t.Errorf("%v ends %q, want %q", e.Program, e.ToMonth, want)
				}
			}
			if len(es) != 2 {
				t.Fatalf("entitlements %+v", es)
			}
		})
		t.Run("a stale etag or another township is refused", func(t *testing.T) {
			c := a.holder(t, 7, "990001002003", "41")
			_, err := a.certs.MoveCertificate(ctx, certCounty, c.ID, domain.CertificateEnd{Date: "2026-03-01", Reason: "迁往 外县", Etag: `"stale"`})
			if !errors.Is(err, apperr.StaleEtag) {
				t.Errorf("stale etag: %v", err)
			}
			township := workflow.Caller{Actor: "u-township", Scope: "990001001"}
			if _, err := a.certs.GetCertificate(ctx, township, c.ID); err == nil {
				t.Error("read outside scope")
			}
			if _, err := a.certs.MoveCertificate(ctx, township, c.ID, domain.CertificateEnd{Date: "2026-03-01", Reason: "迁往 外县"}); err == nil {
				t.Error("moved outside scope")
			}
			if _, err := a.subsidies.Apply(ctx, township, domain.DisabilitySubsidyKindCare, c.ID, domain.DisabilitySubsidyStep{}); err == nil {
				t.Error("applied outside scope")
			}
			got, err := a.certs.MoveCertificate(ctx, certCounty, c.ID, domain.CertificateEnd{Date: "2026-03-01", Reason: "迁往 外县", Etag: c.Etag()})
			if err != nil || got.Status != domain.CertificateMoved {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("the register's deaths and moves stop subsidies and withdraw applications", func(t *testing.T) {
			dead := a.holder(t, 8, "990001001001", "41")
			a.approve(t, domain.DisabilitySubsidyKindCare, dead, "")
			moved := a.holder(t, 9, "990001001001", "42")
			open, err := a.subsidies.Apply(ctx, certCounty, domain.DisabilitySubsidyKindCare, moved.ID, domain.DisabilitySubsidyStep{})
			if err != nil {
				t.Fatal(err)
			}
			stays := a.holder(t, 10, "990001001001", "41")
			a.approve(t, domain.DisabilitySubsidyKindCare, stays, "")
			var f domain.Follower = a.subsidies.Follower()
			change := domain.HouseholdChange{Sequence: 41, Topic: "household.members_changed", HouseholdID: "h8",
				EffectiveDate: "2026-02-27", DepartedPersonIDs: []string{"p8", "p9", "p8"}, Reason: "死亡"}
			if err := a.st.InTx(ctx, func(ctx context.Context) error { return f.HouseholdChanged(ctx, change) }); err != nil {
				t.Fatal(err)
			}
			es, _ := a.st.EntitlementsOfPerson(ctx, "p8")
			if len(es) != 1 || es[0].ToMonth != "2026-02" || es[0].EndReason != "户籍变动: 死亡" {
				t.Fatalf("the dead person's subsidy: %+v", es)
			}
			if es, _ := a.st.EntitlementsOfPerson(ctx, "p10"); len(es) != 1 || es[0].ToMonth != "" {
				t.Fatalf("another person's subsidy: %+v", es)
			}
			got, err := a.subsidies.Get(ctx, certCounty, open.Case.ID)
			if err != nil || got.Case.Decision == nil || got.Case.Decision.Outcome != workflow.OutcomeWithdrawn {
				t.Fatalf("the open application: %+v, %v", got, err)
			}
			// The same change again (a redelivery inside a failed transaction) changes nothing more.
			if err := a.st.InTx(ctx, func(ctx context.Context) error { return f.HouseholdChanged(ctx, change) }); err != nil {
				t.Fatal(err)
			}
			if err := f.HouseholdChanged(ctx, domain.HouseholdChange{Sequence: 42, DepartedPersonIDs: []string{"p8"}}); err == nil {
				t.Error("a departure without an effective date was accepted")
			}
			if err := f.HouseholdChanged(ctx, domain.HouseholdChange{Sequence: 43, Topic: "household.status_changed"}); err != nil {
				t.Errorf("a change without departures: %v", err)
			}
		})
	})
}
