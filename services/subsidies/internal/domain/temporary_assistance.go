package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 临时救助 (temporary assistance): 急难型 for a sudden emergency, 支出型 for spending beyond the household's
// means. One application, one decision, one payment: approval grants an entitlement of a single month (the
// approval's), which the roll pays once. The amount is capped by a multiple of the monthly 低保 standard of
// the household's region and kind, checked when applying and again when approving (the standard may have
// changed in between).

// ParamTemporaryAssistanceMultiple is the cap as a multiple of the monthly 低保 standard.
const ParamTemporaryAssistanceMultiple = "subsidies.temporary_assistance.max_multiple_of_dibao_standard"

// RuleTemporaryAssistanceCap is the violation type of an amount above the cap.
const RuleTemporaryAssistanceCap = "TEMPORARY_ASSISTANCE_CAP"

// AssistanceKind is the kind of 临时救助. Numbers equal fupin.subsidies.v1.TemporaryAssistanceKind.
type AssistanceKind int32

// Kinds.
const (
	AssistanceKindUnspecified AssistanceKind = iota
	AssistanceEmergency                      // 急难型
	AssistanceSpending                       // 支出型
	assistanceKindEnd
)

// AssistanceState is where an application stands. Numbers equal fupin.subsidies.v1.TemporaryAssistanceState.
type AssistanceState int32

// States.
const (
	AssistanceStateUnspecified AssistanceState = iota
	AssistancePending                          // 待审批
	AssistanceApproved                         // 已批准
	AssistanceRefused                          // 不予批准
)

// TemporaryAssistance is one application and its decision.
type TemporaryAssistance struct {
	ID              string
	HouseholdID     string
	RegionCode      string
	Urban           bool
	Kind            AssistanceKind
	AmountFen       int64
	Reason          string
	ApplicationDate string
	// CapFen is the cap on the application date, or on the decision date once decided; Policy its values.
	CapFen        int64
	Policy        []policy.Value
	State         AssistanceState
	DecisionDate  string
	DecidedBy     string
	DecisionNote  string
	PaymentMonth  string
	EntitlementID string
	CreatedBy     string
	Version       int64
	CreateTime    time.Time
	UpdateTime    time.Time
}

// Name is the application's resource name.
func (a *TemporaryAssistance) Name() string { return "temporaryAssistances/" + a.ID }

// Etag is the application's AIP-154 etag.
func (a *TemporaryAssistance) Etag() string {
	sum := sha256.Sum256([]byte("temporaryAssistance/" + a.ID + "/" + strconv.FormatInt(a.Version, 10)))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// TemporaryAssistanceStore keeps applications; *store.Store implements it.
type TemporaryAssistanceStore interface {
	EntitlementStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateTemporaryAssistance(ctx context.Context, a *TemporaryAssistance) error
	// GetTemporaryAssistance returns one application or a not-found refusal.
	GetTemporaryAssistance(ctx context.Context, id string) (*TemporaryAssistance, error)
	// UpdateTemporaryAssistance locks an application, lets fn change it and saves it with its version
	// raised by one.
	UpdateTemporaryAssistance(ctx context.Context, id string, fn func(a *TemporaryAssistance) error) (*TemporaryAssistance, error)
	// ListTemporaryAssistances returns a page of the applications whose region lies under q.Scope (in SQL)
	// and that match q.Filter, in id order, and the id to continue after ("" on the last page).
	ListTemporaryAssistances(ctx context.Context, q AssistanceQuery) ([]*TemporaryAssistance, string, error)
}

// AssistanceQuery selects a page of applications.
type AssistanceQuery struct {
	// Scope is the caller's region prefix ("" for the whole county).
	Scope string
	// Filter is AIP-160 over kind, state, region_code (":" for a prefix), household and application_date.
	Filter string
	// After is the last id of the previous page ("" for the first).
	After string
	Limit int
}

// TemporaryAssistanceCap is the cap: multiple × the monthly standard.
func TemporaryAssistanceCap(standardFen, multiple int64) int64 { return standardFen * multiple }

// TemporaryAssistances holds the 临时救助 use cases.
type TemporaryAssistances struct {
	store    TemporaryAssistanceStore
	policy   workflow.Policy
	register Register
	newID    func() string
	now      func() time.Time
}

// NewTemporaryAssistances returns the 临时救助 use cases.
func NewTemporaryAssistances(store TemporaryAssistanceStore, pol workflow.Policy, register Register, newID func() string,
	now func() time.Time) *TemporaryAssistances {
	return &TemporaryAssistances{store: store, policy: pol, register: register, newID: newID, now: now}
}

// TemporaryAssistanceSource is the Source and Beneficiary of an application's one-off entitlement.
func TemporaryAssistanceSource(id string) string { return "temporaryAssistance/" + id }

// capOn reads the cap for a region and kind of household on date.
func (ts *TemporaryAssistances) capOn(a *TemporaryAssistance, date string) (int64, []policy.Value, error) {
	var standard, multiple int64
	used, err := reliefDecodeAll(ts.policy, a.RegionCode, date, a.Name(), StandardParam(a.Urban), &standard,
		ParamTemporaryAssistanceMultiple, &multiple)
	if err != nil {
		return 0, nil, err
	}
	return TemporaryAssistanceCap(standard, multiple), used, nil
}

// checkCap refuses an amount above the cap, naming the rule and the figures.
func checkCap(a *TemporaryAssistance, capFen int64, date string) error {
	if a.AmountFen <= capFen {
		return nil
	}
	return apperr.Refused(ReasonTemporaryAssistanceAboveCap, apperr.Violation{Type: RuleTemporaryAssistanceCap, Subject: a.Name(),
		Description: fmt.Sprintf("%s is above the cap of %s on %s (%s × the monthly 低保 standard)", dibaoYuan(a.AmountFen),
			dibaoYuan(capFen), date, ParamTemporaryAssistanceMultiple)})
}

// Apply records an application for a household in the caller's scope, refused above the cap.
func (ts *TemporaryAssistances) Apply(ctx context.Context, by workflow.Caller, in TemporaryAssistance) (*TemporaryAssistance, error) {
	now := ts.now()
	today := bizdate.Today(now)
	if in.ApplicationDate == "" {
		in.ApplicationDate = today
	}
	var bad []apperr.FieldViolation
	if _, err := bizdate.Parse(in.ApplicationDate); err != nil || in.ApplicationDate > today {
		bad = append(bad, apperr.FieldViolation{Field: "temporary_assistance.application_date", Reason: workflow.ReasonInvalidField,
			Description: "must be a date (YYYY-MM-DD) not after today"})
	}
	if in.Kind <= AssistanceKindUnspecified || in.Kind >= assistanceKindEnd {
		bad = append(bad, apperr.FieldViolation{Field: "temporary_assistance.kind", Reason: workflow.ReasonInvalidField, Description: "急难型 or 支出型"})
	}
	if in.AmountFen <= 0 {
		bad = append(bad, apperr.FieldViolation{Field: "temporary_assistance.amount_fen", Reason: workflow.ReasonInvalidField, Description: "must be positive"})
	}
	if strings.TrimSpace(in.Reason) == "" {
		bad = append(bad, apperr.FieldViolation{Field: "temporary_assistance.reason", Reason: workflow.ReasonInvalidField, Description: "say what happened"})
	}
	if len(bad) > 0 {
		return nil, apperr.InvalidFields(bad...)
	}
	h, err := ts.register.Household(ctx, in.HouseholdID)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.RegionCode, by.Scope) {
		return nil, errReliefOutOfScope
	}
	if !h.Active {
		return nil, apperr.Refused(ReasonRegisterSubjectNotCurrent, apperr.Violation{Type: RuleRegisterCurrent,
			Subject: "households/" + h.ID, Description: "the household is archived in the identification register"})
	}
	// The application (and so the decision, not before it, and the payment month) never precedes the
	// household's registration.
	if err := bizdate.NotBeforeRegistration("temporary_assistance.application_date", in.ApplicationDate, h.Registered); err != nil {
		return nil, err
	}
	a := &TemporaryAssistance{ID: ts.newID(), HouseholdID: h.ID, RegionCode: h.RegionCode, Urban: h.Urban, Kind: in.Kind,
		AmountFen: in.AmountFen, Reason: strings.TrimSpace(in.Reason), ApplicationDate: in.ApplicationDate, State: AssistancePending,
		CreatedBy: by.Actor, Version: 1, CreateTime: now, UpdateTime: now}
	if a.CapFen, a.Policy, err = ts.capOn(a, a.ApplicationDate); err != nil {
		return nil, err
	}
	if err := checkCap(a, a.CapFen, a.ApplicationDate); err != nil {
		return nil, err
	}
	if err := ts.store.CreateTemporaryAssistance(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns an application in the caller's scope.
func (ts *TemporaryAssistances) Get(ctx context.Context, by workflow.Caller, id string) (*TemporaryAssistance, error) {
	a, err := ts.store.GetTemporaryAssistance(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.RegionCode, by.Scope) {
		return nil, errReliefOutOfScope
	}
	return a, nil
}

// List returns a page of the applications in the caller's region scope, oldest first.
func (ts *TemporaryAssistances) List(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*TemporaryAssistance, string, error) {
	return ts.store.ListTemporaryAssistances(ctx, AssistanceQuery{Scope: by.Scope, Filter: filter, After: after, Limit: limit})
}

// AssistanceDecision is the decision on an application.
type AssistanceDecision struct {
	Approve bool
	// Date is the decision's business date (today when empty).
	Date string
	Note string
	Etag string
}

// Decide approves or refuses a pending application. Approval checks the cap on the decision date and
// grants the one-off entitlement of the decision's month in the same transaction.
func (ts *TemporaryAssistances) Decide(ctx context.Context, by workflow.Caller, id string, in AssistanceDecision) (*TemporaryAssistance, error) {
	now := ts.now()
	today := bizdate.Today(now)
	if in.Date == "" {
		in.Date = today
	}
	if _, err := bizdate.Parse(in.Date); err != nil || in.Date > today {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "decision_date", "must be a date (YYYY-MM-DD) not after today")
	}
	if !in.Approve && strings.TrimSpace(in.Note) == "" {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "note", "a refusal must say why")
	}
	var out *TemporaryAssistance
	err := ts.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = ts.store.UpdateTemporaryAssistance(ctx, id, func(a *TemporaryAssistance) error {
			if !strings.HasPrefix(a.RegionCode, by.Scope) {
				return errReliefOutOfScope
			}
			if in.Etag != "" && in.Etag != a.Etag() {
				return apperr.StaleEtag
			}
			if a.State != AssistancePending {
				return apperr.Refused(ReasonTemporaryAssistanceDecided, apperr.Violation{Type: "TEMPORARY_ASSISTANCE_STATE", Subject: a.Name(),
					Description: fmt.Sprintf("decided on %s by %s", a.DecisionDate, a.DecidedBy)})
			}
			if in.Date < a.ApplicationDate {
				return apperr.Invalid(workflow.ReasonInvalidField, "decision_date", "is before the application ("+a.ApplicationDate+")")
			}
			a.State, a.DecisionDate, a.DecidedBy, a.DecisionNote, a.UpdateTime = AssistanceRefused, in.Date, by.Actor, strings.TrimSpace(in.Note), now
			if !in.Approve {
				return nil
			}
			capFen, used, err := ts.capOn(a, in.Date)
			if err != nil {
				return err
			}
			if err := checkCap(a, capFen, in.Date); err != nil {
				return err
			}
			a.State, a.CapFen, a.Policy, a.PaymentMonth, a.EntitlementID = AssistanceApproved, capFen, used, MonthOf(in.Date), ts.newID()
			return nil
		})
		if err != nil || out.State != AssistanceApproved {
			return err
		}
		return ts.store.GrantEntitlement(ctx, &Entitlement{ID: out.EntitlementID, Program: ProgramTemporaryAssistance,
			Beneficiary: TemporaryAssistanceSource(out.ID), HouseholdID: out.HouseholdID, RegionCode: out.RegionCode,
			Source: TemporaryAssistanceSource(out.ID), FromMonth: out.PaymentMonth, ToMonth: out.PaymentMonth, AmountFen: out.AmountFen,
			Covered: 1, Reason: "临时救助批准 " + out.DecisionDate, CreateTime: now, UpdateTime: now})
	})
	return out, err
}
